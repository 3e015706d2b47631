"""The call log through ReviewService: filters, keyset blocks, review marks, CSV round trip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.errors import DataError
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import SORTS, CallFilter, CallSort, ReviewService
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database

CALLS, SEED, END = 1_500, 11, date(2026, 11, 20)
NOW = datetime(2026, 11, 21, 15, tzinfo=UTC)


def make_app(home: Path, calls: int = CALLS, target: str | None = None) -> AppServices:
    """A workspace at ``target`` (a migrated SQLite path or PostgreSQL URL; None: a new
    SQLite file in ``home``), with a ``calls``-call demo when asked."""
    paths = paths_mod.resolve(home).ensure()
    db = Database(target or paths.data / "demo.sqlite")
    migrate.upgrade(db)
    app = AppServices(db, paths, FixedClock(NOW))
    if calls:
        run_job(app.demo_job(calls=calls, seed=SEED, end=END))
    return app


@pytest.fixture
def app(tmp_path: Path, db_target: str) -> Iterator[AppServices]:
    """The demo workspace, once on SQLite and once on PostgreSQL (issue 9)."""
    services = make_app(tmp_path / "home", target=db_target)
    yield services
    services.db.dispose()


def ids_in_sql_order(app: AppServices, where: str, order: str) -> list[int]:
    with app.db.read() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            f"SELECT c.id FROM calls c WHERE {where} ORDER BY {order}")]


# What each sort means, ascending, written as plain Python keys over every call's columns:
# names sort with their ties broken by the row of the name, then the newest calls inside one
# name come last (started_at), then the id; empty (NULL) values come first.
_COLUMNS = ("c.id, c.started_at, c.caller, coalesce(c.caller_state, ''), c.called, "
            "coalesce(cp.name, ''), coalesce(c.campaign_id, 0), coalesce(p.name, ''), "
            "coalesce(c.publisher_id, 0), coalesce(b.name, ''), coalesce(c.buyer_id, 0), "
            "c.status, c.duration_s, c.connected_s, c.time_to_answer_s, "
            "coalesce(c.cost_micros, -1) + coalesce(c.legs_cost_micros, 0), c.sid, "
            "c.caller_state IS NULL")
MEANING = {
    "started": lambda r: (r[1], r[0]),
    "caller": lambda r: (r[2], r[1], r[0]),
    "state": lambda r: (not r[17], r[3], r[1], r[0]),
    "number": lambda r: (r[4], r[0]),
    "campaign": lambda r: (r[6] != 0, r[5], r[6], r[1], r[0]),
    "publisher": lambda r: (r[8] != 0, r[7], r[8], r[1], r[0]),
    "buyer": lambda r: (r[10] != 0, r[9], r[10], r[1], r[0]),
    "status": lambda r: (r[11], r[1], r[0]),
    "duration": lambda r: (r[12], r[0]),
    "connected": lambda r: (r[13], r[0]),
    "answer": lambda r: (r[14] is not None, r[14] or 0, r[0]),
    "cost": lambda r: (r[15], r[0]),
    "sid": lambda r: (r[16], r[0]),
}


def ids_in_meaning_order(app: AppServices, column: str, descending: bool) -> list[int]:
    with app.db.read() as conn:
        rows = list(conn.exec_driver_sql(
            f"SELECT {_COLUMNS} FROM calls c LEFT JOIN campaigns cp ON cp.id = c.campaign_id "
            "LEFT JOIN publishers p ON p.id = c.publisher_id "
            "LEFT JOIN buyers b ON b.id = c.buyer_id"))
    return [r[0] for r in sorted(rows, key=MEANING[column], reverse=descending)]


def walk(review: ReviewService, f: CallFilter, sort: CallSort, size: int) -> list[int]:
    """Every id of the log, block by block after the last row's key."""
    out: list[int] = []
    after = None
    while True:
        rows = review.block(f, sort, after=after, limit=size)
        out += [r.call.id for r in rows]
        if len(rows) < size:
            return out
        after = rows[-1].key


@pytest.mark.parametrize("column", sorted(SORTS))
def test_every_sort_pages_through_the_whole_log_in_order(app: AppServices,
                                                         column: str) -> None:
    for descending in (True, False):
        sort = CallSort(column, descending)
        expected = ids_in_meaning_order(app, column, descending)
        assert walk(app.review, CallFilter(), sort, 97) == expected


