"""What the pages about many cases show, kept by difference: an edited case takes back what its old
version added to the groups, figures, lessons, repeats, attention and follow-ups by state, and adds
what the new one does.

Each accessor returns what today's function over the whole collection returns, and those functions stay
as the oracles (tests/test_folds.py). The kept state (`Kept`) holds no case and no follow-up, only
folds of what they contributed: a build stores it beside each case's version, and hands it back to
Aggregates.restore with the cases (and follow-ups) of those versions, then updates it with what
changed since. It is made for one amends.yaml (followups.since sorts the follow-ups): another one
starts afresh.

Costs: an update takes each changed case's contributions out of the folds and puts the new ones in
(bisect and dictionary work per contribution), and chooses again the repeat of the cases the change
can reach: those that name it by hand, and the later cases on each of its prevention's links. An
accessor costs what it returns, plus the buckets it reads: a figure reads the months of its period,
and a bisect per customer with more than one case.
"""
from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from amends.cases.config import Config
from amends.followups.messages import Prepared
from amends.followups.plan import STATES, before_since
from amends.incremental.folds import Count, Index, Order
from amends.model import STATUSES, Case, Promise
from amends.report import figures, views
from amends.text import slugify

# The ways of grouping whose groups are lessons too.
LESSONS = ("categories", "teams")


@dataclass
class Kept:
    """The folds, and nothing of the cases or follow-ups themselves: a plain value to pickle.

    Order sort keys: a case is (opened, id); a promise (due, case id, its place in the case);
    a follow-up (due at, case id, its place in the case's follow-ups).
    """

    # By way of grouping (views.LABELS): each group's cases, by group key (views.label_key).
    groups: dict[str, Order] = field(default_factory=lambda: {section: Order() for section in views.LABELS})
    # ("all",) and ("open",) cases; ("status", status); ("customer", customer_key); promises ("due",)
    # and ("broken",); by prevention link, ("link", link) every case and ("promised", link) those with one.
    cases: Order = field(default_factory=Order)
    # figures.contribution by ("day", day), summed by ("month", its first day) too.
    by_day: Count = field(default_factory=lambda: Count(rollup=_month))
    # Cases by the id they name in repeat_of, casefolded.
    hand: Index = field(default_factory=Index)
    # Each later case's repeat: chosen[later id] = earlier id, and the later cases in order
    # (("all",), ("open",), ("group", section, key) for the lessons).
    chosen: dict[str, str] = field(default_factory=dict)
    repeats: Order = field(default_factory=Order)
    # Customers (customer_key) with more than one case.
    repeaters: set[str] = field(default_factory=set)
    # Follow-ups by (state, is a task, before followups.since).
    followups: Order = field(default_factory=Order)
    # What taking a case out needs of it, by case id: (opened, its prevention's links if it has one, its
    # customer_key). So an update is handed only the new version of a case, never the old one.
    taken: dict[str, tuple[date, tuple, str]] = field(default_factory=dict)


