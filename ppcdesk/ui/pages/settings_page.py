"""Settings: the workspace, where its files live, and the user's preferences."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import available_timezones

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
)

from ppcdesk.config.settings import Settings
from ppcdesk.core.changes import Entity
from ppcdesk.core.model import AccountRow
from ppcdesk.services.app_services import AppServices, DatabaseInfo
from ppcdesk.ui.pages.accounts_box import AccountsBox
from ppcdesk.ui.pages.base import Page
from ppcdesk.ui.workers import JobRunner

# What a workspace's role means for the money it shows ("network" alone said little).
ROLES = {
    "publisher": "Publisher: you run the ads and the numbers, buyers pay you per call",
    "buyer": "Buyer: you pay publishers per qualified call",
    "network": "Network: buyers pay you per call, you pay your publishers",
}
US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
            "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "UTC")


class SettingsPage(Page):
    title = "Settings"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.WORKSPACE, Entity.ACCOUNTS, Entity.SYNC})
    preferences_changed = Signal()
    workspace_changed = Signal(object)  # ChangeSet of an account added or removed

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        workspace_box = QGroupBox("Workspace")
        form = QFormLayout(workspace_box)
        self.name = QLabel()
        self.role = QLabel()
        self.database = QLabel()
        self.database.setWordWrap(True)
        self.schema = QLabel()
        for caption, widget in (("Name", self.name), ("Role", self.role),
                                ("Database", self.database), ("Schema", self.schema)):
            form.addRow(caption, widget)

        self.accounts_box = AccountsBox(services, runner)
        self.accounts_box.changed.connect(self.workspace_changed)

        prefs = QGroupBox("Preferences")
        pform = QFormLayout(prefs)
        self.zone = QComboBox()
        self.zone.setMaximumWidth(320)
        self.zone.setToolTip("Calls and dashboards show times in this zone; ppcdesk stores "
                             "every time in UTC.")
        self.zone.addItems(list(US_ZONES) + sorted(available_timezones() - set(US_ZONES)))
        self.mask_box = QCheckBox("Mask caller numbers on screen (for shared screens)")
        pform.addRow("Your time zone", self.zone)
        pform.addRow("Privacy", self.mask_box)
        self.auto_sync = QSpinBox()
        self.auto_sync.setRange(0, 24 * 60)
        self.auto_sync.setSingleStep(5)
        self.auto_sync.setSuffix(" min")
        self.auto_sync.setSpecialValueText("off")
        self.auto_sync.setMaximumWidth(160)
        self.auto_sync.setToolTip("Sync every connected account in the background this often")
        pform.addRow("Sync automatically every", self.auto_sync)
        self.reviewer_box = QCheckBox("Reviewer only: contracts are shown here, never changed")
        self.reviewer_box.setToolTip(
            "For a reviewer's ppcdesk on a shared workspace: importing, editing and adjusting "
            "contracts is refused on this computer. A guard against slips, not a permission: "
            "anyone at this computer can switch it off again.")
        pform.addRow("This computer", self.reviewer_box)

        folders = QGroupBox("Folders")
        self.folders = QFormLayout(folders)
        for box in (workspace_box, self.accounts_box, prefs, folders):
            self.layout_.addWidget(box)
        self.layout_.addStretch(1)
        self._loading = False
        self.zone.currentTextChanged.connect(self._save)
        self.mask_box.toggled.connect(self._save)
        self.auto_sync.valueChanged.connect(self._save)
        self.reviewer_box.toggled.connect(self._save)

    def load(self) -> None:
        self.query(lambda: (self.services.info(), self.services.settings(),
                            self.services.accounts()), self._show)

    def _show(self, result: tuple[DatabaseInfo, Settings, list[AccountRow]]) -> None:
        info, settings, accounts = result
        self.accounts_box.show_accounts(accounts, settings.timezone)
        ws = info.workspace
        self.name.setText(f"{ws.name}{' (demo data)' if ws.is_demo else ''}" if ws else
                          "My workspace")
        self.role.setText(ROLES.get(ws.role.value, ws.role.value) if ws else "—")
        self.database.setText(f"{info.database}  ({info.size_bytes / 1e6:,.1f} MB)")
        self.schema.setText(f"{info.schema_revision} (ppcdesk {info.version})")
        while self.folders.rowCount():
            self.folders.removeRow(0)
        for name, path in info.paths.items():
            label = QLabel(path)
            label.setWordWrap(True)
            self.folders.addRow(name.capitalize(), label)
        self._loading = True
        self.zone.setCurrentText(settings.timezone)
        self.mask_box.setChecked(settings.mask_callers)
        self.auto_sync.setValue(settings.auto_sync_minutes)
        self.reviewer_box.setChecked(settings.reviewer_only)
        self._loading = False

    def _save(self) -> None:
        if self._loading:
            return
        current = self.services.settings()
        updated = current.with_changes(timezone=self.zone.currentText(),
                                       mask_callers=self.mask_box.isChecked(),
                                       auto_sync_minutes=self.auto_sync.value(),
                                       reviewer_only=self.reviewer_box.isChecked())
        if updated != current:
            self.services.save_settings(updated)
            self.preferences_changed.emit()
