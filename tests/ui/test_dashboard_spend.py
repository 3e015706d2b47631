"""The media spend dialog: a typed amount and an imported CSV reach the KPIs; bad input says
where it is wrong and saves nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ppcdesk.kpi.queries import Period
from ppcdesk.ui.dialogs.spend_dialog import SpendDialog
from PySide6.QtCore import QDate

ZONE = "America/New_York"
DAY = date(2019, 6, 3)  # before the demo: no spend of its own that day
ONE_DAY = Period(DAY, DAY, ZONE)


def media(services) -> int | None:  # type: ignore[no-untyped-def]
    return services.kpi.report(ONE_DAY).rows[0].values["media_cost"]


def test_a_typed_amount_is_saved_on_the_write_lane(qtbot, window, services):
    dialog = SpendDialog(services, window.runner, window)
    qtbot.addWidget(dialog)
    dialog.day.setDate(QDate(DAY.year, DAY.month, DAY.day))
    dialog.amount.setText("ten dollars")
    dialog.save()
    assert dialog.message.text().startswith("Amount:")
    assert media(services) == 0
    dialog.amount.setText("1,250.50")
    dialog.source.setText("radio")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.message.text() == f"Saved $1,250.50 of spend for {DAY}.",
                    timeout=20_000)
    assert media(services) == 1_250_500_000


def test_an_imported_csv_counts_and_a_bad_one_names_row_and_field(qtbot, window, services,
                                                                  tmp_path: Path):
    dialog = SpendDialog(services, window.runner, window)
    qtbot.addWidget(dialog)
    bad = tmp_path / "spend.csv"
    bad.write_text(f"date,campaign,publisher,amount\n{DAY},,,10\n{DAY},,,-4\n")
    dialog.import_file(bad)
    qtbot.waitUntil(lambda: "row 3" in dialog.message.text(), timeout=20_000)
    assert dialog.message.text() == (
        "spend.csv, row 3, field 'amount': a spend cannot be negative")
    assert media(services) == 0  # all or nothing
    good = tmp_path / "good.csv"
    good.write_text(f"date,campaign,publisher,amount,source\n{DAY},,,10,tv\n{DAY},,,5,web\n")
    dialog.import_file(good)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Imported"), timeout=20_000)
    assert dialog.message.text() == "Imported 2 rows from good.csv."
    assert media(services) == 15_000_000
