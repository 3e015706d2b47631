"""The sync job: one Twilio account into the workspace, resumable page by page.

Phases, in order (docs/sync.md tells the whole story):

1. numbers: the whole listing, then one transaction (new, changed, released numbers);
2. calls: the window ``[checkpoint - overlap, now)`` (first sync: from ``since``, the account's
   ``sync_from``, or 30 days back), stored a batch of pages per transaction, saved with the
   cursor of the page after the batch (``_Batch``);
   at its end, legs still waiting for a parent are dropped (counted as skipped) and the
   account's checkpoint moves to the window's end;
3. recordings: metadata created since the window's start, one transaction per page;
4. media: every completed recording of the account not yet in the cache, one file at a time
   (skipped with ``media=False``; the next sync with media fetches them).

Network work (a page, a download) runs outside any transaction; only storing holds the write
lane. The job yields after each page and each file, so Cancel stops it between units; a
stopped run (cancel, error, kill) is picked up by the next sync of the account where it
stopped, and the final database equals the one an uninterrupted sync gives.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, day_start_epoch, to_epoch
from ppcdesk.core.progress import Job, Progress
from ppcdesk.storage import ingest
from ppcdesk.storage.db import Database
from ppcdesk.telephony import sync_state
from ppcdesk.telephony import sync_store as store
from ppcdesk.telephony.prefetch import prefetch
from ppcdesk.telephony.provider import (
    AccountSuspendedError,
    BadRecordError,
    CredentialsRejectedError,
    NumberRecord,
    TelephonyProvider,
)
from ppcdesk.telephony.sync_state import Run, Tally

log = logging.getLogger(__name__)
DEFAULT_FIRST_SYNC_DAYS = 30
OVERLAP_S = 2 * 3600  # re-list the last two hours: calls finish and get priced after the fact
SETTLE_REACH_S = 3 * 86400  # ...and back to the oldest unsettled call, up to three days
MEDIA_BATCH = 50
SYNC_CHECKPOINT_PAGES = 16_384  # 64 MB of WAL between checkpoints while a sync writes
DEFAULT_CHECKPOINT_PAGES = 1_000  # SQLite's own default
BATCH_PAGES = 16  # calls pages per write transaction (see _Batch)...
BATCH_S = 2.0  # ...or fewer, once this long has passed: a reader sees new calls this late at most


class AudioCache(Protocol):
    """Where recording audio goes (``ppcdesk.recordings.cache.RecordingCache``).

    ``fetch`` downloads with ``download(sid, target)`` unless the file is already cached, and
    returns it with whether it was downloaded; a download that gives no usable file raises
    ValueError (the recording is skipped), any other OSError stops the sync (a full disk).
    """

    def fetch(self, sid: str, download: Callable[[str, Path], int]
              ) -> tuple[store.StoredAudio, bool]: ...


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """The account to sync, as the database knows it."""

    account_id: int
    account_sid: str
    sync_from: int | None = None
    checkpoint_at: int | None = None


def sync_account(db: Database, provider: TelephonyProvider, target: SyncTarget, *,
                 clock: Clock, since: int | None = None, cache: AudioCache | None = None,
                 zone: str = "UTC") -> Job[ChangeSet]:
    """Sync one account; ``since`` (epoch) restarts from there, ``cache`` None skips audio."""
    sid = target.account_sid
    yield Progress(0, None, f"Signing in to Twilio account {sid}")
    try:
        status = provider.account()
    except CredentialsRejectedError as exc:
        raise _rejected(sid, exc) from exc
    if status.status != "active":
        raise AccountSuspendedError(f"Twilio account {sid} is {status.status}: Twilio refuses "
                                    "its calls and recordings until it is active again")
    now = to_epoch(clock.now())
    with db.write() as conn:
        run = _open(conn, target, since, now, zone)
    log.info("sync of %s: run %d, phase %s, window %d..%d", sid, run.id, run.phase,
             run.window_from, run.window_to)
    try:
        if run.phase == "numbers":
            yield from _numbers(db, provider, run, now)
        while run.phase == "calls":
            yield from _calls(db, provider, run, now, zone)
        if run.phase == "recordings":
            yield from _recordings(db, provider, run)
        if run.phase == "media":
            yield from _media(db, provider, run, cache)
    except GeneratorExit:
        _close(db, run, "cancelled", clock)
        log.info("sync of %s cancelled in phase %s; the next sync resumes there", sid, run.phase)
        raise
    except CredentialsRejectedError as exc:
        rejected = _rejected(sid, exc)
        _close(db, run, "failed", clock, str(rejected))
        if rejected is exc:
            raise
        raise rejected from exc
    except Exception as exc:
        _close(db, run, "failed", clock, str(exc))
        log.warning("sync of %s stopped in phase %s: %s", sid, run.phase, exc)
        raise
    _close(db, run, "ok", clock)
    tally = run.tally
    log.info("sync of %s done: %s", sid, tally.to_json())
    return changes_of(tally)


def changes_of(tally: Tally) -> ChangeSet:
    entities = {Entity.SYNC, Entity.ACCOUNTS}
    if tally.numbers:
        entities.add(Entity.NUMBERS)
    if tally.calls or tally.legs:
        entities.add(Entity.CALLS)
    if tally.recordings or tally.downloaded:
        entities.add(Entity.RECORDINGS)
    return ChangeSet(frozenset(entities), {
        "numbers": tally.numbers, "calls": tally.calls, "legs": tally.legs,
        "recordings": tally.recordings, "downloaded": tally.downloaded,
        "skipped": tally.skipped_total})


def _rejected(sid: str, exc: CredentialsRejectedError) -> CredentialsRejectedError:
    if "credentials rejected" in str(exc).lower():
        return exc
    return CredentialsRejectedError(f"credentials rejected for Twilio account {sid}: {exc}")


def _open(conn: Connection, target: SyncTarget, since: int | None, now: int, zone: str) -> Run:
    """Resume the account's unfinished run, or start a new one with the right window."""
    account = conn.exec_driver_sql(
        "SELECT checkpoint_at, sync_from FROM telephony_accounts WHERE id = ?",
        (target.account_id,)).one()
    old = sync_state.latest_unfinished(conn, target.account_id)
    recordings_from: int | None = None
    if old is not None and (since is None or since == old.tally.recordings_from):
        stale = now - old.window_to > OVERLAP_S
        if old.phase == "calls" or (old.phase in ("recordings", "media") and not stale):
            sync_state.resume(conn, old)
            if not old.tally.indexes_deferred:
                ingest.restore_call_indexes(conn)
            return old
        if old.phase == "recordings":  # its recordings were not all listed: keep their start
            recordings_from = old.tally.recordings_from
    # A first sync into an empty workspace leaves the calls indexes out until its calls are in;
    # any other builds those a first sync killed before that point left out.
    deferred = ingest.defer_call_indexes(conn)
    if not deferred:
        ingest.restore_call_indexes(conn)
    if since is not None:
        start = since
    elif account.checkpoint_at is not None:
        start = store.window_start(conn, target.account_id, account.checkpoint_at, OVERLAP_S,
                                   SETTLE_REACH_S)
    elif account.sync_from is not None:
        start = account.sync_from
    else:
        today = datetime.fromtimestamp(now, ZoneInfo(zone)).date()
        start = day_start_epoch(today - timedelta(days=DEFAULT_FIRST_SYNC_DAYS), zone)
    start = min(start, now)
    run = sync_state.start(conn, target.account_id, target.account_sid, now=now,
                           window_from=start, window_to=now)
    if recordings_from is not None:
        run.tally.recordings_from = min(recordings_from, start)
    run.tally.indexes_deferred = deferred
    sync_state.save(conn, run)
    return run


