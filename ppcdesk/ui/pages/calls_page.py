"""The call log: every call, filtered and sorted by key, with the detail and the review queue.

The table reads blocks by key (CallsTableModel); the filter bar builds a CallFilter; selecting
a call loads its detail on the read lane; dispositions, notes and disputes run as write jobs
and repaint only their row, so the reviewer keeps their place in a long queue.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QDate, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.changes import Entity
from ppcdesk.core.clock import day_start_epoch
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import Progress
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import CallDetail, CallFilter, CallSort, LogRow
from ppcdesk.ui import format as fmt
from ppcdesk.ui.models.calls_model import BLOCK, CallsTableModel, log_columns
from ppcdesk.ui.pages.base import Page, empty_state, make_table, scrolling
from ppcdesk.ui.pages.calls_filters import FilterBar
from ppcdesk.ui.pages.calls_recordings import RecordingsController, open_panel
from ppcdesk.ui.pages.calls_review import MakeEdit, ReviewEdits
from ppcdesk.ui.playback.balance import Balancer
from ppcdesk.ui.playback.player import Player
from ppcdesk.ui.playback.waveform import load_peaks
from ppcdesk.ui.views.call_detail import CallDetailView
from ppcdesk.ui.views.review_queue import HELP, ReviewQueue
from ppcdesk.ui.workers import JobRunner

HIDDEN_KEY = "calls/hidden_columns"
E164 = re.compile(r"\+[1-9]\d{7,14}\b")


class CallsPage(Page):
    title = "Calls"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.CALLS, Entity.RECORDINGS, Entity.CAMPAIGNS, Entity.PARTNERS, Entity.WORKSPACE,
         Entity.OUTCOMES})

    def __init__(self, services: AppServices, runner: JobRunner, *,
                 masked: bool = False) -> None:
        super().__init__(services, runner)
        self.zone = "UTC"
        self.masked = masked
        self.sort = CallSort()
        self.model = CallsTableModel(services.review, log_columns(lambda: self.zone,
                                                                  lambda: self.hiding))
        self.model.sort_requested.connect(self._sort)
        self.filters = FilterBar()
        self.filters.changed.connect(self.reload_log)
        self.filters.export_requested.connect(self.export)
        self.reveal = QCheckBox("Reveal numbers")
        self.reveal.setToolTip("Masking is on (Settings); show callers' numbers in full here")
        self.reveal.toggled.connect(lambda _on: self._repaint())
        self.filters.tail.addWidget(self.reveal)
        recordings = QPushButton("Recordings…")
        recordings.setToolTip("Download the recordings of these calls; how much audio to keep")
        recordings.clicked.connect(self.open_recordings)
        self.filters.tail.addWidget(recordings)
        self.recordings: RecordingsController | None = None
        self.summary = QLabel("")
        self.view = make_table(self.model, stretch_last=True)
        # Newest first, said before sorting is on: the model's first order is the page's own.
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.view.setSortingEnabled(True)
        # Every row the same height, never measured: a million rows cost nothing to lay out.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.horizontalHeader().customContextMenuRequested.connect(self._columns_menu)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.player = Player(self)
        self.detail = CallDetailView(self.player)
        self.detail.dispose_requested.connect(self._dispose)
        self.detail.note_requested.connect(self._note)
        self.detail.dispute_requested.connect(self._dispute)
        self.detail.download_requested.connect(self._download)
        self.balancer = Balancer(services.review.mixes, self)
        self.detail.balance_requested.connect(self.balancer.set_balance)
        self.balancer.ready.connect(self.player.swap)
        self.balancer.failed.connect(self.detail.audio_message.setText)
        self.balancer.failed.connect(lambda _m: self.detail.audio_message.show())
        self.queue = ReviewQueue(self, self.view, self.detail)
        self.edits = ReviewEdits(self, services, runner, zone=lambda: self.zone,
                                 masked=lambda: self.hiding, refreshed=self._refreshed,
                                 failed=self.detail.review_error.setText)
        self.empty = empty_state("No calls match. Calls arrive with a Twilio sync, or open "
                                 "the demo workspace to explore.")
        self.empty.hide()
        self._lay_out()
        widths = (125, 125, 40, 120, 130, 150, 170, 80, 65, 80, 80, 80, 35, 150, 170)
        for column, width in enumerate(widths):
            self.view.setColumnWidth(column, width)
        self.ui_settings = QSettings(str(services.paths.config / "ui.ini"),
                                     QSettings.Format.IniFormat)
        self._apply_hidden(self._hidden())
        self._decoder: object | None = None
        self._download_job = 0
        self.counted = 0  # counts delivered (tests and the benchmark wait on it)
        runner.job_progress.connect(self._job_progress)

    def _lay_out(self) -> None:
        """Filters on top, the table over the detail (a splitter), the keys below."""
        splitter = QSplitter(Qt.Orientation.Vertical)
        table_box = QWidget()
        box = QVBoxLayout(table_box)
        box.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()  # the count, and what to do with these calls
        line.addWidget(self.summary, 1)
        line.addLayout(self.filters.tail)
        box.addLayout(line)
        for widget in (self.view, self.empty):
            box.addWidget(widget)
        splitter.addWidget(table_box)
        # The detail scrolls inside its pane (a long billing explanation, many legs), so the
        # table keeps its share of the height instead of shrinking to two rows.
        splitter.addWidget(scrolling(self.detail))
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([320, 480])
        self.layout_.addWidget(self.filters)
        self.layout_.addWidget(splitter, 1)
        self.keys_help = QLabel(HELP)
        self.keys_help.setObjectName("hint")
        self.layout_.addWidget(self.keys_help)

    @property
    def hiding(self) -> bool:
        """Whether callers' numbers are masked now (the setting, unless revealed here)."""
        return self.masked and not self.reveal.isChecked()

    # ---------------------------------------------------------------- loading
    def load(self) -> None:
        """The lists the filters offer and the log's first block, in one read."""
        services, f, sort = self.services, self.current_filter(), self.sort

        def fetch() -> tuple[Any, ...]:
            lists = (services.zone(), services.campaigns(), services.publishers(),
                     services.buyers(), services.numbers())
            return (*lists, (f, sort, None, services.review.block(f, sort, limit=BLOCK)))

        self.reveal.setVisible(self.masked)
        self.query(fetch, self._loaded)

    def _loaded(self, result: tuple[Any, ...]) -> None:
        self.zone, campaigns, publishers, buyers, numbers, log = result
        self.filters.set_choices(campaigns, publishers, buyers, numbers)
        self._show(log)

    def current_filter(self) -> CallFilter:
        def day(value: QDate | None, *, end: bool = False) -> int | None:
            if value is None:
                return None
            moment = value.addDays(1 if end else 0)
            return day_start_epoch(date(moment.year(), moment.month(), moment.day()), self.zone)

        start, end = self.filters.dates()
        return self.filters.build(start=day(start), end=day(end, end=True))

    def reload_log(self) -> None:
        f, sort, review = self.current_filter(), self.sort, self.services.review
        self.runner.query("calls:log", lambda: (f, sort, None, review.block(f, sort,
                                                                            limit=BLOCK)),
                          self._show, self.show_error)

    def _show(self, result: tuple[CallFilter, CallSort, int | None, list[LogRow]]) -> None:
        """The first block at once; the count follows on the read lane, a slice at a time."""
        f, sort, total, first = result
        self.model.reset_with(f, sort, total, first)
        self.summary.setText(f"Counting calls… (times in {self.zone})")
        self.view.setVisible(bool(first))
        self.empty.setVisible(not first)
        if first:
            self.view.selectRow(0)
        review = self.services.review
        self.runner.query("calls:count", lambda: (f, sort, review.count_slices(f), 0, 0),
                          self._counted, self.show_error)

    def _counted(self, result: tuple[CallFilter, CallSort, list[tuple[int | None, int | None]],
                                     int, int]) -> None:
        """Count the next slice, or show the total when none is left.

        Each slice is its own read under the same key, so a newer filter's count drops this
        chain, and the detail of a call selected meanwhile is read between two slices.
        """
        f, sort, slices, done, total = result
        if done < len(slices):
            if done:  # a partial total: the rows counted so far can be scrolled already
                self.model.set_total(f, sort, max(total, self.model.total))
                self.summary.setText(f"{total:,}+ calls so far, counting… (times in "
                                     f"{self.zone})")
            since, until = slices[done]
            review = self.services.review
            self.runner.query(
                "calls:count",
                lambda: (f, sort, slices, done + 1, total + review.count(f, since=since,
                                                                         until=until)),
                self._counted, self.show_error)
            return
        self.model.set_total(f, sort, total)
        what = "filtered" if f != CallFilter() else "all"
        self.summary.setText(f"{total:,} calls ({what}; times in {self.zone}). "
                             "Select a call, then review it with the keys below.")
        self.counted += 1

    def _sort(self, sort: CallSort) -> None:
        if sort == self.sort:
            return  # the header repeating the order it shows (setting its indicator)
        self.sort = sort
        self.reload_log()

    def _repaint(self) -> None:
        self.model.forget_texts()
        self.view.viewport().update()
        if self.detail.detail is not None:
            self.detail.set_detail(self.detail.detail, self.zone, masked=self.hiding)

    # ---------------------------------------------------------------- detail
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row(current.row()) if current.isValid() else None
        if row is None:
            return
        review = self.services.review
        self.runner.query("calls:detail", lambda: review.detail(row.call.id), self._detail,
                          self.show_error)

    def _detail(self, detail: CallDetail) -> None:
        self.detail.set_detail(detail, self.zone, masked=self.hiding)
        self.edits.seen(detail)
        billing, sid = self.services.billing, detail.row.call.sid
        self.runner.query("calls:explain", lambda: (sid, billing.explain(sid)), self._explained,
                          lambda message: self.detail.set_explanation(f"No explanation: "
                                                                      f"{message}"))
        recording = detail.recordings[0] if detail.recordings else None
        if recording is None:
            self.balancer.set_source("", None)
            self.detail.set_audio(None, 1, "No recording for this call")
            self.detail.show_download(visible=False)
            return
        path = self.services.review.audio_path(recording)
        self.detail.show_download(visible=path is None and recording.file_state != "deleted")
        if path is None:
            self.balancer.set_source("", None)
            self.detail.set_audio(None, recording.channels,
                                  "The audio is not on this computer: Download recording")
            return
        self.detail.set_audio(path, recording.channels)
        self.balancer.set_source(recording.sha256 or recording.sid, path)
        self._decoder = load_peaks(
            self.services.review.peaks, recording.sha256 or recording.sid, path,
            self.detail.waveform.set_peaks,
            lambda error: self.detail.waveform.set_peaks(None, f"No waveform: {error}"), self)

    def _explained(self, result: tuple[str, Any]) -> None:
        """The rule-by-rule explanation, and the buyer contract's buffer on the waveform."""
        sid, found = result
        current = self.detail.detail
        if current is None or current.row.call.sid != sid:
            return
        lines: list[str] = []
        for c in found.contracts:
            lines.append(f"{c.contract} (version {c.version}):")
            lines += [f"   {'✓' if t.passed else '✗'} {self._numbers(t.sentence)}"
                      for t in c.trace if t.judged]
            buffer = next((t.values.get("buffer_s") for t in c.trace
                           if c.counterparty_kind == "buyer" and "buffer_s" in t.values), None)
            if isinstance(buffer, int):
                self.detail.set_buffer(buffer)
        self.detail.set_explanation("\n".join(lines) or "No contract covers this call.")

    def _numbers(self, sentence: str) -> str:
        """Phone numbers in an explanation as the page shows them: national, and masked when
        masking is on (the engine words them in E.164, which showed a masked caller whole)."""
        return E164.sub(lambda m: fmt.phone(m.group(0), masked=self.hiding), sentence)

    def _download(self) -> None:
        detail = self.detail.detail
        if detail is None or not detail.recordings:
            return
        sid = detail.recordings[0].sid
        self.detail.progress.setRange(0, 0)
        self.detail.progress.show()

        def done(_path: object) -> None:
            self.detail.progress.hide()
            self._current_changed(self.view.currentIndex(), QModelIndex())

        def failed(message: str) -> None:
            self.detail.progress.hide()
            self.detail.waveform.set_peaks(None, f"Download failed: {message}")

        self._download_job = self.runner.submit(
            f"Download recording {sid}", lambda: self.services.fetch_recording_job(sid),
            on_done=done, on_error=failed)

    def _job_progress(self, job_id: int, progress: Progress) -> None:
        if job_id == self._download_job and progress.total:
            self.detail.progress.setRange(0, progress.total)
            self.detail.progress.setValue(progress.done)

    # ---------------------------------------------------------------- review jobs
    def _review_job(self, title: str, make: MakeEdit, yours: str, *,
                    advance: bool = False) -> None:
        """An edit of the shown call, based on what it shows (see ReviewEdits)."""
        if self.detail.detail is not None:
            self.edits.submit(title, self.detail.detail, make, yours)
            if advance:
                self.queue.step(1)

    def _refreshed(self, detail: CallDetail) -> None:
        self.model.replace_row(detail.row)
        current = self.detail.detail
        if current is not None and current.row.call.id == detail.row.call.id:
            self.detail.set_detail(detail, self.zone, masked=self.hiding)
            self.edits.seen(detail)

    def _dispose(self, code: DispositionCode, sale: int | None) -> None:
        review, label = self.services.review, code.value.replace("_", " ")
        self._review_job(f"Disposition: {code.value}",
                         lambda call_id, shown: review.dispose_job(call_id, code, sale,
                                                                   shown=shown),
                         f"'{label}'", advance=True)

    def _note(self, text: str) -> None:
        review = self.services.review
        self._review_job("Add a note", lambda call_id, _shown: review.note_job(call_id, text),
                         "your note")

    def _dispute(self, disputed: bool, reason: str) -> None:
        review = self.services.review
        self._review_job("Dispute",
                         lambda call_id, shown: review.dispute_job(call_id, disputed, reason,
                                                                   shown=shown),
                         f"disputed: '{reason}'" if disputed else "dispute cleared")

    # ---------------------------------------------------------------- export, columns
    def export(self, target: Path | None = None) -> int | None:
        """Export the filtered calls as CSV (a job); returns its id."""
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Export calls", "calls.csv",
                                                  "CSV files (*.csv)")
            if not name:
                return None
            target = Path(name)
        f, sort, masked, review = self.current_filter(), self.sort, self.hiding, \
            self.services.review
        return self.runner.submit(f"Export calls to {target.name}",
                                  lambda: review.export_job(target, f, sort, masked=masked))

    def _hidden(self) -> set[str]:
        value = self.ui_settings.value(HIDDEN_KEY, [])
        items = value if isinstance(value, list) else [value] if value else []
        return {str(v) for v in items}

    def _apply_hidden(self, hidden: set[str]) -> None:
        for i, column in enumerate(self.model.columns):
            self.view.setColumnHidden(i, column.title in hidden)

    def set_column_visible(self, title: str, visible: bool) -> None:
        """Show or hide a column; the choice is remembered (QSettings)."""
        hidden = self._hidden() - {title} if visible else self._hidden() | {title}
        self.ui_settings.setValue(HIDDEN_KEY, sorted(hidden))
        self._apply_hidden(hidden)

    def _columns_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        hidden = self._hidden()
        for column in self.model.columns:
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(column.title not in hidden)
            action.toggled.connect(lambda on, t=column.title: self.set_column_visible(t, on))
        menu.exec(self.view.horizontalHeader().mapToGlobal(pos))

    def open_recordings(self) -> RecordingsController:
        """The recordings dialog over this page's filter (one at a time)."""
        if self.recordings is not None and self.recordings.panel.isVisible():
            self.recordings.panel.raise_()
            self.recordings.refresh()
            return self.recordings
        self.recordings = open_panel(self, self.services, self.runner, self.current_filter)
        return self.recordings

    def select_row(self, row: int) -> None:
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))

    def timer(self) -> QTimer:  # a hook for tests that wait for the debounced search
        return self.filters.debounce
