"""Pages that list what the workspace has: numbers, campaigns and partners.

Contracts and reconciliation have their own pages (contracts_page.py, reconcile_page.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtWidgets import QLabel, QTabWidget

from ppcdesk.core import model
from ppcdesk.core.changes import Entity
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui import format as fmt
from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import Page, empty_state, make_table
from ppcdesk.ui.workers import JobRunner


def _fit(view: Any) -> None:
    view.resizeColumnsToContents()


class NumbersPage(Page):
    title = "Tracking numbers"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.NUMBERS, Entity.CALLS, Entity.CAMPAIGNS, Entity.PARTNERS})

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        self.model: RecordTableModel[model.TrackingNumberRow] = RecordTableModel([
            Column("Number", lambda n: fmt.phone(n.e164), sort_key=lambda n: n.e164),
            Column("Name", lambda n: n.friendly_name),
            Column("Campaign", lambda n: n.campaign or "—"),
            Column("Publisher / source", lambda n: n.publisher or "—"),
            Column("Status", lambda n: n.status),
            Column("Calls", lambda n: fmt.count(n.calls), numeric=True,
                   sort_key=lambda n: n.calls),
            Column("Last call", lambda n: fmt.when(n.last_call_at, self.zone),
                   sort_key=lambda n: n.last_call_at or 0),
            Column("Monthly cost", lambda n: fmt.money(n.monthly_cost_micros), numeric=True,
                   sort_key=lambda n: n.monthly_cost_micros),
            Column("Twilio SID", lambda n: n.provider_sid or ""),
        ])
        self.zone = "UTC"
        self.summary = QLabel()
        self.view = make_table(self.model)
        self.view.setSortingEnabled(True)
        self.empty = empty_state("No tracking numbers yet. Connect a Twilio account in Settings "
                                 "to bring in your numbers, or open the demo workspace.")
        for widget in (self.summary, self.view, self.empty):
            self.layout_.addWidget(widget)

    def load(self) -> None:
        self.query(lambda: (self.services.zone(), self.services.numbers()), self._show)

    def _show(self, result: tuple[str, list[model.TrackingNumberRow]]) -> None:
        self.zone, numbers = result
        self.model.set_records(numbers)
        _fit(self.view)
        active = sum(n.status == "active" for n in numbers)
        monthly = sum(n.monthly_cost_micros for n in numbers if n.status == "active")
        self.summary.setText(f"{active} active numbers, {fmt.money(monthly)} a month")
        self.empty.setVisible(not numbers)
        self.view.setVisible(bool(numbers))


class PartnersPage(Page):
    title = "Campaigns & partners"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.CAMPAIGNS, Entity.PARTNERS, Entity.NUMBERS, Entity.CALLS})

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        self.campaigns: RecordTableModel[model.CampaignRow] = RecordTableModel([
            Column("Campaign", lambda c: c.name),
            Column("Vertical", lambda c: c.vertical.replace("_", " ")),
            Column("Time zone", lambda c: c.timezone),
            Column("Numbers", lambda c: fmt.count(c.numbers), numeric=True,
                   sort_key=lambda c: c.numbers),
            Column("Calls", lambda c: fmt.count(c.calls), numeric=True,
                   sort_key=lambda c: c.calls),
        ])
        self.publishers: RecordTableModel[model.PublisherRow] = RecordTableModel([
            Column("Publisher / traffic source", lambda p: p.name),
            Column("Kind", lambda p: "own traffic" if p.kind == "traffic_source" else p.kind),
            Column("Numbers", lambda p: fmt.count(p.numbers), numeric=True,
                   sort_key=lambda p: p.numbers),
            Column("Calls", lambda p: fmt.count(p.calls), numeric=True,
                   sort_key=lambda p: p.calls),
        ])
        self.buyers: RecordTableModel[model.BuyerRow] = RecordTableModel([
            Column("Buyer", lambda b: b.name),
            Column("Destination numbers", lambda b: ", ".join(fmt.phone(d)
                                                               for d in b.destinations)),
            Column("Answered calls", lambda b: fmt.count(b.answered_calls), numeric=True,
                   sort_key=lambda b: b.answered_calls),
        ])
        tabs = QTabWidget()
        self.views = []
        for label, table_model in (("Campaigns", self.campaigns), ("Publishers",
                                   self.publishers), ("Buyers", self.buyers)):
            view = make_table(table_model)
            view.setSortingEnabled(True)
            self.views.append(view)
            tabs.addTab(view, label)
        self.tabs = tabs
        self.layout_.addWidget(tabs)

    def load(self) -> None:
        self.query(lambda: (self.services.campaigns(), self.services.publishers(),
                            self.services.buyers()), self._show)

    def _show(self, result: tuple[list[Any], list[Any], list[Any]]) -> None:
        campaigns, publishers, buyers = result
        self.campaigns.set_records(campaigns)
        self.publishers.set_records(publishers)
        self.buyers.set_records(buyers)
        for view in self.views:
            _fit(view)
        self.tabs.setTabText(0, f"Campaigns ({len(campaigns)})")
        self.tabs.setTabText(1, f"Publishers ({len(publishers)})")
        self.tabs.setTabText(2, f"Buyers ({len(buyers)})")
