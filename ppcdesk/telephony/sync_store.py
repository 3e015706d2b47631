"""The sync's writes: one page of provider records into the tables, in the caller's transaction.

Calls arrive as legs in no set order. A parent leg (no ``parent_sid``) that is an inbound call
to one of the account's numbers becomes a ``calls`` row; a child leg becomes a ``call_legs``
row once its parent is stored, and waits in ``pending_legs`` until then (committed with its
page, so a crash loses nothing). Every write is an upsert by sid that skips unchanged rows, so
a re-sync of an overlapping window writes nothing it already has.

Derived facts are recomputed, for every call a page touched, from the legs stored so far:
``connected_s`` (the answered child's duration), ``time_to_answer_s`` (its start minus the
call's start), ``buyer_id`` (whose line answered) and ``legs_cost_micros`` (the children's
charges; None until one is rated). The answered child is the first ``completed`` one by start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from phonenumbers import NumberParseException
from sqlalchemy import Connection

from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.model import CallStatus
from ppcdesk.core.phone import is_anonymous, state_of
from ppcdesk.storage import dialect, ingest
from ppcdesk.telephony.provider import CallRecord, NumberRecord, RecordingRecord
from ppcdesk.telephony.sync_state import Tally

log = logging.getLogger(__name__)
CHUNK = 500  # sids per IN (...) list: far below SQLite's limit on bound parameters
LEGS = ", ".join(ingest.LEG_COLUMNS)
UNSETTLED = tuple(s.value for s in CallStatus if not s.final)

# Reasons a record is skipped (the summary counts them; docs/sync.md explains each).
NOT_INBOUND = "not_inbound_to_account_number"
ORPHAN_LEG = "leg_without_inbound_parent"
RECORDING_WITHOUT_CALL = "recording_without_call"
BAD_RECORD = "bad_record"
NUMBER_CONFLICT = "number_conflict"

UPDATE_DERIVED = (
    "UPDATE calls SET connected_s = ?, time_to_answer_s = ?, buyer_id = ?, "
    "legs_cost_micros = ?, updated_at = ? WHERE sid = ? AND (connected_s IS NOT ? OR "
    "time_to_answer_s IS NOT ? OR buyer_id IS NOT ? OR legs_cost_micros IS NOT ?)")
HOLD_LEGS = (
    f"INSERT INTO pending_legs ({LEGS}, account_id) VALUES "
    f"({', '.join('?' for _ in ingest.LEG_COLUMNS)}, ?) ON CONFLICT(sid) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*ingest.LEG_COLUMNS[1:], "account_id")))


class StoredAudio(Protocol):
    """A recording's audio in the local cache (``ppcdesk.recordings.cache.CachedAudio``)."""

    @property
    def sid(self) -> str: ...
    @property
    def local_path(self) -> str: ...  # relative to the cache root
    @property
    def size_bytes(self) -> int: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class NumberInfo:
    id: int
    campaign_id: int | None
    publisher_id: int | None


@dataclass(frozen=True, slots=True)
class Directory:
    """What mapping a page needs: the account's numbers, and the buyers' lines."""

    account_id: int
    by_sid: dict[str, NumberInfo]
    by_e164: dict[str, NumberInfo]
    buyers: dict[str, int]

    def number_of(self, record: CallRecord) -> NumberInfo | None:
        found = self.by_sid.get(record.phone_number_sid or "")
        return found if found is not None else self.by_e164.get(record.to_number)


def load_directory(conn: Connection, account_id: int) -> Directory:
    by_sid: dict[str, NumberInfo] = {}
    by_e164: dict[str, NumberInfo] = {}
    for id_, sid, e164, campaign, publisher in conn.exec_driver_sql(
            "SELECT id, provider_sid, e164, campaign_id, publisher_id FROM tracking_numbers "
            "WHERE account_id = ?", (account_id,)):
        info = NumberInfo(id_, campaign, publisher)
        by_e164[e164] = info
        if sid:
            by_sid[sid] = info
    rows = conn.exec_driver_sql("SELECT e164, buyer_id FROM buyer_destinations").all()
    buyers: dict[str, int] = {str(r[0]): int(r[1]) for r in rows}
    return Directory(account_id, by_sid, by_e164, buyers)


