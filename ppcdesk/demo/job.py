"""The demo job: generate a year and store it through the sync's own upserts, in one transaction.

The transaction holds the database file alone when it can (``target``), so pages are written
once; a cancel at any progress report, an error or a crash leaves the database as it was.
Meanwhile a helper thread renders the next chunk of rows while SQLite stores the current one
(``prefetch``). Measured figures, beside plain ``executemany``: benchmarks/bench_demo.py.

Each chunk's reviews (dispositions, notes, review marks: ``reviews``) are stored with its calls,
before the contracts are evaluated: the evaluation builds the KPI rollups, conversions
included. Demo dispositions make no billing adjustments (``reviews`` says why none is due).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert

from ppcdesk.billing.contract_import import demo_contracts_job
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import Job, Progress
from ppcdesk.demo import generator, rows
from ppcdesk.demo.cast import BUYERS, CAMPAIGNS, NUMBERS, PUBLISHERS, WORKSPACE_ZONE
from ppcdesk.demo.prefetch import prefetched
from ppcdesk.demo.target import bulk_write, check_foreign_keys
from ppcdesk.kpi.rollups import refresh_rollups
from ppcdesk.storage import ingest
from ppcdesk.storage import models as m
from ppcdesk.storage.db import Database

# The demo stores calls in start-time order with ascending sids: these indexes then only grow
# at their right edge (or at one edge per campaign or publisher), which costs less than
# building them again; the caller index is in random order and is rebuilt.
ORDERED_INDEXES = ("ix_calls_started_at", "ix_calls_campaign_started",
                   "ix_calls_publisher_started", "ix_call_legs_call_sid",
                   "ix_recordings_call_sid")
# What a database holds: its calls, its campaigns, and whether its workspace is a demo (NULL
# when it has no workspace yet).
REVIEW_STATEMENT_ROWS = 1_000  # rows per INSERT of review rows (6 columns: 6,000 bindings)
_TARGET_SQL = ("SELECT (SELECT COUNT(*) FROM calls), (SELECT COUNT(*) FROM campaigns), "
               "(SELECT is_demo FROM workspace WHERE id = 1)")


class DemoTargetError(PpcdeskError):
    """The database chosen for demo data already holds something else."""


def default_end(today: date) -> date:
    """The demo's year ends yesterday, so "yesterday" on the dashboard has calls."""
    return today - timedelta(days=1)


def write_demo(db: Database, *, calls: int, seed: int, end: date,
               replace: bool = False) -> Job[ChangeSet]:
    """Fill ``db`` (empty, or a demo with ``replace``) with ``calls`` demo calls."""
    if calls < 0:
        raise DemoTargetError(f"--calls must be 0 or more, not {calls}")
    yield Progress(0, calls, "Checking the database")
    with db.read() as conn:
        found = conn.exec_driver_sql(_TARGET_SQL).one()
    check_target(*found, replace=replace)
    holds_data = any(found)
    yield Progress(0, calls, "Planning calls")
    year = generator.plan(calls, seed, end)
    created = _midnight(end - timedelta(days=generator.DAYS - 1))
    finished = _midnight(end + timedelta(days=1))
    # Emptying a replaced demo row by row would check every foreign key: switch them off for
    # that transaction and check the new rows once at the end instead.
    with bulk_write(db, foreign_keys=not holds_data) as conn:
        found = conn.exec_driver_sql(_TARGET_SQL).one()  # again, now under the write lock
        check_target(*found, replace=replace)
        if any(found):
            _clear(conn)
        ids = _write_cast(conn, created)
        # The calls table is empty: its ids go on from 1 in call order (checked below), so
        # the review rows can name their calls without looking them up.
        parts = rows.chunks(year, rows.CastIds.of(ids), finished, first_call_id=1)
        stored = dict.fromkeys(("legs", "recordings", "dispositions", "notes", "reviews"), 0)
        with ingest.bulk_load(conn, calls, keep=ORDERED_INDEXES):
            with prefetched(parts) as ready:
                for part in ready:
                    ingest.upsert_calls(conn, part.calls)
                    ingest.upsert_legs(conn, part.legs)
                    ingest.upsert_recordings(conn, part.recordings)
                    _insert_reviews(conn, part)
                    for name in stored:
                        stored[name] += len(getattr(part, name))
                    yield Progress(part.stop, calls, f"Stored {part.stop:,} of {calls:,} calls")
            yield Progress(calls, calls, "Indexing")
        _check_call_ids(conn, calls)
        spend_rows = _write_spend(conn, year, ids, end)
        conn.execute(insert(m.SyncRun).values(
            kind="demo", started_at=finished, finished_at=finished, status="ok",
            summary=json.dumps({"calls": calls, **stored, "seed": seed,
                                "end": end.isoformat()}, sort_keys=True)))
        if holds_data:
            check_foreign_keys(conn)
        # No KPI rollups here: the contracts' evaluation below refreshes them with the
        # outcomes (a whole rebuild, as none exist yet); building them twice cost ~8 s of CPU.
        yield Progress(calls, calls, "Saving")
    billed = yield from demo_contracts_job(db, finished, _refresh, total=calls)  # + contracts
    return ChangeSet.of(
        Entity.WORKSPACE, Entity.NUMBERS, Entity.CAMPAIGNS, Entity.PARTNERS, Entity.CALLS,
        Entity.RECORDINGS, Entity.SPEND, Entity.SYNC, Entity.REVIEW,
        calls=calls, **stored, spend=spend_rows,
    ) | ChangeSet(billed.entities)


