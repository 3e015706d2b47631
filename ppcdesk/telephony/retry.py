"""Retry provider requests: a pure backoff schedule, and the one loop that applies it.

Why apart: the schedule answers "wait how long, or give up?" as pure functions, testable
without a server or a clock; ``Retrier`` applies it with an injected sleep, so the Twilio
adapter's SDK requests and media downloads share one behaviour. The schedule is exponential
backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): attempt 1
waits uniform(0, base), attempt 2 uniform(0, 2 x base), ... capped at ``max_delay``, which
spreads many clients apart after a shared outage. A server's ``Retry-After`` is a floor: we
never come back sooner than it asked. Example with the default policy and a random that returns
0.5: attempt 1 -> 0.25 s, attempt 3 -> 1.0 s, attempt 3 with ``Retry-After: 5`` -> 5.0 s.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import requests

from ppcdesk.telephony.provider import (
    NetworkDownError,
    ProviderUnavailableError,
    RateLimitedError,
)

_log = logging.getLogger(__name__)

# Statuses worth another try: 429 was never processed, 5xx are the provider's own trouble.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# A GET that never got an answer is safe to send again: nothing was changed.
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times and how long to retry one request.

    ``max_attempts`` counts the first try; ``max_total_wait`` bounds the sum of the waits so a
    sync never hangs for minutes behind a provider that keeps saying "later".
    ``network_attempts`` is smaller because a machine without network stays without it for a
    while, and "Test connection" should say so within a second or two.
    """

    max_attempts: int = 6
    network_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_wait: float = 120.0

    def backoff(self, attempt: int, random: Callable[[], float]) -> float:
        """Return the full-jitter wait after failed attempt ``attempt`` (1 = the first try)."""
        if attempt < 1:
            raise ValueError(f"attempt counts from 1, got {attempt}")
        # min() before the power would still overflow for a huge attempt: bound the exponent.
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt - 1, 60))
        return ceiling * min(max(random(), 0.0), 1.0)

    def next_delay(self, attempt: int, waited: float, random: Callable[[], float], *,
                   retry_after: float | None = None, network: bool = False) -> float | None:
        """Return how long to sleep before the next attempt, or None to give up.

        ``attempt`` is the number of the attempt that just failed and ``waited`` the seconds
        already slept for this request; ``retry_after`` is the server's parsed header.
        """
        limit = self.network_attempts if network else self.max_attempts
        if attempt >= limit:
            return None
        delay = self.backoff(attempt, random)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if waited + delay > self.max_total_wait:
            return None
        return delay


DEFAULT_POLICY = RetryPolicy()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Read a ``Retry-After`` header as seconds from ``now`` (epoch seconds), or None.

    RFC 9110 allows delay-seconds (``"120"``) or an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date in the past means "now" (0). Anything else
    is ignored rather than trusted: a garbled header must not stall or crash a sync.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        seconds = float(text)  # not in the RFC, but some proxies send "1.5"
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are always GMT
        return None
    return max(0.0, when.timestamp() - now)


# ------------------------------------------------------------------ the loop
class Answer(Protocol):
    """What the retry loop reads of an HTTP answer (requests' and the SDK's both fit)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Any: ...


A = TypeVar("A", bound=Answer)


class Retrier:
    """Send one request until it is answered with something other than 429 or 5xx.

    The loop that applies a RetryPolicy: ``sleep``, ``jitter`` and ``clock`` are injected so
    tests run it instantly. Answers that stay 429 or 5xx become RateLimitedError or
    ProviderUnavailableError; connections that keep failing become NetworkDownError.
    """

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], object],
                 jitter: Callable[[], float], clock: Callable[[], float] = time.time,
                 provider: str = "Twilio") -> None:
        self.policy, self.sleep, self.jitter, self.clock = policy, sleep, jitter, clock
        self.provider = provider

    def send(self, send: Callable[[], A], where: str) -> A:
        attempt, dropped, waited = 0, 0, 0.0
        while True:
            try:
                answer = send()
            except NETWORK_ERRORS as exc:
                dropped += 1  # counted apart: a blip between two 429s is not "offline"
                delay = self.policy.next_delay(dropped, waited, self.jitter, network=True)
                if delay is None:
                    raise NetworkDownError(f"cannot reach {where}: {describe(exc)}") from exc
                _log.warning("cannot reach %s (%s); retry %d in %.1f s", where, describe(exc),
                             dropped, delay)
            else:
                attempt += 1
                status = answer.status_code
                if status not in RETRYABLE_STATUSES:
                    return answer
                close = getattr(answer, "close", None)
                if close is not None:  # a streamed download holds its connection until closed
                    close()
                retry_after = parse_retry_after(answer.headers.get("Retry-After"), self.clock())
                delay = self.policy.next_delay(attempt, waited, self.jitter,
                                               retry_after=retry_after)
                if delay is None:
                    tried = f"after {attempt} attempts over {waited:.0f} s"
                    if status == 429:
                        raise RateLimitedError(f"{self.provider} still asks us to slow down "
                                               f"(HTTP 429) {tried}; try again later")
                    raise ProviderUnavailableError(f"{self.provider} is having trouble (HTTP "
                                                   f"{status}) {tried}; try again later")
                _log.warning("%s answered %d; retry %d in %.1f s", self.provider, status,
                             attempt, delay)
            self.sleep(delay)
            waited += delay


def describe(exc: Exception) -> str:
    """Name a connection failure in a few words (requests' own text is a paragraph)."""
    text = str(exc).lower()
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if "refused" in text:
        return "connection refused"
    return "host name not found (offline?)" if "resolv" in text else "connection failed"