# ------------------------------------------------------------------ numbers
def store_numbers(conn: Connection, account_id: int, records: Sequence[NumberRecord],
                  unreadable: set[str], now: int, tally: Tally) -> None:
    """Upsert the account's numbers; mark those Twilio no longer lists as released.

    ``records`` is the whole listing (a partial one would release numbers by mistake);
    ``unreadable`` are sids of records that could not be read, which are never released.
    A number already known by its E.164 (typed in by hand) is linked to its Twilio sid.
    """
    rows = conn.exec_driver_sql(
        "SELECT id, provider_sid, e164, friendly_name, status, account_id, released_at "
        "FROM tracking_numbers").all()
    by_sid = {r.provider_sid: r for r in rows if r.provider_sid}
    by_e164 = {r.e164: r for r in rows}
    seen: set[str] = set()
    for rec in records:
        seen.add(rec.sid)
        row = by_sid.get(rec.sid) or by_e164.get(rec.e164)
        holder = by_e164.get(rec.e164)
        if row is None:
            conn.exec_driver_sql(
                "INSERT INTO tracking_numbers (account_id, provider_sid, e164, friendly_name, "
                "monthly_cost_micros, status, acquired_at) VALUES (?, ?, ?, ?, 0, 'active', ?)",
                (account_id, rec.sid, rec.e164, rec.friendly_name, rec.created_at))
        elif holder is not None and holder.id != row.id:
            log.warning("number %s: %s already belongs to another number", rec.sid, rec.e164)
            tally.skip(NUMBER_CONFLICT, rec.sid)
            continue
        elif (row.provider_sid, row.e164, row.friendly_name, row.status, row.account_id,
              row.released_at) != (rec.sid, rec.e164, rec.friendly_name, "active", account_id,
                                   None):
            conn.exec_driver_sql(
                "UPDATE tracking_numbers SET provider_sid = ?, e164 = ?, friendly_name = ?, "
                "status = 'active', account_id = ?, released_at = NULL, "
                "acquired_at = COALESCE(acquired_at, ?) WHERE id = ?",
                (rec.sid, rec.e164, rec.friendly_name, account_id, rec.created_at, row.id))
        else:
            continue
        tally.numbers += 1
    for row in rows:
        if (row.account_id == account_id and row.status == "active" and row.provider_sid
                and row.provider_sid not in seen and row.provider_sid not in unreadable):
            conn.exec_driver_sql("UPDATE tracking_numbers SET status = 'released', "
                                 "released_at = ? WHERE id = ?", (now, row.id))
            tally.numbers += 1


# ------------------------------------------------------------------ calls
def store_calls(conn: Connection, directory: Directory, records: Sequence[CallRecord],
                tally: Tally, now: int) -> None:
    """Store one page of call legs: parents as calls, children as legs (or pending)."""
    parents: dict[str, tuple[CallRecord, NumberInfo]] = {}
    rejected: set[str] = set()
    children: list[CallRecord] = []
    for rec in records:
        if rec.parent_sid:
            children.append(rec)
            continue
        number = directory.number_of(rec)
        if rec.direction != "inbound" or number is None:
            rejected.add(rec.sid)
            tally.skip(NOT_INBOUND, rec.sid)
        elif rec.started_at is None:
            log.warning("call %s: an inbound call without a start time; skipped", rec.sid)
            tally.skip(BAD_RECORD, rec.sid)
        else:
            parents[rec.sid] = (rec, number)
    wanted = set(parents) | {c.parent_sid for c in children if c.parent_sid}
    known = {r[0]: r for r in _select(
        conn, "SELECT sid, started_at, tracking_number_id, campaign_id, publisher_id "
        "FROM calls WHERE sid IN ({in})", wanted)}
    legs: list[tuple[Any, ...]] = []
    held: list[tuple[Any, ...]] = []
    for child in children:
        row = _leg_row(child, directory.buyers)
        if child.parent_sid in parents or child.parent_sid in known:
            legs.append(row)
        elif child.parent_sid in rejected:
            tally.skip(ORPHAN_LEG, child.sid)
        else:
            held.append((*row, directory.account_id))
    if _has_pending(conn, directory.account_id):
        legs.extend(_release_pending(conn, parents.keys(), tally, rejected))
        _drop_pending(conn, [row[0] for row in legs])
    tally.legs += ingest.upsert_legs(conn, legs)
    _execute(conn, HOLD_LEGS, sorted(held, key=itemgetter(0)))  # counted in ``legs`` when they land
    touched = set(parents) | {row[1] for row in legs}
    # A call stored for the first time has no legs but this batch's (call_legs rows need their
    # call, a deferred foreign key enforces it): derive its facts here, not from the database.
    facts = _derived(conn, [sid for sid in touched if sid in known])
    facts.update(derive_facts(row for row in legs if row[1] not in known))
    rows = []
    for sid, (rec, number) in parents.items():
        old = known.get(sid)
        rows.append(_call_row(rec, number, old, facts.get(sid), directory.account_id, now))
    tally.calls += ingest.upsert_calls(conn, rows)
    _update_derived(
        conn, {sid: known[sid][1] for sid in touched if sid not in parents and sid in known},
        facts, now)


