"""Figures for a period the reader picks, each beside the same figure for the period before.

Every figure is a pure function of the cases and the period. A case counts in
a period by the date the figure is about: opened for what came in, resolved
for what was settled (and for what settling it cost).
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from amends.model import FAULTS, SEVERITIES, Case
from amends.report.views import customer_key, label_key

PERIODS = ("month", "quarter", "year", "all")
PERIOD_NAMES = {"month": "This month", "quarter": "This quarter", "year": "This year", "all": "All time"}


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: date | None  # None: since the first case
    end: date           # inclusive

    def holds(self, day: date | None) -> bool:
        return day is not None and (self.start is None or self.start <= day) and day <= self.end


def period(key: str, as_of: date) -> Period:
    """The period of kind `key` that contains `as_of`, up to the end of that period."""
    if key == "month":
        start = as_of.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Period(key, start.strftime("%B %Y"), start, end)
    if key == "quarter":
        first_month = 3 * ((as_of.month - 1) // 3) + 1
        start = date(as_of.year, first_month, 1)
        end = (date(as_of.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)) - timedelta(days=1)
        return Period(key, f"Q{(first_month + 2) // 3} {as_of.year}", start, end)
    if key == "year":
        return Period(key, str(as_of.year), date(as_of.year, 1, 1), date(as_of.year, 12, 31))
    return Period(key, "All time", None, as_of)


def previous(p: Period) -> Period | None:
    """The period just before, of the same length; all time has none."""
    if p.start is None:
        return None
    return period(p.key, p.start - timedelta(days=1))


@dataclass(frozen=True)
class Figures:
    period: Period
    opened: int
    resolved: int
    median_days_to_first_contact: float | None
    median_days_to_resolve: float | None
    recovered: int
    lost: int
    compensation: tuple[tuple[str, Decimal], ...]          # currency → total
    compensation_by_kind: tuple[tuple[str, str, Decimal], ...]  # kind, currency, total
    compensated_cases: int
    repeat_customers: int
    reopened: int
    by_fault: tuple[tuple[str, int], ...]
    revenue_at_risk: Decimal | None
    revenue_kept: Decimal | None
    recovery_cost: tuple[tuple[str, Decimal], ...]

    @property
    def recovery_rate(self) -> float | None:
        """Recovered ÷ (recovered + lost), among cases settled in the period."""
        settled = self.recovered + self.lost
        return self.recovered / settled if settled else None

    @property
    def fault_shares(self) -> tuple[tuple[str, int, int | None], ...]:
        """Each fault's count and whole-percent share of the cases opened, the shares summing to exactly 100."""
        shares = whole_percents([n for _, n in self.by_fault])
        return tuple((fault, n, share) for (fault, n), share in zip(self.by_fault, shares))

    def per_case(self, currency: str) -> Decimal | None:
        total = dict(self.compensation).get(currency)
        return (total / self.compensated_cases).quantize(Decimal("0.01")) if total is not None and self.compensated_cases else None


@dataclass(frozen=True)
class Asked:
    """A check-in that reached the customer, and what they answered (followups.hearing)."""

    team: str | None
    sent: date
    answer: str = ""          # CONFIRMED, NOT_PUT_RIGHT, or "" for no answer yet
    score: int | None = None


CONFIRMED, NOT_PUT_RIGHT = "confirmed", "not put right"


@dataclass(frozen=True)
class Answers:
    """What the customers asked "Has everything been put right?" in a period answered, for a team or all."""

    name: str
    asked: int
    confirmed: int
    not_put_right: int
    scores: tuple[int, ...] = ()

    @property
    def unanswered(self) -> int:
        return self.asked - self.confirmed - self.not_put_right

    @property
    def share_confirmed(self) -> float | None:
        return self.confirmed / self.asked if self.asked else None

    @property
    def mean_score(self) -> float | None:
        return round(statistics.mean(self.scores), 1) if self.scores else None


ALL_TEAMS, NO_TEAM = "All teams", "No team"


