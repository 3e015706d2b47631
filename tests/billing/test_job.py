"""The evaluation job over a stored workspace: tables of calls in, stored outcomes out.

The contracts (job_support): "Apex auto" pays $45 for calls connected 90 s or more, one per
caller per 30 days, at most 2 a day; "Peak payout" pays the publisher 60% of that revenue.
"""

from __future__ import annotations

import json

import pytest
from ppcdesk.core.progress import run_job
from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.storage import billing_store as store
from ppcdesk.storage.db import Database
from tests.billing.job_support import (
    APEX,
    CLOCK,
    PEAK,
    NewDb,
    add_calls,
    dump,
    evaluate,
    import_text,
    local,
    outcomes,
)

MONDAY = """
CA01 | 2026-03-02 09:00 | +12145550001 | 120 | Apex
CA02 | 2026-03-02 09:10 | +12145550002 |  90 | Apex
CA03 | 2026-03-02 09:20 | +12145550003 |  89 | Apex
CA04 | 2026-03-02 09:30 | +12145550001 | 300 | Apex
CA05 | 2026-03-02 09:40 | +12145550005 |   0 | -
CA06 | 2026-03-02 09:50 | +12145550006 | 200 | Apex
CA07 | 2026-03-02 10:00 | +12145550007 | 200 | Keystone
"""


def test_a_full_evaluation_stores_each_contracts_verdict_with_reasons(new_db: NewDb) -> None:
    db = new_db()
    add_calls(db, MONDAY)
    changes = evaluate(db)
    assert changes.counts["contracts"] == 2
    # Apex covers the calls its buyer answered; exactly the buffer qualifies; the second call
    # of a caller is a duplicate of the first; the third qualified call of the day is over cap.
    assert outcomes(db, "Apex auto") == [
        ("CA01", True, "45.00", []),
        ("CA02", True, "45.00", []),
        ("CA03", False, "0.00", ["short"]),
        ("CA04", False, "0.00", ["duplicate"]),
        ("CA06", False, "0.00", ["over_cap"]),
    ]
    # The publisher is paid for every connected call of its number: 60% of what the buyers paid.
    assert outcomes(db, "Peak payout") == [
        ("CA01", True, "27.00", []),
        ("CA02", True, "27.00", []),
        ("CA03", True, "0.00", []),
        ("CA04", True, "0.00", []),
        ("CA05", False, "0.00", ["not_connected"]),
        ("CA06", True, "0.00", []),
        ("CA07", True, "0.00", []),
    ]


QUALIFIED_REPEATS = """\
[[contract]]
name = "Apex qualified"
buyer = "Apex"
campaign = "Auto"
timezone = "America/Chicago"
buffer = "60s"

[contract.price]
amount = "$30.00"

[contract.duplicates]
window = "30d"
basis = "qualified"

[contract.caps]
daily = 5
"""


def test_a_new_days_caller_repeats_only_a_call_that_qualified_weeks_before(
        new_db: NewDb) -> None:
    """Duplicates of qualified calls reach back the whole window, though the daily cap reads
    today's verdicts only: the verdicts of the new day's callers' earlier calls are read."""
    stepped, whole = new_db(QUALIFIED_REPEATS), new_db(QUALIFIED_REPEATS)
    first = """
CQ1 | 2026-03-02 10:00 | +12145550101 | 120 | Apex
CQ2 | 2026-03-02 10:10 | +12145550102 |  30 | Apex
"""
    later = """
CQ3 | 2026-03-20 11:00 | +12145550101 | 120 | Apex
CQ4 | 2026-03-20 11:10 | +12145550102 | 120 | Apex
"""
    for db in (stepped, whole):
        add_calls(db, first)
    evaluate(stepped)
    for db in (stepped, whole):
        add_calls(db, later, updated_at=2_000)
    evaluate(stepped, incremental=True)
    evaluate(whole)
    assert outcomes(stepped, "Apex qualified") == [
        ("CQ1", True, "30.00", []),
        ("CQ2", False, "0.00", ["short"]),
        ("CQ3", False, "0.00", ["duplicate"]),  # CQ1 qualified 18 days before
        ("CQ4", True, "30.00", []),  # CQ2 did not qualify: nothing to repeat
    ]
    assert dump(stepped) == dump(whole)