def settle_pending(conn: Connection, directory: Directory, tally: Tally, now: int) -> None:
    """End of the calls phase: land the legs whose parent is stored, drop the rest."""
    account = directory.account_id
    rows = [tuple(r) for r in conn.exec_driver_sql(
        f"SELECT {LEGS} FROM pending_legs WHERE account_id = ? "
        "AND call_sid IN (SELECT sid FROM calls)", (account,))]
    if rows:
        tally.legs += ingest.upsert_legs(conn, rows)
        parents = {row[1] for row in rows}
        started = dict(_select(conn, "SELECT sid, started_at FROM calls WHERE sid IN ({in})",
                               parents))
        _update_derived(conn, started, _derived(conn, parents), now)
        _drop_pending(conn, [row[0] for row in rows])
    orphans = [sid for (sid,) in conn.exec_driver_sql(
        "SELECT sid FROM pending_legs WHERE account_id = ? ORDER BY sid", (account,))]
    if orphans:
        log.info("%d child legs whose parent is not an inbound call to the account were "
                 "dropped (first: %s)", len(orphans), ", ".join(orphans[:5]))
        for sid in orphans:
            tally.skip(ORPHAN_LEG, sid)
        conn.exec_driver_sql("DELETE FROM pending_legs WHERE account_id = ?", (account,))


def window_start(conn: Connection, account_id: int, checkpoint: int, overlap_s: int,
                 reach_s: int) -> int:
    """Where an incremental sync starts: the checkpoint minus the overlap, or earlier, back to
    the oldest call still unsettled (in progress, or completed but not yet priced), though
    never more than ``reach_s`` before the checkpoint."""
    oldest = conn.exec_driver_sql(
        "SELECT MIN(started_at) FROM calls WHERE account_id = ? AND started_at >= ? "
        "AND started_at < ? AND (status IN ({}) OR (status = 'completed' AND cost_micros IS "
        "NULL))".format(", ".join("?" for _ in UNSETTLED)),
        (account_id, checkpoint - reach_s, checkpoint - overlap_s, *UNSETTLED)).scalar_one()
    start = checkpoint - overlap_s
    return start if oldest is None else min(start, int(oldest))


# ------------------------------------------------------------------ recordings
def store_recordings(conn: Connection, records: Sequence[RecordingRecord],
                     tally: Tally) -> None:
    """Upsert recordings metadata; the local file's state is the cache's and is kept."""
    calls = {sid for (sid,) in _select(conn, "SELECT sid FROM calls WHERE sid IN ({in})",
                                       {r.call_sid for r in records})}
    rows = []
    for rec in records:
        if rec.call_sid not in calls:
            tally.skip(RECORDING_WITHOUT_CALL, rec.sid)
            continue
        state = "deleted" if rec.status in ("deleted", "absent") else "remote"
        rows.append((rec.sid, rec.call_sid, rec.started_at, rec.duration_s, rec.channels,
                     rec.status, rec.cost_micros, state, None, None, None))
    tally.recordings += ingest.upsert_recordings(conn, rows)