class Aggregates:
    """The aggregates of the cases taken in so far, each read as today's function over them would give it.

    Made empty and filled by update(), or restored from its `kept` state and the cases it was made of.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.kept = Kept()
        self.cases: dict[str, Case] = {}
        self.followups: dict[str, list[Prepared]] = {}
        self.ids: dict[str, str] = {}  # case ids by their casefolded id, as repeat_of names them
        # Each way of grouping's slugs by group name, as last made: slugify is slow enough to count.
        self._slugs: dict[str, dict[str, str]] = {}

    @classmethod
    def restore(cls, config: Config, kept: Kept, cases: Iterable[Case],
                followups: Mapping[str, Sequence[Prepared]]) -> Aggregates:
        """Aggregates as they were kept, given the cases (and their follow-ups, by case id) they were made of."""
        made = cls(config)
        made.kept = kept
        made.cases = {case.id: case for case in cases}
        made.ids = {case_id.casefold(): case_id for case_id in made.cases}
        made.followups = {case_id: list(items) for case_id, items in followups.items() if items}
        return made

    def update(self, cases: Iterable[Case], removed: Iterable[str] = (),
               followups: Mapping[str, Sequence[Prepared]] | None = None) -> None:
        """Take in new or changed `cases`, and drop the `removed` ids.

        `followups` holds, by case id, the follow-ups of each of `cases` (none if left out) and
        of every other case whose follow-ups changed (the ledger, or the day, moved them).
        """
        cases, removed, followups = list(cases), list(removed), followups or {}
        k = self.kept
        again: set[str] = set()  # the cases whose repeat is to be chosen again
        customers: set[str] = set()
        for case_id in [*removed, *(case.id for case in cases)]:
            self.cases.pop(case_id, None)
            taken = k.taken.pop(case_id, None)
            if taken is not None:
                opened, links, customer = taken
                again |= self._reached(case_id, opened, links) | {case_id}
                customers.add(customer)
                self._forget(case_id)
        for case in cases:
            self.cases[case.id] = case
            self._learn(case)
        for case in cases:
            opened, links, customer = k.taken[case.id]
            again |= self._reached(case.id, opened, links) | {case.id}
            customers.add(customer)
        for case_id in removed:
            self._plan(case_id, ())
        for case_id in {case.id for case in cases} | set(followups):
            self._plan(case_id, followups.get(case_id, ()) if case_id in self.cases else ())
        for case_id in again:
            self._choose(case_id)
        for key in customers:
            if k.cases.count(("customer", key)) > 1:
                k.repeaters.add(key)
            else:
                k.repeaters.discard(key)

    # -- what one case contributes -------------------------------------------------------------

    def _learn(self, case: Case) -> None:
        k, order = self.kept, (case.opened, case.id)
        for section, labels in views.LABELS.items():
            k.groups[section].add(case.id, [(key, order) for key in {views.label_key(label) for label in labels(case)}])
        k.cases.add(case.id, _entries(case, order))
        k.by_day.add(case.id, {("day", day): items for day, items in figures.contribution(case).items()})
        k.hand.add(case.id, [case.repeat_of.casefold()] if case.repeat_of else [])
        k.taken[case.id] = (case.opened, tuple(sorted(views.prevention_links(case))) if case.prevention else (),
                            views.customer_key(case))
        self.ids[case.id.casefold()] = case.id

    def _forget(self, case_id: str) -> None:
        k = self.kept
        for fold in (*k.groups.values(), k.cases, k.by_day, k.hand):
            fold.remove(case_id)
        self.ids.pop(case_id.casefold(), None)

    def _plan(self, case_id: str, items: Sequence[Prepared]) -> None:
        self.followups.pop(case_id, None)
        if items:
            self.followups[case_id] = list(items)
        old = bool(items) and before_since(items[0].followup.case, self.config)  # one case's follow-ups, one answer
        self.kept.followups.add(case_id, [((p.followup.state, p.followup.is_task, old), (p.followup.due_at, case_id, i))
                                          for i, p in enumerate(items)])

    # -- repeats (views.repeat_failures) ---------------------------------------------------------

    def _reached(self, case_id: str, opened: date, links: tuple) -> set[str]:
        """The cases whose repeat a case's coming or going can change: those naming it by hand, and
        those opened since it on a link of its prevention (`links`, none without one)."""
        found = set(self.kept.hand.keys(case_id.casefold()))
        for link in links:
            found.update(other for _, other in self.kept.cases.between(("link", link), (opened,)))
        return found

    def _choose(self, case_id: str) -> None:
        k = self.kept
        k.repeats.remove(case_id)
        k.chosen.pop(case_id, None)
        later = self.cases.get(case_id)
        earlier = self._earlier(later) if later else None
        if earlier is None:
            return
        k.chosen[case_id] = earlier
        order = (later.opened, later.id)
        k.repeats.add(case_id, [(("all",), order)] + ([(("open",), order)] if later.is_open else []) + [
            (("group", section, key), order) for section in LESSONS
            for key in {views.label_key(label) for label in views.LABELS[section](later)}])

    def _earlier(self, later: Case) -> str | None:
        """The id of the case whose prevention `later` repeats, as views.repeat_failures chooses it."""
        if later.repeat_of:
            named = self.ids.get(later.repeat_of.casefold())
            if named is not None and named != later.id:
                return named
        dropped = {other.casefold() for other in later.not_a_repeat_of}
        best = None
        for link in views.prevention_links(later):
            # Cases opened the same day cannot have learned from each other.
            found = next((entry for entry in self.kept.cases.before(("promised", link), (later.opened,))
                          if entry[1].casefold() not in dropped), None)
            if found is not None and (best is None or found > best):
                best = found
        return best[1] if best else None

    # -- what the pages read ---------------------------------------------------------------------

    def groups(self, section: str, period: figures.Period | None = None) -> list[views.Group]:
        """views.by_category(cases) and the like, by section (views.LABELS); with a period, of the cases opened in it."""
        return [group for _, group in self._groups(section, period)]

    def _groups(self, section: str, period: figures.Period | None) -> list[tuple[str, views.Group]]:
        fold, (low, high) = self.kept.groups[section], _bounds(period)
        made = []
        for key in fold.buckets():
            cases = [self.cases[case_id] for _, case_id in fold.between(key, low, high)]
            if cases:
                made.append((key, views.Group(_label(section, cases[-1], key), "", cases)))
        # By name, as views.group_by sorts them; groups of one name (two customers) in the order that the
        # project, which lists cases by id ignoring case, lists their first cases.
        alike = Counter(_by_name(group) for _, group in made)
        made.sort(key=lambda kg: (*_by_name(kg[1]), min(c.id.casefold() for c in kg[1].cases)
                                  if alike[_by_name(kg[1])] > 1 else ""))
        known = self._slugs.get(section, {})
        bases = {group.name: known.get(group.name) or slugify(group.name) for _, group in made}
        if period is None:
            self._slugs[section] = bases
        taken = {"index"}  # each section's own list page
        for _, group in made:
            slug, n = bases[group.name], 2
            while slug in taken:
                slug, n = f"{bases[group.name]}-{n}", n + 1
            group.slug = slug
            taken.add(slug)
        return made

    def lessons(self, section: str) -> list[views.Lesson]:
        """views.lessons(views.by_category(cases), views.repeat_failures(cases)), for categories or teams."""
        out = [views.Lesson(group.name, group.slug, group.cases, self._pairs(("group", section, key)))
               for key, group in self._groups(section, None)]
        return sorted(out, key=lambda lesson: (-len(lesson.cases), lesson.name.casefold()))

    def repeat_failures(self) -> list[tuple[Case, Case]]:
        """views.repeat_failures(cases)."""
        return self._pairs(("all",))

    def open_repeats(self) -> list[tuple[Case, Case]]:
        """The repeats whose later case is still open, newest first, as the overview lists them."""
        return self._pairs(("open",))[::-1]

    def _pairs(self, bucket: tuple) -> list[tuple[Case, Case]]:
        return [(self.cases[case_id], self.cases[self.kept.chosen[case_id]])
                for _, case_id in self.kept.repeats.between(bucket)]

    def figures(self, period: figures.Period) -> figures.Figures:
        """figures.figures(cases, period)."""
        low, high = _bounds(period)
        repeaters = sum(1 for key in self.kept.repeaters if self.kept.cases.count(("customer", key), low, high))
        return figures.from_totals(period, self._totals(period.start, period.end), repeaters)

    def _totals(self, start: date | None, end: date) -> dict[tuple, int | Decimal]:
        """The sums of figures.contribution over the days from `start` (None: the first) to `end`:
        by month, and by day in a month the span covers only in part."""
        out: dict[tuple, int | Decimal] = {}
        for grain, month in self.kept.by_day.groups():
            if grain != "month":
                continue
            last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            low, high = max(start or month, month), min(end, last)
            if low > high:
                continue
            whole = (low, high) == (month, last)
            groups = [("month", month)] if whole else [("day", low + timedelta(days=i)) for i in range((high - low).days + 1)]
            for group in groups:
                for item, n in self.kept.by_day.totals(group).items():
                    out[item] = out[item] + n if item in out else n
        return out

    def months(self, period: figures.Period, as_of: date) -> list[date]:
        """figures.months(cases, period, as_of)."""
        first = self.kept.cases.first(("all",))
        return figures.month_firsts(period, as_of, first[0] if first else None)

    def per_month(self, firsts: list[date], currency: str) -> dict[str, list[float]]:
        """figures.per_month(cases, firsts, currency)."""
        totals = [self.kept.by_day.totals(("month", month)) for month in firsts]
        return {"opened": [t.get(("opened",), 0) for t in totals], "resolved": [t.get(("resolved",), 0) for t in totals],
                "compensation": [float(t.get(("compensation", currency), 0)) for t in totals]}

    def days_to_resolve(self, period: figures.Period) -> list[int]:
        """The days to resolve of the cases resolved in the period, smallest first (all a histogram needs)."""
        totals = self._totals(period.start, period.end)
        return sorted(itertools.chain.from_iterable(
            [item[1]] * n for item, n in totals.items() if item[0] == "days to resolve"))

    def status_counts(self) -> tuple[tuple[str, int], ...]:
        """views.status_counts(cases)."""
        return tuple((status, self.kept.cases.count(("status", status))) for status in STATUSES)

    def newest(self, n: int | None = None) -> list[Case]:
        """The cases, newest first (by opened, then id): all of them, or the first n."""
        return [self.cases[case_id] for _, case_id in itertools.islice(self.kept.cases.before(("all",)), n)]

    def open_cases_by_age(self, as_of: date) -> list[tuple[Case, int]]:
        """views.open_cases_by_age(cases, as_of)."""
        return [(self.cases[case_id], (as_of - opened).days) for opened, case_id in self.kept.cases.between(("open",))]

    def promises_to_watch(self, as_of: date) -> tuple[list[tuple[Case, Promise]], list[tuple[Case, Promise]]]:
        """views.promises_to_watch(cases, as_of)."""
        def pairs(keys: list[tuple]) -> list[tuple[Case, Promise]]:
            return [(self.cases[case_id], self.cases[case_id].promises[i]) for _, case_id, i in keys]

        return pairs(self.kept.cases.between(("due",), None, (as_of + timedelta(days=1),))), \
            pairs(self.kept.cases.between(("broken",)))

    def followups_in(self, states: Iterable[str], task: bool | None = None,
                     before_since: bool | None = None) -> list[Prepared]:
        """The follow-ups in these states in the plan's order (that of Review.prepared); only the tasks, or
        only the emails, and only those before (or since) followups.since, when asked."""
        states = set(states)
        buckets = [b for b in self.kept.followups.buckets()
                   if b[0] in states and task in (None, b[1]) and before_since in (None, b[2])]
        merged = heapq.merge(*(self.kept.followups.between(b) for b in buckets))
        return [self.followups[case_id][i] for _, case_id, i in merged]

    def followup_counts(self) -> dict[str, int]:
        """How many follow-ups are in each state, every state listed."""
        counts = dict.fromkeys(STATES, 0)
        for bucket in self.kept.followups.buckets():
            counts[bucket[0]] += self.kept.followups.count(bucket)
        return counts

    def attention(self, states: Iterable[str], as_of: date) -> list[Prepared]:
        """The emails someone must act on: in one of `states`, and if due, due by `as_of`."""
        return [item for item in self.followups_in(states, task=False)
                if item.followup.state != "due" or item.followup.due_at.date() <= as_of]


def _entries(case: Case, order: tuple[date, str]) -> list[tuple[tuple, tuple]]:
    """The case's entries in Kept.cases; `order` is its sort key, (opened, id)."""
    out = [(("all",), order), (("status", case.status), order), (("customer", views.customer_key(case)), order)]
    if case.is_open:
        out.append((("open",), order))
    for i, promise in enumerate(case.promises):
        if promise.kept is False:
            out.append((("broken",), (promise.due or date.min, case.id, i)))
        elif promise.kept is None and promise.due is not None and case.status != "lost":
            out.append((("due",), (promise.due, case.id, i)))
    for link in views.prevention_links(case):
        out.append((("link", link), order))
        if case.prevention:
            out.append((("promised", link), order))
    return out


def _month(group: tuple[str, date]) -> tuple[str, date]:
    """The month a day's figures add into."""
    return "month", group[1].replace(day=1)


def _by_name(group: views.Group) -> tuple[str, str]:
    return group.name.casefold(), group.name


def _label(section: str, case: Case, key: str) -> str:
    """A group's name: its label as its latest case writes it (a customer's name, for a customer)."""
    if section == "customers":
        return case.customer.name
    return next(label for label in views.LABELS[section](case) if views.label_key(label) == key)


def _bounds(period: figures.Period | None) -> tuple[tuple | None, tuple | None]:
    """Order bounds for the cases opened in the period: from (start,), up to the day after the end."""
    if period is None:
        return None, None
    return ((period.start,) if period.start else None), (period.end + timedelta(days=1),)
