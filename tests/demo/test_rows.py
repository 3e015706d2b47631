"""The plumbing of a fast load: batched upserts, flat rows, and the prefetching helper thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo_support import new_database, query
from ppcdesk.demo.prefetch import prefetched
from ppcdesk.storage import ingest
from ppcdesk.storage.ingest import FlatRows


def call(sid: str, started_at: int, **changes: Any) -> tuple[Any, ...]:
    row = dict.fromkeys(ingest.CALL_COLUMNS)
    row.update(sid=sid, caller="+12125550100", called="+18885550101", status="completed",
               direction="inbound", started_at=started_at, duration_s=60, connected_s=0,
               updated_at=1)
    row.update(changes)
    return tuple(row.values())


def test_flat_rows_read_as_a_sequence_of_tuples() -> None:
    rows = FlatRows([1, "a", 2, "b", 3, "c"], 2)
    assert len(rows) == 3
    assert rows[0] == (1, "a")
    assert rows[-1] == (3, "c")
    assert list(rows) == [(1, "a"), (2, "b"), (3, "c")]
    assert list(rows[1:]) == [(2, "b"), (3, "c")]
    assert list(rows[::2]) == [(1, "a"), (3, "c")]
    with pytest.raises(IndexError):
        rows[3]
    with pytest.raises(ValueError, match="do not make rows"):
        FlatRows([1, 2, 3], 2)


def test_batches_larger_than_one_statement_store_every_row(tmp_path: Path) -> None:
    db = new_database(tmp_path / "calls.sqlite")
    many = [call(f"CA{i:05d}", 1_790_000_000 + i) for i in range(5_000)]  # ~3 statements
    with db.write() as conn:
        assert ingest.upsert_calls(conn, many) == 5_000
        assert ingest.upsert_calls(conn, many) == 0  # idempotent
        flat = FlatRows([v for row in many for v in row], len(ingest.CALL_COLUMNS))
        assert ingest.upsert_calls(conn, flat) == 0  # the same rows, flattened
    db.dispose()
    assert query(tmp_path / "calls.sqlite", "SELECT COUNT(*), MIN(sid), MAX(sid) FROM calls") == [
        (5_000, "CA00000", "CA04999")]


def test_a_sid_twice_in_one_batch_ends_as_its_last_row(tmp_path: Path) -> None:
    db = new_database(tmp_path / "calls.sqlite")
    with db.write() as conn:
        written = ingest.upsert_calls(conn, [
            call("CA1", 100, status="in-progress"), call("CA2", 100),
            call("CA1", 100, status="completed", cost_micros=8_500)])
    db.dispose()
    assert written == 3  # two inserts and one update, as executemany would count them
    assert query(tmp_path / "calls.sqlite", "SELECT sid, status, cost_micros FROM calls "
                 "ORDER BY sid") == [("CA1", "completed", 8_500), ("CA2", "completed", None)]


def test_a_row_of_the_wrong_width_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    db = new_database(tmp_path / "calls.sqlite")
    with db.write() as conn:
        with pytest.raises(ValueError, match="row 1 has 18 values, 19 expected"):
            ingest.upsert_calls(conn, [call("CA1", 100), call("CA2", 100)[:-1]])
        with pytest.raises(ValueError, match="rows of 11 values"):
            ingest.upsert_calls(conn, FlatRows([None] * 11, 11))
    db.dispose()
    assert query(tmp_path / "calls.sqlite", "SELECT COUNT(*) FROM calls") == [(0,)]


def test_prefetched_items_arrive_in_order() -> None:
    with prefetched(iter(range(1_000)), depth=3) as items:
        assert list(items) == list(range(1_000))


def test_an_error_in_the_helper_reaches_the_consumer() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise KeyError("no such campaign")

    with prefetched(broken()) as items, pytest.raises(KeyError, match="no such campaign"):
        list(items)


def test_leaving_early_stops_the_helper_and_restores_the_switch_interval() -> None:
    before = sys.getswitchinterval()
    made: list[int] = []

    def endless() -> Iterator[int]:
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    with prefetched(endless(), depth=2) as items:
        assert sys.getswitchinterval() <= 0.0001
        assert next(items) == 0
    assert sys.getswitchinterval() == before
    assert not any(t.name == "ppcdesk-prefetch" for t in threading.enumerate())
    assert len(made) <= 5  # stopped a few items ahead, not at the end of time


@pytest.mark.parametrize("count", [0, 1, 255, 256, 1_723, 1_724, 1_725, 5_000, 20_000])
def test_batches_use_a_few_statement_sizes_that_add_up(count: int) -> None:
    # Each size is prepared once (a 1,700-row statement takes ~16 ms to prepare) and reused.
    sizes = list(ingest.statement_sizes(count, 1_724))
    assert sum(sizes) == count
    assert set(sizes) <= {1_724, 256, 128, 64, 32, 16, 8, 4, 2, 1}
    assert sizes == sorted(sizes, reverse=True)
