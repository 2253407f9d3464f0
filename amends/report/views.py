"""Pure views over the cases: figures, groupings and timelines for the site."""
from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from amends.followups import hearing
from amends.model import STATUSES, Case, Promise
from amends.templating import format_date, format_money
from amends.text import slugify


# Forms of address a name may carry in a postal address: "Herrn Dr. Anna Weber" is still Anna Weber.
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "herr", "herrn", "frau"})


def _bare_name(line: str) -> str:
    words = line.casefold().split()
    while words and words[0].rstrip(".") in _TITLES:
        del words[0]
    return " ".join(words)


def postal_lines(names: Iterable[str | None], address: str) -> list[str]:
    """A letter's address block: the names (a person, a company), then the address.

    A name the address already holds, with or without a title, is not written again.
    """
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    held = {_bare_name(line) for line in lines}
    above = []
    for name in names:
        if name and _bare_name(name) not in held:
            above.append(name)
            held.add(_bare_name(name))
    return above + lines


def status_label(case: Case) -> str:
    return "reopened" if case.reopened else case.status


def label_key(label: str) -> str:
    """One form of a label (team, category, tag) for comparison: "Café" typed with an accent key and
    "Café" pasted as e plus a combining accent, or "Kitchen" and "kitchen", are one label."""
    return unicodedata.normalize("NFC", label.casefold())


def customer_key(case: Case) -> str:
    """One customer across cases: same email, or same name when no email is known."""
    return label_key(case.customer.email or case.customer.name)


@dataclass
class Group:
    """Cases sharing a category, team, tag or customer, with a page of their own."""

    name: str
    slug: str
    cases: list[Case] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(case.is_open for case in self.cases)


def group_by(cases: Iterable[Case], labels: Callable[[Case], Iterable[str]],
             name: Callable[[list[Case]], str] | None = None) -> list[Group]:
    """Group cases under each label they have, compared by label_key; groups sorted by name, slugs unique.

    A group is named by `name`, or as its label is written in its latest case.
    """
    members: dict[str, list[tuple[Case, str]]] = defaultdict(list)
    for case in cases:
        for label in labels(case):
            found = members[label_key(label)]
            if not found or found[-1][0] is not case:  # tags: [café, Café] puts a case in its group once
                found.append((case, label))
    groups = []
    for found in members.values():
        found.sort(key=lambda pair: (pair[0].opened, pair[0].id))
        grouped = [case for case, _ in found]
        groups.append(Group(name(grouped) if name else found[-1][1], "", grouped))
    groups.sort(key=lambda g: (g.name.casefold(), g.name))
    taken = {"index"}  # each section's own list page
    for group in groups:
        slug, n = slugify(group.name), 2
        while slug in taken:
            slug, n = f"{slugify(group.name)}-{n}", n + 1
        group.slug = slug
        taken.add(slug)
    return groups


# What each way of grouping groups a case under: by_category, by_team, by_tag and by_customer.
LABELS: dict[str, Callable[[Case], Iterable[str]]] = {
    "categories": lambda c: [c.category] if c.category else [],
    "teams": lambda c: [c.team] if c.team else [],
    "tags": lambda c: c.tags,
    "customers": lambda c: [customer_key(c)],
}


def by_category(cases: Iterable[Case]) -> list[Group]:
    return group_by(cases, LABELS["categories"])


def by_team(cases: Iterable[Case]) -> list[Group]:
    return group_by(cases, LABELS["teams"])


def by_tag(cases: Iterable[Case]) -> list[Group]:
    return group_by(cases, LABELS["tags"])


def by_customer(cases: Iterable[Case]) -> list[Group]:
    # The group is named as the customer was last written down.
    return group_by(cases, LABELS["customers"], name=lambda found: max(found, key=lambda c: (c.opened, c.id)).customer.name)


def cases_by_customer(cases: Iterable[Case]) -> dict[str, list[Case]]:
    """Each customer's cases (by customer_key, as the customer pages group them), oldest first."""
    out: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        out[customer_key(case)].append(case)
    for found in out.values():
        found.sort(key=lambda c: (c.opened, c.id))
    return dict(out)


def other_cases(case: Case, theirs: list[Case]) -> tuple[list[Case], list[Case]]:
    """The same customer's other cases, oldest first: those before this one, and those after it."""
    mine = (case.opened, case.id)
    earlier = [c for c in theirs if c is not case and (c.opened, c.id) < mine]
    later = [c for c in theirs if c is not case and (c.opened, c.id) > mine]
    return earlier, later


