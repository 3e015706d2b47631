"""The review queue's keyboard: judge the calls of any filter without touching the mouse.

J / Down: next call · K / Up: previous · Space: play or pause · Left / Right: 5 s back or on ·
B: jump to the buffer mark · 1-6: qualified, not qualified, converted (with the sale amount
typed in its field), wrong number, spam, follow up; a disposition moves on to the next call ·
N: write a note (Enter adds it, Esc returns) · D: flag disputed (with the reason in its field).
The keys live on the calls page, so a text field that has focus keeps its own typing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QTableView, QWidget

from ppcdesk.core.model import DispositionCode
from ppcdesk.ui.playback.player import SKIP_MS
from ppcdesk.ui.views.call_detail import DISPOSITION_KEYS, CallDetailView

HELP = ("Keys: J/K next/previous · Space play · ←/→ 5 s · B buffer · 1 qualified · "
        "2 not qualified · 3 converted · 4 wrong number · 5 spam · 6 follow up · N note · "
        "D disputed")


class ReviewQueue:
    """Binds the queue's keys on ``host`` to the table and the detail view."""

    def __init__(self, host: QWidget, table: QTableView, detail: CallDetailView) -> None:
        self.table = table
        self.detail = detail
        self.shortcuts: list[QShortcut] = []
        player = detail.player
        bindings: list[tuple[str, Callable[[], None]]] = [
            ("J", lambda: self.step(1)), ("K", lambda: self.step(-1)),
            ("Space", player.toggle), ("Left", lambda: player.skip(-SKIP_MS)),
            ("Right", lambda: player.skip(SKIP_MS)), ("B", detail.jump_to_buffer),
            ("N", detail.note.setFocus), ("D", self._toggle_dispute),
            ("Escape", table.setFocus),
        ]
        for key, code, _label in DISPOSITION_KEYS:
            bindings.append((key, self._disposer(code)))
        for key, action in bindings:
            shortcut = QShortcut(QKeySequence(key), host)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
            self.shortcuts.append(shortcut)
        # Escape from a text field hands the keys back to the queue.
        for field in (detail.note, detail.sale, detail.dispute_reason):
            escape = QShortcut(QKeySequence("Escape"), field)
            escape.setContext(Qt.ShortcutContext.WidgetShortcut)
            escape.activated.connect(table.setFocus)
            self.shortcuts.append(escape)

    def _disposer(self, code: DispositionCode) -> Callable[[], None]:
        return lambda: self.detail.request_disposition(code)

    def step(self, delta: int) -> None:
        """Select the next (or previous) call of the filter."""
        model = self.table.model()
        if model is None or model.rowCount() == 0:
            return
        current = self.table.currentIndex().row()
        row = max(0, min(model.rowCount() - 1, (0 if current < 0 else current + delta)))
        self.table.selectRow(row)
        self.table.scrollTo(model.index(row, 0))

    def _toggle_dispute(self) -> None:
        self.detail.request_dispute(not self.detail.disputed.isChecked())
