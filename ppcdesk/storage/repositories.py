"""Queries, as functions of a connection that return frozen domain records (never ORM rows).

SQL does the counting; the call log is read in key order (keyset paging), never with OFFSET.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from ppcdesk.core import model
from ppcdesk.storage import models as m


def _orm(conn: Connection) -> Session:
    """A session on the caller's connection and transaction, for queries that select models."""
    return Session(bind=conn)


def workspace(conn: Connection) -> model.Workspace | None:
    row = _orm(conn).execute(select(m.WorkspaceInfo)).scalars().first()
    if row is None:
        return None
    return model.Workspace(row.name, model.WorkspaceRole(row.role), row.timezone, row.currency,
                           bool(row.is_demo))


def counts(conn: Connection) -> dict[str, int]:
    """Row counts of what a user has (calls are inbound calls; legs are counted apart)."""
    tables = {
        "calls": m.Call, "legs": m.CallLeg, "recordings": m.Recording,
        "numbers": m.TrackingNumber, "campaigns": m.Campaign, "publishers": m.Publisher,
        "buyers": m.Buyer, "contracts": m.Contract, "outcomes": m.CallOutcome,
        "dispositions": m.Disposition, "spend_days": m.MediaSpend, "imports": m.ImportRecord,
        "disputes": m.Dispute, "accounts": m.TelephonyAccount,
    }
    return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in tables.items()}


@dataclass(frozen=True, slots=True)
class CallKey:
    """Position in the call log: newest first, ties broken by id."""

    started_at: int
    id: int