def test_evaluations_write_no_row_that_points_at_nothing(new_db: NewDb) -> None:
    """Evaluations write without SQLite's key checks: every key must hold anyway."""
    db = new_db()
    add_calls(db, MONDAY)
    evaluate(db)
    add_calls(db, MONDAY.replace("2026-03-02", "2026-03-03").replace("| CA", "| CB")
              .replace("\nCA", "\nCB"), updated_at=2_000)
    evaluate(db, incremental=True)
    with db.read() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM call_outcomes o WHERE NOT EXISTS "
                                    "(SELECT 1 FROM calls c WHERE c.id = o.call_id)"
                                    ).scalar_one() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM call_outcomes o JOIN calls c "
                                    "ON c.id = o.call_id WHERE c.sid LIKE 'CB%'").scalar_one() > 0


def test_reasons_carry_a_sentence_flags_and_the_call_repeated(new_db: NewDb) -> None:
    db = new_db()
    add_calls(db, MONDAY)
    evaluate(db)
    with db.read() as conn:
        reasons, flags, repeated = conn.exec_driver_sql(
            "SELECT o.reasons, o.flags, d.sid FROM call_outcomes o "
            "JOIN calls c ON c.id = o.call_id LEFT JOIN calls d ON d.id = o.duplicate_of_call_id "
            "JOIN contracts k ON k.id = o.contract_id "
            "WHERE c.sid = 'CA04' AND k.name = 'Apex auto'").one()
    assert [r["code"] for r in json.loads(reasons)] == ["duplicate"]
    assert json.loads(reasons)[0]["text"]  # a sentence a buyer can read
    assert flags == int(ReasonFlag.DUPLICATE)
    assert repeated == "CA01"


def test_evaluating_again_rewrites_nothing(new_db: NewDb) -> None:
    db = new_db()
    add_calls(db, MONDAY)
    assert evaluate(db).counts["outcomes"] == 12
    again = evaluate(db)
    assert again.counts["outcomes"] == 0
    assert again.counts["removed"] == 0


def sentence_of(db: Database, sid: str, contract: str) -> str:
    with db.read() as conn:
        text = conn.exec_driver_sql(
            "SELECT o.reasons FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
            "JOIN contracts k ON k.id = o.contract_id WHERE c.sid = ? AND k.name = ?",
            (sid, contract)).scalar_one()
    return str(json.loads(text)[0]["text"])


@pytest.mark.parametrize("incremental", [False, True])
def test_a_call_that_changed_gets_new_words_though_its_verdict_stays(
        new_db: NewDb, incremental: bool) -> None:
    """A run writes only outcomes that changed; a call written since still counts as one."""
    db = new_db()
    add_calls(db, MONDAY)
    evaluate(db)
    assert sentence_of(db, "CA03", "Apex auto") == "connected 89 s, buffer 90 s: short"
    add_calls(db, "CA03 | 2026-03-02 09:20 | +12145550003 |  60 | Apex", updated_at=2_000)
    assert evaluate(db, incremental=incremental).counts["outcomes"] == 1
    assert sentence_of(db, "CA03", "Apex auto") == "connected 60 s, buffer 90 s: short"
    assert outcomes(db, "Apex auto")[2] == ("CA03", False, "0.00", ["short"])