@pytest.mark.parametrize("column", ["duration", "campaign", "answer"])
def test_reading_backwards_and_from_the_end_gives_the_same_rows(app: AppServices,
                                                               column: str) -> None:
    sort = CallSort(column, descending=True)
    everything = walk(app.review, CallFilter(), sort, 500)
    last = app.review.block(CallFilter(), sort, from_end=True, limit=100)
    assert [r.call.id for r in last] == everything[-100:]
    before = app.review.block(CallFilter(), sort, before=last[0].key, limit=50)
    assert [r.call.id for r in before] == everything[-150:-100]
    key = app.review.key_at(CallFilter(), sort, 700)
    assert key is not None
    assert key[1] == everything[700]


def test_filters_select_what_they_say(app: AppServices) -> None:
    review = app.review
    with app.db.read() as conn:
        campaign, state = conn.exec_driver_sql(
            "SELECT campaign_id, caller_state FROM calls WHERE caller_state IS NOT NULL "
            "LIMIT 1").one()
        some = conn.exec_driver_sql("SELECT caller, sid FROM calls LIMIT 1 OFFSET 40").one()
    cases = {
        CallFilter(campaign_id=campaign): f"campaign_id = {campaign}",
        CallFilter(state=state, statuses=("completed",)):
            f"caller_state = '{state}' AND status = 'completed'",
        CallFilter(has_recording=True): "EXISTS (SELECT 1 FROM recordings r "
                                        "WHERE r.call_sid = c.sid)",
        CallFilter(has_recording=False): "NOT EXISTS (SELECT 1 FROM recordings r "
                                         "WHERE r.call_sid = c.sid)",
        CallFilter(search=some.caller): f"caller = '{some.caller}'",
        CallFilter(search=some.caller[-7:]): f"caller LIKE '%{some.caller[-7:]}%'",
        CallFilter(search=some.sid[:12]): f"sid LIKE '{some.sid[:12]}%'",
    }
    for f, sql in cases.items():
        expected = ids_in_sql_order(app, sql, "c.started_at DESC, c.id DESC")
        assert expected, sql
        assert walk(review, f, CallSort(), 200) == expected, sql
        assert review.count(f) == len(expected)


def test_outcome_filters_read_the_billing_flags(app: AppServices) -> None:
    with app.db.write() as conn:  # only these three outcomes (the demo may evaluate its own)
        conn.exec_driver_sql("DELETE FROM call_outcomes")
        contract = conn.exec_driver_sql(
            "INSERT INTO contracts (name, counterparty_kind, active, created_at) "
            "VALUES ('Acme buys (test)', 'buyer', 1, 0) RETURNING id").scalar_one()
        version = conn.exec_driver_sql(
            "INSERT INTO contract_versions (contract_id, version, terms, note, created_at) "
            "VALUES (?, 1, '', '', 0) RETURNING id", (contract,)).scalar_one()
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM calls ORDER BY id LIMIT 3")]
        for call_id, billable, flags in zip(ids, (1, 0, 0), (0, 8, 4), strict=True):
            conn.exec_driver_sql(
                "INSERT INTO call_outcomes (call_id, contract_id, contract_version_id, "
                "billable, payable, revenue_micros, payout_micros, reasons, flags, "
                "evaluated_at) VALUES (?, ?, ?, ?, 0, 0, 0, '[]', ?, 0)",
                (call_id, contract, version, billable, flags))
    review = app.review

    def found(f: CallFilter) -> set[int]:
        return {r.call.id for r in review.block(f, CallSort(), limit=5000)}

    assert found(CallFilter(billable=True)) == {ids[0]}
    assert found(CallFilter(billable=False)) == {ids[1], ids[2]}
    assert found(CallFilter(duplicate=True)) == {ids[1]}
    assert found(CallFilter(under_buffer=True)) == {ids[2]}
    assert ids[1] not in found(CallFilter(duplicate=False))
    row = review.block(CallFilter(search=review.detail(ids[1]).row.call.sid), CallSort())[0]
    assert (row.billable, row.flags) == (False, 8)


