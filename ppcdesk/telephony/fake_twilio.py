"""Serve a stateful fake of Twilio's REST API 2010-04-01 on loopback, for tests and benchmarks.

Why: Prism (../shared/twilio) proves the wire shape but answers one example page forever; a sync
also needs behaviour: many pages, child legs, a call that completes between two syncs, a price
that arrives late, a released number, faults, a suspended account. This server speaks Twilio's
wire format (field names, string durations and prices, RFC 2822 dates, paging links, error
bodies; records come from fake_twilio_records), so the official SDK drives it unchanged::

    with FakeTwilio() as fake:
        fake.generate(1000, seed=1)
        provider = TwilioProvider(fake.account_sid, auth_token=fake.auth_token, base_url=fake.url)

Lists come newest first (calls by start time, others by creation), ties by sid, paged by keyset
tokens so a record added mid-listing never shifts a page. Each record's JSON is rendered once
when it changes, so 100,000 calls are served in pages of 1000 at transfer speed. A benchmark can
run it in its own process: ``python -m ppcdesk.telephony.fake_twilio --calls N``.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hmac
import json
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ppcdesk.telephony.fake_twilio_records import (
    API,
    CallSplicer,
    Child,
    Collection,
    FakeCall,
    FakeNumber,
    FakeRecording,
    GeneratedSummary,
    date_bounds,
    generate_account,
    leg,
    render_call_compact,
    render_number,
    render_recording,
    rfc2822,
)

__all__ = ["Child", "FakeCall", "FakeNumber", "FakeRecording", "FakeTwilio", "GeneratedSummary",
           "LoggedRequest"]

_CLIP = Path(__file__).resolve().parents[2] / "resources" / "demo_audio" / "clip_3.mp3"
_ROUTE = re.compile(r"/2010-04-01/Accounts/(AC\w+)(?:\.json|/(\w+)\.json|/Recordings/(RE\w+)\.mp3)")
_TOKEN = re.compile(r"PA(\w+)T(-?\d+)")
_RECORDING = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+)\.json")
_LISTINGS = {"Calls": ("calls", "StartTime", "start_time", {
                 "To": "to", "From": "from_", "ParentCallSid": "parent_call_sid",
                 "Status": "status"}),
             "Recordings": ("recordings", "DateCreated", "date_created", {"CallSid": "call_sid"}),
             "IncomingPhoneNumbers": ("incoming_phone_numbers", "", "", {
                 "PhoneNumber": "phone_number"})}
_ERRORS = {400: (20001, "Invalid parameter"), 401: (20003, "Authenticate"),
           404: (20404, "The requested resource was not found"),
           429: (20429, "Too Many Requests"), 500: (20500, "Internal Server Error"),
           503: (20503, "Service Unavailable")}


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str  # with the query string
    status: int  # 0: the connection was dropped on purpose


class FakeTwilio:
    """A fake Twilio account on ``url``: mutate it from Python, point the provider at it."""

    def __init__(self, account_sid: str = "AC" + "f" * 32,
                 auth_token: str = "fake-auth-token-" + "0" * 16, *,
                 api_keys: dict[str, str] | None = None, port: int = 0,
                 media: bytes | None = None, friendly_name: str = "ppcdesk test account") -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.friendly_name = friendly_name
        self.account_status = "active"  # "suspended" or "closed" locks the account out
        self.media = media if media is not None else (
            _CLIP.read_bytes() if _CLIP.exists() else b"ID3\x03\x00\x00\x00\x00\x00\x00fake")
        self._credentials = {account_sid: auth_token, **(api_keys or {})}
        self._lock = threading.Lock()
        self._faults: list[int] = []
        self._retry_after: str | None = None
        self._log: list[LoggedRequest] = []
        self._seq = 0
        self.numbers = Collection[FakeNumber](
            lambda n: n.date_created, lambda n: render_number(account_sid, n))
        self.calls = Collection[FakeCall](
            lambda c: c.start_time if c.start_time is not None else c.date_created,
            lambda c: render_call_compact(account_sid, c), CallSplicer(account_sid))
        self.recordings = Collection[FakeRecording](
            lambda r: r.date_created, lambda r: render_recording(account_sid, r))
        self._server = _Server(port, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTwilio:
        # A short poll interval: stop() waits for it, and tests stop one server each.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------- faults and the request log
    def fail_next(self, statuses: Sequence[int], retry_after: str | None = None) -> None:
        """Answer the next requests with these statuses in order.

        0 serves the request, -1 drops the connection unanswered (a network blip); a 429
        carries ``Retry-After: retry_after`` when given.
        """
        with self._lock:
            self._faults = list(statuses)
            self._retry_after = retry_after

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # ---------------------------------------------------------- state changes
    def new_sid(self, prefix: str) -> str:
        with self._lock:
            self._seq += 1
            return f"{prefix}{self._seq:032x}"

    def add_number(self, e164: str, *, friendly_name: str | None = None, sid: str | None = None,
                   created: int = 1_700_000_000) -> FakeNumber:
        number = FakeNumber(sid or self.new_sid("PN"), e164, friendly_name or e164, created)
        with self._lock:
            self.numbers.put(number)
        return number

    def release_number(self, sid: str) -> None:
        with self._lock:
            if self.numbers.remove(sid) is None:
                raise KeyError(sid)

    def add_call(self, to: str, from_: str, start: int | None, *, duration: int | None = 60,
                 status: str = "completed", price: str | None = "-0.008500",
                 sid: str | None = None, children: Sequence[Child] = ()) -> tuple[FakeCall, ...]:
        """Add an inbound call to ``to`` and its forwarded legs; return parent, then children.

        The parent's ``phone_number_sid`` is the account number ``to`` names, if any. A child
        starts ``answer_after`` s after the parent and keeps the caller's number as ``from``.
        """
        with self._lock:
            number_sid = next((n.sid for n, _ in self.numbers.rows.values()
                               if n.phone_number == to), None)
        parent = leg(sid or self.new_sid("CA"), to, from_, start, duration, status=status,
                     price=price, number_sid=number_sid)
        legs = [parent] + [
            leg(self.new_sid("CA"), child.to, from_,
                None if start is None else start + child.answer_after, child.duration,
                status=child.status, price=child.price, direction="outbound-dial",
                parent=parent.sid) for child in children]
        with self._lock:
            self.calls.put_many(legs)
        return tuple(legs)

    def update_call(self, sid: str, **changes: Any) -> FakeCall:
        """Change fields of a stored leg (complete it, set a late price); date_updated moves."""
        with self._lock:
            old = self.calls.rows[sid][0]
            call = dataclasses.replace(old, **changes)
            if "date_updated" not in changes:
                call = dataclasses.replace(
                    call, date_updated=max(old.date_updated + 1, call.end_time or 0))
            self.calls.put(call)
        return call

    def add_recording(self, call_sid: str, *, duration: int = 30, start: int | None = None,
                      status: str = "completed", sid: str | None = None) -> FakeRecording:
        """Record the leg ``call_sid`` (Twilio names the parent) from ``start`` or its start."""
        with self._lock:
            call = self.calls.rows[call_sid][0]
        began = start if start is not None else (call.start_time or call.date_created)
        recording = FakeRecording(sid or self.new_sid("RE"), call_sid, began, duration,
                                  began + duration, status)
        with self._lock:
            self.recordings.put(recording)
        return recording

    def generate(self, n_calls: int, seed: int, *, start: int = 1_767_225_600,
                 days: int = 30, n_numbers: int = 20) -> GeneratedSummary:
        """Fill the account with ``n_calls`` parent calls, their legs and recordings.

        Deterministic for a seed. Parents start uniformly over ``days`` from ``start`` (default
        2026-01-01 UTC) on ``n_numbers`` tracking numbers (+1888555NNNN): ~78% forwarded and
        answered by one of six buyers (child leg completed, duration = talk time), ~10%
        forwarded but not answered (child no-answer or busy, null duration and price), ~12%
        hung up before forwarding (no child). Half the answered calls have a recording on the
        parent. The newest 0.5% are still in progress (null end, duration, price) and the next
        1% completed but not yet rated (null price), as a live account looks.
        """
        numbers, legs, recordings, summary = generate_account(
            n_calls, seed, start=start, days=days, n_numbers=n_numbers)
        with self._lock:
            self.numbers.put_many(numbers)
            self.calls.put_many(legs)
            self.recordings.put_many(recordings)
        return summary

    # ---------------------------------------------------------- answering requests
    def answer(self, method: str, target: str, authorization: str | None
               ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: status (-1: drop the connection), headers, body."""
        with self._lock:
            fault = self._faults.pop(0) if self._faults else 0
            retry_after = self._retry_after
        if fault:
            headers = {"Retry-After": retry_after} if fault == 429 and retry_after else {}
            return fault, headers, b"" if fault < 0 else _error(fault)
        parts = urlsplit(target)
        if parts.path.startswith("/__media/"):  # the signed link a media request redirects to
            return 200, {"Content-Type": "audio/mpeg"}, self.media
        deleting = _RECORDING.fullmatch(parts.path) if method == "DELETE" else None
        if deleting is not None:
            return self._delete(authorization, *deleting.groups())
        route = _ROUTE.fullmatch(parts.path)
        if method != "GET" or route is None:
            return 404, {}, _error(404)
        if not self._authorized(authorization):
            return 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, _error(401)
        account, listing, media = route.groups()
        if account != self.account_sid:
            return 404, {}, _error(404)
        if listing is None and media is None:
            return 200, {}, self._account_json()
        if self.account_status != "active":
            return 401, {}, _error(401, 20005, "Account not active")
        if media is not None:
            return self._media(media)
        if listing not in _LISTINGS:
            return 404, {}, _error(404)
        try:
            return 200, {}, self._page(listing, dict(parse_qsl(parts.query)))
        except ValueError as exc:
            return 400, {}, _error(400, message=str(exc))

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return False
        expected = self._credentials.get(user)
        return expected is not None and hmac.compare_digest(expected, secret)

    def _account_json(self) -> bytes:
        created = rfc2822(1_600_000_000)
        return json.dumps({"auth_token": self.auth_token, "date_created": created,
                           "date_updated": created, "friendly_name": self.friendly_name,
                           "owner_account_sid": self.account_sid, "sid": self.account_sid,
                           "status": self.account_status, "type": "Full",
                           "uri": f"{API}/Accounts/{self.account_sid}.json"}).encode()

    def _delete(self, authorization: str | None, account: str,
                sid: str) -> tuple[int, dict[str, str], bytes]:
        """DELETE a recording: 204 and it is gone (its audio too), 404 if it was not there."""
        if not self._authorized(authorization):
            return 401, {}, _error(401)
        with self._lock:
            if account != self.account_sid or sid not in self.recordings.rows:
                return 404, {}, _error(404)
            self.recordings.remove(sid)
        return 204, {}, b""

    def _media(self, sid: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            row = self.recordings.rows.get(sid)
        if row is None or row[0].status in {"deleted", "absent"}:
            return 404, {}, _error(404)
        # Twilio redirects to a signed storage link that needs no credentials.
        return 302, {"Location": f"{self.url}/__media/{sid}.mp3?Expires=9999999999"}, b""

    def _page(self, listing: str, query: dict[str, str]) -> bytes:
        size, page = int(query.pop("PageSize", "50")), int(query.pop("Page", "0"))
        if not 1 <= size <= 1000:
            raise ValueError("PageSize must be between 1 and 1000")
        token = query.pop("PageToken", None)
        match = _TOKEN.fullmatch(token) if token is not None else None
        if token is not None and match is None:
            raise ValueError("Invalid PageToken")
        after = (int(match[2]), match[1]) if match else None
        key, field, attribute, equal = _LISTINGS[listing]
        oldest, newest = date_bounds(query, field)
        wanted = [(attr, query[name]) for name, attr in equal.items() if name in query]
        bounded = oldest is not None or newest is not None

        def keep(record: Any) -> bool:
            when = getattr(record, attribute) if bounded else None
            if bounded and (when is None or (oldest is not None and when < oldest)
                            or (newest is not None and when > newest)):
                return False
            return all(getattr(record, attr) == value for attr, value in wanted)

        collections: dict[str, Collection[Any]] = {
            "Calls": self.calls, "Recordings": self.recordings,
            "IncomingPhoneNumbers": self.numbers}
        collection = collections[listing]
        with self._lock:  # one more than asked tells whether there is a next page
            rows = collection.select(oldest, newest, after, 0 if after else page * size, keep,
                                     size + 1)
        shown = rows[:size]
        filters = urlencode(query)
        prefix = f"{API}/Accounts/{self.account_sid}/{listing}.json?" + (
            f"{filters}&" if filters else "")
        next_uri = None
        if len(rows) > size:
            (epoch, sid), _ = shown[-1]
            next_uri = f"{prefix}PageSize={size}&Page={page + 1}&PageToken=PA{sid}T{epoch}"
        meta = {"end": page * size + len(shown) - 1,
                "first_page_uri": f"{prefix}PageSize={size}&Page=0", "next_page_uri": next_uri,
                "page": page, "page_size": size, "previous_page_uri": None, "start": page * size,
                "uri": f"{prefix}PageSize={size}&Page={page}"
                + (f"&PageToken={token}" if token else "")}
        return b"".join((b'{"', key.encode(), b'": [', b",".join(body for _, body in shown),
                         b"], ", json.dumps(meta)[1:].encode()))

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._log.append(LoggedRequest(method, path, status))


def _error(status: int, code: int | None = None, message: str | None = None) -> bytes:
    """Write Twilio's error body: ``{"code", "message", "more_info", "status"}``."""
    known_code, known_message = _ERRORS.get(status, (status, "Error"))
    code = code or known_code
    return json.dumps({"code": code, "message": message or known_message, "more_info":
                       f"https://www.twilio.com/docs/errors/{code}", "status": status}).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, fake: FakeTwilio) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a sync reuses one connection, as with Twilio
    server: _Server

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        fake = self.server.fake
        status, headers, body = fake.answer(self.command, self.path,
                                            self.headers.get("Authorization"))
        fake.record(self.command, self.path, max(status, 0))
        if status < 0:  # a dropped connection, as a flaky network does
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.do_GET()

    def do_DELETE(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log (``FakeTwilio.requests``) is the record."""


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a generated account until stdin closes; print its URL and credentials as JSON."""
    parser = argparse.ArgumentParser(prog="python -m ppcdesk.telephony.fake_twilio")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    fake = FakeTwilio(port=args.port)
    summary = fake.generate(args.calls, args.seed, days=args.days)
    with fake:
        sys.stdout.write(json.dumps({"url": fake.url, "account_sid": fake.account_sid,
                                     "auth_token": fake.auth_token,
                                     **dataclasses.asdict(summary)}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
