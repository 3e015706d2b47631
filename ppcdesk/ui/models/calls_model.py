"""The call log as a table that reads 500-row blocks by key, never the whole log.

``canFetchMore``/``fetchMore`` let the view pull the next block when the user scrolls near the
end; each block is a keyset query (after the last row's (started_at, id)), which costs the same
at row 1,000,000 as at row 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

from ppcdesk.core.model import CallRow
from ppcdesk.ui import format as fmt
from ppcdesk.ui.models.records import Column, RecordTableModel

BLOCK = 500


def call_columns(zone: Callable[[], str], masked: Callable[[], bool]) -> list[Column[CallRow]]:
    return [
        Column("Started", lambda c: fmt.when(c.started_at, zone())),
        Column("Caller", lambda c: fmt.phone(c.caller, masked=masked())),
        Column("State", lambda c: c.caller_state or ""),
        Column("Tracking number", lambda c: fmt.phone(c.tracking_number)),
        Column("Campaign", lambda c: c.campaign or ""),
        Column("Publisher", lambda c: c.publisher or ""),
        Column("Buyer", _buyer),
        Column("Status", lambda c: c.status),
        Column("Duration", lambda c: fmt.duration(c.duration_s), numeric=True),
        Column("Connected", lambda c: fmt.duration(c.connected_s) if c.connected_s else "",
               numeric=True),
        Column("To answer", lambda c: "" if c.time_to_answer_s is None else
               f"{c.time_to_answer_s} s", numeric=True),
        Column("Telco cost", lambda c: fmt.money(c.cost_micros, precise=True), numeric=True),
        Column("Rec.", lambda c: "●" if c.has_recording else ""),
        Column("Call SID", lambda c: c.sid),
    ]


def _buyer(call: CallRow) -> str:
    """Who took the call; an answered call whose number is no known buyer's says so."""
    if call.buyer:
        return call.buyer
    if call.connected_s > 0:
        return "answered (unknown buyer)"
    return "missed" if call.status == "completed" else ""


class CallsTableModel(RecordTableModel[CallRow]):
    """Rows arrive block by block from ``fetch(last_row, limit)``."""

    def __init__(self, fetch: Callable[[CallRow | None, int], list[CallRow]],
                 columns: list[Column[CallRow]], parent: Any = None) -> None:
        super().__init__(columns, parent)
        self._fetch = fetch
        self._exhausted = False

    def reset_with(self, first_block: list[CallRow]) -> None:
        """Start over from a first block fetched elsewhere (off the GUI thread)."""
        self._exhausted = len(first_block) < BLOCK
        self.set_records(first_block)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        return not parent.isValid() and not self._exhausted and bool(self.records)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        if parent.isValid() or self._exhausted:
            return
        block = self._fetch(self.records[-1] if self.records else None, BLOCK)
        self._exhausted = len(block) < BLOCK
        self.append_records(block)

    def sort(self, column: int, order: Any = None) -> None:
        """The log is kept newest first; sorting by other columns comes with the call log."""
        del column, order