def calls_page(conn: Connection, after: CallKey | None, limit: int) -> list[model.CallRow]:
    """The next ``limit`` calls after ``after``, newest first (keyset paging)."""
    number = m.TrackingNumber.__table__.alias("n")
    campaign = m.Campaign.__table__.alias("c")
    publisher = m.Publisher.__table__.alias("p")
    buyer = m.Buyer.__table__.alias("b")
    has_rec = select(literal_column("1")).where(m.Recording.call_sid == m.Call.sid).exists()
    query = (
        select(
            m.Call.id, m.Call.sid, m.Call.started_at, m.Call.caller, m.Call.caller_state,
            m.Call.called, campaign.c.name, publisher.c.name, buyer.c.name, m.Call.status,
            m.Call.duration_s, m.Call.connected_s, m.Call.time_to_answer_s,
            (m.Call.cost_micros + func.coalesce(m.Call.legs_cost_micros, 0)),
            has_rec,
        )
        .select_from(m.Call)
        .outerjoin(number, number.c.id == m.Call.tracking_number_id)
        .outerjoin(campaign, campaign.c.id == m.Call.campaign_id)
        .outerjoin(publisher, publisher.c.id == m.Call.publisher_id)
        .outerjoin(buyer, buyer.c.id == m.Call.buyer_id)
        .order_by(m.Call.started_at.desc(), m.Call.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(or_(
            m.Call.started_at < after.started_at,
            and_(m.Call.started_at == after.started_at, m.Call.id < after.id),
        ))
    return [model.CallRow(
        id=r[0], sid=r[1], started_at=r[2], caller=r[3], caller_state=r[4],
        tracking_number=r[5], campaign=r[6], publisher=r[7], buyer=r[8], status=r[9],
        duration_s=r[10], connected_s=r[11], time_to_answer_s=r[12], cost_micros=r[13],
        has_recording=bool(r[14]),
    ) for r in conn.execute(query)]


def count_calls(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(m.Call)).scalar_one()


def tracking_numbers(conn: Connection) -> list[model.TrackingNumberRow]:
    stats = (select(m.Call.tracking_number_id.label("nid"), func.count().label("calls"),
                    func.max(m.Call.started_at).label("last"))
             .group_by(m.Call.tracking_number_id).subquery())
    query = (
        select(m.TrackingNumber, m.Campaign.name, m.Publisher.name, stats.c.calls, stats.c.last)
        .outerjoin(m.Campaign, m.Campaign.id == m.TrackingNumber.campaign_id)
        .outerjoin(m.Publisher, m.Publisher.id == m.TrackingNumber.publisher_id)
        .outerjoin(stats, stats.c.nid == m.TrackingNumber.id)
        .order_by(m.TrackingNumber.e164)
    )
    return [model.TrackingNumberRow(
        id=n.id, e164=n.e164, friendly_name=n.friendly_name, provider_sid=n.provider_sid,
        campaign=campaign, publisher=publisher, monthly_cost_micros=n.monthly_cost_micros,
        status=n.status, calls=calls or 0, last_call_at=last,
    ) for n, campaign, publisher, calls, last in _orm(conn).execute(query)]


def campaigns(conn: Connection) -> list[model.CampaignRow]:
    numbers = (select(m.TrackingNumber.campaign_id.label("cid"), func.count().label("n"))
               .group_by(m.TrackingNumber.campaign_id).subquery())
    calls = (select(m.Call.campaign_id.label("cid"), func.count().label("n"))
             .group_by(m.Call.campaign_id).subquery())
    query = (select(m.Campaign, numbers.c.n, calls.c.n)
             .outerjoin(numbers, numbers.c.cid == m.Campaign.id)
             .outerjoin(calls, calls.c.cid == m.Campaign.id)
             .order_by(m.Campaign.name))
    return [model.CampaignRow(c.id, c.name, c.vertical, c.timezone, n or 0, k or 0)
            for c, n, k in _orm(conn).execute(query)]


def publishers(conn: Connection) -> list[model.PublisherRow]:
    numbers = (select(m.TrackingNumber.publisher_id.label("pid"), func.count().label("n"))
               .group_by(m.TrackingNumber.publisher_id).subquery())
    calls = (select(m.Call.publisher_id.label("pid"), func.count().label("n"))
             .group_by(m.Call.publisher_id).subquery())
    query = (select(m.Publisher, numbers.c.n, calls.c.n)
             .outerjoin(numbers, numbers.c.pid == m.Publisher.id)
             .outerjoin(calls, calls.c.pid == m.Publisher.id)
             .order_by(m.Publisher.name))
    return [model.PublisherRow(p.id, p.name, p.kind, n or 0, k or 0)
            for p, n, k in _orm(conn).execute(query)]


def buyers(conn: Connection) -> list[model.BuyerRow]:
    answered = (select(m.Call.buyer_id.label("bid"), func.count().label("n"))
                .where(m.Call.buyer_id.is_not(None)).group_by(m.Call.buyer_id).subquery())
    rows = _orm(conn).execute(select(m.Buyer, answered.c.n)
                        .outerjoin(answered, answered.c.bid == m.Buyer.id)
                        .order_by(m.Buyer.name)).all()
    destinations: dict[int, list[str]] = {}
    query = select(m.BuyerDestination.buyer_id, m.BuyerDestination.e164).order_by(
        m.BuyerDestination.e164)
    for buyer_id, e164 in conn.execute(query):
        destinations.setdefault(buyer_id, []).append(e164)
    return [model.BuyerRow(b.id, b.name, tuple(destinations.get(b.id, ())), n or 0)
            for b, n in rows]


def contracts(conn: Connection) -> list[model.ContractRow]:
    latest = (select(m.ContractVersion.contract_id.label("cid"),
                     func.max(m.ContractVersion.version).label("v"))
              .group_by(m.ContractVersion.contract_id).subquery())
    query = (select(m.Contract, m.Campaign.name, m.Buyer.name, m.Publisher.name, latest.c.v)
             .outerjoin(m.Campaign, m.Campaign.id == m.Contract.campaign_id)
             .outerjoin(m.Buyer, m.Buyer.id == m.Contract.buyer_id)
             .outerjoin(m.Publisher, m.Publisher.id == m.Contract.publisher_id)
             .outerjoin(latest, latest.c.cid == m.Contract.id)
             .order_by(m.Contract.name))
    return [model.ContractRow(c.id, c.name, campaign, c.counterparty_kind,
                              buyer or publisher or "", bool(c.active), v or 0)
            for c, campaign, buyer, publisher, v in _orm(conn).execute(query)]


def imports(conn: Connection) -> list[model.ImportRow]:
    return [model.ImportRow(i.id, i.kind, i.file_name, i.partner, i.rows_ok, i.rows_failed,
                            i.status, i.created_at)
            for i in _orm(conn).execute(select(m.ImportRecord)
                                  .order_by(m.ImportRecord.created_at.desc())).scalars()]


def disputes(conn: Connection) -> list[model.DisputeRow]:
    query = (select(m.Dispute, m.Call.sid, m.Buyer.name, m.Publisher.name)
             .outerjoin(m.Call, m.Call.id == m.Dispute.call_id)
             .outerjoin(m.Buyer, m.Buyer.id == m.Dispute.buyer_id)
             .outerjoin(m.Publisher, m.Publisher.id == m.Dispute.publisher_id)
             .order_by(m.Dispute.opened_at.desc()))
    return [model.DisputeRow(d.id, sid, buyer or publisher, d.status, d.reason,
                             d.claimed_micros, d.recovered_micros, d.deadline)
            for d, sid, buyer, publisher in _orm(conn).execute(query)]


def last_sync(conn: Connection) -> model.SyncRunRow | None:
    row = _orm(conn).execute(select(m.SyncRun).order_by(m.SyncRun.started_at.desc(),
                                                   m.SyncRun.id.desc()).limit(1)).scalars().first()
    if row is None:
        return None
    return model.SyncRunRow(row.id, row.kind, row.started_at, row.finished_at, row.status,
                            row.summary)


def period_summary(conn: Connection, start: int, end: int, start_day: str,
                   end_day: str) -> model.PeriodSummary:
    """Figures for calls started in [start, end) and spend on days [start_day, end_day]."""
    in_period = and_(m.Call.started_at >= start, m.Call.started_at < end)
    row = conn.execute(select(
        func.count(),
        func.coalesce(func.sum(case((m.Call.buyer_id.is_not(None), 1), else_=0)), 0),
        func.coalesce(func.sum(m.Call.connected_s), 0),
        func.coalesce(func.sum(func.coalesce(m.Call.cost_micros, 0)
                               + func.coalesce(m.Call.legs_cost_micros, 0)), 0),
    ).where(in_period)).one()
    unique = conn.execute(select(func.count()).select_from(
        select(m.Call.caller).where(in_period).group_by(m.Call.caller).subquery())).scalar_one()
    spend = conn.execute(select(func.coalesce(func.sum(m.MediaSpend.amount_micros), 0))
                         .where(m.MediaSpend.day >= start_day, m.MediaSpend.day <= end_day)
                         ).scalar_one()
    # int(): PostgreSQL's SUM of a BIGINT is NUMERIC (a Decimal); money is never a float.
    return model.PeriodSummary(int(row[0]), int(row[1]), int(unique), int(row[2]), int(row[3]),
                               int(spend))


def calls_per_hour(conn: Connection, start: int, end: int) -> list[tuple[int, int, int]]:
    """(UTC hour bucket, calls, answered) for calls in [start, end).

    Grouping by the UTC hour and folding hours into local days in Python is exact for every
    zone with whole-hour offsets, through DST changes, and costs one indexed range scan.
    """
    hour = (m.Call.started_at // 3600).label("h")
    query = (select(hour, func.count(),
                    func.sum(case((m.Call.buyer_id.is_not(None), 1), else_=0)))
             .where(m.Call.started_at >= start, m.Call.started_at < end)
             .group_by(hour).order_by(hour))
    return [(int(h), int(n), int(a)) for h, n, a in conn.execute(query)]


def latest_call_at(conn: Connection) -> int | None:
    value: int | None = conn.execute(select(func.max(m.Call.started_at))).scalar_one()
    return value


# ---------------------------------------------------------------- Twilio accounts (issue 3)
@dataclass(frozen=True, slots=True)
class StoredAccount:
    """An account row and the name of its keyring entry ("" when its secret comes from the
    environment). ``row.secret_available`` is False here: only the services can know."""

    row: model.AccountRow
    keyring_key: str


def accounts(conn: Connection) -> list[StoredAccount]:
    query = select(m.TelephonyAccount).order_by(m.TelephonyAccount.id)
    return [StoredAccount(model.AccountRow(
        id=a.id, account_sid=a.account_sid, label=a.label, auth_kind=model.AuthKind(a.auth_kind),
        api_key_sid=a.api_key_sid, last_sync_at=a.last_sync_at, checkpoint_at=a.checkpoint_at,
        secret_available=False, sync_from=a.sync_from), a.keyring_key)
        for a in _orm(conn).execute(query).scalars()]


def save_account(conn: Connection, *, account_sid: str, label: str, auth_kind: model.AuthKind,
                 api_key_sid: str | None, keyring_key: str, sync_from: int | None,
                 now: int) -> int:
    """Insert the account, or update the one with this SID (new credentials); returns its id.

    An empty ``label`` or a None ``sync_from`` keeps what an existing row has.
    """
    session = _orm(conn)
    row = session.execute(select(m.TelephonyAccount).where(
        m.TelephonyAccount.account_sid == account_sid)).scalars().first()
    if row is None:
        row = m.TelephonyAccount(provider="twilio", account_sid=account_sid, label=label,
                                 auth_kind=str(auth_kind), api_key_sid=api_key_sid,
                                 keyring_key=keyring_key, sync_from=sync_from, created_at=now)
        session.add(row)
    else:
        row.auth_kind = str(auth_kind)
        row.api_key_sid = api_key_sid
        row.keyring_key = keyring_key
        row.label = label or row.label
        row.sync_from = sync_from if sync_from is not None else row.sync_from
    session.flush()
    return row.id


def delete_account(conn: Connection, account_id: int) -> StoredAccount | None:
    """Forget an account; the calls, numbers and sync history it brought stay (unlinked)."""
    found = [a for a in accounts(conn) if a.row.id == account_id]
    if not found:
        return None
    for table in ("calls", "tracking_numbers", "sync_runs"):
        conn.exec_driver_sql(f"UPDATE {table} SET account_id = NULL WHERE account_id = ?",
                             (account_id,))
    conn.exec_driver_sql("DELETE FROM pending_legs WHERE account_id = ?", (account_id,))
    conn.exec_driver_sql("DELETE FROM telephony_accounts WHERE id = ?", (account_id,))
    return found[0]