def _close(db: Database, run: Run, status: str, clock: Clock, error: str | None = None) -> None:
    run.tally.error = error
    if status == "ok":
        run.phase, run.cursor = "done", None
    with db.write() as conn:
        _build_indexes(conn, run)  # a stopped first sync leaves a workspace as fast to read
        sync_state.finish(conn, run, status, to_epoch(clock.now()))
        raw = conn.connection.dbapi_connection
        if raw is not None:
            raw.execute(f"PRAGMA wal_autocheckpoint = {DEFAULT_CHECKPOINT_PAGES}")
    with db.engine.connect() as conn:  # outside a transaction: a checkpoint cannot run inside
        raw = conn.connection.dbapi_connection
        if raw is not None:
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _fewer_checkpoints(conn: Connection) -> None:
    """Let the WAL grow to SYNC_CHECKPOINT_PAGES before SQLite copies it into the database.

    Sids are random, so every page of calls touches leaves all over the sid indexes; with
    SQLite's default (a checkpoint every 1,000 WAL pages, 4 MB) the same index pages are copied
    back again and again, which cost 40% of a 100k-call sync. A sync lets the WAL grow to
    64 MB and checkpoints once at its end (``_close``), which also restores the default.
    """
    raw = conn.connection.dbapi_connection
    if raw is not None:
        raw.execute(f"PRAGMA wal_autocheckpoint = {SYNC_CHECKPOINT_PAGES}")


