"""What ppcdesk needs from a telephony provider, as a small Protocol with plain records.

Every adapter (Twilio today) validates what comes back and turns each failure into one named
error below, so the sync never sees an SDK type or an HTTP status. Times are integer UTC epoch
seconds, money integer micros (Twilio's negative "-0.0085" price becomes a positive cost of
8500 micros: ppcdesk stores what the user was charged).

To add a provider: implement TelephonyProvider in its own module (the only one that imports its
SDK), map its records here, and give it a fake for tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, NamedTuple, Protocol, TypeVar

from ppcdesk.core.errors import PpcdeskError


# ------------------------------------------------------------------ errors
class ProviderError(PpcdeskError):
    """A telephony provider could not do what was asked."""


class CredentialsRejectedError(ProviderError):
    """401: the account SID, API key or secret is wrong, or was revoked."""


class AccountSuspendedError(ProviderError):
    """The account exists but is suspended or closed."""


class RateLimitedError(ProviderError):
    """429 after every retry: the provider asks us to slow down."""


class ProviderUnavailableError(ProviderError):
    """5xx after every retry: the provider is having trouble."""


class NetworkDownError(ProviderError):
    """No connection to the provider (offline, DNS, refused, timed out)."""


class BadRecordError(ProviderError):
    """One record that cannot be read; the sync logs it with its sid and goes on."""

    def __init__(self, sid: str, message: str) -> None:
        super().__init__(f"{sid or 'record without sid'}: {message}")
        self.sid = sid


T = TypeVar("T")


# ------------------------------------------------------------------ records
@dataclass(frozen=True, slots=True)
class AccountStatus:
    sid: str
    friendly_name: str
    status: str  # active | suspended | closed


@dataclass(frozen=True, slots=True)
class NumberRecord:
    """A phone number the account owns (Twilio: an IncomingPhoneNumber)."""

    sid: str
    e164: str
    friendly_name: str
    created_at: int | None


# Call legs and recordings are named tuples, not frozen dataclasses: a first sync builds one per
# leg (200,000 for 100,000 calls), and a frozen dataclass's __init__ (one object.__setattr__
# per field) cost four times a tuple's; they stay immutable, typed and named. Their first ten
# fields are in call_legs' column order, so a leg's row is a slice.
class CallRecord(NamedTuple):
    """One call leg as the provider reports it."""

    sid: str
    parent_sid: str | None  # set on forwarded (child) legs
    from_number: str
    to_number: str
    status: str
    direction: str  # inbound | outbound-dial | outbound-api
    started_at: int | None  # None: never dialled
    ended_at: int | None  # None: not completed yet
    duration_s: int
    cost_micros: int | None  # None: not rated yet
    phone_number_sid: str | None  # the account number an inbound leg reached


class RecordingRecord(NamedTuple):
    sid: str
    call_sid: str  # always the parent leg
    started_at: int | None
    duration_s: int
    channels: int
    status: str
    cost_micros: int | None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing: its records, and where the next page is (None: the last)."""

    records: tuple[T, ...]
    next_cursor: str | None
    bad: tuple[BadRecordError, ...] = ()


class TelephonyProvider(Protocol):
    """The calls ppcdesk makes to a provider; each may raise the errors above."""

    def account(self) -> AccountStatus:
        """Check the credentials and the account's standing (Test connection)."""
        ...

    def numbers(self) -> Iterator[Page[NumberRecord]]:
        """Every number the account owns now (released ones are simply absent)."""
        ...

    def calls(self, started_from: int, started_before: int | None,
              cursor: str | None = None) -> Iterator[Page[CallRecord]]:
        """Every call leg that started in [started_from, started_before), in pages.

        ``cursor`` resumes a listing at the page a previous run had reached.
        """
        ...

    def recordings(self, created_from: int, cursor: str | None = None
                   ) -> Iterator[Page[RecordingRecord]]:
        """Every recording created since ``created_from``, in pages."""
        ...

    def download_recording(self, sid: str, target: Path) -> int:
        """Write the recording's MP3 to ``target`` (the caller makes it atomic); bytes written."""
        ...

    def delete_recording(self, sid: str) -> None:
        """Delete the recording on the provider for good (one already gone is not an error)."""
        ...
