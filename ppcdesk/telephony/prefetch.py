"""Fetch the next pages while the current one is stored: the network beside SQLite.

A page costs the sync two things of about the same size: fetching and parsing it (HTTP, JSON,
the SDK's objects) and storing it (SQLite). SQLite releases the GIL while it works, so a thread
that fetches page k+1 while page k is stored hides most of one behind the other. The thread
only ever talks to the provider, never to the database; pages reach the job in their order,
and an error reaches it where the listing failed, after the pages before it.

Closing the iterator (a cancelled job) tells the thread to stop; it ends after the request it
is in, and its pages are dropped: the run's saved cursor names the first page not stored.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
DEPTH = 2  # pages fetched ahead: enough to hide the fetch, little memory
JOIN_S = 1.0


class _End:
    pass


_END = _End()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_SWITCH_S = 0.001  # the GIL's switch interval while a prefetch runs (CPython's default: 5 ms)
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextmanager
def _short_switch() -> Iterator[None]:
    """Hand the GIL over every millisecond while pages are fetched beside storing.

    The storing thread spends most of its time in SQLite without the GIL; each time a
    statement ends it needs the GIL back, and waits for the fetching thread (decoding and
    mapping a page) to give it up: up to one switch interval, hundreds of times a sync. A
    1 ms interval made a 100k-call sync ~8% faster. It is process-wide, so it is set while
    any prefetch runs and the interval found before is restored when the last one ends.
    """
    global _switch_users, _switch_saved  # noqa: PLW0603 - one process-wide setting
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, _SWITCH_S))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def prefetch(pages: Iterator[T], depth: int = DEPTH, name: str = "prefetch") -> Iterator[T]:
    """Iterate ``pages`` in a worker thread, ``depth`` items ahead of the caller."""
    with _short_switch():
        yield from _prefetch(pages, depth, name)


def _prefetch(pages: Iterator[T], depth: int, name: str) -> Iterator[T]:
    box: queue.Queue[T | _End | _Failure] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: T | _End | _Failure) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def work() -> None:
        try:
            while not stop.is_set():  # asked before every page: no request after a cancel
                page = next(pages, _END)
                if isinstance(page, _End):
                    put(page)
                    return
                if not put(page):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Failure(error))

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        # Wait a moment for a request in flight, so nothing reaches the provider once the
        # caller has moved on; a request slower than that ends on its own and is dropped.
        thread.join(timeout=JOIN_S)