def _bad(records: Iterable[BadRecordError], tally: Tally) -> set[str]:
    sids = set()
    for bad in records:
        log.warning("skipped an unreadable record: %s", bad)
        tally.skip(store.BAD_RECORD, bad.sid)
        sids.add(bad.sid)
    return sids


def _numbers(db: Database, provider: TelephonyProvider, run: Run, now: int) -> Job[None]:
    records: list[NumberRecord] = []
    bad: list[BadRecordError] = []
    for page in prefetch(provider.numbers(), name="sync-numbers"):
        records.extend(page.records)
        bad.extend(page.bad)
        yield Progress(0, None, f"Numbers: {len(records):,} listed")
    with _step(db, run) as conn:
        unreadable = _bad(bad, run.tally)
        store.store_numbers(conn, run.account_id, records, unreadable, now, run.tally)
        run.phase, run.cursor = "calls", None
    yield Progress(0, None, f"Numbers: {len(records):,} listed, {run.tally.numbers:,} changed")


def _calls(db: Database, provider: TelephonyProvider, run: Run, now: int,
           zone: str) -> Job[None]:
    with db.read() as conn:
        directory = store.load_directory(conn, run.account_id)
    tz = ZoneInfo(zone)
    with _Batch(db, run) as batch:
        for page in prefetch(provider.calls(run.window_from, run.window_to, run.cursor),
                             name="sync-calls"):
            with batch.step() as conn:
                tally = run.tally
                _bad(page.bad, tally)
                store.store_calls(conn, directory, page.records, tally, now)
                tally.pages += 1
                tally.legs_seen += len(page.records) + len(page.bad)
                run.cursor = page.next_cursor
                if page.next_cursor is None:
                    _end_calls(conn, directory, run, now)
            starts = [r.started_at for r in page.records if r.started_at is not None]
            day = f" · {datetime.fromtimestamp(min(starts), tz).date()}" if starts else ""
            yield Progress(run.tally.legs_seen, None, f"Calls: page {run.tally.pages:,} · "
                           f"{run.tally.legs_seen:,} legs seen{day}")
            if page.next_cursor is None:
                return
    with _step(db, run) as conn:  # a listing that ended without a last page (or had no page)
        _end_calls(conn, directory, run, now)


def _end_calls(conn: Connection, directory: store.Directory, run: Run, now: int) -> None:
    """The window is complete: settle held legs, move the checkpoint, go on."""
    store.settle_pending(conn, directory, run.tally, now)
    _build_indexes(conn, run)
    conn.exec_driver_sql("UPDATE telephony_accounts SET checkpoint_at = ? WHERE id = ?",
                         (run.window_to, run.account_id))
    run.cursor = None
    if now - run.window_to > OVERLAP_S:  # a resumed run of an old window: catch up to now
        run.window_from = store.window_start(conn, run.account_id, run.window_to, OVERLAP_S,
                                             SETTLE_REACH_S)
        run.window_to = now
    else:
        run.phase = "recordings"


def _build_indexes(conn: Connection, run: Run) -> None:
    """Build the calls indexes a first sync left out (``_open``), once its calls are in."""
    if run.tally.indexes_deferred:
        built = ingest.restore_call_indexes(conn)
        log.info("first sync: %d indexes of calls built after %d calls", built, run.tally.calls)
        run.tally.indexes_deferred = False


def _recordings(db: Database, provider: TelephonyProvider, run: Run) -> Job[None]:
    start = run.window_from if run.tally.recordings_from is None else run.tally.recordings_from
    seen = 0
    for page in prefetch(provider.recordings(start, run.cursor), name="sync-recordings"):
        with _step(db, run) as conn:
            _bad(page.bad, run.tally)
            store.store_recordings(conn, page.records, run.tally)
            run.cursor = page.next_cursor
            if page.next_cursor is None:
                run.phase = "media"
        seen += len(page.records)
        yield Progress(seen, None, f"Recordings: {seen:,} listed")
        if page.next_cursor is None:
            return
    with _step(db, run):
        run.phase, run.cursor = "media", None