_REMOTE = ("FROM recordings r JOIN calls c ON c.sid = r.call_sid WHERE c.account_id = ? "
           "AND r.file_state = 'remote' AND r.status = 'completed'")


def count_remote(conn: Connection, account_id: int) -> int:
    """Recordings of the account whose audio is not downloaded yet."""
    return int(conn.exec_driver_sql(f"SELECT COUNT(*) {_REMOTE}", (account_id,)).scalar_one())


def remote_recordings(conn: Connection, account_id: int, after: str, limit: int) -> list[str]:
    """The next ``limit`` recordings to download, in sid order after ``after``."""
    return [sid for (sid,) in conn.exec_driver_sql(
        f"SELECT r.sid {_REMOTE} AND r.sid > ? ORDER BY r.sid LIMIT ?",
        (account_id, after, limit))]


def mark_cached(conn: Connection, audio: StoredAudio) -> None:
    conn.exec_driver_sql(
        "UPDATE recordings SET file_state = 'cached', local_path = ?, size_bytes = ?, "
        "sha256 = ? WHERE sid = ?", (audio.local_path, audio.size_bytes, audio.sha256, audio.sid))


# ------------------------------------------------------------------ helpers
def _call_row(rec: CallRecord, number: NumberInfo, old: Any, fact: tuple[Any, ...] | None,
              account_id: int, now: int) -> tuple[Any, ...]:
    """A calls row. Number, campaign and publisher are the ones the call arrived with; an
    empty one is filled from the number (a campaign assigned after the first sync)."""
    assert rec.started_at is not None  # noqa: S101 - store_calls skipped those without
    tracking = number.id if old is None or old[2] is None else old[2]
    campaign = number.campaign_id if old is None or old[3] is None else old[3]
    publisher = number.publisher_id if old is None or old[4] is None else old[4]
    connected, answered_at, buyer, legs_cost = fact or (0, None, None, None)
    answer = None if answered_at is None else max(0, answered_at - rec.started_at)
    caller = "anonymous" if is_anonymous(rec.from_number) else rec.from_number
    return (rec.sid, account_id, tracking, campaign, publisher, caller, _state(caller),
            rec.to_number, rec.status, "inbound", rec.started_at, rec.ended_at, rec.duration_s,
            rec.cost_micros, connected, answer, buyer, legs_cost, now)


def _state(caller: str) -> str | None:
    if caller == "anonymous":
        return None
    try:
        return state_of(caller)
    except (PpcdeskError, NumberParseException, ValueError):  # "client:bob", "+1abc..."
        return None


def _leg_row(rec: CallRecord, buyers: dict[str, int]) -> tuple[Any, ...]:
    # sid, parent_sid, from, to, status, direction, started, ended, duration, cost: the
    # record's first ten fields are LEG_COLUMNS' first ten (a test pins it).
    return (*rec[:10], buyers.get(rec.to_number))