def compensation_totals(cases: Iterable[Case]) -> tuple[tuple[str, Decimal], ...]:
    """All that was given back with an amount, totalled per currency."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for case in cases:
        for item in case.accommodation:
            if item.amount is not None:
                totals[item.currency] += item.amount
    return tuple(sorted(totals.items()))


def customer_value(cases: Iterable[Case]) -> Decimal | None:
    """A customer's yearly value as last written down: that of the newest case that gives one."""
    valued = [c for c in cases if c.customer_value is not None]
    return max(valued, key=lambda c: (c.opened, c.id)).customer_value if valued else None


def status_counts(cases: list[Case]) -> tuple[tuple[str, int], ...]:
    """How many cases are in each status, every status listed."""
    counts = {status: 0 for status in STATUSES}
    for case in cases:
        counts[case.status] += 1
    return tuple(counts.items())


@dataclass(frozen=True)
class Event:
    """One line of a case's timeline."""

    day: date
    kind: str  # opened | contact | promise | resolved
    label: str
    detail: str | None = None
    time: str | None = None
    dated: date | None = None  # the date written on a letter, when the log gives it


_ORDER = {"opened": 0, "contact": 1, "promise": 2, "resolved": 3}


def timeline(case: Case, heard: Iterable[hearing.Heard] = (), zone: str = "UTC") -> list[Event]:
    """Opened → contacts → promises → resolved, in date order; the contacts include what the customer
    wrote back, as read from the mailbox (`heard`), at its time in `zone`."""
    events = [Event(case.opened, "opened", f"Opened ({case.channel})")]
    for contact in case.contacts:
        time = contact.at.strftime("%H:%M") if isinstance(contact.at, datetime) else None
        events.append(Event(contact.day, "contact", f"Contact by {contact.channel}" if contact.channel else "Contact",
                            contact.note, time, contact.dated))
    for h in heard:
        if h.kind in (hearing.REPLY, hearing.ANSWER, hearing.WROTE_AGAIN):
            at = hearing.received(h).astimezone(ZoneInfo(zone))
            said = hearing.first_line(h)
            detail = (f"answered the check-in: {h.answer_text}" + (f", \"{said}\"" if said else "")
                      if h.kind == hearing.ANSWER else f"\"{said}\"" if said else None)
            events.append(Event(at.date(), "contact", "Contact by email, by the customer", detail, at.strftime("%H:%M")))
    for promise in case.promises:
        if promise.due is not None:
            state = {True: "kept", False: "broken", None: "due"}[promise.kept]
            events.append(Event(promise.due, "promise", f"Promise {state}", promise.what))
    if case.resolved is not None:
        events.append(Event(case.resolved, "resolved", "Resolved" + (" (since reopened)" if case.reopened else "")))
    return sorted(events, key=lambda e: (e.day, _ORDER[e.kind], e.time or ""))


def signs_it_held(case: Case) -> list[str]:
    """What says the recovery held, besides the customer's own word: what was given back used, a purchase since."""
    out = [f"used the {a.kind} on {format_date(a.redeemed)}" for a in case.accommodation if a.redeemed]
    if case.next_purchase:
        p = case.next_purchase
        out.append(f"bought again on {format_date(p.day)}" + (f" ({format_money(p.amount, p.currency)})" if p.amount is not None else ""))
    return out


@dataclass(frozen=True)
class Touch:
    """When an open case's customer should next hear from us (amends.yaml cadence:), and why."""

    due: date
    every: int                # days between our contacts, for the case's severity
    last: date | None = None  # our latest contact; None: we have not been in touch yet

    def late(self, as_of: date) -> bool:
        return self.due < as_of if self.last else self.due <= as_of

    def words(self, as_of: date, severity: str | None) -> str:
        """"no contact for 4 days; high: every 2 days", or "no contact from us yet"."""
        gap = f"no contact for {(as_of - self.last).days} days" if self.last else "no contact from us yet"
        return f"{gap}; {severity or 'medium'}: every {self.every} day{'' if self.every == 1 else 's'}"


def touch(case: Case, every: int | None) -> Touch | None:
    """The next touch of an open case: `every` days after our latest contact, or at once when we have made
    none; None for a settled case, or without a cadence for its severity."""
    if not case.is_open or every is None:
        return None
    ours = [c.day for c in case.contacts if c.by == "us"]
    last = max(ours) if ours else None
    return Touch(last + timedelta(days=every) if last else case.opened, every, last)


def open_cases_by_age(cases: list[Case], today: date) -> list[tuple[Case, int]]:
    """Open cases, oldest first, with their age in days."""
    found = [(case, (today - case.opened).days) for case in cases if case.is_open]
    return sorted(found, key=lambda pair: (-pair[1], pair[0].id))