def _insert_reviews(conn: Connection, part: rows.Chunk) -> None:
    """Store a chunk's dispositions, notes and review marks (before the contracts' evaluation,
    which builds the KPI rollups with them; they create no adjustments: see demo.reviews)."""
    for table, columns, values in (("dispositions", rows.DISPOSITION_COLUMNS, part.dispositions),
                                   ("call_notes", rows.NOTE_COLUMNS, part.notes),
                                   ("call_reviews", rows.REVIEW_COLUMNS, part.reviews)):
        start, flat = 0, values.values
        for size in ingest.statement_sizes(len(values), REVIEW_STATEMENT_ROWS):
            stop = start + size * len(columns)
            conn.exec_driver_sql(_insert_sql(table, columns, size), tuple(flat[start:stop]))
            start = stop


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    """An INSERT of ``rows`` rows: ~2x faster than executemany of one (measured: 1.2M review
    rows of a 1M-call year); a few sizes, each compiled once (ingest.statement_sizes)."""
    one = f"({', '.join('?' for _ in columns)})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"


def _check_call_ids(conn: Connection, calls: int) -> None:
    """Raise unless the calls got ids 1..calls in order, as the review rows assumed."""
    found = tuple(conn.exec_driver_sql("SELECT COUNT(*), COALESCE(MIN(id), 1), "
                                       "COALESCE(MAX(id), 0) FROM calls").one())
    if found != (calls, 1, calls):
        raise PpcdeskError(f"demo calls got ids {found[1]}..{found[2]}, not 1..{calls}: "
                           "the review rows would name the wrong calls")


def _refresh(conn: Connection, since: int, until: int) -> None:
    refresh_rollups(conn, since, until, zone=WORKSPACE_ZONE)  # the outcomes' revenue and flags


def check_target(calls: int, campaigns: int, is_demo: int | None, *, replace: bool) -> None:
    """Raise DemoTargetError unless a demo may be written over what the target holds.

    An empty database takes a demo; a demo database takes a new one with ``replace``; a real
    workspace never does.
    """
    if not calls and not campaigns and is_demo is None:
        return
    if is_demo and replace:
        return
    if is_demo:
        raise DemoTargetError("this demo database already has data; add --replace to "
                              "generate it again")
    raise DemoTargetError(f"this database holds a real workspace ({calls:,} calls); demo "
                          "data goes into its own file: choose another --db")


def _clear(conn: Connection) -> None:
    """Empty every table of a demo that is being replaced (its schema revision stays).

    Its statistics go too: they describe the old year (a large load analyses the new one).
    """
    if conn.dialect.name != "sqlite":
        # PostgreSQL: the id sequences must start again at 1 too (the review rows name their
        # calls by id, 1..N in call order); TRUNCATE does both in one statement.
        names = ", ".join(f'"{t.name}"' for t in m.Base.metadata.sorted_tables)
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
        return
    for table in reversed(m.Base.metadata.sorted_tables):
        conn.exec_driver_sql(f'DELETE FROM "{table.name}"')
    conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")


