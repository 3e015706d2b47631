"""The question a reviewer gets when someone else changed a call's review since it was shown.

"Ann marked this call 'not qualified' at 14:02 since you opened it." Keep theirs (the detail
reloads, nothing of theirs is touched) or overwrite with yours (your edit is made on top;
a disposition adds to the call's history, so theirs stays visible there).
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


class ConflictQuestion(QMessageBox):
    """Keep theirs / Overwrite with yours, about one call; opened window-modal, not blocking."""

    def __init__(self, parent: QWidget | None, call: str, change: str, yours: str) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Someone else changed this call")
        self.setText(change)
        self.setInformativeText(f"{call}\n\nKeep theirs, or overwrite with yours ({yours})?")
        self.keep = self.addButton("Keep theirs", QMessageBox.ButtonRole.RejectRole)
        self.overwrite = self.addButton("Overwrite with yours",
                                        QMessageBox.ButtonRole.AcceptRole)
        self.setDefaultButton(self.keep)  # Enter by habit must not overwrite a colleague
        self.setEscapeButton(self.keep)

    def labelled(self, text: str) -> QAbstractButton:
        """The button whose label is ``text`` (tests click it)."""
        return next(b for b in self.buttons() if b.text() == text)
