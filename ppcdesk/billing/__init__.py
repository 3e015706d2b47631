"""Contracts and the billing engine: pure rules over call facts (no database, no Qt)."""
