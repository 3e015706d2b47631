"""Hold a workspace's calls as numpy columns in call order, with the indexes every contract shares.

Why: a million calls under ten contracts leave about a microsecond per (call, contract) pair,
and each pass of Python over a million ``CallFacts`` costs ~0.1 s. So the calls are read into
columns once (one pass per field), and everything that does not depend on a contract is worked
out once per workspace with array operations: the order (start, id), each caller's class, area
code and duplicate key, the local time in each zone, and per duplicate scope the previous
answered call of the same caller.

Callers become integer keys: a North American ``+1`` and ten ASCII digits is its ten-digit
number; anything else (anonymous, foreign, odd text) is numbered from :data:`OTHER_BASE` in a
dict. Two callers share a key exactly when their strings are equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from operator import itemgetter
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from ppcdesk.billing.facts import CallFacts
from ppcdesk.billing.rules import ANONYMOUS, HOUR_S, LocalClock, caller_class
from ppcdesk.billing.terms import DuplicateScope
from ppcdesk.core import phone

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_Array = TypeVar("_Array", bound=np.ndarray[Any, Any])
OTHER_BASE = 10_000_000_000  # caller keys of strings that are not +1 and ten ASCII digits
_LIMIT = 1 << 52  # times and durations beyond this are odd data: the reference path takes them

# caller_class of every NPA-NXX prefix met so far (it never changes); _UNKNOWN: not asked yet.
_UNKNOWN = 255
_PREFIX_CLASSES = np.full(1_000_000, _UNKNOWN, dtype=np.uint8)


class ColumnsUnavailableError(Exception):
    """The calls hold values the columns cannot carry exactly (huge numbers, not a string)."""


def ints(values: Iterable[Any], count: int) -> Ints:
    """``count`` integers as int64; odd values raise ColumnsUnavailableError."""
    try:
        found = np.fromiter(values, dtype=np.int64, count=count)
    except (OverflowError, TypeError, ValueError) as error:
        raise ColumnsUnavailableError(str(error)) from error
    if found.size and int(np.abs(found).max()) >= _LIMIT:
        raise ColumnsUnavailableError("a time or duration out of range")
    return found


class _Numbering(dict[Any, int]):
    """Number the values in the order they first come (0, 1, 2, ...)."""

    def __missing__(self, value: object) -> int:
        self[value] = number = len(self)
        return number


class Codes:
    """A column of hashable values as small integer codes, with the values in code order."""

    def __init__(self, values: Iterable[Any], count: int) -> None:
        numbering = _Numbering()
        try:
            self.codes = np.fromiter(map(numbering.__getitem__, values), dtype=np.int64,
                                     count=count)
        except TypeError as error:  # an unhashable value
            raise ColumnsUnavailableError(str(error)) from error
        self.index: dict[Any, int] = dict(numbering)
        self.values = list(numbering)

    def code(self, value: object) -> int:
        """The code of ``value``; -1 when no call has it."""
        try:
            return self.index.get(value, -1)
        except TypeError:  # unhashable: no call can hold it
            return -1


class Columns:
    """The calls of a workspace, in call order, as arrays (see the module docstring).

    Each column is read on first use, in the order the rows were given, then put in call
    order: a contract that needs no duration never pays for one.
    """

    def __init__(self, rows: Sequence[CallFacts], order: Ints | None, start: Ints,
                 ids: Ints) -> None:
        """Columns of ``rows`` taken in ``order`` (None: already in call order).

        ``start`` and ``ids``: the rows' started_at and id, already in call order.
        """
        self._rows = rows
        self._order = order
        self.size = len(rows)
        self.start = start
        self.id = ids
        self._zones: dict[object, Ints] = {}
        self._previous: dict[DuplicateScope, Ints] = {}
        self._by_caller: Ints | None = None

    def _values(self, k: int) -> Iterator[Any]:
        return map(itemgetter(k), self._rows)

    def _arranged(self, found: _Array) -> _Array:
        if self._order is None:
            return found
        return cast(_Array, found[self._order])

    def _codes(self, k: int) -> Codes:
        found = Codes(self._values(k), self.size)
        found.codes = self._arranged(found.codes)
        return found

    @cached_property
    def duration(self) -> Ints:
        return self._arranged(ints(self._values(3), self.size))

    @cached_property
    def connected(self) -> Ints:
        return self._arranged(ints(self._values(4), self.size))

    @cached_property
    def _answer(self) -> tuple[Bools, Ints]:
        try:  # None reads as NaN: one pass gives both columns
            at = np.fromiter(self._values(5), dtype=np.float64, count=self.size)
        except (TypeError, ValueError) as error:
            raise ColumnsUnavailableError(str(error)) from error
        answered = ~np.isnan(at)
        at = np.where(answered, at, 0.0)
        if at.size and float(np.abs(at).max()) >= _LIMIT:  # floats hold ints exactly below
            raise ColumnsUnavailableError("an answer time out of range")
        return self._arranged(answered), self._arranged(at.astype(np.int64))

    @property
    def answered(self) -> Bools:
        return self._answer[0]

    @property
    def answered_at(self) -> Ints:
        """When the buyer's leg connected; 0 where nobody answered (never read)."""
        return self._answer[1]

    @cached_property
    def final(self) -> Bools:
        return self._arranged(np.fromiter(self._values(11), dtype=np.bool_, count=self.size))

    @cached_property
    def state(self) -> Codes:
        return self._codes(7)

    @cached_property
    def campaign(self) -> Codes:
        return self._codes(8)

    @cached_property
    def publisher(self) -> Codes:
        return self._codes(9)

    @cached_property
    def buyer(self) -> Codes:
        return self._codes(10)

    @cached_property
    def _callers(self) -> tuple[Ints, npt.NDArray[np.uint8], Ints, dict[str, int]]:
        """Per row its caller key, class and area code (-1: none); the other callers' keys."""
        begins, lengths, points = self._caller_text()
        twelve = np.flatnonzero(lengths == 12)
        chars: npt.NDArray[Any]
        if len(points) >= 12:  # the twelve characters of each twelve-character caller
            chars = np.lib.stride_tricks.sliding_window_view(points, 12)[begins[twelve]]
        else:
            chars = np.zeros((0, 12), dtype=points.dtype)
        digits: npt.NDArray[Any] = chars[:, 2:] - 48  # unsigned: "/" wraps, so not < 10
        nanp = (chars[:, 0] == 43) & (chars[:, 1] == 49) & (digits < 10).all(axis=1)  # "+1"
        national = np.zeros(len(rows := twelve[nanp]), dtype=np.int64)
        for column in digits[nanp].T:  # Horner: numpy has no fast integer matrix product
            national *= 10
            national += column
        keys = np.full(self.size, -1, dtype=np.int64)
        keys[rows] = national
        classes = np.zeros(self.size, dtype=np.uint8)
        prefix = national // 10_000  # NPA-NXX: caller_class judges a whole prefix at once
        present = np.flatnonzero(np.bincount(prefix, minlength=1_000_000))
        for p in present[_PREFIX_CLASSES[present] == _UNKNOWN].tolist():
            _PREFIX_CLASSES[p] = caller_class(f"+1{p:06d}0000")
        classes[rows] = _PREFIX_CLASSES[prefix]
        area = np.full(self.size, -1, dtype=np.int64)
        area[rows] = national // 10_000_000
        others: dict[str, int] = {}
        for i in np.flatnonzero(keys < 0).tolist():
            text = self._rows[i][6]
            code = others.get(text)
            if code is None:
                code = others[text] = len(others)
            keys[i] = OTHER_BASE + code
            classes[i] = caller_class(text)
        return self._arranged(keys), self._arranged(classes), self._arranged(area), others

    def _caller_text(self) -> tuple[Ints, Ints, npt.NDArray[np.uint8] | npt.NDArray[np.uint32]]:
        """Every caller's first character and length in one array of character codes.

        The callers are joined with NULs: when no caller holds one, the NULs are where each
        caller ends, and no Python pass over the rows is needed to measure them.
        """
        try:
            text = "\x00".join(list(self._values(6)))  # a list: join sizes it once
        except TypeError as error:
            raise ColumnsUnavailableError("a caller that is not text") from error
        points: npt.NDArray[np.uint8] | npt.NDArray[np.uint32] = (
            np.frombuffer(text.encode("ascii"), dtype=np.uint8) if text.isascii()
            else np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4"))
        ends = np.flatnonzero(points == 0)
        if len(ends) == self.size - 1:
            ends = np.append(ends, len(points))
            begins = np.concatenate(([0], ends[:-1] + 1))
            return begins, ends - begins, points
        lengths = np.fromiter(map(len, self._values(6)), dtype=np.int64, count=self.size)
        return np.cumsum(lengths + 1) - lengths - 1, lengths, points

    @property
    def caller(self) -> Ints:
        return self._callers[0]

    @property
    def caller_class(self) -> npt.NDArray[np.uint8]:
        return self._callers[1]

    @property
    def area_code(self) -> Ints:
        """The NPA of +1 and ten ASCII digits callers; -1 for the others (see other_callers)."""
        return self._callers[2]

    @property
    def other_callers(self) -> dict[str, int]:
        """The callers that are not +1 and ten ASCII digits: text -> key - OTHER_BASE."""
        return self._callers[3]

    def caller_key(self, caller: str) -> int:
        """The key a caller's text has in these columns; -1 when no call has it."""
        if (len(caller) == 12 and caller.startswith("+1")
                and all("0" <= c <= "9" for c in caller[2:])):
            return int(caller[2:])
        code = self.other_callers.get(caller)
        return -1 if code is None else OTHER_BASE + code

    def other_area_codes(self) -> list[str | None]:
        """``phone.area_code`` of each other caller, by key - OTHER_BASE."""
        return [phone.area_code(text) for text in self.other_callers]

    def local(self, clock: LocalClock) -> Ints:
        """Every row's local start in ``clock``'s zone (offsets from its per-hour cache)."""
        found = self._zones.get(clock.zone)
        if found is not None:
            return found
        start = self.start
        buckets = start // HOUR_S  # ascending: the rows are in call order
        edges = np.flatnonzero(np.diff(buckets)) + 1
        firsts = buckets[np.concatenate(([0], edges))] if self.size else buckets
        offsets = np.empty(len(firsts), dtype=np.int64)
        cached, offset = clock.offsets, clock.offset
        mixed = []
        for k, bucket in enumerate(firsts.tolist()):
            off = cached.get(bucket)
            if off is None:
                off = offset(bucket * HOUR_S)
                if bucket not in cached:  # the offset changes inside this hour
                    mixed.append(k)
            offsets[k] = off
        which = np.zeros(self.size, dtype=np.int64)
        which[edges] = 1
        which = np.cumsum(which)
        found = start + offsets[which]
        for k in mixed:
            for i in np.flatnonzero(which == k).tolist():
                t = int(start[i])
                found[i] = t + offset(t)
        self._zones[clock.zone] = found
        return found

    def scope_key(self, scope: DuplicateScope) -> Ints:
        """The key earlier calls must share with a row; -1 for anonymous callers (none)."""
        key = self.caller
        if scope is DuplicateScope.CAMPAIGN:
            codes = self.campaign
            key = key * len(codes.values) + codes.codes
        elif scope is DuplicateScope.BUYER:
            codes = self.buyer
            key = key * len(codes.values) + codes.codes
        return np.where(self.caller_class & ANONYMOUS, -1, key)

    def previous_answered(self, scope: DuplicateScope) -> Ints:
        """Per row, the row of the same caller's latest earlier final answered call in scope.

        -1 when there is none. It depends on no contract, so contracts with the same scope
        share it.
        """
        found = self._previous.get(scope)
        if found is None:
            found = self._previous[scope] = previous_in_group(
                self.scope_key(scope), self.final & self.answered, self._grouped(scope))
        return found

    def _grouped(self, scope: DuplicateScope) -> Ints:
        """The rows of known callers ordered by scope key, in call order within a key.

        The campaign and buyer orders refine the caller order with a radix sort of their
        small codes instead of sorting a million keys again.
        """
        if scope is DuplicateScope.ALL:
            if self._by_caller is None:
                valid = np.flatnonzero((self.caller_class & ANONYMOUS) == 0)
                self._by_caller = valid[stable_order(self.caller[valid])]
            return self._by_caller
        by_caller = self._grouped(DuplicateScope.ALL)
        codes = self.campaign if scope is DuplicateScope.CAMPAIGN else self.buyer
        small = codes.codes[by_caller]
        if len(codes.values) <= np.iinfo(np.int16).max:  # numpy radix-sorts 16-bit keys
            small = small.astype(np.int16)
        return by_caller[np.argsort(small, kind="stable")]


def previous_in_group(key: Ints, counts: Bools, order: Ints | None = None) -> Ints:
    """Per position, the latest earlier position with the same key (>= 0) where ``counts``.

    -1 when there is none, and for every position whose key is negative. Positions are call
    order, so "earlier" is "before in the arrays". ``order``: the positions with a key,
    already grouped by key and in call order within a key.
    """
    found = np.full(len(key), -1, dtype=np.int64)
    if order is None:
        valid = np.flatnonzero(key >= 0)
        order = valid[stable_order(key[valid])]
    grouped = key[order]
    position = np.arange(len(order))
    latest = np.maximum.accumulate(np.where(counts[order], position, -1))
    before = np.concatenate(([-1], latest[:-1])) if len(order) else latest
    same = (before >= 0) & (grouped[np.maximum(before, 0)] == grouped)
    found[order] = np.where(same, order[np.maximum(before, 0)], -1)
    return found


def stable_order(key: Ints) -> Ints:
    """The positions of ``key`` sorted by key, equal keys in position order (a stable argsort).

    Sorting ``key * n + position`` (all distinct, so stability is free) with numpy's SIMD
    sort takes a tenth of the time of a stable argsort of a million keys; keys too wide for
    that take the stable argsort.
    """
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    low = int(key.min())
    if (int(key.max()) - low + 1) * n >= 1 << 62:
        return np.argsort(key, kind="stable")
    return np.sort((key - low) * n + np.arange(n)) % n
