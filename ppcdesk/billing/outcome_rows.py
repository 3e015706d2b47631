"""The ``call_outcomes`` rows of the engine's outcomes: amounts, flags, sentences, adjustments.

A person's adjustments are laid on top of the engine's verdict every time (they survive
re-evaluation); ``flags`` keeps the engine's own bits plus MANUAL, so history can tell the
engine's verdict from a person's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

import numpy as np

from ppcdesk.billing import explain
from ppcdesk.billing._columns import Columns, Ints
from ppcdesk.billing._vector import Shape
from ppcdesk.billing.facts import CallFacts, Outcome
from ppcdesk.billing.rules import DAY_S
from ppcdesk.billing.terms import BufferBasis, Terms
from ppcdesk.core import phone
from ppcdesk.core.model import Counterparty
from ppcdesk.core.reasons import Reason, ReasonFlag, flags_of
from ppcdesk.storage.billing_store import OUTCOME_COLUMNS
from ppcdesk.storage.ingest import FlatRows

MANUAL = int(ReasonFlag.MANUAL)
QUALIFIED_FIELDS = {"billable", "payable"}
AMOUNT_FIELDS = {"revenue", "payout"}


Row = tuple[int, int, int, int, int, int, int, str, int, int | None, int]
Adjusted = Mapping[int, Mapping[str, str]]  # call id -> field -> the newest value


class Rows:
    """The rows of one version's outcomes (store.OUTCOME_COLUMNS order).

    A million outcomes make a million rows, so the common cases are cheap: a qualified
    outcome without adjustments is one tuple; a refused one is worded by explain.Wording
    (each distinct case once) and its JSON is built once per distinct list of sentences.
    """

    def __init__(self, contract_id: int, version_id: int, terms: Terms, now: int) -> None:
        self.contract_id, self.version_id, self.terms, self.now = (
            contract_id, version_id, terms, now)
        self.buyer = terms.counterparty is Counterparty.BUYER
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

    def rows(self, outcomes: list[Outcome], calls: Mapping[int, CallFacts],
             adjusted: Adjusted, revenue: Mapping[int, int],
             shape: Shape | None = None) -> FlatRows:
        """The rows of ``outcomes`` (``calls``: id -> facts, read for refusals only).

        Built by column into one flat list, as the writer binds them (each field of every
        outcome taken at C speed and laid in with a slice): a per-outcome loop of Python
        cost ~2 us a row, a tuple per row a third of that. Adjusted calls take :meth:`row`,
        in their places. With the outcomes' ``shape`` (the engine's columns), refusals are
        grouped and keyed with numpy (:meth:`_shaped_texts`).
        """
        count = len(outcomes)
        width = len(OUTCOME_COLUMNS)
        if not count:
            return FlatRows([], width)
        ids = list(map(itemgetter(0), outcomes))
        qualified = list(map(int, map(itemgetter(1), outcomes)))
        amounts = list(map(itemgetter(2), outcomes))
        if shape is not None and len(shape.at) == count:
            flags, texts = self._shaped_texts(outcomes, ids, calls, shape)
        else:
            flags, texts = self._flags_and_texts(outcomes, ids,
                                                 list(map(itemgetter(3), outcomes)), calls)
        zeros = [0] * count
        columns: tuple[list[Any], ...]
        if self.buyer:
            columns = (qualified, zeros, amounts, zeros)
        else:
            columns = (zeros, qualified, zeros, amounts)
        values: list[Any] = [None] * (count * width)
        for k, column in enumerate((ids, [self.contract_id] * count, [self.version_id] * count,
                                    *columns, texts, flags,
                                    list(map(itemgetter(4), outcomes)), [self.now] * count)):
            values[k::width] = column
        if adjusted:
            for n in [n for n, call_id in enumerate(ids) if call_id in adjusted]:
                call_id = ids[n]
                values[n * width:(n + 1) * width] = self.row(
                    calls[call_id], outcomes[n], adjusted.get(call_id), revenue)
        return FlatRows(values, width)

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
        the row-by-row path, so both word a case alike).
        """
        bits = shape.bits
        texts = np.full(len(bits), "[]", dtype=object)
        order = np.argsort(bits, kind="stable")
        grouped = bits[order]
        edges = np.flatnonzero(grouped[1:] != grouped[:-1]) + 1
        for lo, hi in zip([0, *edges.tolist()], [*edges.tolist(), len(grouped)], strict=True):
            value = int(grouped[lo])
            if value:
                places = order[lo:hi]
                texts[places] = self._shaped_group(value, places, outcomes, ids, calls, shape)
        return bits.tolist(), texts.tolist()

    def _shaped_group(self, bits: int, places: Ints, outcomes: list[Outcome], ids: list[int],
                      calls: Mapping[int, CallFacts], shape: Shape) -> Any:
        """The reasons JSON of the outcomes at ``places``, which all have the flags ``bits``."""
        first = int(places[0])
        reasons = outcomes[first][3]
        duplicate = Reason.DUPLICATE in reasons
        if duplicate and self._duplicate is None:  # worded per call (see Wording.sentence)
            return [self.refusal(calls[ids[n]], outcomes[n]) for n in places.tolist()]
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
        if duplicate:
            outcome = outcome._replace(duplicate_of=_ANY_ID)
        items = []
        for reason, value in zip(reasons, values, strict=True):
            flag = _FLAG_OF[reason]
            # A cap's words depend on the other reasons too (and nothing else varies).
            key = (bits, flag) if flag & _CAPS else (flag, value)
            item = self._items.get(key)
            if item is None:
                item = self._fragment(reason, call, outcome)
                if reason is not Reason.DUPLICATE:
                    self._items[key] = item
            items.append(item)
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

    def row(self, call: CallFacts, outcome: Outcome, adjusted: Mapping[str, str] | None,
            revenue: Mapping[int, int]) -> Row:
        """The row of one outcome, a person's adjustments on top."""
        qualified, amount, flags = outcome.qualified, outcome.amount_micros, outcome.flags
        say = self.wording.sentence
        pairs = [(reason.value, say(reason, call, outcome)) for reason in outcome.reasons]
        if adjusted:
            qualified, amount = adjust(self.terms, call, outcome, adjusted, revenue)
            flags |= MANUAL
            pairs.append((Reason.MANUAL.value, _manual_text(self.terms, qualified, amount)))
        text = self.json(pairs) if pairs else "[]"
        buyer = self.buyer
        return (outcome.call_id, self.contract_id, self.version_id, int(buyer and qualified),
                int(not buyer and qualified), amount if buyer else 0, 0 if buyer else amount,
                text, flags, outcome.duplicate_of, self.now)

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


