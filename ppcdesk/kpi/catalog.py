"""Every KPI of the trade, defined once: key, label, unit, formula, why it matters, its SQL.

A KPI is an expression over *measures*: sums of per-call facts kept in the rollup tables
(``kpi_hourly``, ``kpi_daily``), plus three that no rollup can sum (``unique_callers``, from the
calls themselves; ``media_micros``, from ``media_spend``). Ratios evaluate exactly (Fraction);
a zero denominator gives None, shown as "n/a", never 0. Money is integer micros.

Example: 90 answered of 120 calls -> ``answer_rate`` = Fraction(90, 120) -> 0.75.

To add a KPI: if it needs a new per-call sum, add a Measure (SQL over ``f``: the FACTS and
FACT_COLUMNS of a call, its outcomes folded, its latest disposition's code and sale) and a
column in the rollup models and revision; then add a Kpi below. ``docs/kpis.md`` is
generated from this module (``python -m ppcdesk.kpi.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Final

from ppcdesk.core.money import Money
from ppcdesk.core.reasons import ReasonFlag

Value = Fraction | None

ANSWERED: Final = "(c.buyer_id IS NOT NULL OR c.connected_s > 0)"
KNOWN_CALLER: Final = "c.caller <> 'anonymous'"
HAS_RECORDING: Final = "EXISTS (SELECT 1 FROM recordings r WHERE r.call_sid = c.sid)"
FCR_WINDOW_S: Final = 7 * 86_400
# Connected-duration histogram bins (seconds): fine around the usual 60/90/120 s buffers.
DURATION_EDGES: Final = (0, 15, 30, 45, 60, 75, 90, 105, 120, 150, 180, 240, 300, 600)


class Unit(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a fraction, shown as a percentage
    SECONDS = "seconds"
    MINUTES = "minutes"
    MONEY = "money"  # integer micros
    MULTIPLE = "multiple"  # e.g. ROAS 4.0x
    PERCENT = "percent"  # already x100 (ROI %)
    SERIES = "series"  # a breakdown, not one figure


def show(unit: Unit, value: float | None) -> str:
    """A KPI's value as the dashboard and ``ppcdesk kpi`` print it; None is "n/a".

    One place, so a tile and the command line never disagree: ``show(Unit.RATE, 0.75)`` is
    ``"75.0%"``, ``show(Unit.SECONDS, 247.6)`` is ``"248 s"``, money is micros shown as dollars.
    """
    if value is None:
        return "n/a"
    if unit is Unit.MONEY:
        return Money(int(value)).format()
    if unit is Unit.RATE:
        return f"{100 * float(value):.1f}%"
    if unit is Unit.PERCENT:
        return f"{float(value):.1f}%"
    if unit is Unit.MULTIPLE:
        return f"{float(value):.2f}x"
    if unit is Unit.SECONDS:
        return f"{float(value):,.0f} s"
    if unit is Unit.MINUTES:
        return f"{float(value):,.0f} min"
    return f"{int(value):,}"


class Group(StrEnum):
    VOLUME = "Volume"
    HANDLING = "Handling"
    QUALITY = "Quality"
    MONEY = "Money"


@dataclass(frozen=True, slots=True)
class Measure:
    """A per-call fact summed into the rollups: ``SUM(sql)`` over the call's facts ``f``."""

    key: str
    sql: str
    doc: str


# Reason groups counted per call: a call counts when any contract's outcome carries the flag.
OUTCOME_FLAGS: Final = {
    "duplicate": int(ReasonFlag.DUPLICATE), "short": int(ReasonFlag.SHORT),
    "blocked": int(ReasonFlag.BLOCKED), "after_hours": int(ReasonFlag.AFTER_HOURS),
    "over_cap": int(ReasonFlag.OVER_CAP),
}


def _flag(name: str) -> str:
    return f"COALESCE(f.{name}, 0)"


def _bin_sql() -> str:
    """The duration bin of an answered call (index into DURATION_EDGES), else -1.

    One CASE per call instead of a range test per bin and call (14 of them).
    """
    steps = " ".join(f"WHEN c.connected_s < {hi} THEN {i}"
                     for i, hi in enumerate(DURATION_EDGES[1:]))
    return (f"CASE WHEN NOT {ANSWERED} OR c.connected_s < {DURATION_EDGES[0]} THEN -1 {steps} "
            f"WHEN c.connected_s >= {DURATION_EDGES[-1]} THEN {len(DURATION_EDGES) - 1} "
            "ELSE -1 END")