def test_incremental_after_a_new_day_equals_a_full_evaluation(new_db: NewDb) -> None:
    # Tuesday's calls repeat Monday's callers (30-day duplicates reach back) and fill the
    # daily cap again (a new day); the incremental run sees only Tuesday as changed.
    tuesday = """
    CB01 | 2026-03-03 08:00 | +12145550002 | 100 | Apex
    CB02 | 2026-03-03 08:05 | +12145550011 | 100 | Apex
    CB03 | 2026-03-03 08:10 | +12145550012 | 100 | Apex
    CB04 | 2026-03-03 08:15 | +12145550013 | 100 | Apex
    CB05 | 2026-03-03 23:59 | +12145550003 | 100 | Apex
    """
    incremental = new_db()
    add_calls(incremental, MONDAY)
    evaluate(incremental)
    add_calls(incremental, tuesday, updated_at=2_000)
    changes = evaluate(incremental, incremental=True)
    assert changes.counts["contracts"] == 2

    full = new_db()
    add_calls(full, MONDAY)
    add_calls(full, tuesday, updated_at=2_000)
    evaluate(full)
    assert dump(incremental) == dump(full)
    assert outcomes(full, "Apex auto")[-5:] == [
        ("CB01", False, "0.00", ["duplicate"]),
        ("CB02", True, "45.00", []),
        ("CB03", True, "45.00", []),
        ("CB04", False, "0.00", ["over_cap"]),
        ("CB05", False, "0.00", ["duplicate"]),  # Monday's CA03 connected, if short
    ]


def test_incremental_with_nothing_changed_does_nothing(new_db: NewDb) -> None:
    db = new_db()
    add_calls(db, MONDAY)
    evaluate(db)
    assert evaluate(db, incremental=True).counts["contracts"] == 0


def test_a_new_version_is_evaluated_in_full_and_older_calls_keep_the_old_one(
        new_db: NewDb) -> None:
    db = new_db()
    add_calls(db, MONDAY)
    add_calls(db, "CB01 | 2026-03-03 08:00 | +12145550021 | 100 | Apex")
    evaluate(db)
    raised = APEX.replace('amount = "$45.00"', 'amount = "$50.00"').replace(
        'buffer = "90s"', 'buffer = "90s"\neffective_from = 2026-03-03')
    result = import_text(db, raised)
    assert result.updated == ("Apex auto",)
    assert evaluate(db, incremental=True).counts["contracts"] >= 1
    apex = {sid: amount for sid, _, amount, _ in outcomes(db, "Apex auto")}
    assert apex["CA01"] == "45.00"
    assert apex["CB01"] == "50.00"


def test_calls_a_contract_no_longer_covers_lose_their_outcome(new_db: NewDb) -> None:
    db = new_db()
    add_calls(db, MONDAY)
    evaluate(db)
    import_text(db, APEX.replace('campaign = "Auto"\n', 'campaign = "Auto"\n', 1).replace(
        'buyer = "Apex"', 'buyer = "Keystone"'))
    changes = evaluate(db, incremental=True)
    assert changes.counts["removed"] == 5
    assert [row[0] for row in outcomes(db, "Apex auto")] == ["CA07"]


def test_adjustments_survive_re_evaluation(new_db: NewDb) -> None:
    from ppcdesk.services import billing_queries

    db = new_db()
    add_calls(db, MONDAY)
    evaluate(db)
    with db.write() as conn:
        billing_queries.adjust(conn, "CA03", "Apex auto", "qualified", "yes",
                               "buyer agreed on the phone", "dana", 5_000)
    evaluate(db, start=local("2026-03-01 00:00"))  # a range run
    evaluate(db)  # and a full one
    assert outcomes(db, "Apex auto")[2] == ("CA03", True, "45.00", ["short", "manual"])
    with db.read() as conn:
        trail = store.adjustments_of_call(conn, 3)
    assert [(a.field, a.before, a.after, a.author) for a in trail] == [
        ("billable", "false", "true", "dana")]


def test_a_cancelled_evaluation_leaves_the_outcomes_as_they_were(new_db: NewDb) -> None:
    from ppcdesk.billing.job import evaluate_job
    from ppcdesk.core.progress import CancelledError

    db = new_db()
    add_calls(db, MONDAY)
    with pytest.raises(CancelledError):
        run_job(evaluate_job(db, CLOCK), should_cancel=lambda: True)
    assert dump(db) == []


