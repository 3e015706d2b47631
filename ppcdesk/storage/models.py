"""The schema, as SQLAlchemy 2 typed models. docs/schema.md explains every table.

Conventions: times are integer UTC epoch seconds (columns ending ``_at``); money is integer
micros (columns ending ``_micros``); days are ISO ``YYYY-MM-DD`` text in the zone named beside
them. A call row *is* its parent (inbound) leg; its forwarded child legs are ``call_legs``.
Changing anything here needs an Alembic revision (``tests/storage/test_migrations.py`` compares
the migrated schema with these models).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ppcdesk.storage.dialect import Flag

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Micros = BigInteger
Epoch = BigInteger


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class WorkspaceInfo(Base):
    """One row: what this database is."""

    __tablename__ = "workspace"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # publisher | buyer | network
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    is_demo: Mapped[bool] = mapped_column(Flag, default=False)
    created_at: Mapped[int] = mapped_column(Epoch)
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class TelephonyAccount(Base):
    """A Twilio account. The secret is in the OS keyring, under ``keyring_key``; never here."""

    __tablename__ = "telephony_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="twilio")
    account_sid: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    auth_kind: Mapped[str] = mapped_column(String(20))  # auth_token | api_key
    api_key_sid: Mapped[str | None] = mapped_column(String(64))
    keyring_key: Mapped[str] = mapped_column(String(200))
    sync_from: Mapped[int | None] = mapped_column(Epoch)  # first sync starts here
    checkpoint_at: Mapped[int | None] = mapped_column(Epoch)  # calls synced up to here
    last_sync_at: Mapped[int | None] = mapped_column(Epoch)
    created_at: Mapped[int] = mapped_column(Epoch)


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    vertical: Mapped[str] = mapped_column(String(100), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(Epoch)


class Publisher(Base):
    """Who sends the calls: an affiliate, or the workspace's own traffic source."""

    __tablename__ = "publishers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="publisher")
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[int] = mapped_column(Epoch)


class Buyer(Base):
    __tablename__ = "buyers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[int] = mapped_column(Epoch)


class BuyerDestination(Base):
    """A number calls are forwarded to; the child leg's ``to`` names the buyer who answered."""

    __tablename__ = "buyer_destinations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")


class TrackingNumber(Base):
    __tablename__ = "tracking_numbers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("telephony_accounts.id"))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    friendly_name: Mapped[str] = mapped_column(String(200), default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"), index=True)
    monthly_cost_micros: Mapped[int] = mapped_column(Micros, default=0)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | released
    acquired_at: Mapped[int | None] = mapped_column(Epoch)
    released_at: Mapped[int | None] = mapped_column(Epoch)


class Call(Base):
    """One inbound call to a tracking number: the parent leg plus facts derived from its legs.

    ``campaign_id`` and ``publisher_id`` are copied from the number when the call arrives, so
    moving a number later does not rewrite history.
    """

    __tablename__ = "calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("telephony_accounts.id"))
    tracking_number_id: Mapped[int | None] = mapped_column(ForeignKey("tracking_numbers.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"))
    caller: Mapped[str] = mapped_column(String(32))  # E.164, or "anonymous"
    caller_state: Mapped[str | None] = mapped_column(String(2))
    called: Mapped[str] = mapped_column(String(32))  # the tracking number dialled
    status: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    started_at: Mapped[int] = mapped_column(Epoch)
    ended_at: Mapped[int | None] = mapped_column(Epoch)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)  # caller's whole time
    cost_micros: Mapped[int | None] = mapped_column(Micros)  # parent leg charge; None: unrated
    # Derived from the child legs at ingest:
    connected_s: Mapped[int] = mapped_column(Integer, default=0)  # talk time with the buyer
    time_to_answer_s: Mapped[int | None] = mapped_column(Integer)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id"))  # who answered
    legs_cost_micros: Mapped[int | None] = mapped_column(Micros)  # child legs' charges
    updated_at: Mapped[int] = mapped_column(Epoch)
    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_caller_started", "caller", "started_at"),
        Index("ix_calls_campaign_started", "campaign_id", "started_at"),
        Index("ix_calls_publisher_started", "publisher_id", "started_at"),
    )


class CallLeg(Base):
    """A forwarded (child) leg: ``direction=outbound-dial``, its parent is the call ``call_sid``."""

    __tablename__ = "call_legs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    # The parent's sid is the link: Twilio names it, so a leg can be stored without a lookup.
    call_sid: Mapped[str] = mapped_column(
        ForeignKey("calls.sid", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20), default="outbound-dial")
    started_at: Mapped[int | None] = mapped_column(Epoch)
    ended_at: Mapped[int | None] = mapped_column(Epoch)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    cost_micros: Mapped[int | None] = mapped_column(Micros)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id"))


