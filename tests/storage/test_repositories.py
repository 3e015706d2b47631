"""Repositories: keyset paging through the call log, counts, and a period's figures by hand."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from ppcdesk.core import model
from ppcdesk.core.clock import day_start_epoch
from ppcdesk.storage import ingest, repositories
from ppcdesk.storage.db import Database
from ppcdesk.storage.repositories import CallKey

Factory = Callable[..., tuple[Any, ...]]
T0 = 1_795_000_000


def add_buyer(db: Database, buyer_id: int, name: str) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO buyers (id, name, contact, created_at) "
                             "VALUES (?, ?, '', 0)", (buyer_id, name))


# ---------------------------------------------------------------- keyset paging


@pytest.fixture
def shuffled_calls(db: Database, call_row: Factory) -> list[tuple[int, str]]:
    """25 calls, three to a second (ties), inserted out of order; returns (started_at, sid)."""
    calls = [(T0 + (i // 3) * 60, f"CA{i:02d}") for i in range(25)]
    order = calls[:]
    random.Random(7).shuffle(order)
    with db.write() as conn:
        ingest.upsert_calls(conn, [call_row(sid, started) for started, sid in order])
    return calls


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 25, 100])
def test_paging_returns_every_call_once_newest_first(
        db: Database, shuffled_calls: list[tuple[int, str]], limit: int) -> None:
    seen, after, pages = [], None, 0
    while True:
        with db.read() as conn:
            page = repositories.calls_page(conn, after, limit)
        if not page:
            break
        assert len(page) <= limit
        seen.extend(page)
        after = CallKey(page[-1].started_at, page[-1].id)
        pages += 1
    assert len(seen) == 25
    assert len({c.sid for c in seen}) == 25  # none twice, none lost at a tie
    keys = [(c.started_at, c.id) for c in seen]
    assert keys == sorted(keys, reverse=True)  # newest first, ties by id
    assert pages == -(-25 // limit)


def test_the_first_page_starts_at_the_newest_call(
        db: Database, shuffled_calls: list[tuple[int, str]]) -> None:
    with db.read() as conn:
        first = repositories.calls_page(conn, None, 1)[0]
    assert first.started_at == max(started for started, _ in shuffled_calls)


def test_a_call_row_carries_names_cost_and_recording(
        db: Database, call_row: Factory, recording_row: Factory) -> None:
    add_buyer(db, 1, "Buyer One")
    with db.write() as conn:
        ingest.upsert_calls(conn, [
            call_row("CA1", cost_micros=10_000, legs_cost_micros=5_000, buyer_id=1),
            call_row("CA2", T0 + 1, cost_micros=None),  # not rated yet
        ])
        ingest.upsert_recordings(conn, [recording_row("RE1", "CA1")])
    with db.read() as conn:
        unrated, rated = repositories.calls_page(conn, None, 10)
    assert (rated.sid, rated.buyer, rated.cost_micros, rated.has_recording) == (
        "CA1", "Buyer One", 15_000, True)
    assert (unrated.sid, unrated.cost_micros, unrated.has_recording) == ("CA2", None, False)


# ---------------------------------------------------------------- counts


def test_counts_report_what_the_user_has(
        db: Database, call_row: Factory, leg_row: Factory) -> None:
    with db.write() as conn:
        ingest.upsert_calls(conn, [call_row("CA1"), call_row("CA2")])
        ingest.upsert_legs(conn, [leg_row("CL1", "CA1"), leg_row("CL2", "CA1"),
                                  leg_row("CL3", "CA2")])
    with db.read() as conn:
        counts = repositories.counts(conn)
        assert repositories.count_calls(conn) == 2
    assert counts["calls"] == 2  # inbound calls; their legs are counted apart
    assert counts["legs"] == 3
    assert counts["recordings"] == 0
    assert {"numbers", "campaigns", "publishers", "buyers", "spend_days"} <= counts.keys()


def test_an_empty_database_counts_zero(db: Database) -> None:
    with db.read() as conn:
        assert set(repositories.counts(conn).values()) == {0}
        assert repositories.latest_call_at(conn) is None
        assert repositories.workspace(conn) is None


# ---------------------------------------------------------------- a period's figures

START = day_start_epoch(date(2026, 11, 1), "America/New_York")
END = day_start_epoch(date(2026, 11, 3), "America/New_York")  # two days, end excluded
MIN = 60

# sid          started        caller           buyer  talk  cost     legs cost
CALLS = [
    ("CAbefore", START - 1,     "+13125550123",  1,     300,  99_000,  99_000),  # day before
    ("CA1",      START,         "+12125550123",  1,     60,   10_000,  5_000),
    ("CA2",      START + 10*MIN, "+12125550123", None,  0,    8_000,   None),  # same caller
    ("CA3",      START + 20*MIN, "+16025550123", 1,     120,  None,    7_000),  # unrated parent
    ("CA4",      END - 1,       "anonymous",     None,  0,    1_000,   None),  # last second
    ("CAafter",  END,           "+15125550123",  1,     300,  99_000,  99_000),  # next period
]
# day          spend (micros)
SPEND = [
    ("2026-10-31", 99_000_000),
    ("2026-11-01", 50_000_000),
    ("2026-11-02", 25_000_000),
    ("2026-11-03", 99_000_000),
]


def test_period_summary_matches_the_figures_worked_out_by_hand(
        db: Database, call_row: Factory) -> None:
    add_buyer(db, 1, "Buyer One")
    with db.write() as conn:
        ingest.upsert_calls(conn, [
            call_row(sid, started, caller=caller, buyer_id=buyer, connected_s=talk,
                     cost_micros=cost, legs_cost_micros=legs)
            for sid, started, caller, buyer, talk, cost, legs in CALLS])
        for day, amount in SPEND:
            conn.exec_driver_sql(
                "INSERT INTO media_spend (day, source, amount_micros) VALUES (?, 'Ads', ?)",
                (day, amount))
    with db.read() as conn:
        summary = repositories.period_summary(conn, START, END, "2026-11-01", "2026-11-02")
    assert summary.calls == 4  # CA1..CA4: the period is [start, end)
    assert summary.answered == 2  # CA1 and CA3 reached a buyer
    assert summary.unique_callers == 3  # 212 twice, 602, anonymous
    assert summary.talk_seconds == 60 + 120
    assert summary.telco_cost_micros == 10_000 + 5_000 + 8_000 + 7_000 + 1_000
    assert summary.media_spend_micros == 50_000_000 + 25_000_000


def test_an_empty_period_is_all_zeros(db: Database) -> None:
    with db.read() as conn:
        summary = repositories.period_summary(conn, START, END, "2026-11-01", "2026-11-02")
    assert summary == model.PeriodSummary(0, 0, 0, 0, 0, 0)


def test_calls_per_hour_buckets_by_utc_hour(db: Database, call_row: Factory) -> None:
    add_buyer(db, 1, "Buyer One")
    with db.write() as conn:
        ingest.upsert_calls(conn, [
            call_row(sid, started, caller=caller, buyer_id=buyer)
            for sid, started, caller, buyer, *_ in CALLS])
    with db.read() as conn:
        hours = repositories.calls_per_hour(conn, START, END)
    # CA1..CA3 in the first hour (two answered), CA4 in the last hour of the period.
    assert hours == [(START // 3600, 3, 2), ((END - 1) // 3600, 1, 0)]