class CallIndex(Mapping[int, CallFacts]):
    """A range's calls by id, over the list in call order (the job's ``calls`` for rows).

    Taking many calls at once (:func:`_facts_of`) finds their places with numpy and reads
    the list in order: a dict of a million calls costs a cache miss or two per lookup.
    """

    def __init__(self, calls: list[CallFacts]) -> None:
        self.calls = calls
        try:
            ids = np.fromiter(map(itemgetter(0), calls), dtype=np.int64, count=len(calls))
        except (OverflowError, TypeError, ValueError):  # odd ids: a plain dict
            self._dict: dict[int, CallFacts] | None = dict(
                zip(map(itemgetter(0), reversed(calls)), reversed(calls), strict=True))
            return
        self._dict = None
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def many(self, ids: list[int]) -> list[CallFacts]:
        """The calls of ``ids``, in that order (KeyError if one is not here)."""
        if self._dict is not None:
            return list(map(self._dict.__getitem__, ids))
        wanted = np.array(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, wanted), max(len(self._sorted) - 1, 0))
        if len(wanted) and (not len(self._sorted) or bool((self._sorted[at] != wanted).any())):
            raise KeyError("a call not in the range")
        return list(map(self.calls.__getitem__, self._order[at].tolist()))

    def __getitem__(self, call_id: int) -> CallFacts:
        if self._dict is not None:
            return self._dict[call_id]
        try:
            return self.many([call_id])[0]
        except OverflowError:
            raise KeyError(call_id) from None

    def __iter__(self) -> Iterator[int]:
        return map(itemgetter(0), self.calls)

    def __len__(self) -> int:
        return len(self.calls)


def _objects(items: list[str]) -> Any:
    """``items`` as a numpy array of objects (``np.array`` would make strings of them)."""
    found = np.empty(len(items), dtype=object)
    found[:] = items
    return found


def _facts_of(calls: Mapping[int, CallFacts], ids: list[int]) -> list[CallFacts]:
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


def outcome_row(contract_id: int, version_id: int, terms: Terms, call: CallFacts,
                outcome: Outcome, adjusted: Mapping[str, str] | None,
                revenue: Mapping[int, int], now: int) -> Row:
    """The ``call_outcomes`` row of one outcome (store.OUTCOME_COLUMNS), adjustments on top."""
    return Rows(contract_id, version_id, terms, now).row(call, outcome, adjusted, revenue)


def adjust(terms: Terms, call: CallFacts, outcome: Outcome, adjusted: Mapping[str, str],
           revenue: Mapping[int, int]) -> tuple[bool, int]:
    """The outcome after a person's overrides: (qualified, amount).

    Marked qualified without an amount: what the terms pay for the call (its list price);
    marked not qualified: nothing, unless an amount was set too.
    """
    qualified, amount = outcome.qualified, outcome.amount_micros
    for field, value in adjusted.items():
        if field in QUALIFIED_FIELDS:
            qualified = value == "true"
            amount = (amount or list_price(terms, call, revenue)) if qualified else 0
    for field, value in adjusted.items():
        if field in AMOUNT_FIELDS:
            amount = int(value)
    return qualified, amount


def list_price(terms: Terms, call: CallFacts, revenue: Mapping[int, int]) -> int:
    """What the terms pay for ``call`` were it qualified (for a person's "mark billable")."""
    price = terms.price
    if price.fixed_micros is not None:
        return price.fixed_micros
    if price.tiers:
        measured = call.connected_s if terms.buffer_basis is BufferBasis.CONNECTED \
            else call.duration_s
        reached = [t.amount_micros for t in sorted(price.tiers) if t.min_s <= measured]
        return reached[-1] if reached else 0
    if price.revenue_share is not None:
        share = Decimal(revenue.get(call.id, 0)) * price.revenue_share
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 0


def _manual_text(terms: Terms, qualified: bool, amount: int) -> str:
    what = "billable" if terms.counterparty is Counterparty.BUYER else "payable"
    state = what if qualified else f"not {what}"
    return f"set by hand: {state}, ${Decimal(amount) / 1_000_000:,.2f} (see the adjustments)"
