"""The import wizard: file -> as read -> mapping (presets) -> every bad row -> the import job.

A buyer's report in Windows-1252 with semicolons and three bad rows: the wizard says how it
read the file, maps it with a preset, lists each bad row (row, column, value, why), and
imports the good rows or none; a preset saved from the wizard is there for the next report.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ppcdesk.core.progress import Progress
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui.dialogs.import_wizard import ImportWizard
from ppcdesk.ui.workers import JobRunner

BUYER = "Silverline Health Partners"
REPORT = """\
Call ID;Caller ID;Call Date;Duration;Payout;Status;Campaign
;(602) 555-0101;10/01/2026 09:14:33 AM;120;$25.00;Paid;Médicare
;(602) 555-0102;10/01/2026 31:14:33 AM;120;$25.00;Paid;Médicare
;(602) 555-0103;10/02/2026 10:00:00 AM;95;n/a;Paid;Médicare
;(602) 555-0104;10/02/2026 11:00:00 AM;95;$25.00;Maybe;Médicare
;(602) 555-0105;10/03/2026 01:05:00 PM;30;$0.00;Short;Médicare
"""


@pytest.fixture
def runner(qtbot) -> JobRunner:  # type: ignore[no-untyped-def]
    del qtbot
    job_runner = JobRunner()
    yield job_runner  # type: ignore[misc]
    job_runner.shutdown()


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "silverline-october.csv"
    path.write_bytes(REPORT.replace("\n", "\r\n").encode("cp1252"))
    return path


def _to_check_page(qtbot, wizard: ImportWizard, report: Path) -> None:  # type: ignore[no-untyped-def]
    wizard.show()
    wizard.file_page.read(str(report))
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10_000)
    wizard.next()  # as read
    wizard.next()  # mapping
    wizard.mapping_page.presets.setCurrentIndex(
        wizard.mapping_page.presets.findText("generic-us"))
    wizard.mapping_page.partner.setCurrentText(BUYER)
    wizard.next()  # every line checked
    qtbot.waitUntil(wizard.check_page.isComplete, timeout=10_000)


def test_the_file_is_shown_as_read(qtbot, services: AppServices, runner: JobRunner,  # type: ignore[no-untyped-def]
                                   report: Path) -> None:
    wizard = ImportWizard(services.recon, runner, partner=BUYER)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.read(str(report))
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10_000)
    assert wizard.file_page.state.text() == (
        "silverline-october.csv: 5 rows, 7 columns, read as Windows-1252 (Excel's plain CSV), "
        "split on semicolons.")
    wizard.next()
    table = wizard.preview_page.table
    assert table.horizontalHeaderItem(2).text() == "Call Date"
    assert table.item(0, 6).text() == "Médicare"  # decoded, not mojibake
    assert table.verticalHeaderItem(0).text() == "2"  # the file's own row numbers
    wizard.close()


def test_every_bad_row_is_listed_and_the_good_rows_imported(
        qtbot, services: AppServices, runner: JobRunner,  # type: ignore[no-untyped-def]
        report: Path) -> None:
    wizard = ImportWizard(services.recon, runner, partner=BUYER)
    qtbot.addWidget(wizard)
    _to_check_page(qtbot, wizard, report)
    rows = [(e.row, e.column, e.value) for e in wizard.check_page.errors.records]
    assert rows == [(3, "Call Date", "10/01/2026 31:14:33 AM"), (4, "Payout", "n/a"),
                    (5, "Status", "Maybe")]
    assert all(e.why for e in wizard.check_page.errors.records)
    assert "3 of 5 rows cannot be read" in wizard.check_page.verdict.text()
    assert wizard.check_page.good.text() == "Import the 2 good rows and leave the 3 out"
    done: list[object] = []
    wizard.imported.connect(done.append)
    wizard.next()
    qtbot.waitUntil(wizard.run_page.isComplete, timeout=10_000)
    assert len(done) == 1
    assert "Imported 2 lines for <b>Silverline Health Partners</b>" in (
        wizard.run_page.state.text())
    (latest, *_) = services.imports()
    assert (latest.partner, latest.rows_ok, latest.rows_failed) == (BUYER, 2, 3)
    wizard.close()


def test_import_none_stores_nothing(qtbot, services: AppServices, runner: JobRunner,  # type: ignore[no-untyped-def]
                                    report: Path) -> None:
    before = len(services.imports())
    wizard = ImportWizard(services.recon, runner, partner=BUYER)
    qtbot.addWidget(wizard)
    _to_check_page(qtbot, wizard, report)
    wizard.check_page.none.setChecked(True)
    wizard.next()
    assert wizard.run_page.isComplete()
    assert wizard.run_page.state.text() == "Nothing was imported."
    assert len(services.imports()) == before
    wizard.close()


def test_a_cancelled_import_keeps_nothing(qtbot, services: AppServices, runner: JobRunner,  # type: ignore[no-untyped-def]
                                          report: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = len(services.imports())
    wizard = ImportWizard(services.recon, runner, partner=BUYER)
    qtbot.addWidget(wizard)
    _to_check_page(qtbot, wizard, report)
    real = services.recon.import_job

    def held_job(*args, **kwargs):  # type: ignore[no-untyped-def]
        """The real import, held inside its transaction until Cancel closes it."""
        job = real(*args, **kwargs)
        try:
            yield next(job)  # before the transaction
            yield next(job)  # inside it: the first lines are written, not committed
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.01)
                yield Progress(1, 2, "held for the test")
            yield from job
        finally:
            job.close()  # the write rolls back

    monkeypatch.setattr(services.recon, "import_job", held_job)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.run_page.job_id is not None, timeout=5_000)
    wizard.run_page.cancel_button.click()
    qtbot.waitUntil(wizard.run_page.isComplete, timeout=10_000)
    assert wizard.run_page.state.text() == "Cancelled: nothing was imported."
    assert len(services.imports()) == before
    wizard.close()


def test_a_mapping_saved_as_a_preset_is_offered_next_time(
        qtbot, services: AppServices, runner: JobRunner,  # type: ignore[no-untyped-def]
        report: Path) -> None:
    wizard = ImportWizard(services.recon, runner, partner=BUYER)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.read(str(report))
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10_000)
    wizard.next()
    wizard.next()
    page = wizard.mapping_page
    # The first preset whose time column the file has is offered, its columns filled in.
    assert page.presets.currentText() == "generic-us"
    assert [c.currentText() for c in page.columns.values()] == [
        "Call Date", "Caller ID", "Duration", "Payout", "Call ID", "Status", "Campaign"]
    page.window_days.setValue(45)
    page.name.setText("silverline")
    page.save_preset()
    qtbot.waitUntil(lambda: "Saved as preset 'silverline'" in page.saved.text(),
                    timeout=10_000)
    saved = services.recon.preset("silverline")
    assert (saved.partner, saved.dispute_window_days, saved.mapping.time,
            saved.mapping.date_format) == (BUYER, 45, "Call Date", "us")
    assert services.recon.window_days(BUYER) == 45
    wizard.close()

    again = ImportWizard(services.recon, runner, partner=BUYER)
    qtbot.addWidget(again)
    again.show()
    again.file_page.read(str(report))
    qtbot.waitUntil(again.file_page.isComplete, timeout=10_000)
    again.next()
    again.next()
    assert again.mapping_page.presets.currentText() == f"silverline ({BUYER})"
    again.close()
