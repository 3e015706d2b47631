"""The statement PDF, written with Qt's PDF writer, read back with QtPdf: pages and text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ppcdesk.reports.statements import statement, to_html
from ppcdesk.ui.printing.pdf_writer import write_pdf
from PySide6.QtPdf import QPdfDocument

T = 1_772_463_600  # 2026-03-02 15:00 UTC


def test_a_statement_pdf_has_every_page_and_the_total(qapp: object, tmp_path: Path) -> None:
    del qapp
    rows: list[tuple[object, ...]] = [
        (f"CA{i:032x}", T + i * 600, "+16025550101", "Medicare", 130, 120, 25_000_000)
        for i in range(120)]
    doc = statement("Desert Desk", "Acme Health", "buyer", date(2026, 3, 1),
                    date(2026, 3, 31), "America/New_York", rows)
    path = tmp_path / "s.pdf"
    pages = write_pdf(to_html(doc), path, title="Revenue receivable: Acme Health")
    assert pages > 1
    assert not path.with_name("s.pdf.tmp").exists()
    pdf = QPdfDocument(None)
    pdf.load(str(path))
    assert pdf.pageCount() == pages
    first = pdf.getAllText(0).text()
    assert "Revenue receivable from Acme Health" in first
    assert "$3,000.00" in first  # 120 calls at $25
    assert f"page {pages} of {pages}" in pdf.getAllText(pages - 1).text()
    pdf.close()