def test_dispositions_notes_and_disputes_are_kept_with_author_and_time(
        app: AppServices) -> None:
    review = app.review
    # A call nobody reviewed yet (the demo's buyers reported on most older ones).
    call = review.block(CallFilter(reviewed=False, disputed=False), CallSort(), limit=1)[0].call
    reviewed, disputed = (review.count(CallFilter(reviewed=True)),
                          review.count(CallFilter(disputed=True)))
    run_job(review.dispose_job(call.id, DispositionCode.SPAM, author="ann"))
    run_job(review.dispose_job(call.id, DispositionCode.CONVERTED, 125_500_000, author="bob"))
    run_job(review.note_job(call.id, "  asked for a callback  ", author="bob"))
    run_job(review.dispute_job(call.id, True, "caller never spoke to the buyer"))
    detail = review.detail(call.id)
    assert [(d.code, d.sale_micros, d.author) for d in detail.dispositions] == [
        ("converted", 125_500_000, "bob"), ("spam", None, "ann")]
    assert detail.dispositions[0].created_at == int(NOW.timestamp())
    assert [(n.body, n.author) for n in detail.notes] == [("asked for a callback", "bob")]
    assert (detail.row.reviewed, detail.row.disputed, detail.row.disposition) == (
        True, True, "converted")
    assert detail.dispute_reason == "caller never spoke to the buyer"
    assert review.count(CallFilter(reviewed=True)) == reviewed + 1
    assert review.count(CallFilter(disputed=True)) == disputed + 1
    with pytest.raises(DataError, match="why"):
        run_job(review.dispute_job(call.id, True, " "))
    with pytest.raises(DataError, match="converted"):
        run_job(review.dispose_job(call.id, DispositionCode.SPAM, 1))


def test_call_detail_has_the_legs_and_the_recording(app: AppServices) -> None:
    with app.db.read() as conn:
        call_id = conn.exec_driver_sql(
            "SELECT c.id FROM calls c JOIN recordings r ON r.call_sid = c.sid "
            "WHERE c.buyer_id IS NOT NULL LIMIT 1").scalar_one()
    detail = app.review.detail(call_id)
    assert detail.legs
    assert any(leg.status == "completed" and leg.buyer for leg in detail.legs)
    audio = app.review.audio_path(detail.recordings[0])
    assert audio is not None
    assert audio.is_file()


def test_csv_export_then_import_round_trips_exactly(app: AppServices, tmp_path: Path,
                                                   other_target: str) -> None:
    review = app.review
    call = review.block(CallFilter(), CallSort(), limit=1)[0].call
    run_job(review.dispose_job(call.id, DispositionCode.CONVERTED, 80_000_000, author="ann"))
    run_job(review.dispute_job(call.id, True, 'said "wrong number", hung up'))
    first = tmp_path / "calls.csv"
    f = CallFilter(statuses=("completed",))
    assert run_job(review.export_job(first, f, CallSort(), masked=False)) == review.count(f)
    other = make_app(tmp_path / "other", calls=0, target=other_target)
    try:
        run_job(other.review.import_job(first))
        second = tmp_path / "again.csv"
        run_job(other.review.export_job(second, CallFilter(), CallSort(), masked=False))
        assert second.read_bytes() == first.read_bytes()
        run_job(other.review.import_job(first))  # twice: nothing new
        assert other.review.count(CallFilter()) == review.count(f)
        assert len(other.review.detail(other.review.call_id(call.sid)).dispositions) == 1
    finally:
        other.db.dispose()


def test_a_masked_export_hides_callers_and_cannot_be_imported(app: AppServices,
                                                              tmp_path: Path) -> None:
    target = tmp_path / "masked.csv"
    run_job(app.review.export_job(target, CallFilter(search="+1"), CallSort(), masked=True))
    line = target.read_text().splitlines()[1]
    assert "•••-•••-" in line
    with pytest.raises(DataError, match=r"masked.csv, row 2, field 'caller'"):
        run_job(app.review.import_job(target))


def test_a_bad_row_is_named_by_row_and_column(app: AppServices, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    run_job(app.review.export_job(good, CallFilter(), CallSort(), masked=False))
    lines = good.read_text().splitlines()
    cells = lines[3].split(",")
    cells[7] = "12s"  # duration_s
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines[:3], ",".join(cells)]) + "\n")
    with pytest.raises(DataError, match=r"bad.csv, row 4, field 'duration_s'"):
        run_job(app.review.import_job(bad))


def test_a_count_in_slices_adds_up_to_the_whole_count(app: AppServices) -> None:
    review = app.review
    with app.db.read() as conn:
        campaign = conn.exec_driver_sql("SELECT id FROM campaigns ORDER BY id LIMIT 1").scalar()
    for f in (CallFilter(), CallFilter(campaign_id=campaign, has_recording=True),
              CallFilter(start=1_790_000_000, end=1_795_000_000, statuses=("completed",))):
        slices = review.count_slices(f)
        assert len(slices) == (1 if f == CallFilter() else 12)
        assert sum(review.count(f, since=a, until=b) for a, b in slices) == review.count(f)
