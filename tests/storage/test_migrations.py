"""Migrations are safe: new files reach the newest schema, old ones are backed up and upgraded,
and files ppcdesk cannot own (newer, foreign, not SQLite) are refused without a byte changed.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from ppcdesk.core.errors import MigrationError, SchemaTooNewError
from ppcdesk.storage import dialect, migrate
from ppcdesk.storage.db import Database
from ppcdesk.storage.models import Base

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "schemas"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def revision_in(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


def schema_differences(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": dialect.compare_type})
        return list(compare_metadata(context, Base.metadata))


def copy_fixture(revision: str, tmp_path: Path) -> Path:
    source = FIXTURES / f"{revision}.sqlite"
    target = tmp_path / "data" / "workspace.sqlite"
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    return target


# ---------------------------------------------------------------- a new file


def test_a_new_file_is_created_at_the_newest_schema(tmp_path: Path) -> None:
    db = Database(tmp_path / "new.sqlite")
    try:
        assert migrate.upgrade(db, tmp_path / "backups") is None  # nothing to back up
        assert migrate.current_revision(db) == migrate.head_revision()
        assert migrate.upgrade(db, tmp_path / "backups") is None  # already there: a no-op
    finally:
        db.dispose()
    assert not (tmp_path / "backups").exists()


def test_the_migrated_schema_is_exactly_the_models(db: Database) -> None:
    # A model changed without a revision (or a revision that drifted) shows up here.
    assert schema_differences(db) == []


def test_the_schema_check_does_see_a_difference(db: Database) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("DROP INDEX ix_calls_caller_started")
    differences = schema_differences(db)
    assert [d[0] for d in differences] == ["add_index"]


# ---------------------------------------------------------------- files we must not touch


def stamp(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.close()


def test_a_database_from_a_newer_ppcdesk_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    db = Database(path)
    migrate.upgrade(db)
    db.dispose()
    stamp(path, "9999_from_the_future")
    before = sha256(path)

    db = Database(path)
    try:
        with pytest.raises(SchemaTooNewError) as caught:
            migrate.upgrade(db, tmp_path / "backups")
    finally:
        db.dispose()
    message = str(caught.value)
    assert str(path) in message
    assert "9999_from_the_future" in message
    assert sha256(path) == before
    assert revision_in(path) == "9999_from_the_future"
    assert not (tmp_path / "backups").exists()


def test_someone_elses_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "contacts.sqlite"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('Ada')")
    conn.close()
    before = sha256(path)

    db = Database(path)
    try:
        with pytest.raises(MigrationError, match="not a ppcdesk database") as caught:
            migrate.upgrade(db, tmp_path / "backups")
    finally:
        db.dispose()
    assert str(path) in str(caught.value)
    assert sha256(path) == before  # not even switched to WAL mode


def test_a_file_that_is_not_sqlite_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list: milk, eggs\n" * 200)
    before = sha256(path)
    db = Database(path)
    try:
        with pytest.raises(MigrationError, match="not a ppcdesk database") as caught:
            migrate.upgrade(db)
    finally:
        db.dispose()
    assert str(path) in str(caught.value)
    assert sha256(path) == before


# ---------------------------------------------------------------- upgrades from shipped revisions


def test_every_shipped_revision_has_a_fixture_database() -> None:
    missing = [rev for rev in migrate.known_revisions()
               if not (FIXTURES / f"{rev}.sqlite").is_file()]
    assert not missing, (
        f"no fixture database for schema revision(s) {missing}: run "
        "`.venv/bin/python tests/fixtures/make_fixtures.py REVISION` and commit the file")


def test_the_fixture_databases_are_the_revision_they_are_named_after() -> None:
    for path in sorted(FIXTURES.glob("*.sqlite")):
        assert revision_in(path) == path.stem


@pytest.mark.parametrize("revision", migrate.known_revisions())
def test_upgrade_from_each_shipped_revision_keeps_the_data(revision: str, tmp_path: Path) -> None:
    path = copy_fixture(revision, tmp_path)
    db = Database(path)
    try:
        taken = migrate.upgrade(db, tmp_path / "backups")
        assert migrate.current_revision(db) == migrate.head_revision()
        assert schema_differences(db) == []
        with db.read() as conn:
            calls = conn.exec_driver_sql("SELECT sid, caller FROM calls ORDER BY sid").all()
            recording = conn.exec_driver_sql(
                "SELECT file_state, local_path FROM recordings WHERE sid = 'REfixture1'").one()
            workspace = conn.exec_driver_sql("SELECT name FROM workspace").scalar_one()
    finally:
        db.dispose()
    assert [tuple(r) for r in calls] == [("CAfixture1", "+12125550123"),
                                         ("CAfixture2", "+16025550123"),
                                         ("CAfixture3", "anonymous")]
    assert tuple(recording) == ("cached", "re/REfixture1.mp3")
    assert workspace == "Fixture workspace"
    if revision == migrate.head_revision():
        assert taken is None  # nothing to migrate, nothing to back up
    else:
        assert taken is not None
        assert revision_in(Path(taken)) == revision


# ---------------------------------------------------------------- backup before migrating

TEST_REVISION = "ffff_test_only"


def scripts_with_extra_revision(tmp_path: Path, body: str) -> Path:
    """A copy of the shipped migrations plus one test-only revision after the head."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.SCRIPTS, scripts,
                    ignore=shutil.ignore_patterns("__pycache__"))
    header = [
        '"""A revision that exists only in this test."""',
        "import sqlalchemy as sa",
        "from alembic import op",
        "",
        f"revision = {TEST_REVISION!r}",
        f"down_revision = {migrate.head_revision()!r}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        "def upgrade() -> None:",
    ]
    source = "\n".join(header) + "\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ")
    (scripts / "versions" / f"{TEST_REVISION}.py").write_text(source + "\n")
    return scripts


