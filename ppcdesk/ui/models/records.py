"""Table models over frozen records: one column spec list, no per-page model classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column(Generic[T]):
    """A column: its title, how to show a record's value, and whether it is a number."""

    title: str
    text: Callable[[T], str]
    numeric: bool = False
    tooltip: Callable[[T], str] | None = None
    sort_key: Callable[[T], Any] | None = None


class RecordTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table of records; ``set_records`` replaces them all."""

    def __init__(self, columns: Sequence[Column[T]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.records: list[T] = []
        self.sorted_by: tuple[int, Qt.SortOrder] | None = None

    def set_records(self, records: Sequence[T]) -> None:
        """Replace the records, in the order the header shows (else the arrow would lie)."""
        self.beginResetModel()
        self.records = list(records)
        if self.sorted_by is not None:
            self._sort_records(*self.sorted_by)
        self.endResetModel()

    def append_records(self, records: Sequence[T]) -> None:
        if not records:
            return
        first = len(self.records)
        self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
        self.records.extend(records)
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.records):
            return None
        record = self.records[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(_RIGHT.value)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(record)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.TextAlignmentRole and horizontal:
            # A number's title stands over its figures, not across the column from them.
            return int((_RIGHT if self.columns[section].numeric else _LEFT).value)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if horizontal:
            return self.columns[section].title
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sorted_by = (column, order)
        self.layoutAboutToBeChanged.emit()
        self._sort_records(column, order)
        self.layoutChanged.emit()

    def _sort_records(self, column: int, order: Qt.SortOrder) -> None:
        spec = self.columns[column]
        key = spec.sort_key or spec.text
        self.records.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
