"""A demo year has been reviewed as a desk would have it: dispositions, sales, notes, disputes."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from demo_support import END, query
from ppcdesk.app import cli
from ppcdesk.billing.contract_forms import read_duration
from ppcdesk.config.paths import resources_dir
from ppcdesk.demo.reviews import REJECT_UNDER_S

NOW = int(datetime.combine(END + timedelta(days=1), time(),
                           ZoneInfo("America/New_York")).timestamp())
REJECTING = ("not_qualified", "spam", "wrong_number")
# The latest disposition of each call: the one that counts.
LATEST = ("SELECT d.* FROM dispositions d WHERE d.id = "
          "(SELECT MAX(y.id) FROM dispositions y WHERE y.call_id = d.call_id)")


def test_most_answered_calls_older_than_two_weeks_are_reviewed_and_yesterdays_are_not(
        demo_db: Path) -> None:
    def reviewed_share(since: int, until: int) -> float:
        return float(query(
            demo_db, "SELECT AVG(EXISTS (SELECT 1 FROM dispositions d WHERE d.call_id = c.id)) "
            "FROM calls c WHERE c.connected_s > 0 AND c.started_at >= ? AND c.started_at < ?",
            since, until)[0][0])

    assert reviewed_share(0, NOW - 14 * 86_400) > 0.7
    assert reviewed_share(NOW - 86_400, NOW) < 0.1
    assert query(demo_db, "SELECT COUNT(*) FROM dispositions d JOIN calls c ON c.id = d.call_id "
                          "WHERE c.connected_s = 0") == [(0,)]  # nobody to talk to: no verdict


def test_every_review_lies_after_its_call_and_before_the_demos_present(demo_db: Path) -> None:
    for table, column in (("dispositions", "created_at"), ("call_notes", "created_at"),
                          ("call_reviews", "reviewed_at"), ("call_reviews", "updated_at")):
        rows, early, late = query(
            demo_db, f"SELECT COUNT(*), SUM(t.{column} <= c.ended_at), SUM(t.{column} >= ?) "
            f"FROM {table} t JOIN calls c ON c.id = t.call_id", NOW)[0]
        assert rows > 0, table
        assert (early, late) == (0, 0), f"{table}.{column}"


def test_all_six_dispositions_occur_and_sales_go_only_with_converted(demo_db: Path) -> None:
    codes = dict(query(demo_db, "SELECT code, COUNT(*) FROM dispositions GROUP BY code"))
    assert set(codes) == {"qualified", "not_qualified", "converted", "wrong_number", "spam",
                          "follow_up"}
    assert codes["qualified"] > codes["converted"] > codes["follow_up"]
    sales = query(demo_db, "SELECT code, COUNT(sale_micros), MIN(sale_micros), "
                           "SUM(sale_micros % 1000000) FROM dispositions GROUP BY code")
    for code, with_sale, lowest, cents in sales:
        if code == "converted":
            assert with_sale == codes[code]
            assert lowest > 0
            assert cents == 0
        else:
            assert with_sale == 0, code


def test_sales_are_worth_what_their_campaigns_sell(demo_db: Path) -> None:
    median = dict(query(
        demo_db, "SELECT g.name, AVG(d.sale_micros) / 1000000 FROM dispositions d "
        "JOIN calls c ON c.id = d.call_id JOIN campaigns g ON g.id = c.campaign_id "
        "WHERE d.code = 'converted' GROUP BY g.name"))
    assert median["Debt Relief"] > median["Auto Insurance"] > median["Medicare Advantage"]
    assert median["Medicare Advantage"] > median["HVAC Repair"] > median["Pest Control"] > 100


def test_clicksurge_callers_convert_worst(demo_db: Path) -> None:
    rates: dict[str, float] = dict(query(
        demo_db, "SELECT p.name, AVG(COALESCE(l.code = 'converted', 0)) FROM calls c "
        f"JOIN publishers p ON p.id = c.publisher_id LEFT JOIN ({LATEST}) l ON l.call_id = c.id "
        "GROUP BY p.name"))
    junk = rates.pop("ClickSurge Network")
    assert 0 < junk < 0.3 * min(rates.values())
    assert min(rates.values()) > 0.05
    assert max(rates.values()) < 0.3


def test_a_call_a_review_turns_down_is_billed_to_nobody(demo_db: Path) -> None:
    # Demo dispositions make no adjustments; they need none, as a review turns down only
    # calls that no contract qualifies (shorter than every buffer).
    rejected = query(demo_db, f"SELECT COUNT(*), MAX(c.connected_s) FROM ({LATEST}) l "
                              "JOIN calls c ON c.id = l.call_id "
                              f"WHERE l.code IN {REJECTING}")[0]
    assert rejected[0] > 0
    assert rejected[1] < REJECT_UNDER_S
    assert query(demo_db, f"SELECT COUNT(*) FROM ({LATEST}) l JOIN call_outcomes o "
                          f"ON o.call_id = l.call_id WHERE l.code IN {REJECTING} "
                          "AND (o.billable OR o.payable)") == [(0,)]
    assert query(demo_db, "SELECT COUNT(*) FROM outcome_adjustments") == [(0,)]


def test_every_demo_contract_has_a_buffer_above_what_a_review_turns_down() -> None:
    contracts = tomllib.loads((resources_dir() / "demo" / "contracts.toml").read_text())
    for contract in contracts["contract"]:
        assert contract.get("buffer_basis", "connected") == "connected", contract["name"]
        assert read_duration(contract["buffer"]) >= REJECT_UNDER_S, contract["name"]


def test_a_call_reviewed_shows_its_latest_disposition_as_the_review_mark(
        demo_db: Path) -> None:
    # As the app's own "dispose" does: the disposition marks the call reviewed, by its author.
    marks = query(demo_db, f"SELECT COUNT(*), SUM(r.reviewed_at = l.created_at AND "
                           f"r.reviewed_by = l.author) FROM ({LATEST}) l "
                           "JOIN call_reviews r ON r.call_id = l.call_id")[0]
    assert marks[0] == marks[1] == query(
        demo_db, "SELECT COUNT(DISTINCT call_id) FROM dispositions")[0][0]
    assert query(demo_db, "SELECT COUNT(*) FROM call_reviews r WHERE NOT EXISTS "
                          "(SELECT 1 FROM dispositions d WHERE d.call_id = r.call_id)") == [(0,)]


def test_most_follow_ups_are_settled_later_by_a_second_disposition(demo_db: Path) -> None:
    histories: dict[int, list[tuple[str, int]]] = {}
    for call_id, code, created_at in query(demo_db, "SELECT call_id, code, created_at FROM "
                                                    "dispositions ORDER BY call_id, id"):
        histories.setdefault(call_id, []).append((code, created_at))
    twice = [h for h in histories.values() if len(h) > 1]
    follow_ups = sum(h[0][0] == "follow_up" for h in histories.values())
    assert len(twice) > 0.5 * follow_ups > 0
    for (first, first_at), (later, later_at), *more in twice:
        assert (first, more) == ("follow_up", [])
        assert later in {"converted", "qualified"}
        assert later_at > first_at
    assert 0 < sum(h[-1][0] == "follow_up" for h in histories.values()) < len(twice)


def test_a_few_calls_have_notes_and_a_few_are_disputed_with_a_reason(demo_db: Path) -> None:
    reviewed = query(demo_db, "SELECT COUNT(*) FROM call_reviews")[0][0]
    notes = query(demo_db, "SELECT COUNT(*), COUNT(DISTINCT body), MIN(LENGTH(body)) "
                           "FROM call_notes")[0]
    assert 0.01 * reviewed < notes[0] < 0.1 * reviewed
    assert notes[1] > 5
    assert notes[2] > 10
    disputes = dict(query(demo_db, "SELECT p.name, COUNT(*) FROM call_reviews r "
                                   "JOIN calls c ON c.id = r.call_id "
                                   "JOIN publishers p ON p.id = c.publisher_id "
                                   "WHERE r.disputed GROUP BY p.name"))
    assert 0 < sum(disputes.values()) < 0.03 * reviewed
    assert disputes["ClickSurge Network"] == max(disputes.values())
    assert query(demo_db, "SELECT COUNT(*) FROM call_reviews WHERE disputed = (dispute_reason "
                          "= '')") == [(0,)]  # a reason exactly when disputed


def test_the_kpis_rank_publishers_by_conversion_rate_with_a_cost_per_sale(
        demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", str(demo_db), "kpi", "--by", "publisher", "--from",
                     (END - timedelta(days=364)).isoformat(), "--to", END.isoformat(),
                     "--json"]) == 0
    rows = {row["label"]: row for row in json.loads(capsys.readouterr().out)["rows"]}
    rates = {name: row["conversion_rate"] for name, row in rows.items()}
    assert min(rates, key=rates.__getitem__) == "ClickSurge Network"
    assert all(rate > 0 for rate in rates.values())
    for own in ("Google Ads (own)", "Facebook Ads (own)"):  # media paid per sale
        assert 50_000_000 < rows[own]["cpa"] < 500_000_000, own
