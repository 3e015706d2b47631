"""The demo job: generate, then store through the sync's own upserts, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, delete, func, insert, select

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import Job, Progress
from ppcdesk.demo import generator
from ppcdesk.demo.cast import BUYERS, CAMPAIGNS, NUMBERS, PUBLISHERS
from ppcdesk.storage import ingest
from ppcdesk.storage import models as m
from ppcdesk.storage.db import Database

CHUNK = 50_000
WORKSPACE_ZONE = "America/New_York"


class DemoTargetError(PpcdeskError):
    """The database chosen for demo data already holds something else."""


def default_end(today: date) -> date:
    """The demo's year ends yesterday, so "yesterday" on the dashboard has calls."""
    return today - timedelta(days=1)


def write_demo(db: Database, *, calls: int, seed: int, end: date,
               replace: bool = False) -> Job[ChangeSet]:
    """Fill ``db`` (empty, or a demo with ``replace``) with ``calls`` demo calls."""
    if calls < 0:
        raise DemoTargetError(f"--calls must be 0 or more, not {calls}")
    yield Progress(0, calls, "Generating calls")
    block = generator.generate(calls, seed, end)
    created = int(datetime.combine(end - timedelta(days=generator.DAYS - 1), time(),
                                   ZoneInfo(WORKSPACE_ZONE)).timestamp())
    finished = int(datetime.combine(end + timedelta(days=1), time(),
                                    ZoneInfo(WORKSPACE_ZONE)).timestamp())
    with db.write(bulk=True) as conn:
        _check_target(conn, replace=replace)
        ids = _write_cast(conn, created)
        done = 0
        with ingest.bulk_load(conn, calls):
            for part in _chunks(block, ids, finished):
                ingest.upsert_calls(conn, part[0])
                ingest.upsert_legs(conn, part[1])
                ingest.upsert_recordings(conn, part[2])
                done += len(part[0])
                yield Progress(done, calls, f"Stored {done:,} of {calls:,} calls")
            yield Progress(done, calls, "Indexing")
        spend_rows = _write_spend(conn, block, ids, end)
        conn.execute(insert(m.SyncRun).values(
            kind="demo", started_at=finished, finished_at=finished, status="ok",
            summary=json.dumps({"calls": calls, "legs": len(block.leg_sid),
                                "recordings": len(block.rec_sid), "seed": seed,
                                "end": end.isoformat()}, sort_keys=True)))
    return ChangeSet.of(
        Entity.WORKSPACE, Entity.NUMBERS, Entity.CAMPAIGNS, Entity.PARTNERS, Entity.CALLS,
        Entity.RECORDINGS, Entity.SPEND, Entity.SYNC,
        calls=calls, legs=len(block.leg_sid), recordings=len(block.rec_sid), spend=spend_rows,
    )