def _midnight(day: date) -> int:
    return generator.local_midnight(day)


def _write_cast(conn: Connection, created: int) -> dict[str, dict[str, int]]:
    """Insert the workspace, campaigns, partners and numbers with ids 1, 2, ... in cast order.

    The new file is empty, so the ids are known up front: one statement per table.
    """
    conn.execute(insert(m.WorkspaceInfo).values(
        id=1, name="Demo workspace", role="network", timezone=WORKSPACE_ZONE, currency="USD",
        is_demo=True, created_at=created))
    ids: dict[str, dict[str, int]] = {
        "campaign": {c.name: i for i, c in enumerate(CAMPAIGNS, 1)},
        "publisher": {p.name: i for i, p in enumerate(PUBLISHERS, 1)},
        "buyer": {b.name: i for i, b in enumerate(BUYERS, 1)},
        "number": {row[2]: i for i, row in enumerate(NUMBERS, 1)},
    }
    conn.execute(insert(m.Campaign), [
        {"id": ids["campaign"][c.name], "name": c.name, "vertical": c.vertical,
         "timezone": c.timezone, "created_at": created} for c in CAMPAIGNS])
    conn.execute(insert(m.Publisher), [
        {"id": ids["publisher"][p.name], "name": p.name, "kind": p.kind, "contact": "",
         "created_at": created} for p in PUBLISHERS])
    conn.execute(insert(m.Buyer), [
        {"id": ids["buyer"][b.name], "name": b.name, "contact": "", "created_at": created}
        for b in BUYERS])
    conn.execute(insert(m.BuyerDestination), [
        {"buyer_id": ids["buyer"][b.name], "e164": e164, "label": f"Line {k}"}
        for b in BUYERS for k, e164 in enumerate(b.destinations, 1)])
    conn.execute(insert(m.TrackingNumber), [
        {"id": ids["number"][e164], "account_id": None, "provider_sid": f"PN{i:032x}",
         "e164": e164, "friendly_name": friendly,
         "campaign_id": ids["campaign"][campaign], "publisher_id": ids["publisher"][publisher],
         "monthly_cost_micros": (2_150_000 if e164[2:5] in generator.TOLL_FREE_PREFIXES
                                 else 1_150_000),
         "status": "active", "acquired_at": created, "released_at": None}
        for i, (campaign, publisher, e164, friendly, _share) in enumerate(NUMBERS)])
    return ids


def _write_spend(conn: Connection, year: generator.Plan,
                 ids: dict[str, dict[str, int]], end: date) -> int:
    """Write the media spend per day of the own traffic sources: cost per call x calls."""
    first = end - timedelta(days=generator.DAYS - 1)
    day = (year.started_at - _midnight(first)) // 86_400
    spend: list[dict[str, Any]] = []
    rng = np.random.default_rng(year.count)
    for p_idx, publisher in enumerate(PUBLISHERS):
        if not publisher.cost_per_call_cents:
            continue
        for c_idx, campaign in enumerate(CAMPAIGNS):
            mask = (year.publisher_idx == p_idx) & (year.campaign_idx == c_idx)
            if not mask.any():
                continue
            per_day = np.bincount(np.clip(day[mask], 0, generator.DAYS - 1),
                                  minlength=generator.DAYS)
            noise = rng.uniform(0.8, 1.2, size=generator.DAYS)
            cents = np.rint(per_day * publisher.cost_per_call_cents * noise).astype(np.int64)
            spend.extend({
                "day": (first + timedelta(days=d)).isoformat(),
                "campaign_id": ids["campaign"][campaign.name],
                "publisher_id": ids["publisher"][publisher.name],
                "source": publisher.name.replace(" (own)", ""),
                "amount_micros": int(cents[d]) * 10_000, "import_id": None}
                for d in np.flatnonzero(cents).tolist())
    if spend:
        conn.execute(insert(m.MediaSpend), spend)
    return len(spend)

