"""Read the user's Twilio account through the official SDK, as a TelephonyProvider.

Why one module: it is the only importer of ``twilio`` (an import-linter contract says so), so an
SDK upgrade or a wire-format surprise is fixed here and nowhere else. Three jobs:

* route: every request, ``next_page_uri`` follow-ups included, goes through one HTTP client that
  rewrites ``https://*.twilio.com`` to ``base_url`` (``PPCDESK_TWILIO_API_URL``, tests and
  mocks) and retries 429, 5xx and dropped connections with retry.py's backoff;
* translate: each failure becomes one named error from provider.py;
* read: each page is requested with the SDK's ``Client.request`` (its auth, headers and HTTP
  client, so the routing and retries above) and read by a ``twilio.base.page.Page`` (the SDK's
  rules for where the records and the next link are) whose body twilio_records.py decodes
  into one small struct per record (no ``*Instance`` objects: they cost more than the
  transfer); twilio_records.py then makes each one a provider record or a BadRecordError
  naming its sid, so one odd record never aborts a listing.

Why not ``CallList.page()``: it decodes the whole body with the standard library's ``json``
into a ``CallPage``, and that decoding alone cost a third of reading a 100k-call listing;
decoding only the fields ppcdesk reads costs a sixth of it. The request sent is the one
``CallList.page()`` sends (same path, same filters serialized by the SDK's ``serialize``).

Cursors are the ``next_page_uri`` Twilio sent (``/2010-04-01/Accounts/AC.../Calls.json?...``):
they carry the listing's filters, so a resumed listing continues the same window.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from twilio.base import serialize
from twilio.base.exceptions import TwilioException
from twilio.base.page import Page as SdkPage
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ppcdesk.telephony.provider import (
    AccountStatus,
    AccountSuspendedError,
    BadRecordError,
    CallRecord,
    CredentialsRejectedError,
    NetworkDownError,
    NumberRecord,
    Page,
    ProviderError,
    RecordingRecord,
)
from ppcdesk.telephony.retry import DEFAULT_POLICY, NETWORK_ERRORS, Retrier, RetryPolicy, describe
from ppcdesk.telephony.twilio_records import (
    SID,
    call_record,
    decode_page,
    number_record,
    parse_rfc2822,
    recording_record,
)

__all__ = ["API_URL_VARIABLE", "DEFAULT_API_URL", "TwilioProvider", "parse_rfc2822", "reroute"]

_log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.twilio.com"
API_URL_VARIABLE = "PPCDESK_TWILIO_API_URL"
_TWILIO_HOST = re.compile(r"^https://(?:[A-Za-z0-9-]+\.)*twilio\.com(?=[/?]|$)")
_SUSPENDED_CODE = 20005  # "Account not active"
T = TypeVar("T")


def _http_error(status: int, body: str) -> ProviderError:
    """Turn a Twilio error answer ({"code", "message", ...}) into one named error."""
    code, message = status, ""
    try:
        payload = json.loads(body)
        code, message = int(payload.get("code") or status), str(payload.get("message") or "")
    except (ValueError, TypeError, AttributeError):
        pass
    if status in {401, 403} and code == _SUSPENDED_CODE:
        return AccountSuspendedError(f"the Twilio account is not active (Twilio error {code}); "
                                     "check its status in the Twilio console")
    if status == 401:
        return CredentialsRejectedError(
            f"credentials rejected (Twilio error {code}): check the Account SID and the auth "
            "token or API key, which may have been revoked")
    return ProviderError(f"Twilio answered HTTP {status} (error {code}: {message or 'no detail'})")


class _RoutingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's documented extension point: reroute to ``base_url``, retry, name errors."""

    def __init__(self, base_url: str, retrier: Retrier, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base_url, self._retrier = base_url, retrier

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Any:
        url = reroute(url, self._base_url)

        def send() -> Any:
            return super(_RoutingHttpClient, self).request(
                method, url, params=params, data=data, headers=headers, auth=auth,
                timeout=timeout, allow_redirects=allow_redirects)

        answer = self._retrier.send(send, urlsplit(url).netloc)
        if answer.status_code >= 400:
            raise _http_error(answer.status_code, answer.text)
        return answer


def reroute(url: str, base_url: str) -> str:
    """Point a Twilio URL at ``base_url`` (``https://api.twilio.com/x`` -> ``{base_url}/x``)."""
    return _TWILIO_HOST.sub(base_url.rstrip("/"), url, count=1)


class TwilioProvider:
    """A TelephonyProvider over one Twilio account, with an auth token or an API key."""

    def __init__(self, account_sid: str, *, auth_token: str | None = None,
                 api_key_sid: str | None = None, api_key_secret: str | None = None,
                 base_url: str | None = None, sleep: Callable[[float], object] = time.sleep,
                 page_size: int = 1000, policy: RetryPolicy = DEFAULT_POLICY,
                 jitter: Callable[[], float] = random.random, timeout: float = 30.0) -> None:
        if not SID["AC"].fullmatch(account_sid):
            raise CredentialsRejectedError(
                "an Account SID is AC followed by 32 hexadecimal digits; check for a typo")
        if api_key_sid and api_key_secret:
            username, password = api_key_sid, api_key_secret
        elif auth_token:
            username, password = account_sid, auth_token
        else:
            raise ValueError("give an auth token, or an API key SID with its secret")
        if not 1 <= page_size <= 1000:  # Twilio refuses more; the SDK would not stop us
            raise ValueError(f"page_size must be 1..1000, not {page_size}")
        self.account_sid = account_sid
        self.base_url = (base_url or os.environ.get(API_URL_VARIABLE) or DEFAULT_API_URL
                         ).rstrip("/")
        self._page_size, self._timeout = page_size, timeout
        self._retrier = Retrier(policy, sleep, jitter)
        self._auth = (username, password)
        self._session = requests.Session()
        self._http = _RoutingHttpClient(self.base_url, self._retrier, timeout)
        self._client = Client(username, password, account_sid, http_client=self._http)
        self._version = self._client.api.v2010
        self._account = self._version.account

    def __repr__(self) -> str:  # never the secret
        return f"TwilioProvider({self.account_sid!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        """Release the pooled connections (the SDK's and the downloads')."""
        self._session.close()
        if self._http.session is not None:
            self._http.session.close()

    def __enter__(self) -> TwilioProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def account(self) -> AccountStatus:
        """Fetch the account: proves the credentials and reads its standing."""
        fetched = _read(lambda: self._client.api.v2010.accounts(self.account_sid).fetch())
        status = str(fetched.status or "")
        if status in {"suspended", "closed"}:
            raise AccountSuspendedError(f"the Twilio account {self.account_sid} is {status}")
        return AccountStatus(str(fetched.sid or self.account_sid),
                             str(fetched.friendly_name or ""), status)

    def numbers(self) -> Iterator[Page[NumberRecord]]:
        return self._pages("IncomingPhoneNumbers", {}, None, number_record)

    def calls(self, started_from: int, started_before: int | None,
              cursor: str | None = None) -> Iterator[Page[CallRecord]]:
        """Every leg (parents and children) with ``StartTime>`` / ``StartTime<`` filters.

        Twilio may read the filters by day only: records just outside the window can come
        back, which an upsert by sid absorbs.
        """
        window = {"StartTime>": _utc(started_from)}
        if started_before is not None:
            window["StartTime<"] = _utc(started_before)
        return self._pages("Calls", window, cursor, call_record)

    def recordings(self, created_from: int, cursor: str | None = None
                   ) -> Iterator[Page[RecordingRecord]]:
        return self._pages("Recordings", {"DateCreated>": _utc(created_from)}, cursor,
                           recording_record)

    def download_recording(self, sid: str, target: Path) -> int:
        """Stream ``{media}.mp3`` into ``target`` (Basic auth; redirects to storage followed)."""
        if not SID["RE"].fullmatch(sid):
            raise BadRecordError(sid, "not a recording SID")
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}.mp3"

        def fetch() -> requests.Response:
            return self._session.get(url, auth=self._auth, stream=True, allow_redirects=True,
                                     timeout=self._timeout)

        for attempt in range(self._retrier.policy.network_attempts):
            answer = self._retrier.send(fetch, urlsplit(url).netloc)
            with answer:
                if answer.status_code in {404, 410}:
                    raise BadRecordError(sid, f"Twilio has no audio for it (HTTP "
                                              f"{answer.status_code})")
                if answer.status_code >= 400:
                    raise _http_error(answer.status_code, answer.text)
                try:
                    written = 0
                    with target.open("wb") as out:
                        for chunk in answer.iter_content(chunk_size=64 * 1024):
                            written += out.write(chunk)
                except (*NETWORK_ERRORS, requests.exceptions.ChunkedEncodingError) as exc:
                    _log.warning("download of %s broke off (%s); attempt %d", sid, describe(exc),
                                 attempt + 1)
                    continue
                return written
        raise NetworkDownError(f"the download of recording {sid} kept breaking off")

    def delete_recording(self, sid: str) -> None:
        """DELETE the recording (Twilio answers 204); a 404 means it is gone already."""
        if not SID["RE"].fullmatch(sid):
            raise BadRecordError(sid, "not a recording SID")
        try:
            _read(lambda: self._account.recordings(sid).delete())
        except ProviderError as exc:
            if "HTTP 404" not in str(exc):
                raise

    # ------------------------------------------------------------------ paging
    def _pages(self, resource: str, filters: dict[str, datetime], cursor: str | None,
               mapper: Callable[[object], T]) -> Iterator[Page[T]]:
        prefix = f"/2010-04-01/Accounts/{self.account_sid}/{resource}.json"
        if cursor is not None and not cursor.startswith(prefix):
            raise ValueError(f"this cursor does not continue {resource} of {self.account_sid}")
        # The query ``CallList.page(page_size=..., start_time_after=...)`` sends.
        first: dict[str, object] = {
            name: serialize.iso8601_datetime(value) for name, value in filters.items()}
        first["PageSize"] = self._page_size

        page_type = _PAGE_TYPES[resource]

        def fetch(target: str | None) -> _JsonPage:
            url = DEFAULT_API_URL + (target or prefix)
            return _read(lambda: page_type(self._version, self._client.request(
                "GET", url, params=first if target is None else None,
                headers={"Accept": "application/json"})))

        page = fetch(cursor)
        while True:
            records, bad = _map_page(page, mapper)
            next_cursor = _next_cursor(page)
            problem = None
            if next_cursor is not None and not next_cursor.startswith(prefix):
                problem = f"a next-page link outside this listing ({next_cursor[:80]!r})"
            elif next_cursor is not None and next_cursor == cursor:
                problem = "the same next-page link twice"
            if problem:  # stop, and say so: the sync logs it, the next overlap window re-reads
                bad.append(BadRecordError("", f"{resource}: Twilio sent {problem}; the listing "
                                              "stops here"))
                next_cursor = None
            yield Page(tuple(records), next_cursor, tuple(bad))
            if next_cursor is None:
                return
            cursor = next_cursor
            page = fetch(cursor)


class _JsonPage(SdkPage):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's page of a listing whose records are under ``key``, its body decoded by
    twilio_records.decode_page (see the module docstring).

    ``Page`` answers where the records are (``load_page``) and the next link
    (``next_page_url``); a page's records are never turned into ``*Instance`` objects here.
    """

    key = ""

    @classmethod
    def process_response(cls, response: Any) -> Any:
        if response.status_code != 200:  # what the SDK's Page checks
            raise TwilioException("Unable to fetch page", response)
        payload = decode_page(response.text, cls.key)
        if not isinstance(payload, dict):  # load_page would fail on it with an AttributeError
            raise TwilioException(f"a page that is a JSON {type(payload).__name__}, "
                                  "not an object")
        return payload


class _CallsPage(_JsonPage):
    key = "calls"


class _NumbersPage(_JsonPage):
    key = "incoming_phone_numbers"


class _RecordingsPage(_JsonPage):
    key = "recordings"


_PAGE_TYPES: dict[str, type[_JsonPage]] = {
    "Calls": _CallsPage, "IncomingPhoneNumbers": _NumbersPage, "Recordings": _RecordingsPage}


def _next_cursor(page: Any) -> str | None:
    """Return the page's ``next_page_uri`` as a host-free cursor, or None on the last page."""
    try:
        url = page.next_page_url
    except (TypeError, AttributeError):  # a link that is not even text
        return "?"
    if not url:
        return None
    parts = urlsplit(str(url))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _read(fetch: Callable[[], T]) -> T:
    """Run one SDK call; what the HTTP client did not already name becomes a ProviderError."""
    try:
        return fetch()
    except ProviderError:
        raise
    except (TwilioException, ValueError) as exc:  # decode_page raises ValueError
        raise ProviderError(f"Twilio sent an answer that cannot be read: {exc}") from exc


def _map_page(page: Any, mapper: Callable[[object], T]
              ) -> tuple[list[T], list[BadRecordError]]:
    """Map the page's records as decoded: one decoding per page, no ``*Instance`` objects
    (twilio_records.py reads and checks each field instead)."""
    records: list[T] = []
    bad: list[BadRecordError] = []
    for item in _decoded(page):
        try:
            records.append(mapper(item))
        except BadRecordError as exc:
            _log.warning("skipped a record Twilio sent: %s", exc)
            bad.append(exc)
    return records, bad


def _decoded(page: Any) -> list[object]:
    """The page's records as dicts: twilio.base.page.Page keeps the decoded body in
    ``_payload`` and picks the records' key with ``load_page`` (a test pins both)."""
    records = _read(lambda: page.load_page(page._payload))
    if not isinstance(records, list):
        raise ProviderError(f"Twilio sent a page whose records are a "
                            f"{type(records).__name__}, not a list")
    return records


def _utc(epoch: int) -> datetime:
    # The SDK formats with strftime and ignores tzinfo: the datetime must already be UTC.
    return datetime.fromtimestamp(epoch, UTC)
