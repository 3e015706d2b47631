"""The call log, call detail, review queue (dispositions, notes) and recordings upkeep.

The UI and the CLI reach the call log only through here: blocks of a filtered, sorted log by
key (never OFFSET, except to land where a scrollbar was dropped), one call in full, and the
review marks. Writes are short jobs for the write lane; each returns its ChangeSet. A review
edit given the ``ShownReview`` it is based on is made only if nobody changed the call's review
since (review_conflict: two reviewers on one shared workspace).
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection

from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.config.paths import Paths, resources_dir
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, to_epoch
from ppcdesk.core.errors import DataError, PpcdeskError
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import Job, Progress
from ppcdesk.kpi.rollups import refresh_rollups
from ppcdesk.recordings import retention
from ppcdesk.recordings.cache import RecordingCache
from ppcdesk.recordings.mix import MixStore
from ppcdesk.recordings.retention import CachedFile, RetentionPolicy
from ppcdesk.recordings.waveform import PeaksStore
from ppcdesk.services import billing_queries, calls_csv
from ppcdesk.services.review_conflict import EditConflictError, ShownReview, conflict_text
from ppcdesk.storage import review_detail, review_io, review_state, review_store
from ppcdesk.storage.db import Database
from ppcdesk.storage.review_detail import CallDetail, RecordingInfo
from ppcdesk.storage.review_log import Key
from ppcdesk.storage.review_state import ReviewState
from ppcdesk.storage.review_store import SORTS, CallFilter, CallSort, LogRow

__all__ = ["SORTS", "CallDetail", "CallFilter", "CallSort", "EditConflictError", "Key", "LogRow",
           "RecordingInfo", "RetentionPolicy", "ReviewService", "ReviewState", "ShownReview",
           "UnknownCallError", "conflict_text", "delete_warning"]
log = logging.getLogger(__name__)
EXPORT_BLOCK = 2000


def delete_warning(recordings: int, seconds: int) -> str:
    """What deleting on Twilio means, in numbers (the CLI's refusal, the UI's question)."""
    return (f"This deletes {recordings:,} recordings ({seconds / 60:,.0f} minutes) on Twilio, "
            "for good, each once its downloaded copy checks out (size and SHA-256). Twilio "
            "charges for storage beyond 10,000 minutes, so this saves money; this computer "
            "then keeps the only copy, and the retention policy never drops it.")


class UnknownCallError(PpcdeskError):
    """A call id or sid that is not in this workspace."""


def default_author() -> str:
    """Who is reviewing: the operating system's user name (a desk has one user)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "me"