MIXED = """\
[[contract]]
name = "Keystone weekly"
buyer = "Keystone"
campaign = "Auto"
timezone = "America/New_York"
buffer = "30s"

[contract.price]
amount = "$20.00"

[contract.duplicates]
window = "2d"
scope = "all"
basis = "qualified"

[contract.caps]
hourly = 2
weekly = 9

[[contract]]
name = "Apex by buyer"
buyer = "Apex"
timezone = "America/Los_Angeles"
buffer = "60s"

[contract.price]
tiers = [
  { from = "60s", amount = "$10.00" },
  { from = "180s", amount = "$25.00" },
]

[contract.duplicates]
window = "36h"
scope = "buyer"

[contract.caps]
daily = 3
concurrency = 1
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_day_by_day_incremental_runs_equal_one_full_run(new_db: NewDb, seed: int) -> None:
    """Random calls over ten days, stored a day at a time with an incremental run after each
    (as syncs do), end with exactly the outcomes one full evaluation stores."""
    import random

    rng = random.Random(seed)
    days: list[list[str]] = []
    for day in range(10):
        lines = []
        for k in range(rng.randint(3, 12)):
            hour, minute = rng.randint(0, 23), rng.randint(0, 59)
            caller = f"+1214555{rng.randint(0, 15):04d}"
            connected = rng.choice([0, 20, 45, 70, 200, 400])
            buyer = "-" if not connected else rng.choice(["Apex", "Keystone"])
            lines.append(f"S{seed}D{day}K{k} | 2026-03-{day + 1:02d} {hour:02d}:{minute:02d} "
                         f"| {caller} | {connected} | {buyer}")
        days.append(lines)
    stepped = new_db(APEX + "\n" + PEAK + "\n" + MIXED)
    whole = new_db(APEX + "\n" + PEAK + "\n" + MIXED)
    for day, lines in enumerate(days):
        add_calls(stepped, "\n".join(lines), updated_at=1_000 + day)
        add_calls(whole, "\n".join(lines), updated_at=1_000 + day)
        evaluate(stepped, incremental=True)
    evaluate(whole)
    assert dump(stepped) == dump(whole)


def test_every_stored_sentence_is_what_explain_says(new_db: NewDb) -> None:
    """Sentences are worded once per distinct case; each must still be explain's own words."""
    from ppcdesk.billing import explain
    from ppcdesk.billing.facts import CallFacts
    from ppcdesk.billing.job import Facts, plans, run_segment

    db = new_db(APEX + "\n" + PEAK + "\n" + MIXED)
    add_calls(db, MONDAY)
    add_calls(db, """
    CB01 | 2026-03-02 09:12 | +12145550002 |  95 | Keystone
    CB02 | 2026-03-02 09:13 | anonymous    |  95 | Keystone
    CB03 | 2026-03-02 09:14 | +12145550009 |  20 | Apex
    CB04 | 2026-03-02 09:15 | +12145550010 |  20 | Apex
    CB05 | 2026-03-03 09:15 | +12145550010 | 200 | Apex
    """)
    evaluate(db)
    with db.read() as conn:
        stored = {(r[0], r[1]): json.loads(r[2]) for r in conn.exec_driver_sql(
            "SELECT k.name, o.call_id, o.reasons FROM call_outcomes o "
            "JOIN contracts k ON k.id = o.contract_id")}
        checked = 0
        for plan in plans(conn):
            for segment in plan.segments(0, 2**40):
                facts = Facts(conn)
                outcomes, _ = run_segment(conn, plan.contract_id, segment, facts)
                calls: dict[int, CallFacts] = {c.id: c for c in facts.between(0, 2**40)}
                for o in outcomes:
                    said = [(r["code"], r["text"]) for r in stored[(plan.name, o.call_id)]]
                    assert said == [(r.value, explain.sentence(r, segment.terms,
                                                               calls[o.call_id], o))
                                    for r in o.reasons]
                    checked += len(said)
    assert checked > 10
