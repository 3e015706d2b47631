"""A demo is a function of (calls, seed, end day): the same inputs give the same database."""

from __future__ import annotations

from pathlib import Path

from demo_support import CALLS, demo, dump, query


def test_the_same_seed_and_end_give_identical_databases(tmp_path: Path) -> None:
    demo(tmp_path / "first.sqlite", seed=11)
    demo(tmp_path / "second.sqlite", seed=11)
    first, second = dump(tmp_path / "first.sqlite"), dump(tmp_path / "second.sqlite")
    assert len(first["calls"]) == CALLS
    assert first == second  # every table, every row, every value; and the schema


def test_a_different_seed_gives_different_calls(tmp_path: Path) -> None:
    demo(tmp_path / "a.sqlite", calls=3_000, seed=1)
    demo(tmp_path / "b.sqlite", calls=3_000, seed=2)
    a, b = dump(tmp_path / "a.sqlite"), dump(tmp_path / "b.sqlite")
    assert a["campaigns"] == b["campaigns"]  # the same cast
    assert a["calls"] != b["calls"]
    assert {row[1] for row in a["calls"]}.isdisjoint(row[1] for row in b["calls"])  # sids


def test_the_calls_are_stored_in_time_order_with_ascending_sids(demo_db: Path) -> None:
    # Ascending sids keep the unique sid indexes growing at one end (the speed of a load);
    # time order keeps a day's calls together on disk.
    calls = query(demo_db, "SELECT sid, started_at FROM calls ORDER BY id")
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    legs = query(demo_db, "SELECT sid FROM call_legs ORDER BY id")
    assert legs == sorted(legs)