def _media(db: Database, provider: TelephonyProvider, run: Run,
           cache: AudioCache | None) -> Job[None]:
    if cache is not None:
        with db.read() as conn:
            total = store.count_remote(conn, run.account_id)
        done, after = 0, ""
        while True:
            with db.read() as conn:
                batch = store.remote_recordings(conn, run.account_id, after, MEDIA_BATCH)
            if not batch:
                break
            for sid in batch:
                after = sid
                done += 1
                try:
                    audio, fetched = cache.fetch(sid, provider.download_recording)
                except (BadRecordError, ValueError) as exc:
                    log.warning("recording %s: audio not downloaded: %s", sid, exc)
                    run.tally.skip("download_failed", sid)
                    continue
                with _step(db, run) as conn:
                    store.mark_cached(conn, audio)
                    if fetched:
                        run.tally.downloaded += 1
                        run.tally.downloaded_bytes += audio.size_bytes
                yield Progress(done, total, f"Audio: {done:,} of {total:,} recordings")
    with _step(db, run):
        run.phase, run.cursor = "done", None


class _Batch:
    """Store several pages in one write transaction, each with the run's new resume point.

    Sids are random, so every page dirties index pages all over the sid indexes, and each
    commit writes every dirty page to the WAL again: committing every page cost about a
    third of a first sync. A batch commits every BATCH_PAGES pages, after BATCH_S seconds,
    and when it is closed, so a sync stopped by Cancel or a provider error keeps every page it
    stored; a page whose storing fails rolls the open batch back, and the run in memory goes
    back to what the database holds. A kill loses the open batch; its pages are fetched again.
    """

    def __init__(self, db: Database, run: Run, pages: int | None = None,
                 seconds: float = BATCH_S) -> None:
        self._db, self._run = db, run
        self._pages = pages if pages is not None else BATCH_PAGES
        self._seconds = seconds
        self._open: ExitStack | None = None
        self._conn: Connection | None = None
        self._stored = 0
        self._since = 0.0
        self._before = _snapshot(run)

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.commit()

    @contextmanager
    def step(self) -> Iterator[Connection]:
        """One page and the run's new resume point; commits the batch when it is due."""
        if self._open is None or self._conn is None:
            self._open = ExitStack()
            self._before = _snapshot(self._run)
            self._conn = self._open.enter_context(self._db.write())
            _fewer_checkpoints(self._conn)
            self._stored, self._since = 0, time.monotonic()
        try:
            yield self._conn
        except BaseException as exc:
            stack, self._open, self._conn = self._open, None, None
            _restore(self._run, self._before)
            stack.__exit__(type(exc), exc, exc.__traceback__)  # rolls back
            raise
        self._stored += 1
        if (self._stored >= self._pages
                or time.monotonic() - self._since >= self._seconds):
            self.commit()

    def commit(self) -> None:
        if self._open is None or self._conn is None:
            return
        stack, conn, self._open, self._conn = self._open, self._conn, None, None
        try:
            sync_state.save(conn, self._run)
        except BaseException as exc:
            _restore(self._run, self._before)
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        stack.close()


def _snapshot(run: Run) -> tuple[str, str | None, int, int, str]:
    return run.phase, run.cursor, run.window_from, run.window_to, run.tally.to_json()


def _restore(run: Run, before: tuple[str, str | None, int, int, str]) -> None:
    run.phase, run.cursor, run.window_from, run.window_to = before[:4]
    run.tally = Tally.from_json(before[4])


@contextmanager
def _step(db: Database, run: Run) -> Iterator[Connection]:
    """One unit of work and the run's new resume point, in one write transaction.

    If the transaction rolls back, the run in memory goes back to what the database holds,
    so the tally saved when the run is closed counts only what was committed.
    """
    before = _snapshot(run)
    try:
        with db.write() as conn:
            _fewer_checkpoints(conn)
            yield conn
            sync_state.save(conn, run)
    except BaseException:
        _restore(run, before)
        raise
