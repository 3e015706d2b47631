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
import threading
from collections.abc import Iterator
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


def prefetch(pages: Iterator[T], depth: int = DEPTH, name: str = "prefetch") -> Iterator[T]:
    """Iterate ``pages`` in a worker thread, ``depth`` items ahead of the caller."""
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
