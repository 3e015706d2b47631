"""Pages fetched ahead arrive in order, an error where the listing failed, nothing after a stop."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from ppcdesk.telephony.prefetch import prefetch
from ppcdesk.telephony.provider import NetworkDownError


def listing(pages: int, fail_at: int | None = None, asked: list[int] | None = None
            ) -> Iterator[int]:
    for n in range(1, pages + 1):
        if asked is not None:
            asked.append(n)
        if n == fail_at:
            raise NetworkDownError("offline")
        yield n


def test_pages_come_in_order_from_another_thread() -> None:
    seen_on: set[str] = set()

    def pages() -> Iterator[int]:
        for n in range(10):
            seen_on.add(threading.current_thread().name)
            yield n

    assert list(prefetch(pages(), name="test-prefetch")) == list(range(10))
    assert seen_on == {"test-prefetch"}


def test_an_error_comes_after_the_pages_before_it() -> None:
    got: list[int] = []
    with pytest.raises(NetworkDownError, match="offline"):
        got.extend(prefetch(listing(6, fail_at=4)))
    assert got == [1, 2, 3]


def test_closing_stops_the_fetching_within_the_pages_fetched_ahead() -> None:
    asked: list[int] = []
    pages = prefetch(listing(100, asked=asked), depth=2)
    assert next(pages) == 1
    pages.close()
    stopped_at = len(asked)
    assert stopped_at <= 5  # the page taken, two queued, one being put, one being asked
    threading.Event().wait(0.3)
    assert len(asked) == stopped_at  # and nothing after the close


def test_the_gil_is_handed_over_more_often_only_while_pages_are_fetched() -> None:
    before = sys.getswitchinterval()
    during = [sys.getswitchinterval() for _ in prefetch(listing(3))]
    assert during == [0.001] * 3
    assert sys.getswitchinterval() == before
    with pytest.raises(NetworkDownError):
        list(prefetch(listing(3, fail_at=2)))
    assert sys.getswitchinterval() == before
    outer = prefetch(listing(3))
    next(outer)
    inner = prefetch(listing(3))
    next(inner)
    outer.close()  # the other one still runs: still short
    assert sys.getswitchinterval() == 0.001
    inner.close()
    assert sys.getswitchinterval() == before
