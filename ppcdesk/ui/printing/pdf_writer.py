"""Write an HTML document (from ppcdesk.reports) to a PDF with Qt's QPdfWriter.

QTextDocument lays out the HTML (tables, headings, a style sheet subset) onto Letter pages
with 15 mm margins and a page number in the footer. Works offscreen: QTextDocument needs a
QGuiApplication for its fonts, which this module creates when none exists (the CLI's
``statements write --pdf``); the window's own application is reused.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

# The HTML's pixel sizes (cellpadding, borders) read as at 96 dpi, as on a screen; text and
# lines stay vectors in the PDF whatever this is.
RESOLUTION_DPI = 96
_APP: QGuiApplication | None = None


def _application() -> None:
    global _APP  # noqa: PLW0603 - one application per process, kept alive for Qt
    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _APP = QGuiApplication([])


def write_pdf(html: str, path: Path, *, title: str = "", creator: str = "ppcdesk") -> int:
    """Render ``html`` to ``path`` (written next to it, then moved: atomic); return pages."""
    _application()
    tmp = path.with_name(path.name + ".tmp")
    writer = QPdfWriter(str(tmp))
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(title)
    writer.setCreator(creator)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 18), QPageLayout.Unit.Millimeter))
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    # Lay out at the writer's resolution, so 9pt in the style sheet is 9pt on paper.
    doc.documentLayout().setPaintDevice(writer)
    doc.setHtml(html)
    painter = QPainter(writer)
    try:
        page = writer.pageLayout().paintRectPixels(RESOLUTION_DPI)
        footer = int(RESOLUTION_DPI * 0.3)
        body = QSizeF(page.width(), page.height() - footer)
        doc.setPageSize(body)
        pages = doc.pageCount()
        font = painter.font()
        font.setPointSizeF(7.5)
        for number in range(pages):
            if number:
                writer.newPage()
            painter.save()
            painter.translate(0, -number * body.height())
            doc.drawContents(painter, QRectF(0, number * body.height(), body.width(),
                                             body.height()))
            painter.restore()
            painter.setFont(font)
            painter.drawText(QRectF(0, body.height(), body.width(), footer),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                             f"{title}  ·  page {number + 1} of {pages}")
    finally:
        painter.end()
    tmp.replace(path)
    return pages