def answers(asked: list[Asked], p: Period) -> list[Answers]:
    """The check-ins sent in the period and their answers: all teams first, then each team by name."""
    mine = [a for a in asked if p.holds(a.sent)]
    teams: dict[str, list[Asked]] = defaultdict(list)
    names: dict[str, str] = {}
    for a in mine:
        key = label_key(a.team) if a.team else ""
        teams[key].append(a)
        names.setdefault(key, a.team or NO_TEAM)

    def row(name: str, of: list[Asked]) -> Answers:
        said = Counter(a.answer for a in of)
        return Answers(name, len(of), said[CONFIRMED], said[NOT_PUT_RIGHT],
                       tuple(a.score for a in of if a.score is not None))

    # Without a team, last: it is not a team of its own.
    order = sorted(teams, key=lambda key: (key == "", names[key].casefold()))
    return [row(ALL_TEAMS, mine)] + [row(names[key], teams[key]) for key in order] if mine else []


@dataclass(frozen=True)
class AskedGiven:
    """For the cases of one severity resolved in a period that say what the customer asked for: how
    many, what they asked and what was given (in the business currency), and how often it was enough."""

    severity: str
    cases: int
    with_amount: int     # of them, those whose ask names an amount in the business currency
    asked: Decimal
    given: Decimal       # to those with an amount, reimbursements included
    enough: int          # given at least the amount asked


def asked_and_given(cases: list[Case], p: Period, currency: str) -> list[AskedGiven]:
    """What customers asked for beside what they were given, by severity, for the cases resolved in the period."""
    rows = []
    for severity in SEVERITIES:
        mine = [c for c in cases if c.asked_for and c.severity == severity and p.holds(c.resolved)]
        priced = [c for c in mine if c.asked_for.amount is not None and c.asked_for.currency == currency]
        given = {c.id: sum((a.amount for a in c.accommodation if a.amount is not None and a.currency == currency),
                           Decimal(0)) for c in priced}
        if mine:
            rows.append(AskedGiven(severity, len(mine), len(priced), sum((c.asked_for.amount for c in priced), Decimal(0)),
                                   sum(given.values(), Decimal(0)),
                                   sum(given[c.id] >= c.asked_for.amount for c in priced)))
    return rows


# What a customer can use later, so that using it is a sign they came back.
REDEEMABLE = ("gift-card", "discount", "credit")


@dataclass(frozen=True)
class Payback:
    """Did recovery pay, for the cases resolved in a period: what was given back used, customers who bought
    again and what they spent beside what winning them back cost, and that cost beside finding a new customer."""

    redeemable: int          # gift cards, discounts and credits given
    redeemed: int
    settled: int             # cases resolved and not lost
    came_back: int           # of them, with a next purchase
    spent: Decimal           # their next purchases, in the business currency
    spent_cost: Decimal      # what was given back to those customers
    recovered: int
    recovery_cost: Decimal   # given back on the recovered cases
    acquisition_cost: Decimal | None

    @property
    def per_recovered(self) -> Decimal | None:
        return (self.recovery_cost / self.recovered).quantize(Decimal("0.01")) if self.recovered else None


def payback(cases: list[Case], p: Period, currency: str, acquisition_cost: Decimal | None) -> Payback:
    """Payback of the cases resolved in the period (see Payback); amounts in other currencies are left out."""
    mine = [c for c in cases if p.holds(c.resolved) and c.status != "lost" and not c.is_open]

    def given(of: list[Case]) -> Decimal:
        return sum((a.amount for c in of for a in c.accommodation if a.amount is not None and a.currency == currency),
                   Decimal(0))

    usable = [a for c in mine for a in c.accommodation if a.kind in REDEEMABLE]
    back = [c for c in mine if c.next_purchase]
    recovered = [c for c in mine if c.status == "recovered"]
    return Payback(len(usable), sum(a.redeemed is not None for a in usable), len(mine), len(back),
                   sum((c.next_purchase.amount for c in back if c.next_purchase.amount is not None
                        and c.next_purchase.currency == currency), Decimal(0)), given(back),
                   len(recovered), given(recovered), acquisition_cost)


def whole_percents(counts: list[int]) -> list[int | None]:
    """Whole-percent shares of `counts` that add up to exactly 100 (largest remainder).

    Each share is first rounded down; the points still missing go one each to
    the largest remainders, the earlier count first on a tie. No total, no shares.
    """
    total = sum(counts)
    if not total:
        return [None] * len(counts)
    floors = [100 * n // total for n in counts]
    remainders = [100 * n % total for n in counts]
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], i))
    for i in order[:100 - sum(floors)]:
        floors[i] += 1
    return floors