def yes(condition: str) -> str:
    """``condition`` as 1 or 0: SQLite's comparisons are numbers already, PostgreSQL's are
    booleans it will not sum, so every fact and measure is an integer on both."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


# Per-call facts, each evaluated once per call (the index probes are the cost of a rebuild),
# each 0 or 1; the measures below are sums of integer expressions over them (``f``). A caller's
# calls are ordered by (start, id), so two calls in the same second still count as a first call
# and a repeat.
FACTS: Final[tuple[tuple[str, str], ...]] = (
    ("a", yes(ANSWERED)),
    ("k", yes(KNOWN_CALLER)),
    ("rec", yes(HAS_RECORDING)),
    ("forward_ended", (f"CASE WHEN {ANSWERED} THEN 1 WHEN EXISTS (SELECT 1 FROM call_legs l "
     "WHERE l.call_sid = c.sid AND l.status IN ('busy', 'failed', 'no-answer')) THEN 1 "
     "ELSE 0 END")),
    ("seen_before", (f"CASE WHEN {KNOWN_CALLER} THEN " + yes(
        "EXISTS (SELECT 1 FROM calls p WHERE p.caller = c.caller "
        "AND (p.started_at, p.id) < (c.started_at, c.id))") + " ELSE 1 END")),
    ("called_again", (f"CASE WHEN {ANSWERED} AND {KNOWN_CALLER} THEN " + yes(
        "EXISTS (SELECT 1 FROM calls n WHERE n.caller = c.caller "
        "AND (n.started_at, n.id) > (c.started_at, c.id) "
        f"AND n.started_at <= c.started_at + {FCR_WINDOW_S})") + " ELSE 1 END")),
    ("bin", _bin_sql()),
)
# The same two facts for a whole rebuild, from one ordered pass along the caller index (LAG and
# LEAD over the caller's calls, no sort) kept per call id in a temporary table ``w``: two index
# probes per call cost ~4 s of CPU for a million calls, the pass ~1.4 s. ``{index}``: SQLite's
# INDEXED BY (CALLER_INDEX), which PostgreSQL lacks (its planner finds the index itself).
CALLER_INDEX: Final = " INDEXED BY ix_calls_caller_started"
CALLER_PASS: Final = (
    "SELECT id, " + yes("LAG(id) OVER w IS NOT NULL") + " AS earlier, "
    + yes(f"LEAD(started_at) OVER w <= started_at + {FCR_WINDOW_S}") + " AS again "
    "FROM calls{index} WINDOW w AS (PARTITION BY caller ORDER BY started_at, id)")
PASS_FACTS: Final = {
    "seen_before": f"CASE WHEN {KNOWN_CALLER} THEN COALESCE(w.earlier, 0) ELSE 1 END",
    "called_again": f"CASE WHEN {ANSWERED} AND {KNOWN_CALLER} THEN COALESCE(w.again, 0) ELSE 1 END",
}
FACT_COLUMNS: Final = ("started_at", "tracking_number_id", "campaign_id", "publisher_id",
                       "buyer_id", "caller_state", "status", "connected_s", "time_to_answer_s",
                       "cost_micros", "legs_cost_micros")


MEASURES: Final[tuple[Measure, ...]] = (
    Measure("calls", "1", "inbound calls"),
    Measure("answered", "f.a", "a buyer or destination leg connected"),
    Measure("abandoned", yes("f.a = 0 AND f.status NOT IN ('busy', 'failed', 'no-answer') "
                             "AND f.forward_ended = 0"),
            "unanswered, and no forward ended on its own: the caller hung up first"),
    Measure("voicemail", "(1 - f.a) * f.rec",
            "unanswered calls that left a recording (a message)"),
    Measure("talk_s", "f.connected_s", "seconds connected to a buyer"),
    Measure("tta_s", "CASE WHEN f.a = 1 THEN COALESCE(f.time_to_answer_s, 0) ELSE 0 END",
            "seconds from the call's start to the answer, over answered calls"),
    Measure("tta_n", yes("f.a = 1 AND f.time_to_answer_s IS NOT NULL"),
            "answered calls with a known time to answer"),
    Measure("telco_micros", "COALESCE(f.cost_micros, 0) + COALESCE(f.legs_cost_micros, 0)",
            "Twilio's price of the inbound leg and the forwarded legs"),
    Measure("recorded", "f.a * f.rec", "answered calls with a recording"),
    Measure("first_calls", "f.k * (1 - f.seen_before)",
            "the first call ever from its (identified) caller"),
    Measure("answered_known", "f.a * f.k", "answered calls from an identified caller"),
    Measure("resolved", "f.a * f.k * (1 - f.called_again)",
            "answered calls whose caller did not call again within 7 days"),
    Measure("evaluated", "COALESCE(f.evaluated, 0)", "calls a contract has decided about"),
    Measure("billable", "COALESCE(f.billable, 0)", "a buyer contract bills the call"),
    Measure("payable", "COALESCE(f.payable, 0)", "a publisher contract pays for the call"),
    Measure("revenue_micros", "COALESCE(f.revenue_micros, 0)", "what buyers owe"),
    Measure("payout_micros", "COALESCE(f.payout_micros, 0)", "what is owed to publishers"),
    Measure("duplicate", _flag("duplicate"), "a contract found it a duplicate"),
    Measure("short", _flag("short"), "answered, but shorter than the buffer"),
    Measure("blocked", _flag("blocked"), "caller or geography blocked"),
    Measure("after_hours", _flag("after_hours"), "outside the campaign's hours"),
    Measure("over_cap", _flag("over_cap"), "the cap was already reached"),
    Measure("conversions", yes("f.code = 'converted'"),
            "the latest disposition says converted"),
    Measure("sale_micros", "CASE WHEN f.code = 'converted' THEN COALESCE(f.sale_micros, 0) "
            "ELSE 0 END", "sale amounts of converted calls"),
    *(Measure(f"dur_{i}", yes(f"f.bin = {i}"),
              f"answered calls connected {lo}"
              + (f"-{DURATION_EDGES[i + 1]} s" if i + 1 < len(DURATION_EDGES) else "+ s"))
      for i, lo in enumerate(DURATION_EDGES)),
)
MEASURE_KEYS: Final = tuple(m.key for m in MEASURES)
# Not summable from rollups: computed beside them.
EXTRA_KEYS: Final = ("unique_callers", "media_micros")


# ---------------------------------------------------------------- formulas
class Expr:
    """A formula over measures that evaluates exactly and renders as SQL and as words."""

    def eval(self, m: dict[str, int]) -> Value:
        raise NotImplementedError

    def sql(self) -> str:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def keys(self) -> frozenset[str]:
        raise NotImplementedError

    def __sub__(self, other: Expr) -> Expr:
        return Op("-", self, other)

    def __add__(self, other: Expr) -> Expr:
        return Op("+", self, other)

    def __mul__(self, other: Expr) -> Expr:
        return Op("*", self, other)

    def __truediv__(self, other: Expr) -> Expr:
        return Op("/", self, other)


@dataclass(frozen=True, slots=True, eq=False)
class M(Expr):
    key: str

    def eval(self, m: dict[str, int]) -> Value:
        return Fraction(m[self.key])

    def sql(self) -> str:
        if self.key == "unique_callers":
            return ("(SELECT COUNT(*) FROM (SELECT caller FROM calls c WHERE <period> "
                    "AND c.caller <> 'anonymous' GROUP BY caller) u)")
        if self.key == "media_micros":
            return "(SELECT SUM(amount_micros) FROM media_spend WHERE <days>)"
        return f"SUM({self.key})"

    def text(self) -> str:
        return self.key

    def keys(self) -> frozenset[str]:
        return frozenset({self.key})


@dataclass(frozen=True, slots=True, eq=False)
class N(Expr):
    value: int

    def eval(self, m: dict[str, int]) -> Value:
        del m  # a constant
        return Fraction(self.value)

    def sql(self) -> str:
        return str(self.value)

    def text(self) -> str:
        return str(self.value)

    def keys(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True, slots=True, eq=False)
class Op(Expr):
    op: str
    left: Expr
    right: Expr

    def eval(self, m: dict[str, int]) -> Value:
        a, b = self.left.eval(m), self.right.eval(m)
        if a is None or b is None:
            return None
        if self.op == "/":
            return None if b == 0 else a / b
        return a + b if self.op == "+" else a - b if self.op == "-" else a * b

    def sql(self) -> str:
        right = f"NULLIF({self.right.sql()}, 0)" if self.op == "/" else self.right.sql()
        left = self.left.sql()
        if self.op == "/":
            left = f"1.0 * {left}"
        return f"({left} {self.op} {right})"

    def text(self) -> str:
        return f"({self.left.text()} {self.op} {self.right.text()})"

    def keys(self) -> frozenset[str]:
        return self.left.keys() | self.right.keys()


@dataclass(frozen=True, slots=True)
class Kpi:
    """One figure of the trade. ``series`` KPIs are breakdowns (``by``) of ``expr``."""

    key: str
    label: str
    group: Group
    unit: Unit
    expr: Expr
    why: str
    needs_outcomes: bool = False  # n/a until a contract has decided about some call
    needs_spend: bool = False  # n/a under a buyer or number filter: spend is not kept so fine
    by: str | None = None  # series: the dimension it breaks down by
    good_when_up: bool = True

    @property
    def formula(self) -> str:
        text = self.expr.text()
        return text[1:-1] if text.startswith("(") and text.endswith(")") else text

    @property
    def sql(self) -> str:
        return self.expr.sql()


calls, answered, missed = M("calls"), M("answered"), M("calls") - M("answered")
revenue, payout, telco, media = (M("revenue_micros"), M("payout_micros"), M("telco_micros"),
                                 M("media_micros"))
costs = payout + telco + media
profit = revenue - payout - telco - media
V, H, Q, MO = Group.VOLUME, Group.HANDLING, Group.QUALITY, Group.MONEY
C, R, S, MN = Unit.COUNT, Unit.RATE, Unit.SECONDS, Unit.MONEY

KPIS: Final[tuple[Kpi, ...]] = (
    # Volume
    Kpi("total_calls", "Calls", V, C, calls, "The volume everything else is a share of."),
    Kpi("unique_callers", "Unique callers", V, C, M("unique_callers"),
        "People, not dials: identified callers with at least one call in the period."),
    Kpi("first_time_callers", "First-time callers", V, C, M("first_calls"),
        "New demand: callers never seen before the period."),
    Kpi("repeat_callers", "Repeat callers", V, C, M("unique_callers") - M("first_calls"),
        "Callers who had called before: loyal customers, or recycled traffic."),
    Kpi("answered_calls", "Answered calls", V, C, answered,
        "Calls a buyer actually talked to: the only ones that can bill."),
    Kpi("missed_calls", "Missed calls", V, C, missed, "Paid-for calls nobody picked up.",
        good_when_up=False),
    Kpi("voicemail_calls", "Voicemails", V, C, M("voicemail"),
        "Missed callers who left a message: call them back.", good_when_up=False),
    Kpi("after_hours_calls", "After-hours calls", V, C, M("after_hours"),
        "Calls outside the campaign's hours: media that runs when nobody can buy.",
        needs_outcomes=True, good_when_up=False),
    Kpi("calls_by_day", "Calls by day", V, Unit.SERIES, calls, "The trend.", by="day"),
    Kpi("calls_by_hour", "Calls by hour", V, Unit.SERIES, calls,
        "When to staff and when to bid.", by="hour"),
    Kpi("calls_by_weekday", "Calls by weekday", V, Unit.SERIES, calls,
        "The weekly rhythm.", by="weekday"),
    Kpi("peak_hours", "Peak hours", V, Unit.SERIES, calls,
        "The busiest hour-of-week blocks: where capacity matters most.", by="hour_of_week"),
    # Handling
    Kpi("answer_rate", "Answer rate", H, R, answered / calls,
        "Buyers' capacity: 90 answered of 120 calls is 75%."),
    Kpi("missed_call_rate", "Missed-call rate", H, R, missed / calls,
        "The share of paid calls lost at the door.", good_when_up=False),
    Kpi("abandonment_rate", "Abandonment rate", H, R, M("abandoned") / calls,
        "Callers who hung up before anyone answered: IVR or ring time too long.",
        good_when_up=False),
    Kpi("avg_call_duration_s", "Average call duration", H, S, M("talk_s") / answered,
        "Mean connected time of answered calls: long calls convert."),
    Kpi("avg_time_to_answer_s", "Average time to answer", H, S, M("tta_s") / M("tta_n"),
        "Ring time the caller endures.", good_when_up=False),
    Kpi("talk_minutes", "Talk minutes", H, Unit.MINUTES, M("talk_s") / N(60),
        "Connected minutes: what per-minute deals and rpm are built on."),
    Kpi("first_call_resolution", "First-call resolution", H, R,
        M("resolved") / M("answered_known"),
        "Answered callers who did not need to call again within 7 days."),
    Kpi("recording_capture_rate", "Recording capture rate", H, R, M("recorded") / answered,
        "Answered calls you can prove: disputes are won with recordings."),
    # Quality
    Kpi("billable_calls", "Billable calls", Q, C, M("billable"),
        "Calls a buyer contract pays for.", needs_outcomes=True),
    Kpi("billable_rate", "Billable rate", Q, R, M("billable") / calls,
        "The share of calls that make money.", needs_outcomes=True),
    Kpi("payable_calls", "Payable calls", Q, C, M("payable"),
        "Calls a publisher contract pays out on.", needs_outcomes=True, good_when_up=False),
    Kpi("duplicate_calls", "Duplicate calls", Q, C, M("duplicate"),
        "Repeat callers within a contract's window: not billed.", needs_outcomes=True,
        good_when_up=False),
    Kpi("duplicate_rate", "Duplicate rate", Q, R, M("duplicate") / calls,
        "High rates point at recycled or incentivised traffic.", needs_outcomes=True,
        good_when_up=False),
    Kpi("short_calls", "Short calls", Q, C, M("short"),
        "Answered, but under the buffer: no pay.", needs_outcomes=True, good_when_up=False),
    Kpi("blocked_calls", "Blocked calls", Q, C, M("blocked"),
        "Refused by geography or caller rules.", needs_outcomes=True, good_when_up=False),
    Kpi("conversions", "Conversions", Q, C, M("conversions"),
        "Sales, from the reviewers' dispositions."),
    Kpi("conversion_rate", "Conversion rate", Q, R, M("conversions") / calls,
        "Calls that became sales."),
    Kpi("conversion_rate_by_publisher", "Conversion rate by publisher", Q, Unit.SERIES,
        M("conversions") / calls, "Which publisher's callers buy.", by="publisher"),
    # Money
    Kpi("revenue", "Revenue", MO, MN, revenue, "What buyers owe for the calls.",
        needs_outcomes=True),
    Kpi("payout", "Payout", MO, MN, payout, "What publishers are owed.",
        needs_outcomes=True, good_when_up=False),
    Kpi("telco_cost", "Telco cost", MO, MN, telco, "Twilio's price of both legs.",
        good_when_up=False),
    Kpi("media_cost", "Media cost", MO, MN, media, "Entered or imported ad spend.",
        needs_spend=True, good_when_up=False),
    Kpi("profit", "Profit", MO, MN, profit, "Revenue - payout - telco cost - media cost.",
        needs_outcomes=True, needs_spend=True),
    Kpi("cost_per_call", "Cost per call", MO, MN, media / calls,
        "$2,000 of media for 400 calls is $5 a call.", needs_spend=True, good_when_up=False),
    Kpi("cost_per_billable_call", "Cost per billable call", MO, MN, media / M("billable"),
        "What a call that pays really costs.", needs_outcomes=True, needs_spend=True,
        good_when_up=False),
    Kpi("revenue_per_call", "Revenue per call", MO, MN, revenue / calls,
        "What an average call earns.", needs_outcomes=True),
    Kpi("revenue_per_billable_call", "Revenue per billable call", MO, MN,
        revenue / M("billable"), "The average price of a paid call.", needs_outcomes=True),
    Kpi("rpm", "Revenue per minute", MO, MN, revenue * N(60) / M("talk_s"),
        "Revenue per connected minute: compares per-call and per-minute deals.",
        needs_outcomes=True),
    Kpi("cpa", "Cost per acquisition", MO, MN, media / M("conversions"),
        "Media cost per sale.", needs_spend=True, good_when_up=False),
    Kpi("roas", "ROAS", MO, Unit.MULTIPLE, revenue / media,
        "$20,000 of revenue on $5,000 of spend is 4.0.", needs_outcomes=True,
        needs_spend=True),
    Kpi("roi_pct", "ROI", MO, Unit.PERCENT, profit * N(100) / costs,
        "Profit as a percentage of everything spent (payout, telco, media).",
        needs_outcomes=True, needs_spend=True),
    Kpi("missed_call_revenue_loss", "Revenue lost to missed calls", MO, MN,
        missed * (M("billable") / answered) * (revenue / M("billable")),
        "Missed calls x billable rate of answered calls x revenue per billable call: "
        "20 missed at 10% worth $500 each lose $1,000.", needs_outcomes=True,
        good_when_up=False),
)
BY_KEY: Final = {k.key: k for k in KPIS}
FIGURES: Final = tuple(k for k in KPIS if k.unit is not Unit.SERIES)

# The dimensions a KPI breaks down by (``ppcdesk kpi --by``).
DIMENSIONS: Final = ("campaign", "publisher", "buyer", "number", "state", "day", "week",
                     "month", "hour", "weekday")


def evaluate(kpi: Kpi, m: dict[str, int], *, spend_known: bool = True,
             disposed: bool = True) -> Value:
    """The KPI's exact value over summed measures ``m``; None means n/a.

    ``disposed=False``: nobody recorded a disposition in the period, so conversions are
    unknown (n/a), not zero.
    """
    if kpi.needs_outcomes and not m.get("evaluated"):
        return None
    if not spend_known and "media_micros" in kpi.expr.keys():  # noqa: SIM118 - Expr.keys
        return None
    if not disposed and "conversions" in kpi.expr.keys():  # noqa: SIM118 - Expr.keys
        return None
    return kpi.expr.eval(m)
