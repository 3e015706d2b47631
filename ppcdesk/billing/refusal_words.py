"""The reasons JSON of refused outcomes: each distinct case worded once, by column.

A million outcomes make 900,000 refusals, so they are not worded one by one: the refusals are
grouped by their flags, each group keyed by the few values its sentences read (the caller, the
local minute of the week, the measured seconds...), and each distinct case is worded once by
:class:`explain.Wording`. With the engine's columns (``Shape``) the keys are integer codes and
the cases are found with numpy; without them (the reference path), per outcome in Python.
Either way the words are :func:`explain.sentence`'s, encoded as ``json.dumps`` would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import numpy as np

from ppcdesk.billing import explain
from ppcdesk.billing._columns import Columns, Ints
from ppcdesk.billing._vector import Shape
from ppcdesk.billing.facts import CallFacts, Outcome
from ppcdesk.billing.rules import DAY_S
from ppcdesk.billing.terms import Terms
from ppcdesk.billing.workspaces import CallIndex
from ppcdesk.core import phone
from ppcdesk.core.reasons import Reason, flags_of

SMALL_GROUP = 32  # refusals sharing flags: fewer are worded row by row (see _shaped_texts)


class Refusals:
    """The words of one version's refusals (shared caches: see :func:`forget_phrases`)."""

    def __init__(self, terms: Terms) -> None:
        # Shared by every run of these terms in this process: after a sync, the incremental
        # run words a day of refusals mostly already worded (an hour's after-hours sentence,
        # a blocked caller's) instead of tracing each case again.
        self.wording, self._texts, self._fragments, self._cases, self._items = (
            _phrasebook(terms))
        self._json: dict[tuple[tuple[str, str], ...], str] = {}
        # DUPLICATE's sentence is a template around the earlier call's id; its JSON too.
        window = self.wording.rules.window_s
        self._duplicate = None if window is None else json.dumps(
            {"code": Reason.DUPLICATE.value,
             "text": self.wording.sentence(Reason.DUPLICATE, _ANY_CALL, _ANY_DUPLICATE)},
            ensure_ascii=False).split(str(_ANY_ID), 1)

    def flags_and_texts(self, outcomes: list[Outcome], ids: list[int],
                        calls: Mapping[int, CallFacts], shape: Shape | None = None,
                        ) -> tuple[list[int], list[str]]:
        """Each outcome's flags and reasons JSON ("[]" when it qualified); ``ids``: their
        call ids, ``calls``: id -> facts (read for refusals only), ``shape``: the engine's
        columns they came from, if they did (:meth:`_shaped_texts`)."""
        if shape is not None and len(shape.at) == len(outcomes):
            return self._shaped_texts(outcomes, ids, calls, shape)
        return self._flags_and_texts(outcomes, ids, list(map(itemgetter(3), outcomes)), calls)

    def _flags_and_texts(self, outcomes: list[Outcome], ids: list[int],
                         reasons: list[tuple[Reason, ...]], calls: Mapping[int, CallFacts],
                         ) -> tuple[list[int], list[str]]:
        """Each outcome's flags and reasons JSON, worked out per distinct reasons tuple.

        The engine shares one reasons tuple per verdict, so they are told apart by identity
        (hashing a tuple of enums runs Python code per member); then each group's refusals
        are keyed by the few values their words depend on, in bulk (:meth:`_group_texts`).
        """
        marks = list(map(id, reasons))
        distinct = dict(zip(marks, reasons, strict=True))
        bits = {mark: flags_of(r) for mark, r in distinct.items()}
        flags = list(map(bits.__getitem__, marks))
        texts = ["[]"] * len(outcomes)
        groups: dict[int, list[int]] = {mark: [] for mark, r in distinct.items() if r}
        for n, mark in enumerate(marks):
            group = groups.get(mark)
            if group is not None:
                group.append(n)
        for mark, places in groups.items():
            group_texts = self._group_texts(distinct[mark], bits[mark], places, outcomes, ids,
                                            calls)
            for n, text in zip(places, group_texts, strict=True):
                texts[n] = text
        return flags, texts

    def _shaped_texts(self, outcomes: list[Outcome], ids: list[int],
                      calls: Mapping[int, CallFacts], shape: Shape) -> tuple[list[int], list[str]]:
        """:meth:`_flags_and_texts` from the engine's columns: no pass of Python per outcome.

        The outcomes are grouped by their flags with a sort; in each group, every value a
        reason's words read (the caller, the local minute, the measured seconds...) is a
        column of integer codes (:meth:`_codes`), and each distinct combination is worded
        once from the items each reason's distinct values have (:attr:`_items`, shared with
        the row-by-row path, so both word a case alike). A small group (a day's rarer
        combinations) costs less row by row than numpy's fixed cost per call.
        """
        bits = shape.bits
        texts = np.full(len(bits), "[]", dtype=object)
        order = np.argsort(bits, kind="stable")
        grouped = bits[order]
        edges = np.flatnonzero(grouped[1:] != grouped[:-1]) + 1
        for lo, hi in zip([0, *edges.tolist()], [*edges.tolist(), len(grouped)], strict=True):
            value = int(grouped[lo])
            if not value:
                continue
            places = order[lo:hi]
            reasons = outcomes[int(places[0])][3]
            if hi - lo < SMALL_GROUP or (Reason.DUPLICATE in reasons and self._duplicate is None):
                at = places.tolist()
                texts[places] = _objects(self._group_texts(reasons, value, at, outcomes, ids,
                                                           calls))
            else:
                texts[places] = self._shaped_group(value, places, outcomes, ids, calls, shape)
        return bits.tolist(), texts.tolist()

    def _shaped_group(self, bits: int, places: Ints, outcomes: list[Outcome], ids: list[int],
                      calls: Mapping[int, CallFacts], shape: Shape) -> Any:
        """The reasons JSON of the outcomes at ``places``, which all have the flags ``bits``."""
        first = int(places[0])
        reasons = outcomes[first][3]
        duplicate = Reason.DUPLICATE in reasons  # with its template (see _shaped_texts)
        at = shape.at[places]
        sample = calls[ids[first]]
        parts: list[str | tuple[Ints, list[str]]] = []  # per reason: one item, or per code
        combined = np.zeros(len(places), dtype=np.int64)
        for reason in reasons:
            codes = self._codes(reason, shape.columns, at)
            if codes is None:
                parts.append(self._item_of(reason, bits, None, sample, outcomes[first]))
                continue
            distinct, firsts, inverse = np.unique(codes, return_index=True,
                                                  return_inverse=True)
            inverse = inverse.reshape(-1)
            if reason is Reason.AFTER_HOURS:  # its words read the code alone
                parts.append((inverse, self._after_hours_items(distinct.tolist())))
            else:
                reps = places[firsts].tolist()
                facts = _facts_of(calls, list(map(ids.__getitem__, reps)))
                values = self._case_column(reason, facts) or []  # not None here (see _codes)
                parts.append((inverse, [self._item_of(reason, bits, v, c, outcomes[n])
                                        for v, c, n in zip(values, facts, reps, strict=True)]))
            combined = combined * len(firsts) + inverse
            if len(parts) > 1:
                combined = np.unique(combined, return_inverse=True)[1].reshape(-1)
        _, cases, inverse = np.unique(combined, return_index=True, return_inverse=True)
        # Each case's JSON: "[" + items joined by ", " + "]", by object-array additions.
        texts: Any = "["
        for k, part in enumerate(parts):
            texts = texts + ("" if k == 0 else ", ")
            if isinstance(part, str):
                texts = texts + part
            else:
                texts = texts + _objects(part[1])[part[0][cases]]
        if isinstance(texts, str):  # every item is the group's own: one case
            texts = _objects([texts])
        found = (texts + "]")[inverse.reshape(-1)]
        if not duplicate:
            return found
        marker = str(_ANY_ID)
        repeats = map(itemgetter(4), map(outcomes.__getitem__, places.tolist()))
        return [text.replace(marker, str(earlier), 1)
                for text, earlier in zip(found.tolist(), repeats, strict=True)]

    def _item_of(self, reason: Reason, bits: int, value: object, call: CallFacts,
                 outcome: Outcome) -> str:
        """One reason's JSON item for a case (as :meth:`_case` makes it); DUPLICATE's with
        the marker where the earlier call's id goes."""
        if reason is Reason.DUPLICATE:
            return self._fragment(reason, call, outcome._replace(duplicate_of=_ANY_ID))
        flag = _FLAG_OF[reason]
        # A cap's words depend on the other reasons too (and nothing else varies).
        key = (bits, flag) if flag & _CAPS else (flag, value)
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = self._fragment(reason, call, outcome)
        return item

    def _after_hours_items(self, codes: list[int]) -> list[str]:
        """AFTER_HOURS's items of :meth:`_codes`' codes (minute of the week, closed day)."""
        items, flag, found = self._items, _FLAG_OF[Reason.AFTER_HOURS], []
        for code in codes:
            value = (code >> 1, bool(code & 1))  # as _case_column has it: same key, same item
            item = items.get((flag, value))
            if item is None:
                item = items[(flag, value)] = _item(
                    Reason.AFTER_HOURS.value, self.wording.after_hours_at(*value))
            found.append(item)
        return found

    def _codes(self, reason: Reason, columns: Columns, at: Ints) -> Ints | None:
        """Per outcome (rows ``at``), an integer that is equal exactly where the values
        :meth:`_case_column` reads are (None where it reads none)."""
        rules = self.wording.rules
        if reason is Reason.CALLER_BLOCKED:
            return columns.caller[at]  # equal keys: equal caller text
        if reason is Reason.GEO_BLOCKED:  # phone.area_code: the NPA of +1 and ten digits
            area = columns.area_code[at]  # other callers: their own key (>= OTHER_BASE)
            where = np.where(area >= 0, area, columns.caller[at])
            return where * (len(columns.state.values) + 1) + columns.state.codes[at]
        if reason is Reason.GEO_UNKNOWN:
            return columns.state.codes[at]
        if reason is Reason.AFTER_HOURS:
            if rules.terms.hours is None:
                return None
            local = columns.local(rules.clock)[at]
            codes = local // 60 % 10_080 * 2
            if rules.closed_days:
                codes += np.isin(local // DAY_S, list(rules.closed_days))
            return codes
        if reason is Reason.SHORT:
            if rules.on_connected:  # odd: answered; even: not (no time read)
                return np.where(columns.answered[at], columns.connected[at] * 2 + 1, 0)
            return columns.duration[at]
        return None

    def _group_texts(self, reasons: tuple[Reason, ...], bits: int, places: list[int],
                     outcomes: list[Outcome], ids: list[int],
                     calls: Mapping[int, CallFacts]) -> list[str]:
        """The reasons JSON of the outcomes at ``places``, which all have ``reasons``.

        Each distinct case (the values the sentences read) is worded once, by
        :meth:`refusal`; DUPLICATE's text is kept as the parts around the earlier call's id.
        """
        duplicate = Reason.DUPLICATE in reasons
        if duplicate and self._duplicate is None:  # worded per call (see Wording.sentence)
            return [self.refusal(calls[ids[n]], outcomes[n]) for n in places]
        cases = self._cases.setdefault(bits, {})
        found: list[Any]
        if not any(r in _READS_CALL for r in reasons):  # one case for the whole group
            text = cases.get(())
            if text is None:
                n = places[0]
                text = cases[()] = self._case(reasons, bits, [None] * len(reasons),
                                              calls[ids[n]], outcomes[n], duplicate)
            found = [text] * len(places)
        else:
            facts = _facts_of(calls, list(map(ids.__getitem__, places)))
            columns = [self._case_column(reason, facts) for reason in reasons]
            keys = list(zip(*[c for c in columns if c is not None], strict=True))
            found = list(map(cases.get, keys))
            for k in [k for k, text in enumerate(found) if text is None]:
                text = cases.get(keys[k])
                if text is None:
                    values = [None if c is None else c[k] for c in columns]
                    text = cases[keys[k]] = self._case(reasons, bits, values, facts[k],
                                                       outcomes[places[k]], duplicate)
                found[k] = text
        if not duplicate:
            return found
        repeats = map(itemgetter(4), map(outcomes.__getitem__, places))
        return [f"{parts[0]}{earlier}{parts[1]}"
                for parts, earlier in zip(found, repeats, strict=True)]

    def _case(self, reasons: tuple[Reason, ...], bits: int, values: list[object],
              call: CallFacts, outcome: Outcome, duplicate: bool) -> str | tuple[str, str]:
        """The JSON of one case; with DUPLICATE, the parts around the earlier call's id.

        Made of each reason's item, kept by the reason and its value in ``values`` (what
        :meth:`_case_column` read): cases that differ in one reason share the others' items.
        """
        items = [self._item_of(reason, bits, value, call, outcome)
                 for reason, value in zip(reasons, values, strict=True)]
        text = "[" + ", ".join(items) + "]"
        if not duplicate:
            return text
        head, tail = text.split(str(_ANY_ID), 1)
        return head, tail

    def _case_column(self, reason: Reason, facts: list[CallFacts]) -> list[Any] | None:
        """What ``reason``'s sentence reads of each call (None: nothing, or the earlier id).

        Narrower than ``Wording.key`` where the words allow: SHORT reads the measured time
        only (none when nothing connected and connected time is measured); a cap's words
        depend on the other reasons only (a refused call is final).
        """
        rules = self.wording.rules
        if reason is Reason.CALLER_BLOCKED:
            return list(map(itemgetter(6), facts))
        if reason is Reason.GEO_BLOCKED:
            return list(zip(map(phone.area_code, map(itemgetter(6), facts)),
                            map(itemgetter(7), facts), strict=True))
        if reason is Reason.GEO_UNKNOWN:
            return list(map(itemgetter(7), facts))
        if reason is Reason.AFTER_HOURS:
            if rules.terms.hours is None:
                return None
            local = list(map(rules.clock.local, map(itemgetter(2), facts)))
            closed = rules.closed_days
            return [(t // 60 % 10_080, t // DAY_S in closed) for t in local]
        if reason is Reason.SHORT:
            if rules.on_connected:
                return [None if c[5] is None else c[4] for c in facts]
            return list(map(itemgetter(3), facts))
        return None  # the others read no call (see _READS_CALL)

    def refusal(self, call: CallFacts, outcome: Outcome) -> str:
        """The reasons JSON of a refused outcome, as :meth:`json` makes it, built from parts.

        ``json.dumps`` of a list is its items' own dumps joined by ", " in brackets, so each
        reason's item is encoded once per distinct case and a refusal's JSON once per case.
        """
        reasons = outcome[3]
        if len(reasons) == 1:
            key = self.wording.key(reasons[0], call, outcome)
            if key is not None:
                text = self._texts.get(key)
                if text is None:
                    text = self._texts[key] = f"[{self._fragment(reasons[0], call, outcome)}]"
                return text
        return "[" + ", ".join([self._fragment(r, call, outcome) for r in reasons]) + "]"

    def _fragment(self, reason: Reason, call: CallFacts, outcome: Outcome) -> str:
        if reason is Reason.DUPLICATE and self._duplicate is not None:
            head, tail = self._duplicate
            return f"{head}{outcome.duplicate_of}{tail}"
        key = self.wording.key(reason, call, outcome)
        text = None if key is None else self._fragments.get(key)
        if text is None:
            text = _item(reason.value, self.wording.sentence(reason, call, outcome))
            if key is not None:
                self._fragments[key] = text
        return text


    def json(self, pairs: list[tuple[str, str]]) -> str:
        key = tuple(pairs)
        text = self._json.get(key)
        if text is None:
            text = json.dumps([{"code": c, "text": t} for c, t in pairs], ensure_ascii=False)
            if len(self._json) < 100_000:
                self._json[key] = text
        return text


# The reasons whose words read the call (the others: one sentence each, or the template of
# DUPLICATE, or a cap's, which depends on the other reasons only).
_READS_CALL = frozenset({Reason.CALLER_BLOCKED, Reason.GEO_BLOCKED, Reason.GEO_UNKNOWN,
                         Reason.AFTER_HOURS, Reason.SHORT})


def _objects(items: list[str]) -> Any:
    """``items`` as a numpy array of objects (``np.array`` would make strings of them)."""
    found = np.empty(len(items), dtype=object)
    found[:] = items
    return found


def _facts_of(calls: Mapping[int, CallFacts], ids: list[int]) -> list[CallFacts]:
    """The calls of ``ids``, in order (many at once through a :class:`CallIndex`)."""
    if isinstance(calls, CallIndex):
        return calls.many(ids)
    return list(map(calls.__getitem__, ids))


Phrasebook = tuple[explain.Wording, dict[tuple[object, ...], str], dict[tuple[object, ...], str],
                   dict[int, dict[tuple[object, ...], Any]], dict[tuple[object, ...], str]]
PHRASES_KEPT = 100_000  # cases kept between runs, all terms together: ~20 MB of sentences
_BOOKS: dict[Terms, Phrasebook] = {}


def _phrasebook(terms: Terms) -> Phrasebook:
    """The wording of ``terms``, a refusal's JSON by its words' key, and each reason's item.

    Equal terms word equal cases alike, so they are kept from one run to the next (see
    :func:`forget_phrases`).
    """
    book = _BOOKS.get(terms)
    if book is None:
        if len(_BOOKS) >= 64:  # many versions edited in one session: start afresh
            _BOOKS.clear()
        book = _BOOKS[terms] = (explain.Wording(terms), {}, {}, {}, {})
    return book


def forget_phrases() -> None:
    """Keep only each reason's items if a run left more than PHRASES_KEPT cases (a full run's).

    A day's incremental run keeps its cases for the next sync's; a year's would hold tens
    of megabytes of sentences in a desktop app for little gain. Its items (one per reason
    and value: an hour's minute, a measured time, a blocked caller) are far fewer than its
    cases and are what a new day's cases are made of: kept while they fit in PHRASES_KEPT.
    """
    if sum(len(b[1]) + len(b[2]) + sum(map(len, b[3].values())) + len(b[4])
           for b in _BOOKS.values()) <= PHRASES_KEPT:
        return
    items = {terms: book[4] for terms, book in _BOOKS.items()}
    _BOOKS.clear()
    if sum(map(len, items.values())) <= PHRASES_KEPT:
        for terms, kept in items.items():
            _BOOKS[terms] = (explain.Wording(terms), {}, {}, {}, kept)


def _item(code: str, text: str) -> str:
    """``json.dumps({"code": code, "text": text}, ensure_ascii=False)``, encoded directly.

    The same characters (json's own string encoder, the default separators) without the
    encoder's machinery, for each of a day's new sentences.
    """
    return f'{{"code": {_quoted(code)}, "text": {_quoted(text)}}}'


_quoted = json.encoder.encode_basestring  # a str as json.dumps writes it (not ASCII-only)
_FLAG_OF = {reason: int(reason.flag) for reason in Reason}
_CAPS = _FLAG_OF[Reason.OVER_CAP] | _FLAG_OF[Reason.OVER_CONCURRENCY]
_ANY_ID = 918_273_645_546_372_819  # a marker where DUPLICATE's template takes the call's id
_ANY_CALL = CallFacts(0, "", 0, 0, 0, None, "", None, None, None, None, final=True)
_ANY_DUPLICATE = Outcome(0, qualified=False, amount_micros=0, reasons=(Reason.DUPLICATE,),
                         duplicate_of=_ANY_ID)