class Recording(Base):
    __tablename__ = "recordings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(  # Twilio always names the parent leg
        ForeignKey("calls.sid", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    started_at: Mapped[int | None] = mapped_column(Epoch)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    channels: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="completed")
    cost_micros: Mapped[int | None] = mapped_column(Micros)
    file_state: Mapped[str] = mapped_column(String(20), default="remote")
    local_path: Mapped[str | None] = mapped_column(String(500))  # relative to cache/resources
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))


class Contract(Base):
    """Terms binding a campaign to one buyer (revenue) or one publisher (payout)."""

    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    counterparty_kind: Mapped[str] = mapped_column(String(20))  # buyer | publisher
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id"))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"))
    active: Mapped[bool] = mapped_column(Flag, default=True)
    created_at: Mapped[int] = mapped_column(Epoch)


class ContractVersion(Base):
    """An immutable revision of a contract's terms (TOML text, as imported)."""

    __tablename__ = "contract_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    terms: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[int | None] = mapped_column(Epoch)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(Epoch)
    __table_args__ = (UniqueConstraint("contract_id", "version"),)


class CallOutcome(Base):
    """What one contract decided about one call, with machine-readable reasons (JSON list)."""

    __tablename__ = "call_outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    contract_version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id"))
    billable: Mapped[bool] = mapped_column(Flag)  # buyer contracts: the buyer pays
    payable: Mapped[bool] = mapped_column(Flag)  # publisher contracts: we pay
    revenue_micros: Mapped[int] = mapped_column(Micros, default=0)
    payout_micros: Mapped[int] = mapped_column(Micros, default=0)
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    # ppcdesk.core.reasons.ReasonFlag bits of the reasons above (revision 0003): 0 = qualified.
    flags: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    duplicate_of_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    evaluated_at: Mapped[int] = mapped_column(Epoch)
    __table_args__ = (
        UniqueConstraint("call_id", "contract_id"),
        # With flags: a contract's earlier verdicts (its caps count them) come from the index
        # alone, without reading the wide outcome rows (billing_store.qualified_calls).
        Index("ix_call_outcomes_contract_call", "contract_id", "call_id", "flags"),
    )


class OutcomeAdjustment(Base):
    """A manual override of an outcome, with its audit trail; survives re-evaluation."""

    __tablename__ = "outcome_adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(30))  # billable | payable | revenue | payout
    before: Mapped[str] = mapped_column(String(100))
    after: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(Epoch)


class Disposition(Base):
    """A reviewer's verdict on a call; the latest one counts, the rest is history."""

    __tablename__ = "dispositions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    sale_micros: Mapped[int | None] = mapped_column(Micros)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(Epoch)


class CallNote(Base):
    __tablename__ = "call_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[int] = mapped_column(Epoch)


class MediaSpend(Base):
    """What was spent on media one day, per campaign, publisher and source."""

    __tablename__ = "media_spend"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # ISO date in the workspace's zone
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"))
    source: Mapped[str] = mapped_column(String(100), default="")
    amount_micros: Mapped[int] = mapped_column(Micros)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    __table_args__ = (
        UniqueConstraint("day", "campaign_id", "publisher_id", "source"),
    )


class ImportRecord(Base):
    """A file brought in (statement, spend, calls, contracts), kept to show and to undo."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str | None] = mapped_column(String(200))
    preset: Mapped[str | None] = mapped_column(String(200))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))  # done | failed | undone
    created_at: Mapped[int] = mapped_column(Epoch)


class Dispute(Base):
    __tablename__ = "disputes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    partner_kind: Mapped[str] = mapped_column(String(20))  # buyer | publisher | network
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id"))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("publishers.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    status: Mapped[str] = mapped_column(String(30), default="open")
    reason: Mapped[str] = mapped_column(Text)
    claimed_micros: Mapped[int] = mapped_column(Micros, default=0)
    recovered_micros: Mapped[int] = mapped_column(Micros, default=0)
    deadline: Mapped[str | None] = mapped_column(String(10))  # ISO date
    opened_at: Mapped[int] = mapped_column(Epoch)
    updated_at: Mapped[int] = mapped_column(Epoch)


class SyncRun(Base):
    """One sync (or demo generation): when, how it ended, what it brought (JSON summary)."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("telephony_accounts.id"))
    kind: Mapped[str] = mapped_column(String(20), default="twilio")  # twilio | demo
    started_at: Mapped[int] = mapped_column(Epoch)
    finished_at: Mapped[int | None] = mapped_column(Epoch)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed | cancelled
    summary: Mapped[str] = mapped_column(Text, default="{}")
    # Where a Twilio sync is, committed with every page so a stopped sync resumes there:
    # phase numbers | calls | recordings | media | done; the calls window [from, to); the
    # provider's cursor of the next page to fetch (None: from the first page of the phase).
    phase: Mapped[str | None] = mapped_column(String(20))
    window_from: Mapped[int | None] = mapped_column(Epoch)
    window_to: Mapped[int | None] = mapped_column(Epoch)
    cursor: Mapped[str | None] = mapped_column(Text)