def first_contact_days(case: Case) -> int | None:
    """Days from opening to the first logged contact."""
    return (case.contacts[0].day - case.opened).days if case.contacts else None


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def _money(cases: list[Case]) -> tuple[dict[str, Decimal], dict[tuple[str, str], Decimal]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    by_kind: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for case in cases:
        for item in case.accommodation:
            if item.amount is not None:
                totals[item.currency] += item.amount
                by_kind[(item.kind, item.currency)] += item.amount
    return totals, by_kind


def settled_on(case: Case) -> date:
    """The day a case's cost and outcome belong to: when it was resolved, else when it came in."""
    return case.resolved or case.opened


def figures(cases: list[Case], p: Period, per_customer: Counter | None = None) -> Figures:
    """Every figure of the report for one period.

    `per_customer` (how many cases each customer has, by customer_key) is
    worked out here unless the caller already has it for these cases.
    """
    # One pass over the cases: at ten thousand cases the report asks for ten periods' figures.
    start, end = p.start or date.min, p.end
    opened, resolved, settled, costly = [], [], [], []
    for c in cases:
        if start <= c.opened <= end:
            opened.append(c)
        if c.resolved is not None and c.status != "open" and start <= c.resolved <= end:
            resolved.append(c)
        if start <= settled_on(c) <= end:
            if c.status in ("recovered", "lost"):
                settled.append(c)
            if c.accommodation:
                costly.append(c)
    totals, by_kind = _money(costly)
    all_by_customer = per_customer if per_customer is not None else customer_counts(cases)
    faults = Counter(c.fault or "unclear" for c in opened)
    at_risk = [c.customer_value for c in opened if c.is_open and c.customer_value is not None]
    recovered = [c for c in settled if c.status == "recovered"]
    kept = [c.customer_value for c in recovered if c.customer_value is not None]
    cost, _ = _money(recovered)
    return Figures(
        period=p,
        opened=len(opened),
        resolved=len(resolved),
        median_days_to_first_contact=_median([d for d in map(first_contact_days, opened) if d is not None]),
        median_days_to_resolve=_median([c.days_to_resolve for c in resolved]),
        recovered=len(recovered),
        lost=len(settled) - len(recovered),
        compensation=tuple(sorted(totals.items())),
        compensation_by_kind=tuple(sorted((k, cur, v) for (k, cur), v in by_kind.items())),
        compensated_cases=len(costly),
        repeat_customers=len({customer_key(c) for c in opened if all_by_customer[customer_key(c)] > 1}),
        reopened=sum(c.reopened for c in opened),
        by_fault=tuple((f, faults[f]) for f in FAULTS),
        revenue_at_risk=sum(at_risk, Decimal(0)) if at_risk else None,
        revenue_kept=sum(kept, Decimal(0)) if kept else None,
        recovery_cost=tuple(sorted(cost.items())),
    )


def contribution(case: Case) -> dict[date, dict[tuple, int | Decimal]]:
    """What one case adds to the figures of a period, by the day it counts on: the figures of a period
    are from_totals of the sums over its days. Medians need every value, so a value is an item
    ("days to resolve", 3), counted; money comes with the places it is written to.
    """
    out: dict[date, dict[tuple, int | Decimal]] = defaultdict(dict)

    def add(day: date, item: tuple, n: int | Decimal = 1) -> None:
        out[day][item] = out[day].get(item, 0) + n
        if isinstance(n, Decimal):
            add(day, ("places", item, n.as_tuple().exponent))

    add(case.opened, ("opened",))
    add(case.opened, ("fault", case.fault or "unclear"))
    if case.reopened:
        add(case.opened, ("reopened",))
    if case.contacts:
        add(case.opened, ("first contact", first_contact_days(case)))
    if case.is_open and case.customer_value is not None:
        add(case.opened, ("at risk",), case.customer_value)
    if case.days_to_resolve is not None:
        add(case.resolved, ("resolved",))
        add(case.resolved, ("days to resolve", case.days_to_resolve))
    settled = settled_on(case)
    if case.status in ("recovered", "lost"):
        add(settled, (case.status,))
    if case.status == "recovered" and case.customer_value is not None:
        add(settled, ("kept",), case.customer_value)
    if case.accommodation:
        add(settled, ("compensated",))
    for item in case.accommodation:
        if item.amount is not None:
            add(settled, ("compensation", item.currency), item.amount)
            add(settled, ("compensation by kind", item.kind, item.currency), item.amount)
            if case.status == "recovered":
                add(settled, ("recovery cost", item.currency), item.amount)
    return out


def from_totals(p: Period, totals: dict[tuple, int | Decimal], repeat_customers: int) -> Figures:
    """The figures of a period from the sums of `contribution` over its days, as figures() gives them.

    `repeat_customers` is how many customers with more than one case had one opened in the period.
    """
    def money(item: tuple) -> Decimal | None:
        # Sum(…, Decimal(0)) writes a total to the most places of any amount in it, and at least none.
        if item not in totals:
            return None
        places = min((key[2] for key in totals if key[0] == "places" and key[1] == item), default=0)
        return Decimal(totals[item]).quantize(Decimal(1).scaleb(min(places, 0)))

    def listed(kind: str) -> tuple:
        return tuple(sorted((*item[1:], money(item)) for item in totals if item[0] == kind))

    def median(kind: str) -> float | None:
        return _median_of({item[1]: n for item, n in totals.items() if item[0] == kind})

    return Figures(
        period=p,
        opened=totals.get(("opened",), 0),
        resolved=totals.get(("resolved",), 0),
        median_days_to_first_contact=median("first contact"),
        median_days_to_resolve=median("days to resolve"),
        recovered=totals.get(("recovered",), 0),
        lost=totals.get(("lost",), 0),
        compensation=listed("compensation"),
        compensation_by_kind=listed("compensation by kind"),
        compensated_cases=totals.get(("compensated",), 0),
        repeat_customers=repeat_customers,
        reopened=totals.get(("reopened",), 0),
        by_fault=tuple((f, totals.get(("fault", f), 0)) for f in FAULTS),
        revenue_at_risk=money(("at risk",)),
        revenue_kept=money(("kept",)),
        recovery_cost=listed("recovery cost"),
    )


def _median_of(counted: dict[int, int]) -> float | None:
    """statistics.median of the values counted (value → how many times), without listing them."""
    n = sum(counted.values())
    if not n:
        return None
    wanted, found, seen = ([n // 2] if n % 2 else [n // 2 - 1, n // 2]), [], 0
    for value in sorted(counted):
        seen += counted[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return found[0] if len(found) == 1 else (found[0] + found[1]) / 2


def customer_counts(cases: list[Case]) -> Counter:
    """How many cases each customer has, by customer_key."""
    return Counter(map(customer_key, cases))


def months(cases: list[Case], p: Period, as_of: date) -> list[date]:
    """The months a chart for the period shows: the year so far, all time, or else the last twelve."""
    return month_firsts(p, as_of, min((c.opened for c in cases), default=None))


def month_firsts(p: Period, as_of: date, first_opened: date | None) -> list[date]:
    """months(), knowing only the day the first case was opened (None without cases)."""
    end = min(p.end, as_of)
    if p.key == "year":
        start = p.start
    elif p.key == "all":
        start = first_opened or as_of
    else:
        start = date(end.year - (end.month <= 11), (end.month - 12) % 12 + 1, 1)
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def per_month(cases: list[Case], firsts: list[date], currency: str) -> dict[str, list[float]]:
    """Opened, resolved and compensation (in one currency) per month, for the charts."""
    def month(day: date | None) -> date | None:
        return day.replace(day=1) if day else None

    opened = Counter(month(c.opened) for c in cases)
    resolved = Counter(month(c.resolved) for c in cases if c.days_to_resolve is not None)
    paid: dict[date, Decimal] = defaultdict(Decimal)
    for case in cases:
        for item in case.accommodation:
            if item.amount is not None and item.currency == currency:
                paid[month(settled_on(case))] += item.amount
    return {
        "opened": [opened[m] for m in firsts],
        "resolved": [resolved[m] for m in firsts],
        "compensation": [float(paid[m]) for m in firsts],
    }
