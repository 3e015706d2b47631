"""Contract files into a workspace and back: declarations, versions, round trips, refusals."""

from __future__ import annotations

import pytest
from ppcdesk.billing import contract_file
from ppcdesk.billing import contract_import as billing_io
from ppcdesk.billing.contract_file import ContractFileError
from ppcdesk.storage import billing_store as store
from tests.billing.job_support import APEX, DECLARATIONS, PEAK, NewDb, import_text


def _table(db: object, sql: str) -> list[tuple[object, ...]]:
    with db.read() as conn:  # type: ignore[attr-defined]
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_one_file_sets_up_the_workspace(new_db: NewDb) -> None:
    db = new_db()
    assert _table(db, "SELECT name, timezone FROM campaigns") == [("Auto", "America/Chicago")]
    assert _table(db, "SELECT b.name, d.e164 FROM buyer_destinations d "
                      "JOIN buyers b ON b.id = d.buyer_id ORDER BY d.e164") == [
        ("Apex", "+12145550119"), ("Keystone", "+12155550164")]
    assert _table(db, "SELECT n.e164, p.name, c.name FROM tracking_numbers n "
                      "JOIN publishers p ON p.id = n.publisher_id "
                      "JOIN campaigns c ON c.id = n.campaign_id") == [
        ("+18445550201", "Peak", "Auto")]
    assert _table(db, "SELECT k.name, k.counterparty_kind, v.version FROM contracts k "
                      "JOIN contract_versions v ON v.contract_id = k.id ORDER BY k.name") == [
        ("Apex auto", "buyer", 1), ("Peak payout", "publisher", 1)]


def test_the_same_terms_again_add_no_version_and_new_terms_add_one(new_db: NewDb) -> None:
    db = new_db()
    again = import_text(db, DECLARATIONS + APEX)
    assert (again.created, again.updated, again.unchanged) == ((), (), ("Apex auto",))
    changed = import_text(db, APEX.replace("daily = 2", "daily = 3"))
    assert changed.updated == ("Apex auto",)
    with db.read() as conn:
        versions = store.versions(conn, store.contract_id(conn, "Apex auto"))
    assert [v.version for v in versions] == [1, 2]
    assert "daily = 2" in versions[0].terms  # history keeps the old terms as they were
    assert "daily = 3" in versions[1].terms


def test_an_export_imports_back_as_no_change_and_reads_back_the_same(new_db: NewDb) -> None:
    db = new_db()
    with db.read() as conn:
        exported = contract_file.dumps(billing_io.export_file(conn))
    assert contract_file.dumps(contract_file.parse(exported)) == exported
    result = import_text(db, exported)
    assert result.unchanged == ("Apex auto", "Peak payout")
    assert not result.changed
    with db.read() as conn:
        one = contract_file.dumps(billing_io.export_file(conn, "Peak payout"))
    # One contract comes with what it names: its publisher, the numbers and their campaign.
    assert "[[publisher]]" in one
    assert "[[campaign]]" in one
    assert "Apex auto" not in one


def test_a_contract_naming_an_unknown_buyer_imports_nothing(new_db: NewDb) -> None:
    db = new_db()
    bad = """\
[[campaign]]
name = "Solar"
timezone = "America/Denver"

""" + APEX.replace('buyer = "Apex"', 'buyer = "Nobody Inc"').replace("Apex auto", "Other")
    with pytest.raises(ContractFileError) as caught:
        import_text(db, bad)
    assert [(p.key, p.subject) for p in caught.value.problems] == [("buyer", "contract 'Other'")]
    assert "Nobody Inc" in str(caught.value)
    assert _table(db, "SELECT name FROM campaigns") == [("Auto",)]  # not half imported
    assert _table(db, "SELECT COUNT(*) FROM contracts") == [(2,)]


def test_a_bad_file_names_the_line_and_key_of_each_problem(new_db: NewDb) -> None:
    db = new_db()
    bad = PEAK.replace('timezone = "America/Chicago"', 'timezone = "Mars/Olympus"').replace(
        'revenue_share = "60%"', 'revenue_share = "60%"\ncolour = "red"')
    with pytest.raises(ContractFileError) as caught:
        import_text(db, bad)
    assert [(p.line, p.key) for p in caught.value.problems] == [
        (5, "timezone"), (9, "price.colour")]
    assert _table(db, "SELECT COUNT(*) FROM contract_versions") == [(2,)]