class PendingLeg(Base):
    """A child leg that arrived before its parent call (pages come in no set order).

    Held here, committed with its page, until the parent is stored; then moved to call_legs.
    Those whose parent never turns up as an inbound call to the account are dropped (and
    counted as skipped) when the calls phase of the sync ends. Columns as in ``call_legs``.
    """

    __tablename__ = "pending_legs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("telephony_accounts.id", ondelete="CASCADE"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)  # the parent, not here yet
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20), default="outbound-dial")
    started_at: Mapped[int | None] = mapped_column(Epoch)
    ended_at: Mapped[int | None] = mapped_column(Epoch)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    cost_micros: Mapped[int | None] = mapped_column(Micros)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id", ondelete="SET NULL"))


# ======== billing (issue 4, revision 0003)
class ContractEvaluation(Base):
    """Where the evaluation of one contract stands, so the next one can be incremental.

    ``contract_version_id`` is the newest version evaluated (a new version means: evaluate the
    contract again in full); ``calls_seen_at`` is the newest ``calls.updated_at`` the evaluation
    saw: calls written after it (a sync) are what the next incremental run starts from.
    """

    __tablename__ = "contract_evaluations"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"),
                                             primary_key=True)
    contract_version_id: Mapped[int] = mapped_column(
        ForeignKey("contract_versions.id", ondelete="CASCADE"))
    calls_seen_at: Mapped[int] = mapped_column(Epoch)
    evaluated_at: Mapped[int] = mapped_column(Epoch)


# The incremental evaluation asks "which calls changed since": a range scan on this index.
Index("ix_calls_updated_at", Call.updated_at)
# An adjustment is looked up per contract when outcomes are stored again on top of it.
Index("ix_outcome_adjustments_contract_call", OutcomeAdjustment.contract_id,
      OutcomeAdjustment.call_id)



# ======== KPI rollups (issue 5, revision 0003)
# Per-call facts summed by hour and by day (ppcdesk.kpi.catalog.MEASURES defines each, in this
# order), so a year's dashboard reads ~250k or ~16k rows instead of a million calls. Dimensions
# are 0 where the call has none (a primary key cannot hold NULL). Kept by
# ppcdesk.kpi.rollups.refresh_rollups after every write of calls, outcomes or dispositions.
KPI_MEASURE_COLUMNS = (
    "calls", "answered", "abandoned", "voicemail", "talk_s", "tta_s", "tta_n", "telco_micros",
    "recorded", "first_calls", "answered_known", "resolved", "evaluated", "billable", "payable",
    "revenue_micros", "payout_micros", "duplicate", "short", "blocked", "after_hours", "over_cap",
    "conversions", "sale_micros", "dur_0", "dur_1", "dur_2", "dur_3", "dur_4", "dur_5", "dur_6",
    "dur_7", "dur_8", "dur_9", "dur_10", "dur_11", "dur_12", "dur_13",
)


