"""The domain's vocabulary and its records, as frozen values.

Storage keeps these as rows (times as integer UTC epoch seconds, money as integer micros); the
services hand these records to the UI and the CLI. A call is one inbound call to a tracking
number: its own fields are the parent (inbound) leg's, and its forwarded child legs hang off it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WorkspaceRole(StrEnum):
    PUBLISHER = "publisher"  # buys media, owns numbers, is paid per qualified call
    BUYER = "buyer"  # pays per qualified call
    NETWORK = "network"  # both: receives from buyers, pays publishers


class CallStatus(StrEnum):
    """Twilio's call statuses, as they arrive."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"

    @property
    def final(self) -> bool:
        return self not in {CallStatus.QUEUED, CallStatus.RINGING, CallStatus.IN_PROGRESS}


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND_DIAL = "outbound-dial"
    OUTBOUND_API = "outbound-api"


class PartnerKind(StrEnum):
    PUBLISHER = "publisher"  # an affiliate sending calls
    TRAFFIC_SOURCE = "traffic_source"  # the workspace's own media (Google Ads, Facebook...)


class Counterparty(StrEnum):
    BUYER = "buyer"  # a contract with a buyer: what they pay (revenue)
    PUBLISHER = "publisher"  # a contract with a publisher: what we pay (payout)


class NumberStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


class RecordingFileState(StrEnum):
    REMOTE = "remote"  # on Twilio only
    CACHED = "cached"  # downloaded into the recordings cache
    BUNDLED = "bundled"  # demo audio shipped in resources/
    EXPIRED = "expired"  # audio dropped by the retention policy; metadata kept
    DELETED = "deleted"  # deleted on Twilio and not cached
    LOCAL_ONLY = "local_only"  # deleted on Twilio after a verified download: the only copy


class DispositionCode(StrEnum):
    QUALIFIED = "qualified"
    NOT_QUALIFIED = "not_qualified"
    CONVERTED = "converted"
    WRONG_NUMBER = "wrong_number"
    SPAM = "spam"
    FOLLOW_UP = "follow_up"


class DisputeStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Workspace:
    name: str
    role: WorkspaceRole
    timezone: str
    currency: str
    is_demo: bool


@dataclass(frozen=True, slots=True)
class CallRow:
    """One line of the call log."""

    id: int
    sid: str
    started_at: int  # UTC epoch seconds
    caller: str  # E.164 or "anonymous"
    caller_state: str | None
    tracking_number: str
    campaign: str | None
    publisher: str | None
    buyer: str | None
    status: str
    duration_s: int  # the caller's whole time (parent leg)
    connected_s: int  # talk time with the buyer (answered child leg)
    time_to_answer_s: int | None
    cost_micros: int | None  # Twilio's charge for all legs, None until rated
    has_recording: bool


@dataclass(frozen=True, slots=True)
class TrackingNumberRow:
    id: int
    e164: str
    friendly_name: str
    provider_sid: str | None
    campaign: str | None
    publisher: str | None
    monthly_cost_micros: int
    status: str
    calls: int
    last_call_at: int | None


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    name: str
    vertical: str
    timezone: str
    numbers: int
    calls: int


@dataclass(frozen=True, slots=True)
class PublisherRow:
    id: int
    name: str
    kind: str
    numbers: int
    calls: int


@dataclass(frozen=True, slots=True)
class BuyerRow:
    id: int
    name: str
    destinations: tuple[str, ...]
    answered_calls: int


@dataclass(frozen=True, slots=True)
class ContractRow:
    id: int
    name: str
    campaign: str | None
    counterparty_kind: str
    counterparty: str
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class ImportRow:
    id: int
    kind: str
    file_name: str
    partner: str | None
    rows_ok: int
    rows_failed: int
    status: str
    created_at: int


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: int
    call_sid: str | None
    partner: str | None
    status: str
    reason: str
    claimed_micros: int
    recovered_micros: int
    deadline: str | None


@dataclass(frozen=True, slots=True)
class SyncRunRow:
    id: int
    kind: str  # twilio | demo
    started_at: int
    finished_at: int | None
    status: str
    summary: str


@dataclass(frozen=True, slots=True)
class DailyVolume:
    day: str  # ISO date in the workspace's zone
    calls: int
    answered: int


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    """The handful of figures the foundation's dashboard shows (the KPI catalogue adds more)."""

    calls: int
    answered: int
    unique_callers: int
    talk_seconds: int
    telco_cost_micros: int
    media_spend_micros: int


class AuthKind(StrEnum):
    """How ppcdesk signs in to a Twilio account."""

    # The account's master token: works, but cannot be revoked alone.
    AUTH_TOKEN = "auth_token"  # noqa: S105 - the kind's name, not a token
    API_KEY = "api_key"  # an API key SID + secret: recommended, revocable on its own


@dataclass(frozen=True, slots=True)
class AccountRow:
    """A Twilio account ppcdesk syncs. Never carries the secret, only whether one is at hand.

    Times are UTC epoch seconds: ``sync_from`` where the first sync starts, ``checkpoint_at``
    how far calls are synced (the next sync starts there, minus an overlap), ``last_sync_at``
    when a sync last finished.
    """

    id: int
    account_sid: str
    label: str
    auth_kind: AuthKind
    api_key_sid: str | None
    last_sync_at: int | None
    checkpoint_at: int | None
    secret_available: bool  # a secret in the keyring, this session, or the environment
    sync_from: int | None


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What one sync run brought, and why records were skipped (``ppcdesk sync`` prints it).

    ``status``: running | ok | failed | cancelled. A failed or cancelled run resumes where it
    stopped at the next sync. ``skipped_reasons`` counts skipped records per reason code
    (``leg_without_inbound_parent``, ``not_inbound_to_account_number``, ``bad_record``,
    ``recording_without_call``, ``download_failed``); ``skipped_examples`` names a few sids.
    """

    run_id: int
    account_sid: str | None
    status: str
    phase: str | None
    started_at: int
    finished_at: int | None
    window_from: int | None
    window_to: int | None
    numbers: int
    calls: int
    legs: int
    recordings: int
    downloaded: int
    downloaded_bytes: int
    skipped: int
    skipped_reasons: dict[str, int]
    skipped_examples: dict[str, tuple[str, ...]]
    pages: int
    legs_seen: int
    error: str | None
