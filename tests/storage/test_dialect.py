"""One SQL text for both back ends: the PostgreSQL rewrite of SQLite-style driver SQL, and the
column types a PostgreSQL workspace gets."""

from __future__ import annotations

import pytest
import sqlalchemy.exc
from ppcdesk.storage import dialect
from ppcdesk.storage.db import Database

REWRITES = [
    # SQLite-style text                          what psycopg receives
    ("SELECT * FROM calls WHERE sid = ?", "SELECT * FROM calls WHERE sid = %s"),
    ("UPDATE t SET a = :a WHERE id = :id", "UPDATE t SET a = %(a)s WHERE id = %(id)s"),
    ("SELECT '50%' || ?, x % 7", "SELECT '50%%' || %s, x %% 7"),
    ("SELECT 'is it? yes: :no' FROM t", "SELECT 'is it? yes: :no' FROM t"),
    ("WHERE effective_from IS ?", "WHERE effective_from IS NOT DISTINCT FROM %s"),
    ("SET a = excluded.a WHERE t.a IS NOT excluded.a",
     "SET a = excluded.a WHERE t.a IS DISTINCT FROM excluded.a"),
    ("WHERE a IS NULL AND b IS NOT NULL AND c IS TRUE",
     "WHERE a IS NULL AND b IS NOT NULL AND c IS TRUE"),
    ("SELECT 1 -- costs 10%? no\nFROM t WHERE a = ?",
     "SELECT 1 -- costs 10%%? no\nFROM t WHERE a = %s"),
    ("SELECT CAST(x AS TEXT)::int", "SELECT CAST(x AS TEXT)::int"),
]


@pytest.mark.parametrize(("sqlite_sql", "psycopg_sql"), REWRITES)
def test_driver_sql_is_rewritten_for_psycopg(sqlite_sql: str, psycopg_sql: str) -> None:
    assert dialect.translate(sqlite_sql) == psycopg_sql


@pytest.mark.parametrize("target", [
    "postgresql://ann@db.example:5433/ppc", "postgres://ann@db/ppc",
    "postgresql+psycopg://ann@db/ppc"])
def test_a_postgresql_url_is_a_server_workspace(target: str) -> None:
    assert dialect.is_url(target)
    assert dialect.parse_url(target).get_backend_name() == "postgresql"


@pytest.mark.parametrize("target", ["/home/ann/ppc.sqlite", "C:\\ppc\\main.sqlite",
                                    "mysql://ann@db/ppc"])
def test_anything_else_is_a_file(target: str) -> None:
    assert not dialect.is_url(target)


def test_a_url_without_a_database_is_refused_with_the_fix() -> None:
    with pytest.raises(dialect.BadTargetError, match="names no database"):
        dialect.parse_url("postgresql://ann@db.example")


def test_a_typed_password_never_shows() -> None:
    db = Database("postgresql://ann:s3cret-pw@db.example/ppc")
    try:
        assert "s3cret-pw" not in db.display
        assert "s3cret-pw" not in repr(db)
        assert "s3cret-pw" not in str(db.target)
        assert db.display == "postgresql://ann@db.example/ppc"
    finally:
        db.dispose()


@pytest.mark.postgresql
def test_the_server_keeps_64_bit_money_and_times_and_0_1_flags(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        with db.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO media_spend (day, source, amount_micros, publisher_id) "
                "VALUES ('2030-01-01', 'google', ?, NULL)", (9_000_000_000_000,))
        with db.read() as conn:
            assert conn.exec_driver_sql(
                "SELECT amount_micros FROM media_spend").scalar_one() == 9_000_000_000_000
            kinds = dict(conn.exec_driver_sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'call_outcomes'").all())
        assert kinds["revenue_micros"] == "bigint"
        assert kinds["billable"] == "smallint"
    finally:
        db.dispose()


@pytest.mark.postgresql
def test_reads_cannot_write_on_the_server(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        with pytest.raises(sqlalchemy.exc.InternalError), db.read() as conn:
            conn.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, created_at) "
                                 "VALUES ('x', '', 'UTC', 0)")
    finally:
        db.dispose()
