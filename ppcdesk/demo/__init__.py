"""A realistic, deterministic demo workspace: a year of calls written through the sync's path."""
