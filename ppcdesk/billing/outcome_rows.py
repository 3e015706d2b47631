"""The ``call_outcomes`` rows of the engine's outcomes: amounts, flags, sentences, adjustments.

A person's adjustments are laid on top of the engine's verdict every time (they survive
re-evaluation); ``flags`` keeps the engine's own bits plus MANUAL, so history can tell the
engine's verdict from a person's.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from ppcdesk.billing._vector import Shape
from ppcdesk.billing.facts import CallFacts, Outcome
from ppcdesk.billing.refusal_words import Refusals
from ppcdesk.billing.terms import BufferBasis, Terms
from ppcdesk.core.model import Counterparty
from ppcdesk.core.reasons import Reason, ReasonFlag
from ppcdesk.storage.billing_store import OUTCOME_COLUMNS
from ppcdesk.storage.ingest import FlatRows

MANUAL = int(ReasonFlag.MANUAL)
QUALIFIED_FIELDS = {"billable", "payable"}
AMOUNT_FIELDS = {"revenue", "payout"}


Row = tuple[int, int, int, int, int, int, int, str, int, int | None, int]
Adjusted = Mapping[int, Mapping[str, str]]  # call id -> field -> the newest value


class Rows:
    """The rows of one version's outcomes (store.OUTCOME_COLUMNS order).

    A million outcomes make a million rows, so the common cases are cheap: the rows are
    laid out by column, and refusals are worded per distinct case (:class:`Refusals`).
    """

    def __init__(self, contract_id: int, version_id: int, terms: Terms, now: int) -> None:
        self.contract_id, self.version_id, self.terms, self.now = (
            contract_id, version_id, terms, now)
        self.buyer = terms.counterparty is Counterparty.BUYER
        self.words = Refusals(terms)

    def rows(self, outcomes: list[Outcome], calls: Mapping[int, CallFacts],
             adjusted: Adjusted, revenue: Mapping[int, int],
             shape: Shape | None = None) -> FlatRows:
        """The rows of ``outcomes`` (``calls``: id -> facts, read for refusals only).

        Built by column into one flat list, as the writer binds them (each field of every
        outcome taken at C speed and laid in with a slice): a per-outcome loop of Python
        cost ~2 us a row, a tuple per row a third of that. Adjusted calls take :meth:`row`,
        in their places. With the outcomes' ``shape`` (the engine's columns), refusals are
        grouped and keyed with numpy (``Refusals.flags_and_texts``).
        """
        count = len(outcomes)
        width = len(OUTCOME_COLUMNS)
        if not count:
            return FlatRows([], width)
        ids = list(map(itemgetter(0), outcomes))
        qualified = list(map(int, map(itemgetter(1), outcomes)))
        amounts = list(map(itemgetter(2), outcomes))
        flags, texts = self.words.flags_and_texts(outcomes, ids, calls, shape)
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

    def row(self, call: CallFacts, outcome: Outcome, adjusted: Mapping[str, str] | None,
            revenue: Mapping[int, int]) -> Row:
        """The row of one outcome, a person's adjustments on top."""
        qualified, amount, flags = outcome.qualified, outcome.amount_micros, outcome.flags
        say = self.words.wording.sentence
        pairs = [(reason.value, say(reason, call, outcome)) for reason in outcome.reasons]
        if adjusted:
            qualified, amount = adjust(self.terms, call, outcome, adjusted, revenue)
            flags |= MANUAL
            pairs.append((Reason.MANUAL.value, _manual_text(self.terms, qualified, amount)))
        text = self.words.json(pairs) if pairs else "[]"
        buyer = self.buyer
        return (outcome.call_id, self.contract_id, self.version_id, int(buyer and qualified),
                int(not buyer and qualified), amount if buyer else 0, 0 if buyer else amount,
                text, flags, outcome.duplicate_of, self.now)



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