class KpiMeasures:
    """The summed per-call facts both rollups share."""

    calls: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    voicemail: Mapped[int] = mapped_column(Integer, default=0)
    talk_s: Mapped[int] = mapped_column(Integer, default=0)
    tta_s: Mapped[int] = mapped_column(Integer, default=0)
    tta_n: Mapped[int] = mapped_column(Integer, default=0)
    telco_micros: Mapped[int] = mapped_column(Micros, default=0)
    recorded: Mapped[int] = mapped_column(Integer, default=0)
    first_calls: Mapped[int] = mapped_column(Integer, default=0)
    answered_known: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    evaluated: Mapped[int] = mapped_column(Integer, default=0)
    billable: Mapped[int] = mapped_column(Integer, default=0)
    payable: Mapped[int] = mapped_column(Integer, default=0)
    revenue_micros: Mapped[int] = mapped_column(Micros, default=0)
    payout_micros: Mapped[int] = mapped_column(Micros, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    short: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    after_hours: Mapped[int] = mapped_column(Integer, default=0)
    over_cap: Mapped[int] = mapped_column(Integer, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)
    sale_micros: Mapped[int] = mapped_column(Micros, default=0)
    dur_0: Mapped[int] = mapped_column(Integer, default=0)
    dur_1: Mapped[int] = mapped_column(Integer, default=0)
    dur_2: Mapped[int] = mapped_column(Integer, default=0)
    dur_3: Mapped[int] = mapped_column(Integer, default=0)
    dur_4: Mapped[int] = mapped_column(Integer, default=0)
    dur_5: Mapped[int] = mapped_column(Integer, default=0)
    dur_6: Mapped[int] = mapped_column(Integer, default=0)
    dur_7: Mapped[int] = mapped_column(Integer, default=0)
    dur_8: Mapped[int] = mapped_column(Integer, default=0)
    dur_9: Mapped[int] = mapped_column(Integer, default=0)
    dur_10: Mapped[int] = mapped_column(Integer, default=0)
    dur_11: Mapped[int] = mapped_column(Integer, default=0)
    dur_12: Mapped[int] = mapped_column(Integer, default=0)
    dur_13: Mapped[int] = mapped_column(Integer, default=0)


class KpiHourly(KpiMeasures, Base):
    """Measures per UTC hour (``started_at / 3600``) and number, campaign, publisher, buyer."""

    __tablename__ = "kpi_hourly"
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_number_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publisher_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = ({"sqlite_with_rowid": False},)


class KpiDaily(KpiMeasures, Base):
    """The same per local day (days since 1970-01-01 in ``kpi_state.zone``)."""

    __tablename__ = "kpi_daily"
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_number_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publisher_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = ({"sqlite_with_rowid": False},)


class KpiState(Base):
    """One row: the zone ``kpi_daily`` counts its days in, and the newest call update summed."""

    __tablename__ = "kpi_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[int] = mapped_column(Epoch)
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# ======== review (issue 6, revision 0003)
class CallReview(Base):
    """Where a reviewer is with one call: reviewed or not, disputed with a reason.

    One row per call that a person touched (a call without one is unreviewed, undisputed), so
    the review queue's "not reviewed yet" filter is an anti-join on a primary key.
    """

    __tablename__ = "call_reviews"
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"),
                                         primary_key=True)
    reviewed_at: Mapped[int | None] = mapped_column(Epoch)
    reviewed_by: Mapped[str] = mapped_column(String(100), default="")
    disputed: Mapped[bool] = mapped_column(Flag, default=False)
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[int] = mapped_column(Epoch)


# The call log's filters and sorts, each served by an index led by the filtered (or sorted)
# column; SQLite adds the rowid (calls.id) to each, which is the keyset's tie-breaker.
Index("ix_calls_buyer_started", Call.buyer_id, Call.started_at)
Index("ix_calls_status_started", Call.status, Call.started_at)
Index("ix_calls_state_started", Call.caller_state, Call.started_at)
Index("ix_calls_number_started", Call.tracking_number_id, Call.started_at)
Index("ix_calls_called", Call.called)
Index("ix_calls_duration", Call.duration_s)
Index("ix_calls_connected", Call.connected_s)
Index("ix_calls_answer", Call.time_to_answer_s)  # the "to answer" sort (review_log)


# ======== recon (issue 7, revision 0003)
class ReconPreset(Base):
    """A named column mapping for one partner's reports (ppcdesk.recon.importers.mapping)."""

    __tablename__ = "recon_presets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    partner: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)  # the preset as JSON
    updated_at: Mapped[int] = mapped_column(Epoch)


class PartnerReportRow(Base):
    """One checked line of an imported partner report; ``line`` is its row in the file."""

    __tablename__ = "partner_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[int] = mapped_column(Epoch)
    caller: Mapped[str | None] = mapped_column(String(32))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    amount_micros: Mapped[int] = mapped_column(Micros, default=0)
    verdict: Mapped[str] = mapped_column(String(20))  # paid | duplicate | short | rejected
    partner_call_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(100), default="")  # their word, as written
    campaign: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (Index("ix_partner_rows_import_started", "import_id", "started_at"),)


class ReconMatch(Base):
    """What the last reconcile made of one partner line: its call and the evidence."""

    __tablename__ = "recon_matches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_row_id: Mapped[int] = mapped_column(
        ForeignKey("partner_rows.id", ondelete="CASCADE"), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(20))  # id|time|shift|ambiguous|unmatched|duplicate
    time_diff_s: Mapped[int] = mapped_column(Integer, default=0)
    shift_s: Mapped[int] = mapped_column(Integer, default=0)
    evidence: Mapped[str] = mapped_column(Text, default="")
    matched_at: Mapped[int] = mapped_column(Epoch)
