"""The unhandled-exception dialog: every bug is logged and shown, never swallowed."""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

log = logging.getLogger(__name__)
_open_boxes: set[QMessageBox] = set()


def show_exception(exc: BaseException, log_file: str, parent: QWidget | None = None) -> None:
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("ppcdesk: unexpected error")
    box.setText("Something went wrong that ppcdesk did not expect. Your data is safe: "
                "unfinished work was rolled back.")
    box.setInformativeText(f"{type(exc).__name__}: {exc}\n\nThe details are in the log file:\n"
                           f"{log_file}")
    box.setDetailedText(details)
    box.setObjectName("exceptionDialog")
    # A parentless box has no owner on the Qt side: keep it alive until it is closed.
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()


def install_excepthook(log_file: str) -> None:
    """Log every unhandled exception on the GUI thread, then show it in a dialog."""
    import sys

    def hook(kind: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> None:
        log.error("unhandled exception", exc_info=(kind, exc, tb))
        if QApplication.instance() is not None and not issubclass(kind, KeyboardInterrupt):
            show_exception(exc, log_file, QApplication.activeWindow())

    sys.excepthook = hook
