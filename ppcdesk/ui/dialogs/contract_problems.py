"""A refused contract file: every problem with its line and key, nothing imported."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import make_table


class ContractProblemsDialog(QDialog):
    """Lists what to fix in a contract file (file, line, what, key, why)."""

    def __init__(self, parent: QWidget | None, source: str, problems: list[Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Contract file refused")
        self.model: RecordTableModel[Any] = RecordTableModel([
            Column("Line", lambda p: str(p.line), numeric=True, sort_key=lambda p: p.line),
            Column("In", lambda p: p.subject or "the file"),
            Column("Key", lambda p: p.key),
            Column("Problem", lambda p: p.message),
        ])
        self.model.set_records(problems)
        view = make_table(self.model)
        view.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        plural = "s" if len(problems) != 1 else ""
        layout.addWidget(QLabel(f"{source} has {len(problems)} problem{plural}; nothing was "
                                "imported. Fix them and import the file again."))
        layout.addWidget(view)
        layout.addWidget(buttons)
        self.resize(760, 320)


def show_problems(parent: QWidget | None, source: str, problems: list[Any]) -> None:
    ContractProblemsDialog(parent, source, problems).exec()
