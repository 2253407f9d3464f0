"""Who answers for what: per team and per owner, what their cases came to, for all time and the last 12 months.

A case counts in a period as on the figures pages (report.figures), by the day the figure is about:
opened for the cases, those still open, the days to first contact and the repeat failures; settled
(resolved, else opened) for the recovered and lost and for what was given back; resolved for the days
to resolve; and a promise by its due date (by its case's opening when it has none).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from amends.model import Case
from amends.report import figures, views


def owner_labels(case: Case) -> list[str]:
    return [case.owner] if case.owner else []


def by_owner(cases: Iterable[Case]) -> list[views.Group]:
    """The cases grouped by who handles them, as views.by_team groups them by team."""
    return views.group_by(cases, owner_labels)


# The ways of grouping held to account: (section, what a case is grouped under, the row of the cases with none).
GROUPINGS: tuple[tuple[str, Callable[[Case], Iterable[str]], str], ...] = (
    ("teams", views.LABELS["teams"], figures.NO_TEAM),
    ("owners", owner_labels, "No owner"),
)


def last_12_months(as_of: date) -> figures.Period:
    """The twelve months up to and including `as_of`: from the day after its date a year before."""
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February: a year before, the month ends on the 28th
        year_before = date(as_of.year - 1, 2, 28)
    return figures.Period("12-months", "Last 12 months", year_before + timedelta(days=1), as_of)


@dataclass(frozen=True)
class Row:
    """What one team's or owner's cases came to in one period."""

    name: str
    slug: str | None  # the group's page; None for the cases with no team or no owner, which have none
    cases: int
    open: int
    recovered: int
    lost: int
    value_lost: Decimal | None  # the lost customers' yearly value, of those whose case gives one
    compensation: tuple[tuple[str, Decimal], ...]  # currency → total, reimbursements included
    median_days_to_first_contact: float | None
    median_days_to_resolve: float | None
    promises_kept: int
    promises_broken: int
    repeats: int  # cases whose trouble an earlier case's prevention was meant to stop (views.repeat_failures)

    @property
    def recovery_rate(self) -> float | None:
        """Recovered ÷ (recovered + lost), as on the figures pages."""
        settled = self.recovered + self.lost
        return self.recovered / settled if settled else None

    def given(self, currency: str) -> Decimal:
        """What was given back in one currency: what a table sorts the compensation by."""
        return dict(self.compensation).get(currency, Decimal(0))

    @property
    def promises_settled(self) -> int:
        """The promises kept or broken; one still pending is neither."""
        return self.promises_kept + self.promises_broken


@dataclass(frozen=True)
class Table:
    """One period's rows: each group by name, then the cases with none if there are any."""

    period: figures.Period
    rows: tuple[Row, ...]

    def of(self, slug: str) -> Row:
        return next(row for row in self.rows if row.slug == slug)


def row(name: str, slug: str | None, cases: list[Case], p: figures.Period, repeats: set[str],
        per_customer: Counter) -> Row:
    """The figures of `cases` in the period; `repeats` holds the ids of every repeat failure's later case."""
    f = figures.figures(cases, p, per_customer)
    opened = [c for c in cases if p.holds(c.opened)]
    lost = [c.customer_value for c in cases
            if c.status == "lost" and c.customer_value is not None and p.holds(figures.settled_on(c))]
    kept = [promise.kept for c in cases for promise in c.promises
            if promise.kept is not None and p.holds(promise.due or c.opened)]
    return Row(name, slug, f.opened, sum(c.is_open for c in opened), f.recovered, f.lost,
               sum(lost, Decimal(0)) if lost else None, f.compensation,
               f.median_days_to_first_contact, f.median_days_to_resolve,
               kept.count(True), kept.count(False), sum(c.id in repeats for c in opened))


def accountability(cases: list[Case], groups: dict[str, list[views.Group]], as_of: date) -> dict[str, list[Table]]:
    """For teams and for owners (by section; `groups` as report.pages groups them): a table of all time,
    and one of the last 12 months."""
    # A repeat failure's earlier case can be anyone's: they are found among every case.
    repeats = {later.id for later, _ in views.repeat_failures(cases)}
    # figures() counts each customer's cases unless handed the count; these rows show no repeat complainers,
    # so one count serves every group.
    per_customer = figures.customer_counts(cases)
    periods = (figures.period("all", as_of), last_12_months(as_of))
    out = {}
    for section, labels, none in GROUPINGS:
        without = [c for c in cases if not any(labels(c))]
        out[section] = [Table(p, tuple(row(g.name, g.slug, g.cases, p, repeats, per_customer) for g in groups[section])
                              + ((row(none, None, without, p, repeats, per_customer),) if without else ()))
                        for p in periods]
    return out
