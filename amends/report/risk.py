"""Who may leave next: the customers with a reason to, each reason said, and what they are worth a year.

No score is hidden behind the list: a customer is listed for the reasons shown beside them, the one with
more reasons first, then the one worth more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from amends.followups import hearing
from amends.model import SEVERE, Case
from amends.report.views import cases_by_customer, signs_it_held
from amends.templating import format_date

# "Two or more cases in 12 months", and how far back a broken promise still counts.
WINDOW = timedelta(days=365)
# A check-in this many days without an answer is an answer missing.
ANSWER_DAYS = 7


@dataclass(frozen=True)
class AtRisk:
    name: str
    latest: Case                 # the customer's most recent case, which the list links to
    reasons: tuple[str, ...]
    value: Decimal | None        # yearly value, the largest their cases give

    @property
    def order(self) -> tuple:
        return (-len(self.reasons), -(self.value or 0), self.name.casefold(), self.latest.id)


@dataclass(frozen=True)
class Checkin:
    """A check-in email that reached the customer of a case, and what the customer answered, if anything."""

    case: Case
    sent: date
    answer: hearing.Heard | None = None     # the latest


def at_risk(cases: list[Case], checkins: list[Checkin], as_of: date) -> list[AtRisk]:
    """The customers with at least one reason to leave, as of `as_of`, most at risk first. Customers whose
    latest case was lost are gone already, and not listed."""
    latest_checkin: dict[str, Checkin] = {}
    for c in sorted(checkins, key=lambda c: c.sent):
        latest_checkin[c.case.id] = c
    out = []
    for theirs in cases_by_customer(cases).values():
        latest = theirs[-1]
        if latest.status == "lost":
            continue
        reasons = _reasons(theirs, latest_checkin, as_of)
        if reasons:
            values = [c.customer_value for c in theirs if c.customer_value is not None]
            out.append(AtRisk(latest.customer.name, latest, tuple(reasons), max(values) if values else None))
    return sorted(out, key=lambda r: r.order)


def _reasons(theirs: list[Case], checkins: dict[str, Checkin], as_of: date) -> list[str]:
    recent = [c for c in theirs if c.opened > as_of - WINDOW]
    out = [f"an open {c.weight} case: {c.title}" for c in theirs if c.is_open and c.weight in SEVERE]
    if len(recent) >= 2:
        out.append(f"{len(recent)} cases in 12 months")
    out += [f"a broken promise: {p.what}" for c in recent if c.status != "lost" for p in c.promises if p.kept is False]
    latest = theirs[-1]
    checkin = checkins.get(latest.id)
    if checkin and checkin.answer and hearing.unhappy(checkin.answer):
        out.append(f"said it is not put right ({checkin.answer.answer_text}, "
                   f"{format_date(hearing.received(checkin.answer).date())})")
    elif checkin and not checkin.answer and (as_of - checkin.sent).days >= ANSWER_DAYS:
        out.append(f"no answer to the check-in of {format_date(checkin.sent)}")
    elif latest.status == "recovered" and latest.opened > as_of - WINDOW and not signs_it_held(latest) \
            and not (checkin and checkin.answer and hearing.confirms(checkin.answer)):
        out.append("marked recovered, but the customer has not confirmed it")
    if latest.second_chance_of and (latest.is_open or latest.opened > as_of - WINDOW):
        out.append(f"on a second chance, after {latest.second_chance_of}")
    return out
