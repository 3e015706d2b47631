"""The billing job's workspaces on each back end: a test asking for ``new_db`` runs twice.

Once on a SQLite file, once on a PostgreSQL database copied from the migrated template
(skipped without a server, see tests/conftest.py); every workspace it makes is dropped after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database
from tests.billing.job_support import APEX, PEAK, NewDb, new_workspace


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDb]:
    """Make workspaces with the test's declarations and ``contracts`` on one back end."""
    made: list[tuple[Database, str | None]] = []
    server: Any = None
    template = ""
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("_pg_template")

    def make(contracts: str = APEX + "\n" + PEAK) -> Database:
        url: str | None = None
        if server is None:
            folder = tmp_path / f"workspace{len(made)}"
            folder.mkdir(parents=True)
            db = Database(folder / "billing.sqlite")
            migrate.upgrade(db)
        else:
            url = server.create_database(template=template)
            db = Database(url)
        made.append((db, url))
        return new_workspace(db, contracts)

    yield make
    for db, url in made:
        db.dispose()
        if url is not None:
            server.drop_database(url)