def _derived(conn: Connection, parents: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """Per call sid: (connected_s, answered child's start, buyer_id, legs_cost_micros)."""
    sids = list(parents)
    # PostgreSQL's SUM of a BIGINT is a NUMERIC (Decimal): the facts are ints on both.
    cost = {sid: None if total is None else int(total) for sid, total in _select(
        conn, "SELECT call_sid, SUM(cost_micros) FROM call_legs WHERE call_sid IN ({in}) "
        "GROUP BY call_sid", sids)}
    facts: dict[str, tuple[Any, ...]] = {sid: (0, None, None, cost[sid]) for sid in cost}
    answered = _select(conn, "SELECT call_sid, duration_s, started_at, buyer_id FROM call_legs "
                             "WHERE call_sid IN ({in}) AND status = 'completed' "
                             "ORDER BY call_sid, started_at, sid", sids)
    for call_sid, duration, started, buyer in reversed(answered):  # the first one wins
        facts[call_sid] = (duration, started, buyer, cost.get(call_sid))
    return facts


def derive_facts(legs: Iterable[Sequence[Any]]) -> dict[str, tuple[Any, ...]]:
    """``_derived`` over leg rows in hand (LEG_COLUMNS order), with the same answers.

    A sid given twice counts once, its last row winning (as the upsert stores it); the first
    completed leg is the first by (started_at, sid), a leg without a start first, as SQLite
    orders NULL first.
    """
    rows = {row[0]: row for row in legs}
    cost: dict[str, int | None] = {}
    first: dict[str, tuple[bool, int, str]] = {}
    answered: dict[str, Sequence[Any]] = {}
    for sid, row in rows.items():
        call, status, started, charge = row[1], row[4], row[6], row[9]
        old = cost.get(call)
        cost[call] = old if charge is None else charge if old is None else old + charge
        if status == "completed":
            key = (started is not None, started or 0, sid)
            if call not in first or key < first[call]:
                first[call], answered[call] = key, row
    facts: dict[str, tuple[Any, ...]] = {call: (0, None, None, total)
                                         for call, total in cost.items()}
    for call, row in answered.items():
        facts[call] = (row[8], row[6], row[10], cost[call])
    return facts


def _update_derived(conn: Connection, started: dict[str, int],
                    facts: dict[str, tuple[Any, ...]], now: int) -> int:
    """Refresh the derived columns of stored calls (their legs came on a later page).

    Not counted in the tally's ``calls``: that counts calls Twilio reported new or changed;
    the legs that caused this refresh are counted in ``legs``.
    """
    rows = []
    for sid, start in sorted(started.items()):
        connected, answered_at, buyer, legs_cost = facts.get(sid, (0, None, None, None))
        answer = None if answered_at is None else max(0, answered_at - start)
        rows.append((connected, answer, buyer, legs_cost, now, sid, connected, answer, buyer,
                     legs_cost))
    return _execute(conn, UPDATE_DERIVED, rows)


def _has_pending(conn: Connection, account_id: int) -> bool:
    return bool(conn.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pending_legs WHERE account_id = ?)",
        (account_id,)).scalar_one())


def _release_pending(conn: Connection, arrived: Iterable[str], tally: Tally,
                     rejected: set[str]) -> list[tuple[Any, ...]]:
    """Held legs whose parent is on this page; those of a rejected parent are dropped."""
    rows = [tuple(r) for r in _select(
        conn, f"SELECT {LEGS} FROM pending_legs WHERE call_sid IN ({{in}})", arrived)]
    dropped = [sid for (sid,) in _select(
        conn, "SELECT sid FROM pending_legs WHERE call_sid IN ({in})", rejected)]
    for sid in dropped:
        tally.skip(ORPHAN_LEG, sid)
    _drop_pending(conn, dropped)
    return rows


def _drop_pending(conn: Connection, sids: Sequence[str]) -> None:
    sids = sorted(sids)
    for lo in range(0, len(sids), CHUNK):
        part = sids[lo:lo + CHUNK]
        conn.exec_driver_sql(
            f"DELETE FROM pending_legs WHERE sid IN ({', '.join('?' for _ in part)})",
            tuple(part))


def _select(conn: Connection, sql: str, values: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` with its ``{in}`` list bound to ``values``, a chunk at a time.

    On the driver's cursor: SQLAlchemy's row objects would cost more than the query.
    """
    items = sorted(values)  # the same statements for the same values, whatever the set's order
    out: list[tuple[Any, ...]] = []
    sqlite = conn.dialect.name == "sqlite"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for lo in range(0, len(items), CHUNK):
            part = items[lo:lo + CHUNK]
            text = sql.replace("{in}", ", ".join("?" for _ in part))
            cursor.execute(text if sqlite else dialect.translate(text), part)
            out.extend(tuple(row) for row in cursor.fetchall())
    finally:
        cursor.close()
    return out


def _execute(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """``executemany`` on the driver (SQLAlchemy's per-row processing would double the cost)."""
    if not rows:
        return 0
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            cursor.executemany(sql, rows)
            return int(cursor.rowcount)
        # psycopg reports the rows of the last statement only: count them one by one.
        written = 0
        for row in rows:
            cursor.execute(dialect.translate(sql), row)
            written += max(0, cursor.rowcount)
        return written
    finally:
        cursor.close()
