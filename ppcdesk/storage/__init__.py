"""SQLAlchemy models, the database handle, migrations, backups, and the repositories."""