def test_an_older_database_is_backed_up_before_it_is_migrated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_head = migrate.head_revision()
    path = copy_fixture(old_head, tmp_path)
    scripts = scripts_with_extra_revision(tmp_path, '''
        op.create_table("test_marker", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO test_marker (id) VALUES (1)")
    ''')
    monkeypatch.setattr(migrate, "SCRIPTS", scripts)
    assert migrate.head_revision() == TEST_REVISION

    db = Database(path)
    try:
        taken = migrate.upgrade(db, tmp_path / "backups")
        assert migrate.current_revision(db) == TEST_REVISION
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM calls").scalar_one() == 3
            assert conn.exec_driver_sql("SELECT id FROM test_marker").scalar_one() == 1
    finally:
        db.dispose()
    assert taken is not None
    backup = Path(taken)
    assert backup.parent == tmp_path / "backups"
    assert f"before-{TEST_REVISION}" in backup.name
    assert revision_in(backup) == old_head  # the database as it was before
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (3,)
    conn.close()


def test_a_failed_migration_rolls_back_and_names_the_backup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_head = migrate.head_revision()
    path = copy_fixture(old_head, tmp_path)
    scripts = scripts_with_extra_revision(tmp_path, '''
        op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
        raise RuntimeError("the disk caught fire")
    ''')
    monkeypatch.setattr(migrate, "SCRIPTS", scripts)

    db = Database(path)
    try:
        with pytest.raises(MigrationError, match="the disk caught fire") as caught:
            migrate.upgrade(db, tmp_path / "backups")
        assert migrate.current_revision(db) == old_head
        with db.read() as conn:
            tables = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.dispose()
    assert "half_done" not in tables  # SQLite DDL is transactional: nothing half done
    backups = list((tmp_path / "backups").glob("*.sqlite"))
    assert len(backups) == 1
    assert str(backups[0]) in str(caught.value)