class ReviewService:
    """The call log, call detail, review queue (dispositions, notes) and recordings upkeep."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock
        self.peaks = PeaksStore(paths.recordings / "peaks")
        self.mixes = MixStore(paths.recordings / "mixes")

    def _now(self) -> int:
        return to_epoch(self.clock.now())

    # ------------------------------------------------------------ the log
    def block(self, f: CallFilter, sort: CallSort, *, after: Key | None = None,
              before: Key | None = None, limit: int = 500,
              from_end: bool = False) -> list[LogRow]:
        """A block of the log in order (see review_store.block)."""
        with self.db.read() as conn:
            return review_store.block(conn, f, sort, after=after, before=before, limit=limit,
                                      from_end=from_end)

    def count(self, f: CallFilter, *, since: int | None = None,
              until: int | None = None) -> int:
        """How many calls match (started in ``[since, until)`` when given)."""
        with self.db.read() as conn:
            return review_store.count(conn, f, since=since, until=until)

    def count_slices(self, f: CallFilter,
                     parts: int = 12) -> list[tuple[int | None, int | None]]:
        """``[since, until)`` spans that together cover the filter, for a count in steps.

        A filter the indexes cannot count alone (a campaign with a recording: ~0.35 s on a
        million calls) is counted a slice at a time, so the page shows a growing total at
        once and other reads get in between the slices. No filter: one slice (a count of
        the whole table is an index count, a few ms).
        """
        if f == CallFilter():
            return [(None, None)]
        with self.db.read() as conn:
            span = review_store.started_span(conn, f)
        if span is None:
            return []
        low, high = span[0], span[1] + 1
        step = max(1, -(-(high - low) // parts))
        return [(t, min(t + step, high)) for t in range(low, high, step)]

    def key_at(self, f: CallFilter, sort: CallSort, offset: int) -> Key | None:
        with self.db.read() as conn:
            return review_store.key_at(conn, f, sort, offset)

    def detail(self, call_id: int) -> CallDetail:
        with self.db.read() as conn:
            found = review_detail.call_detail(conn, call_id)
        if found is None:
            raise UnknownCallError(f"there is no call {call_id} in this workspace")
        return found

    def call_id(self, sid: str) -> int:
        with self.db.read() as conn:
            found = review_store.call_id_of(conn, sid.strip())
        if found is None:
            raise UnknownCallError(f"there is no call {sid} in this workspace")
        return found

    # ------------------------------------------------------------ review marks (write lane)
    def review_state(self, call_id: int) -> ReviewState:
        """The call's review as it stands now (the base of an edit; see ShownReview)."""
        with self.db.read() as conn:
            return review_state.read(conn, call_id)

    def _guard(self, conn: Connection, call_id: int, shown: ShownReview | None) -> None:
        """Lock the call's review for this write; refuse if it is no longer ``shown``."""
        current = review_state.lock(conn, call_id, self._now())
        if shown is not None and current.version != shown.state.version:
            raise EditConflictError(shown.state, current)

    @staticmethod
    def _moved(conn: Connection, call_id: int, shown: ShownReview | None) -> ReviewState | None:
        return None if shown is None else review_state.read(conn, call_id)

    def dispose_job(self, call_id: int, code: DispositionCode, sale_micros: int | None = None,
                    author: str | None = None,
                    shown: ShownReview | None = None) -> Job[ChangeSet]:
        """Record a disposition (the call becomes reviewed); a sale only with "converted".

        With ``shown``, only if nobody changed the call's review since (EditConflictError).
        """
        if sale_micros is not None and code != DispositionCode.CONVERTED:
            raise DataError("a sale amount goes only with the disposition 'converted'",
                            field="sale")
        yield Progress(0, 1, f"Marking call as {code.value.replace('_', ' ')}")
        who = author or default_author()
        with self.db.write() as conn:
            self._guard(conn, call_id, shown)
            review_store.add_disposition(conn, call_id, str(code), sale_micros, who,
                                         self._now())
            # The verdict counts in billing too, in the same transaction (see the function).
            adjusted = billing_queries.adjust_for_disposition(conn, call_id, code, who,
                                                              self._now())
            # Conversions and sales feed the dashboard. Each adjustment above already refreshed
            # the call's hour, disposition included; otherwise refresh it here.
            started = review_store.started_at_of(conn, call_id) if not adjusted else None
            if started is not None:
                refresh_rollups(conn, started, started + 1, calls_added=False)
            after = self._moved(conn, call_id, shown)
        if shown is not None and after is not None:  # committed: the next edit builds on it
            shown.state = after
        if adjusted:
            return ChangeSet.of(Entity.REVIEW, Entity.OUTCOMES, dispositions=1,
                                adjustments=adjusted)
        return ChangeSet.of(Entity.REVIEW, dispositions=1)

    def note_job(self, call_id: int, body: str, author: str | None = None) -> Job[ChangeSet]:
        text = body.strip()
        if not text:
            raise DataError("a note cannot be empty", field="note")
        yield Progress(0, 1, "Adding a note")
        with self.db.write() as conn:
            review_store.add_note(conn, call_id, text, author or default_author(), self._now())
        return ChangeSet.of(Entity.REVIEW, notes=1)

    def dispute_job(self, call_id: int, disputed: bool, reason: str = "",
                    shown: ShownReview | None = None) -> Job[ChangeSet]:
        """Flag (or clear) a call as disputed; flagging needs a reason the partner can read.

        With ``shown``, only if nobody changed the call's review since (EditConflictError).
        """
        if disputed and not reason.strip():
            raise DataError("say why the call is disputed", field="reason")
        yield Progress(0, 1, "Flagging the call as disputed" if disputed else "Clearing dispute")
        with self.db.write() as conn:
            self._guard(conn, call_id, shown)
            review_store.mark(conn, call_id, self._now(), disputed=disputed,
                              dispute_reason=reason.strip())
            after = self._moved(conn, call_id, shown)
        if shown is not None and after is not None:
            shown.state = after
        return ChangeSet.of(Entity.REVIEW, disputed=1)

    def reviewed_job(self, call_id: int, reviewed: bool, author: str | None = None,
                     shown: ShownReview | None = None) -> Job[ChangeSet]:
        """Mark the call reviewed (or not); with ``shown``, only if nobody changed it since."""
        yield Progress(0, 1, "Marking reviewed" if reviewed else "Marking not reviewed")
        with self.db.write() as conn:
            self._guard(conn, call_id, shown)
            review_store.mark(conn, call_id, self._now(),
                              reviewed_by=(author or default_author()) if reviewed else None,
                              unreview=not reviewed)
            after = self._moved(conn, call_id, shown)
        if shown is not None and after is not None:
            shown.state = after
        return ChangeSet.of(Entity.REVIEW, reviewed=1)

    # ------------------------------------------------------------ CSV
    def export_job(self, target: Path, f: CallFilter, sort: CallSort, *,
                   masked: bool) -> Job[int]:
        """Write the filtered calls to ``target`` as ppcdesk's call CSV; returns the rows.

        ``masked`` hides callers' numbers (the screen's default): such a file cannot be
        imported again. The file appears whole or not at all.
        """
        total = self.count(f)
        parts = [calls_csv.header_line()]
        done = 0
        yield Progress(0, total, f"Exporting {total:,} calls")
        after: Key | None = None
        while True:
            with self.db.read() as conn:
                rows = review_store.block(conn, f, sort, after=after, limit=EXPORT_BLOCK)
                fields = review_io.fields_of(conn, [r.call.id for r in rows])
            parts.extend(calls_csv.line(fields[r.call.id], masked=masked) for r in rows)
            done += len(rows)
            yield Progress(done, total, f"Exported {done:,} of {total:,} calls")
            if len(rows) < EXPORT_BLOCK:
                break
            after = rows[-1].key
        write_text_atomic(target, "".join(parts))
        return done

    def import_job(self, source: Path, author: str | None = None) -> Job[ChangeSet]:
        """Read ppcdesk's call CSV (all rows checked first) and store it in one transaction."""
        yield Progress(0, None, f"Reading {source.name}")
        calls = calls_csv.read(source)
        zone = "UTC"
        with self.db.read() as conn:
            found = conn.exec_driver_sql("SELECT timezone FROM workspace").scalar()
            zone = str(found) if found else zone
        yield Progress(0, len(calls), f"Storing {len(calls):,} calls")
        with self.db.write() as conn:
            written = review_io.upsert(conn, calls, self._now(), zone,
                                       author or f"import:{source.name}")
        yield Progress(written, len(calls), f"Stored {written:,} calls")
        return ChangeSet.of(Entity.CALLS, Entity.REVIEW, Entity.CAMPAIGNS, Entity.PARTNERS,
                            calls=written)

    # ------------------------------------------------------------ recordings
    def audio_path(self, recording: RecordingInfo) -> Path | None:
        """The local file of a recording (cache or bundled demo audio), or None."""
        if not recording.local_path:
            return None
        if recording.file_state == "bundled":
            path = resources_dir() / recording.local_path
        elif recording.file_state in {"cached", "local_only"}:
            path = self.paths.recordings / recording.local_path
        else:
            return None
        return path if path.is_file() else None

    def recordings_to_fetch(self, f: CallFilter) -> list[str]:
        """Recording sids of the filtered calls that have no local audio yet."""
        clause, params = review_store.where(f, self.db.dialect)
        with self.db.read() as conn:
            return [r[0] for r in conn.exec_driver_sql(
                f"SELECT r.sid FROM recordings r JOIN calls c ON c.sid = r.call_sid "
                f"WHERE r.file_state IN ('remote', 'expired') AND {clause} ORDER BY r.id",
                tuple(params))]

    def fetch_recordings_job(self, f: CallFilter,
                             fetch_one: Callable[[str], Job[Path]]) -> Job[ChangeSet]:
        """Download the audio of every recording of the filter (``fetch_one``: one sid's job).

        A failure on one recording is logged and counted; the others go on.
        """
        sids = self.recordings_to_fetch(f)
        failed = 0
        for done, sid in enumerate(sids):
            yield Progress(done, len(sids), f"Downloading recording {done + 1:,} of "
                                            f"{len(sids):,}")
            try:
                for _ in fetch_one(sid):
                    pass
            except PpcdeskError as exc:
                failed += 1
                log.warning("recording %s not downloaded: %s", sid, exc)
        yield Progress(len(sids), len(sids), "Downloads done")
        return ChangeSet.of(Entity.RECORDINGS, downloaded=len(sids) - failed, failed=failed)

    def on_twilio(self, f: CallFilter, *, downloaded: bool = False) -> tuple[int, int]:
        """(recordings, seconds) of the filter that Twilio keeps (only those downloaded)."""
        clause, params = review_store.where(f, self.db.dialect)
        states = "('cached')" if downloaded else "('remote', 'cached', 'expired')"
        with self.db.read() as conn:
            n, seconds = conn.exec_driver_sql(
                f"SELECT count(*), coalesce(sum(r.duration_s), 0) FROM recordings r "
                f"JOIN calls c ON c.sid = r.call_sid WHERE r.file_state IN {states} "
                f"AND {clause}", tuple(params)).one()
        return int(n), int(seconds)

    def delete_on_twilio_job(self, f: CallFilter,
                             delete_one: Callable[[str], None]) -> Job[ChangeSet]:
        """Delete on Twilio each recording of the filter whose local copy is verified.

        The state model (``recordings.file_state``): ``remote`` on Twilio only; ``cached`` on
        Twilio and here; ``expired`` audio dropped here by the retention policy, still on
        Twilio; ``local_only`` deleted on Twilio after download, so this copy is the only one
        (the retention policy never drops it, and nothing tries to download it again);
        ``bundled`` demo audio. A copy is verified when its size and SHA-256 match what was
        recorded when it was downloaded; one that does not is left alone on Twilio and
        counted. Each deletion is committed at once, so a cancel or a crash loses nothing.
        """
        clause, params = review_store.where(f, self.db.dialect)
        with self.db.read() as conn:
            rows = list(conn.exec_driver_sql(
                f"SELECT r.sid, r.local_path, r.size_bytes, r.sha256 FROM recordings r "
                f"JOIN calls c ON c.sid = r.call_sid WHERE r.file_state = 'cached' "
                f"AND {clause} ORDER BY r.id", tuple(params)))
        deleted = unverified = failed = 0
        for done, (sid, local_path, size, sha) in enumerate(rows):
            yield Progress(done, len(rows), f"Deleting on Twilio: {done + 1:,} of {len(rows):,}")
            if not retention.verified(self.paths.recordings / (local_path or "-"), size, sha):
                unverified += 1
                log.warning("recording %s kept on Twilio: its local copy does not check out",
                            sid)
                continue
            try:
                delete_one(sid)
            except PpcdeskError as exc:
                failed += 1
                log.warning("recording %s not deleted on Twilio: %s", sid, exc)
                continue
            with self.db.write() as conn:
                conn.exec_driver_sql("UPDATE recordings SET file_state = 'local_only' "
                                     "WHERE sid = ? AND file_state = 'cached'", (sid,))
            deleted += 1
        yield Progress(len(rows), len(rows), "Done")
        return ChangeSet.of(Entity.RECORDINGS, deleted_on_twilio=deleted,
                            unverified=unverified, failed=failed)

    def download_job(self, f: CallFilter, fetch_one: Callable[[str], Job[Path]],
                     delete_one: Callable[[str], None] | None) -> Job[ChangeSet]:
        """Download the filter's recordings, then (``delete_one`` given, after the user said
        yes) delete on Twilio those whose copy checks out: the calls page's bulk download."""
        changes = yield from self.fetch_recordings_job(f, fetch_one)
        if delete_one is not None:
            changes = changes | (yield from self.delete_on_twilio_job(f, delete_one))
        return changes

    def retention_policy(self) -> RetentionPolicy:
        return retention.load_policy(self.paths.config)

    def save_retention_policy(self, policy: RetentionPolicy) -> None:
        retention.save_policy(self.paths.config, policy)

    def apply_retention_job(self, policy: RetentionPolicy | None = None) -> Job[ChangeSet]:
        """Drop cached audio past the policy's age and size; the recordings' rows stay."""
        policy = policy or self.retention_policy()
        yield Progress(0, None, "Looking at the recordings cache")
        with self.db.read() as conn:
            files = [CachedFile(r[0], r[1] or 0, r[2] or 0) for r in conn.exec_driver_sql(
                "SELECT sid, started_at, size_bytes FROM recordings WHERE file_state = 'cached'")]
        drops = retention.plan_drops(files, policy, self._now())
        cache = RecordingCache(self.paths.recordings)
        freed = 0
        with self.db.write() as conn:
            for done, item in enumerate(drops):
                if done % 200 == 0:
                    yield Progress(done, len(drops), f"Dropping {len(drops):,} recordings")
                conn.exec_driver_sql("UPDATE recordings SET file_state = 'expired', "
                                     "local_path = NULL WHERE sid = ?", (item.sid,))
                freed += cache.remove(item.sid)
        freed += self.mixes.clear()  # balance mixes: rebuilt on demand, never kept past a prune
        return ChangeSet.of(Entity.RECORDINGS, expired=len(drops), freed_bytes=freed)
