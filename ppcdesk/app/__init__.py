"""The composition root: bootstrap (paths, logging, lock, migrate, services), CLI and GUI."""
