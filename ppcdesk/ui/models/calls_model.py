"""The call log as a table over the whole filtered log that holds only the blocks in view.

The model knows how many calls match (one COUNT) and reads 500-row blocks by key as the view
asks for rows: the block after a loaded one starts after its last key, the block before one
ends before its first key, the last block is read backwards from the end; only a scrollbar
dropped in the middle of nowhere costs one index walk (``key_at``) to find its first key.
So the first paint, the jump to the last row and every step in between cost about the same
at a million calls as at a hundred. Sorting asks the page to reload with the new order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.services.review_service import CallFilter, CallSort, LogRow, ReviewService
from ppcdesk.ui import format as fmt

BLOCK = 500
MAX_BLOCKS = 40  # blocks kept in memory (20,000 rows); the farthest are dropped first
Index = QModelIndex | QPersistentModelIndex
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


@dataclass(frozen=True)
class LogColumn:
    key: str  # also the sort name (review_store.SORTS), "" when not sortable
    title: str
    text: Callable[[LogRow], str]
    numeric: bool = False


def reasons_text(flags: int) -> str:
    return ", ".join((f.name or "").lower().replace("_", " ") for f in ReasonFlag
                     if f.value & flags and f.name and f != ReasonFlag.BLOCKED
                     and f.value.bit_count() == 1)


def log_columns(zone: Callable[[], str], masked: Callable[[], bool]) -> list[LogColumn]:
    def billable(r: LogRow) -> str:
        if r.billable is None:
            return ""
        return "yes" if r.billable else f"no: {reasons_text(r.flags)}"

    return [
        LogColumn("started", "Started", lambda r: fmt.when(r.call.started_at, zone())),
        LogColumn("caller", "Caller", lambda r: fmt.phone(r.call.caller, masked=masked())),
        LogColumn("state", "State", lambda r: r.call.caller_state or ""),
        LogColumn("number", "Tracking number", lambda r: fmt.phone(r.call.tracking_number)),
        LogColumn("campaign", "Campaign", lambda r: r.call.campaign or ""),
        LogColumn("publisher", "Publisher", lambda r: r.call.publisher or ""),
        LogColumn("buyer", "Buyer", lambda r: r.call.buyer or (
            "answered (unknown buyer)" if r.call.connected_s else "")),
        LogColumn("status", "Status", lambda r: r.call.status),
        LogColumn("duration", "Duration", lambda r: fmt.duration(r.call.duration_s),
                  numeric=True),
        LogColumn("connected", "Connected", lambda r: fmt.duration(r.call.connected_s)
                  if r.call.connected_s else "", numeric=True),
        LogColumn("answer", "To answer", lambda r: "" if r.call.time_to_answer_s is None
                  else f"{r.call.time_to_answer_s} s", numeric=True),
        LogColumn("cost", "Telco cost", lambda r: fmt.money(r.call.cost_micros, precise=True),
                  numeric=True),
        LogColumn("", "Rec.", lambda r: "●" if r.call.has_recording else ""),
        LogColumn("", "Billable", billable),
        LogColumn("", "Review", lambda r: " · ".join(filter(None, (
            (r.disposition or "").replace("_", " "), "disputed" if r.disputed else "",
            "reviewed" if r.reviewed and not r.disposition else "")))),
        LogColumn("sid", "Call SID", lambda r: r.call.sid),
    ]


class CallsTableModel(QAbstractTableModel):
    """Rows of one (filter, sort); blocks are read on demand from ReviewService."""

    sort_requested = Signal(object)  # CallSort

    def __init__(self, review: ReviewService, columns: list[LogColumn],
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.review = review
        self.columns = columns
        self.filter = CallFilter()
        self.order = CallSort()
        self.total = 0
        self._blocks: dict[int, list[LogRow]] = {}
        # Each row's cell texts, formatted once when first painted: a repaint of the view
        # (scrolling back, hovering, a selection) then costs a dictionary look-up per cell.
        self._texts: dict[int, list[str]] = {}
        self.reads = 0  # blocks read (tests, benchmark)

    def reset_with(self, f: CallFilter, order: CallSort, total: int | None,
                   first: list[LogRow]) -> None:
        """Show a new filter/order from its first block (read off the GUI thread).

        ``total`` None: not counted yet; the rows of the first block show at once and
        ``set_total`` adds the rest when the count arrives (a count can take a while on a
        million calls, the first block never does).
        """
        self.beginResetModel()
        self.filter, self.order = f, order
        self.total = len(first) if total is None else total
        self._blocks = {0: first} if first else {}
        self._texts = {}
        self.endResetModel()

    def set_total(self, f: CallFilter, order: CallSort, total: int) -> None:
        """The count of the filter shown (ignored when the filter changed meanwhile)."""
        if (f, order) != (self.filter, self.order) or total == self.total:
            return
        if total > self.total:
            self.beginInsertRows(QModelIndex(), self.total, total - 1)
            self.total = total
            self.endInsertRows()
        else:
            self.beginRemoveRows(QModelIndex(), total, self.total - 1)
            self.total = total
            self.endRemoveRows()

    def row(self, row: int) -> LogRow | None:
        if not 0 <= row < self.total:
            return None
        number = row // BLOCK
        if number not in self._blocks:
            self._load(number)
        rows = self._blocks.get(number, [])
        offset = row - number * BLOCK
        return rows[offset] if offset < len(rows) else None

    def replace_row(self, updated: LogRow) -> None:
        """Show a row again after a review mark changed it (no reload, no lost place)."""
        for number, rows in self._blocks.items():
            for i, existing in enumerate(rows):
                if existing.call.id == updated.call.id:
                    rows[i] = updated
                    row = number * BLOCK + i
                    self._texts.pop(row, None)
                    self.dataChanged.emit(self.index(row, 0),
                                          self.index(row, len(self.columns) - 1))

    def _load(self, number: int) -> None:
        limit = min(BLOCK, self.total - number * BLOCK)
        if limit <= 0:
            return
        previous, following = self._blocks.get(number - 1), self._blocks.get(number + 1)
        if previous and len(previous) == BLOCK:
            rows = self.review.block(self.filter, self.order, after=previous[-1].key,
                                     limit=limit)
        elif following:
            rows = self.review.block(self.filter, self.order, before=following[0].key,
                                     limit=limit)
        elif (number + 1) * BLOCK >= self.total:
            rows = self.review.block(self.filter, self.order, from_end=True, limit=limit)
        else:
            # The row before the block, found by walking the index alone, is its key.
            key = self.review.key_at(self.filter, self.order, number * BLOCK - 1)
            rows = [] if key is None else self.review.block(self.filter, self.order, after=key,
                                                            limit=limit)
        self.reads += 1
        self._blocks[number] = rows
        if len(self._blocks) > MAX_BLOCKS:
            farthest = max(self._blocks, key=lambda b: abs(b - number))
            del self._blocks[farthest]
            first = farthest * BLOCK
            for row in range(first, first + BLOCK):
                self._texts.pop(row, None)

    def texts(self, row: int) -> list[str] | None:
        """The row's cells as shown (formatted once, then kept with its block)."""
        cached = self._texts.get(row)
        if cached is None:
            record = self.row(row)
            if record is None:
                return None
            cached = self._texts[row] = [column.text(record) for column in self.columns]
        return cached

    def forget_texts(self) -> None:
        """Format every row again at its next paint (masking or the time zone changed)."""
        self._texts = {}

    # ---------------------------------------------------------------- Qt
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            texts = self.texts(index.row())
            return "" if texts is None else texts[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[index.column()].numeric:
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.TextAlignmentRole and horizontal and \
                self.columns[section].numeric:
            return _RIGHT  # over the figures it names
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if horizontal:
            return self.columns[section].title
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Ask for the log in another order (the page reads it off the GUI thread)."""
        key = self.columns[column].key
        if key:
            self.sort_requested.emit(CallSort(key, order == Qt.SortOrder.DescendingOrder))
