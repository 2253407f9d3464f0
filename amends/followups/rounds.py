"""What already reached a customer: by round (one resolution of one case), and by address.

A second round after a reopen says that the customer heard from us before; the resend
guard holds an email that already went to the same address about the same complaint.
Both read the ledger through the functions here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from amends.followups.ledger import History, address_key
from amends.model import Case

# Ledger events after which a message may have reached its customer.
REACHED = ("sent", "data", "ambiguous")


@dataclass(frozen=True)
class EarlierRound:
    """A round of the same case that went out before it was reopened: a second round says so."""

    resolved: date
    first_sent: datetime
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Delivered:
    """An email that went out, as the resend guard sees it."""

    key: str
    to: str
    at: datetime
    opened: date | None  # the day its complaint was opened, as recorded when it went (older events have none)
    case: Case | None    # the case its key names, if that case still exists


# Emails delivered, by (ledger.address_key of the address, kind).
Deliveries = dict[tuple[str, str], list[Delivered]]

# What may have reached the customer, by round (case id, resolved day): kind -> its history.
Rounds = dict[str, dict[str, dict[str, History]]]


def deliveries(cases: list[Case], histories: dict[str, History], transport: str) -> Deliveries:
    """Every email delivered, with the address recorded with it, or (older events have none)
    the address of the case its key names, if that case still exists; found by the one form of the address."""
    by_id = {case.id: case for case in cases}
    out: Deliveries = defaultdict(list)
    for key, history in histories.items():
        sent = history.delivered(transport)
        case_id, kind, _ = key.rsplit("/", 2)
        case = by_id.get(case_id)
        to = sent and (sent.get("to") or (case and case.customer.email))
        if to:
            out[(address_key(to), kind)].append(
                Delivered(key, to, event_time(sent), _recorded_day(sent.get("opened")), case))
    return out


def rounds(histories: dict[str, History]) -> Rounds:
    """Every email that may have reached its customer (sent, or handed over with no answer):
    case id -> resolved day (ISO) -> kind -> its history."""
    out: Rounds = defaultdict(lambda: defaultdict(dict))
    for key, history in histories.items():
        # A message marked done after a "may have arrived" still reached them: any such event counts.
        if any(e["ev"] in REACHED for e in history.events):
            case_id, kind, resolved = key.rsplit("/", 2)
            out[case_id][resolved][kind] = history
    return out


def reached_at(history: History) -> datetime:
    """When a message first may have reached its customer."""
    return min(event_time(e) for e in history.events if e["ev"] in REACHED)


def earlier_round(case: Case, of_case: dict[str, dict[str, History]]) -> EarlierRound | None:
    """The latest earlier round of this case that reached the customer and ended in a real reopen:
    the customer got in touch again after it (a resolved date only corrected shows no such contact)."""
    for resolved in sorted(of_case, reverse=True):
        before = date.fromisoformat(resolved)
        if before < case.resolved and reopened_between(case, before):
            first = min(reached_at(h) for h in of_case[resolved].values())
            return EarlierRound(before, first, tuple(sorted(of_case[resolved])))
    return None


def reopened_between(case: Case, before: date) -> bool:
    """Whether the case was resolved on `before`, then reopened: the customer got in touch again after
    that resolution. A resolved date that was only corrected shows no such contact."""
    return before < case.resolved and any(c.by == "customer" and before < c.day <= case.resolved for c in case.contacts)


def same_complaint(one: Case, other: Case) -> bool:
    """Whether two cases are about the same complaint, as the resend guard sees it: a copied or renamed case.

    The same `opened` date, or the same words for the customer to read: an `about` or
    `what_went_wrong` of one (ignoring case and spacing) is one of the other's. A different
    complaint from the same customer differs in both, and its follow-ups go out.
    """
    return one.opened == other.opened or bool(_texts(one) & _texts(other))


def _texts(case: Case) -> set[str]:
    return {" ".join(text.split()).casefold() for text in (case.about, case.what_went_wrong) if text and text.strip()}


def event_time(event: dict) -> datetime:
    """When a ledger event happened."""
    return datetime.fromisoformat(event["ts"])


def _recorded_day(value: object) -> date | None:
    """A day the ledger recorded with an event; None if it has none, or one edited into something else."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
