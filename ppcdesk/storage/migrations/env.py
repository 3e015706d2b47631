"""Alembic environment: ppcdesk always passes its own open connection (see migrate.py)."""

from alembic import context

from ppcdesk.storage.dialect import compare_type
from ppcdesk.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through ppcdesk.storage.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
    compare_type=compare_type,
)
with context.begin_transaction():
    context.run_migrations()