def _check_target(conn: Connection, *, replace: bool) -> None:
    existing = conn.execute(select(func.count()).select_from(m.Call)).scalar_one()
    workspace = conn.execute(select(m.WorkspaceInfo)).first()
    has_cast = conn.execute(select(func.count()).select_from(m.Campaign)).scalar_one()
    if not existing and not has_cast and workspace is None:
        return
    if workspace is not None and workspace.is_demo and replace:
        for table in reversed(m.Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(delete(table))
        return
    if workspace is not None and workspace.is_demo:
        raise DemoTargetError("this demo database already has data; add --replace to "
                              "generate it again")
    raise DemoTargetError(f"this database holds a real workspace ({existing:,} calls); demo "
                          "data goes into its own file: choose another --db")


def _write_cast(conn: Connection, created: int) -> dict[str, dict[str, int]]:
    conn.execute(insert(m.WorkspaceInfo).values(
        id=1, name="Demo workspace", role="network", timezone=WORKSPACE_ZONE, currency="USD",
        is_demo=True, created_at=created))
    ids: dict[str, dict[str, int]] = {"campaign": {}, "publisher": {}, "buyer": {}, "number": {}}
    for c in CAMPAIGNS:
        ids["campaign"][c.name] = conn.execute(insert(m.Campaign).values(
            name=c.name, vertical=c.vertical, timezone=c.timezone, created_at=created)
        ).inserted_primary_key[0]
    for p in PUBLISHERS:
        ids["publisher"][p.name] = conn.execute(insert(m.Publisher).values(
            name=p.name, kind=p.kind, contact="", created_at=created)).inserted_primary_key[0]
    for b in BUYERS:
        buyer_id = conn.execute(insert(m.Buyer).values(
            name=b.name, contact="", created_at=created)).inserted_primary_key[0]
        ids["buyer"][b.name] = buyer_id
        for k, e164 in enumerate(b.destinations, 1):
            conn.execute(insert(m.BuyerDestination).values(
                buyer_id=buyer_id, e164=e164, label=f"Line {k}"))
    for i, (campaign, publisher, e164, friendly, _share) in enumerate(NUMBERS):
        toll_free = e164[2:5] in {"800", "833", "844", "855", "866", "877", "888"}
        ids["number"][e164] = conn.execute(insert(m.TrackingNumber).values(
            account_id=None, provider_sid=f"PN{i:032x}", e164=e164, friendly_name=friendly,
            campaign_id=ids["campaign"][campaign], publisher_id=ids["publisher"][publisher],
            monthly_cost_micros=2_150_000 if toll_free else 1_150_000, status="active",
            acquired_at=created, released_at=None)).inserted_primary_key[0]
    return ids


def _lookup(names: Sequence[str], ids: dict[str, int]) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array([ids[name] for name in names], dtype=np.int64)


def _chunks(block: generator.CallsBlock, ids: dict[str, dict[str, int]],
            updated_at: int) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    number_ids = _lookup([row[2] for row in NUMBERS], ids["number"])
    number_e164 = [row[2] for row in NUMBERS]
    campaign_ids = _lookup([c.name for c in CAMPAIGNS], ids["campaign"])
    publisher_ids = _lookup([p.name for p in PUBLISHERS], ids["publisher"])
    buyer_ids = _lookup([b.name for b in BUYERS], ids["buyer"])
    n = block.count
    leg_bounds = np.searchsorted(block.leg_call, np.arange(0, n + CHUNK, CHUNK))
    rec_bounds = np.searchsorted(block.rec_call, np.arange(0, n + CHUNK, CHUNK))
    for k, lo in enumerate(range(0, n, CHUNK)):
        hi = min(n, lo + CHUNK)
        yield (
            _call_rows(block, lo, hi, number_ids, number_e164, campaign_ids, publisher_ids,
                       buyer_ids, updated_at),
            _leg_rows(block, int(leg_bounds[k]), int(leg_bounds[k + 1]), buyer_ids),
            _recording_rows(block, int(rec_bounds[k]), int(rec_bounds[k + 1])),
        )


def _nullable(values: list[Any], missing: Any) -> list[Any]:
    return [None if v == missing else v for v in values]


def _call_rows(block: generator.CallsBlock, lo: int, hi: int, number_ids: Any,
               number_e164: list[str], campaign_ids: Any, publisher_ids: Any, buyer_ids: Any,
               updated_at: int) -> list[tuple[Any, ...]]:
    number = block.number_idx[lo:hi]
    started = block.started_at[lo:hi]
    duration = block.duration_s[lo:hi]
    rated = block.rated[lo:hi]
    cost = block.cost_micros[lo:hi].tolist()
    legs_cost = block.legs_cost_micros[lo:hi].tolist()
    cost = [c if r else None for c, r in zip(cost, rated.tolist(), strict=True)]
    legs_cost = [c if r else None for c, r in zip(legs_cost, rated.tolist(), strict=True)]
    buyer = block.buyer_idx[lo:hi]
    buyer_col = _nullable(np.where(buyer >= 0, buyer_ids[np.maximum(buyer, 0)], -1).tolist(), -1)
    called = [number_e164[i] for i in number.tolist()]
    n = hi - lo
    return list(zip(
        block.sid[lo:hi], [None] * n, number_ids[number].tolist(),
        campaign_ids[block.campaign_idx[lo:hi]].tolist(),
        publisher_ids[block.publisher_idx[lo:hi]].tolist(),
        block.caller[lo:hi], block.caller_state[lo:hi], called, block.parent_status[lo:hi],
        ["inbound"] * n, started.tolist(), (started + duration).tolist(), duration.tolist(),
        cost, block.connected_s[lo:hi].tolist(),
        _nullable(block.time_to_answer_s[lo:hi].tolist(), -1), buyer_col, legs_cost,
        [updated_at] * n, strict=True))


def _leg_rows(block: generator.CallsBlock, lo: int, hi: int,
              buyer_ids: Any) -> list[tuple[Any, ...]]:
    calls = block.leg_call[lo:hi]
    parent = [block.sid[i] for i in calls.tolist()]
    called = [block.caller[i] for i in calls.tolist()]  # the caller id is passed through
    start = block.leg_started_at[lo:hi]
    duration = block.leg_duration_s[lo:hi]
    n = hi - lo
    return list(zip(
        block.leg_sid[lo:hi], parent, called, block.leg_dest[lo:hi], block.leg_status[lo:hi],
        ["outbound-dial"] * n, start.tolist(), (start + duration).tolist(), duration.tolist(),
        block.leg_cost_micros[lo:hi].tolist(), buyer_ids[block.leg_buyer_idx[lo:hi]].tolist(),
        strict=True))


def _recording_rows(block: generator.CallsBlock, lo: int, hi: int) -> list[tuple[Any, ...]]:
    rows = []
    for k in range(lo, hi):
        call = int(block.rec_call[k])
        clip, channels = generator.clip_for(int(block.rec_clip[k]))
        talk = int(block.connected_s[call])
        start = int(block.started_at[call]) + int(block.time_to_answer_s[call])
        rows.append((block.rec_sid[k], block.sid[call], start, talk, channels, "completed",
                     (talk + 59) // 60 * generator.RECORDING_PER_MIN, "bundled", clip, None,
                     None))
    return rows


def _write_spend(conn: Connection, block: generator.CallsBlock,
                 ids: dict[str, dict[str, int]], end: date) -> int:
    """Media spend per day for the workspace's own traffic sources: cost per call x calls."""
    first = end - timedelta(days=generator.DAYS - 1)
    zone = ZoneInfo(WORKSPACE_ZONE)
    origin = int(datetime.combine(first, time(), zone).timestamp())
    day = (block.started_at - origin) // 86_400
    rows = []
    rng = np.random.default_rng(len(block.sid))
    for p_idx, publisher in enumerate(PUBLISHERS):
        if not publisher.cost_per_call_cents:
            continue
        for c_idx, campaign in enumerate(CAMPAIGNS):
            mask = (block.publisher_idx == p_idx) & (block.campaign_idx == c_idx)
            if not mask.any():
                continue
            per_day = np.bincount(np.clip(day[mask], 0, generator.DAYS - 1),
                                  minlength=generator.DAYS)
            noise = rng.uniform(0.8, 1.2, size=generator.DAYS)
            cents = np.rint(per_day * publisher.cost_per_call_cents * noise).astype(np.int64)
            rows.extend({
                "day": (first + timedelta(days=d)).isoformat(),
                "campaign_id": ids["campaign"][campaign.name],
                "publisher_id": ids["publisher"][publisher.name],
                "source": publisher.name.replace(" (own)", ""),
                "amount_micros": int(cents[d]) * 10_000, "import_id": None}
                for d in np.flatnonzero(cents).tolist())
    if rows:
        conn.execute(insert(m.MediaSpend), rows)
    return len(rows)
