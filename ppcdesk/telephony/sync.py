"""The sync job: one Twilio account into the workspace, resumable page by page.

Phases, in order (docs/sync.md tells the whole story):

1. numbers: the whole listing, then one transaction (new, changed, released numbers);
2. calls: the window ``[checkpoint - overlap, now)`` (first sync: from ``since``, the account's
   ``sync_from``, or 30 days back), stored a batch of pages per transaction, saved with the
   cursor of the page after the batch (``sync_lane.Batch``);
   at its end, legs still waiting for a parent are dropped (counted as skipped) and the
   account's checkpoint moves to the window's end;
3. recordings: metadata created since the window's start, batched like the calls' pages;
4. media: every completed recording of the account not yet in the cache, one file at a time
   (skipped with ``media=False``; the next sync with media fetches them).

Network work (a page, a download) runs outside any transaction; only storing holds the write
lane. The job yields after each page and each file, so Cancel stops it between units; a
stopped run (cancel, error, kill) is picked up by the next sync of the account where it
stopped, and the final database equals the one an uninterrupted sync gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
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
from ppcdesk.telephony import sync_lane, sync_state
from ppcdesk.telephony import sync_store as store
from ppcdesk.telephony.prefetch import prefetch
from ppcdesk.telephony.provider import (
    AccountSuspendedError,
    BadRecordError,
    CredentialsRejectedError,
    NumberRecord,
    TelephonyProvider,
)
from ppcdesk.telephony.sync_lane import RunClaims
from ppcdesk.telephony.sync_state import Run, Tally

log = logging.getLogger(__name__)
DEFAULT_FIRST_SYNC_DAYS = 30
OVERLAP_S = 2 * 3600  # re-list the last two hours: calls finish and get priced after the fact
SETTLE_REACH_S = 3 * 86400  # ...and back to the oldest unsettled call, up to three days
MEDIA_BATCH = 50
BATCH_PAGES = 16  # calls pages per write transaction (see sync_lane.Batch)...
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
    claims = RunClaims(db)
    try:
        with sync_lane.write(db, target.account_id) as conn:
            run = _open(conn, target, since, now, zone, claims.claim)
        return (yield from _run(db, provider, sid, run, clock, now, zone, cache))
    finally:
        claims.close()


def _run(db: Database, provider: TelephonyProvider, sid: str, run: Run, clock: Clock,
         now: int, zone: str, cache: AudioCache | None) -> Job[ChangeSet]:
    """The phases of ``run`` from where it is, then its close (ok, cancelled or failed)."""
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


def _open(conn: Connection, target: SyncTarget, since: int | None, now: int, zone: str,
          claim: Callable[[int], bool]) -> Run:
    """Resume the account's unfinished run, or start a new one with the right window.

    A run another machine is working on (``claim`` says so) is left to it: this sync starts
    its own.
    """
    account = conn.exec_driver_sql(
        "SELECT checkpoint_at, sync_from FROM telephony_accounts WHERE id = ?",
        (target.account_id,)).one()
    old = sync_state.latest_unfinished(conn, target.account_id)
    recordings_from: int | None = None
    if old is not None and not claim(old.id):
        log.info("run %d of this account is in progress on another machine; starting another",
                 old.id)
        old = None
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
    claim(run.id)  # new: nobody else can hold it
    return run


def _close(db: Database, run: Run, status: str, clock: Clock, error: str | None = None) -> None:
    run.tally.error = error
    if status == "ok":
        run.phase, run.cursor = "done", None
    with sync_lane.write(db, run.account_id) as conn:
        _build_indexes(conn, run)  # a stopped first sync leaves a workspace as fast to read
        sync_state.finish(conn, run, status, to_epoch(clock.now()))
    sync_lane.checkpoint(db)


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
    with sync_lane.step(db, run) as conn:
        unreadable = _bad(bad, run.tally)
        store.store_numbers(conn, run.account_id, records, unreadable, now, run.tally)
        run.phase, run.cursor = "calls", None
    yield Progress(0, None, f"Numbers: {len(records):,} listed, {run.tally.numbers:,} changed")


def _calls(db: Database, provider: TelephonyProvider, run: Run, now: int,
           zone: str) -> Job[None]:
    with db.read() as conn:
        directory = store.load_directory(conn, run.account_id)
    tz = ZoneInfo(zone)
    with sync_lane.Batch(db, run, BATCH_PAGES, BATCH_S) as batch:
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
    # A listing that ended without a last page (or had no page at all):
    with sync_lane.step(db, run) as conn:
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
    # Batched like calls: a commit per page rewrote the random sid indexes' pages each time.
    with sync_lane.Batch(db, run, BATCH_PAGES, BATCH_S) as batch:
        for page in prefetch(provider.recordings(start, run.cursor), name="sync-recordings"):
            with batch.step() as conn:
                _bad(page.bad, run.tally)
                store.store_recordings(conn, page.records, run.tally)
                run.cursor = page.next_cursor
                if page.next_cursor is None:
                    run.phase = "media"
            seen += len(page.records)
            yield Progress(seen, None, f"Recordings: {seen:,} listed")
            if page.next_cursor is None:
                return
    with sync_lane.step(db, run):
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
                with sync_lane.step(db, run) as conn:
                    store.mark_cached(conn, audio)
                    if fetched:
                        run.tally.downloaded += 1
                        run.tally.downloaded_bytes += audio.size_bytes
                yield Progress(done, total, f"Audio: {done:,} of {total:,} recordings")
    with sync_lane.step(db, run):
        run.phase, run.cursor = "done", None