def overdue(promise: Promise, case: Case, as_of: date) -> bool:
    """A promise not kept by its day, on a case not given up."""
    return promise.kept is None and promise.due is not None and promise.due < as_of and case.status != "lost"


def promises_to_watch(cases: list[Case], as_of: date) -> tuple[list[tuple[Case, Promise]], list[tuple[Case, Promise]]]:
    """Promises due by today and not yet kept, and promises broken, each oldest first."""
    due, broken = [], []
    for case in cases:
        for promise in case.promises:
            if promise.kept is False:
                broken.append((case, promise))
            elif promise.kept is None and promise.due is not None and promise.due <= as_of and case.status != "lost":
                due.append((case, promise))
    order = lambda pair: (pair[1].due or date.min, pair[0].id)  # noqa: E731
    return sorted(due, key=order), sorted(broken, key=order)


@dataclass
class Lesson:
    """What keeps going wrong in one category or team, most frequent first."""

    name: str
    slug: str
    cases: list[Case]
    # (the later case, the earlier case whose prevention did not hold)
    repeats: list[tuple[Case, Case]] = field(default_factory=list)


def prevention_links(case: Case) -> set[tuple[str, ...]]:
    """What ties a later case to an earlier one's prevention, going by the facts alone: a shared tag, or the same
    customer, within one team and category. None without a team and a category.

    A team and a category are broad ("Front of house", "Service"): a rude server does not break the
    espresso machine's servicing plan. So besides both, the two share a tag or a customer.
    """
    if not (case.team and case.category):
        return set()
    team, category = label_key(case.team), label_key(case.category)
    return {(team, category, "tag", label_key(t)) for t in case.tags} | {(team, category, "customer", customer_key(case))}


def repeat_failures(cases: list[Case]) -> list[tuple[Case, Case]]:
    """Later cases whose trouble an earlier case's prevention was meant to stop, oldest first.

    A case linked by hand (`repeat_of: ID`) repeats that case. Otherwise it repeats the latest case
    opened before it that promised a prevention and is linked to it (same team and category, and a
    shared tag or the same customer), unless `not_a_repeat_of` lists that case's id.
    """
    by_id = {case.id.casefold(): case for case in cases}
    ordered = sorted(cases, key=lambda c: (c.opened, c.id))
    # The cases that promised a prevention, by each link to them, oldest first: looking up a later case's
    # links, not comparing it with every earlier case, keeps this fast at ten thousand cases.
    promised: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    for case in ordered:
        if case.prevention:
            for link in prevention_links(case):
                promised[link].append(case)
    opened = {link: [c.opened for c in found] for link, found in promised.items()}
    out = []
    for later in ordered:
        dropped = {other.casefold() for other in later.not_a_repeat_of}
        chosen = by_id.get(later.repeat_of.casefold()) if later.repeat_of else None
        if chosen is None or chosen is later:
            found = [_latest_before(promised[link], opened[link], later.opened, dropped)
                     for link in prevention_links(later) if link in promised]
            chosen = max(filter(None, found), key=lambda c: (c.opened, c.id), default=None)
        if chosen is not None:
            out.append((later, chosen))
    return out


def _latest_before(found: list[Case], days: list[date], day: date, dropped: set[str]) -> Case | None:
    """The newest of `found` (oldest first, opened on `days`) opened before `day` and not dropped.

    Cases opened the same day cannot have learned from each other.
    """
    i = bisect.bisect_left(days, day)
    while i > 0:
        i -= 1
        if found[i].id.casefold() not in dropped:
            return found[i]
    return None


def repeat_reason(later: Case, earlier: Case) -> str:
    """Why the later case counts against the earlier one's prevention, in a few words."""
    if later.repeat_of and later.repeat_of.casefold() == earlier.id.casefold():
        return "(linked by hand)"
    shared = sorted({label_key(t) for t in later.tags} & {label_key(t) for t in earlier.tags})
    why = (["same customer"] if customer_key(later) == customer_key(earlier) else []) + \
        ([("shared tag" if len(shared) == 1 else "shared tags") + " " + ", ".join(shared)] if shared else [])
    return f"({'; '.join(why)})"


def lessons(groups: list[Group], repeats: list[tuple[Case, Case]]) -> list[Lesson]:
    """Groups ordered by how often they recur, each with its repeat failures."""
    out = []
    for group in sorted(groups, key=lambda g: (-len(g.cases), g.name.casefold())):
        members = {c.id for c in group.cases}
        out.append(Lesson(group.name, group.slug, group.cases, [r for r in repeats if r[0].id in members]))
    return out
