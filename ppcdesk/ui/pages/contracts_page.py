"""The contracts page: the list, a TOML editor with live checks, what-if, history, behaviour.

Layout only where it can be: the editor, what-if and history panes live in
``ppcdesk.ui.dialogs.contract_panes``; this controller loads data through the billing service
on the read lane and saves (a new version, then an evaluation) on the write lane.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.changes import Entity
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.billing_service import ContractDetail, ContractFileError, ContractSummary
from ppcdesk.ui.dialogs.contract_panes import (
    NEW_CONTRACT,
    EditorPane,
    HistoryPane,
    WhatIfPane,
    behaviour_text,
)
from ppcdesk.ui.dialogs.contract_problems import show_problems
from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import Page, empty_state, make_table
from ppcdesk.ui.workers import JobRunner

REVIEWER_NOTE = ("Reviewer-only mode (Settings): this ppcdesk shows the contracts but does not "
                 "change them, so importing, new contracts and saving are off here.")


def _reviewer_note() -> QLabel:
    note = QLabel(REVIEWER_NOTE)
    note.setObjectName("warningLabel")
    note.setWordWrap(True)
    note.hide()
    return note


class ContractsPage(Page):
    title = "Contracts"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.CONTRACTS, Entity.PARTNERS, Entity.CAMPAIGNS, Entity.OUTCOMES, Entity.CALLS})

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        self.billing = services.billing
        self.selected: str | None = None
        self.model: RecordTableModel[ContractSummary] = RecordTableModel([
            Column("Contract", lambda c: c.name),
            Column("With", lambda c: f"{c.party} ({c.counterparty_kind})"),
            Column("Campaign", lambda c: c.campaign or "any"),
            Column("Price", lambda c: c.price),
            Column("Version", lambda c: str(c.version), numeric=True),
            Column("Reads as", lambda c: c.summary, tooltip=lambda c: c.summary),
        ])
        self.table = make_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._select(current.row()))
        self.empty = empty_state(
            "No contracts yet. A contract holds the terms a buyer pays on (or a publisher is "
            "paid on): buffer, duplicates, hours, geography, caps and amounts. Import a contract "
            "file, or start a new contract; ppcdesk applies it to every call and says why.")

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for text, slot in (("Import…", self._import), ("Export…", self._export),
                           ("New contract", self._new), ("Evaluate all", self._evaluate)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[text] = button
        buttons.addStretch(1)
        self.status = QLabel()
        buttons.addWidget(self.status)

        self.behaviour = QLabel()
        self.behaviour.setObjectName("warningLabel")  # a pattern to check, not an error
        self.behaviour.setWordWrap(True)
        self.behaviour.hide()
        self.reviewer_note = _reviewer_note()
        self.reviewer_only = False
        self.editor = EditorPane(self.billing, runner)
        self.editor.save_requested.connect(self._save)
        self.whatif = WhatIfPane(self.billing, runner)
        self.editor.text_changed.connect(self.whatif.set_text)
        self.history = HistoryPane()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor, "Terms")
        self.tabs.addTab(self.whatif, "What-if")
        self.tabs.addTab(self.history, "History")

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.reviewer_note)
        column.addWidget(self.behaviour)
        column.addWidget(self.tabs, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addWidget(self.empty)
        split.addWidget(top)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.layout_.addLayout(buttons)
        self.layout_.addWidget(split, 1)

    # ------------------------------------------------------------------ data
    def load(self) -> None:
        self._apply_mode(self.billing.reviewer_only())
        self.query(self.billing.contracts, self._show)

    def _apply_mode(self, reviewer_only: bool) -> None:
        """Reviewer-only (Settings): contracts are shown, and every way to change them is off.

        The billing service refuses such changes anyway; the page says why up front rather
        than after someone has typed a new price.
        """
        self.reviewer_only = reviewer_only
        self.reviewer_note.setVisible(reviewer_only)
        for name in ("Import…", "New contract"):
            self.buttons[name].setEnabled(not reviewer_only)
            self.buttons[name].setToolTip(REVIEWER_NOTE if reviewer_only else "")
        self.editor.text.setReadOnly(reviewer_only)
        self.editor.save.setVisible(not reviewer_only)

    def _show(self, contracts: list[ContractSummary]) -> None:
        self.model.set_records(contracts)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(5, max(self.table.columnWidth(5), 200))
        self.table.setVisible(bool(contracts))
        self.empty.setVisible(not contracts)
        names = [c.name for c in contracts]
        row = names.index(self.selected) if self.selected in names else (0 if names else -1)
        if row >= 0:
            self.table.selectRow(row)
            self._select(row)

    def _select(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        name = self.model.records[row].name
        self.selected = name
        self.runner.query("contracts:detail", lambda: self.billing.contract(name),
                          self._show_detail, self.show_error)

    def _show_detail(self, detail: ContractDetail) -> None:
        self.editor.show_contract(detail)
        self.history.show_versions(detail, self.billing.zone())
        flagged = detail.behaviour is not None and detail.behaviour.flagged
        self.behaviour.setVisible(flagged)
        if detail.behaviour is not None and flagged:
            self.behaviour.setText(behaviour_text(detail.behaviour))

    # ------------------------------------------------------------------ actions
    def _save(self, text: str) -> None:
        self.status.setText("Saving and evaluating…")
        self.runner.submit("Saving the contract", lambda: self.billing.import_job(
            text, "contract editor"), on_done=lambda _r: self.status.setText(
                "Saved as a new version; outcomes are up to date."),
            on_error=self._failed)

    def _failed(self, message: str) -> None:
        self.status.setText("")
        QMessageBox.warning(self, "Contracts", message)

    def _new(self) -> None:
        self.table.clearSelection()
        self.selected = None
        self.editor.set_text(NEW_CONTRACT)
        self.tabs.setCurrentIndex(0)

    def _evaluate(self) -> None:
        self.status.setText("Evaluating…")
        self.runner.submit("Evaluating contracts", self.billing.evaluate_job,
                           on_done=lambda r: self.status.setText(
                               f"{r.counts.get('outcomes', 0):,} outcomes written or changed."),
                           on_error=self._failed)

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a contract file", "",
                                              "Contract files (*.toml);;All files (*)")
        if not path:
            return
        try:
            with open(path, encoding="utf-8") as handle:  # noqa: PTH123 - a path string
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            self._failed(f"Cannot read {path}: {exc}")
            return
        draft = self.billing.check(text, source=path)
        if not draft.ok:
            show_problems(self, path, list(draft.problems))
            return
        self.runner.submit("Importing contracts", lambda: self.billing.import_job(text, path),
                           on_error=self._failed)

    def _export(self) -> None:
        name = self.selected
        path, _ = QFileDialog.getSaveFileName(
            self, "Export contracts", f"{name or 'contracts'}.toml", "Contract files (*.toml)")
        if not path:
            return
        self.runner.query("contracts:export", lambda: self._write(path, name),
                          lambda _r: self.status.setText(f"Exported to {path}"), self._failed)

    def _write(self, path: str, name: str | None) -> Any:
        from pathlib import Path

        from ppcdesk.config.atomic import write_text_atomic

        try:
            write_text_atomic(Path(path), self.billing.export_contracts(name))
        except ContractFileError as exc:  # pragma: no cover - an export always parses
            raise RuntimeError(str(exc)) from exc
        return path
