"""The cases as CSV and JSON for other tools, and the follow-ups as an iCalendar feed.

Pure functions of their arguments: nothing here reads a file or the clock, so the
same input always gives the same text, byte for byte.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal


from amends.followups.plan import Followup
from amends.model import Accommodation, Case
from amends.report import views

# A cell starting with one of these is run as a formula by a spreadsheet (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...except a phone number: '+', digits and spaces, which LibreOffice's CSV import keeps as text, as
# written (digits without a space it would read as a number and drop the '+', so those keep the quote).
PHONE = re.compile(r"\+\d+(?: \d+)+")
# Written first, so that LibreOffice's default import and Excel read the file as UTF-8, not as Latin-1.
BOM = b"\xef\xbb\xbf"
HEAD_COLUMNS = (
    "id", "title", "status", "reopened", "channel", "opened", "resolved", "days_to_resolve",
    "fault", "severity", "owner", "team", "category", "tags",
    "customer_name", "customer_email", "customer_company", "customer_phone", "customer_timezone",
    "customer_language", "customer_value", "do_not_contact", "what_went_wrong", "how_resolved", "prevention",
)
# Between the two: one compensation_<CURRENCY> column per currency in the data.
TAIL_COLUMNS = ("accommodation", "approved_by", "acknowledged_by", "asked_for", "next_purchase", "next_purchase_amount",
                "next_purchase_currency", "conduct", "promises_total", "promises_kept", "promises_broken",
                "contacts", "first_contact", "path")

PRODID = "-//amends//customer recovery//EN"
EMAIL_STATES = ("upcoming", "due", "approval")
TASK_STATES = ("upcoming", "due")
TASK_SUMMARIES = {"call": "Call {name}", "letter": "Letter to {name}", "social": "Answer {name} where they posted"}
EVENT_LENGTH = timedelta(minutes=15)


def _text(value: str | None) -> str:
    """Text for a cell, with a quote in front when a spreadsheet would read it as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_START) and not PHONE.fullmatch(value) else value


def _number(value: Decimal | int | None) -> str:
    """A plain number with a dot, never in exponent notation."""
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _oneline(text: str) -> str:
    return " ".join(text.split())


def totals(case: Case) -> dict[str, Decimal]:
    """The amounts given back to the customer, summed per currency."""
    out: dict[str, Decimal] = {}
    for given in case.accommodation:
        if given.amount is not None:
            out[given.currency] = out.get(given.currency, Decimal(0)) + given.amount
    return out


def _given(given: Accommodation) -> str:
    """One accommodation as words: 'refund 45.00 EUR (Delivery fee refunded)'."""
    text = given.kind
    if given.amount is not None:
        text += f" {_number(given.amount)} {given.currency}"
    if given.note:
        text += f" ({_oneline(given.note)})"
    if given.redeemed:
        text += f" used {given.redeemed.isoformat()}"
    return text


def _asked(case: Case) -> str:
    """What the customer asked for, on one line: "a refund of the fee (12.00 EUR)"."""
    if case.asked_for is None:
        return ""
    amount = case.asked_for.amount
    return _oneline(case.asked_for.what) + (f" ({_number(amount)} {case.asked_for.currency})" if amount is not None else "")


def _row(case: Case, currencies: list[str]) -> list[str]:
    """The cells of one case, in the order of the header."""
    customer, sums = case.customer, totals(case)
    days = [contact.day for contact in case.contacts]
    return [
        _text(case.id), _text(case.title), _text(case.status), _flag(case.reopened), _text(case.channel),
        _day(case.opened), _day(case.resolved), _number(case.days_to_resolve),
        _text(case.fault), _text(case.severity), _text(case.owner), _text(case.team), _text(case.category),
        _text("; ".join(case.tags)),
        _text(customer.name), _text(customer.email), _text(customer.company), _text(customer.phone),
        _text(customer.timezone), _text(customer.language), _number(case.customer_value),
        _flag(case.do_not_contact),
        _text(case.what_went_wrong), _text(case.how_resolved), _text(case.prevention),
        *(_number(sums.get(currency)) for currency in currencies),
        _text("; ".join(_given(given) for given in case.accommodation)),
        _text(case.approved_by),
        _text("; ".join(f"{b.name} {b.on.isoformat()}" if b.on else b.name for b in case.acknowledged_by)),
        _text(_asked(case)),
        _day(case.next_purchase.day if case.next_purchase else None),
        _number(case.next_purchase.amount if case.next_purchase else None),
        _text(case.next_purchase.currency if case.next_purchase and case.next_purchase.amount is not None else None),
        _text(case.conduct),
        str(len(case.promises)),
        str(sum(p.kept is True for p in case.promises)),
        str(sum(p.kept is False for p in case.promises)),
        str(len(case.contacts)),
        _day(min(days) if days else None),
        _text(case.path),
    ]


def currencies(cases: list[Case]) -> list[str]:
    """Every currency anything was given back in: one compensation column each."""
    return sorted({currency for case in cases for currency in totals(case)})


def _csv(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode("utf-8")


def csv_line(case: Case, columns: list[str]) -> bytes:
    """One case's row of a cases-YEAR.csv, in UTF-8, for the compensation `columns` given."""
    return _csv(_row(case, columns))


# The exports are joined from each case's part as UTF-8 bytes: ten thousand cases joined as
# text would be a string of 50 million characters, at two or four bytes each when any is not Latin-1.
def cases_csv(cases: list[Case], lines: list[bytes] | None = None) -> bytes:
    """Every case field as one spreadsheet row (for Excel/LibreOffice/Numbers), in UTF-8 with a BOM.

    `lines` may hold each case's `csv_line` already made, in the order of `cases`.
    """
    columns = currencies(cases)
    head = _csv([*HEAD_COLUMNS, *(f"compensation_{c}" for c in columns), *TAIL_COLUMNS])
    return b"".join([BOM, head, *(lines if lines is not None else (csv_line(case, columns) for case in cases))])


def _plain(value: object) -> str:
    """What json cannot write itself: exact money as strings, days and moments in ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot export a {type(value).__name__} as JSON")


def _plain_tree(value: object) -> object:
    """A model value as dicts and lists (dataclasses.asdict, without its deep copies)."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain_tree(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain_tree(item) for item in value]
    return value


def json_record(case: Case) -> bytes:
    """One case as it stands in a cases-YEAR.json, indented for its place in the list, in UTF-8."""
    record = dict(_plain_tree(case), reopened=case.reopened, days_to_resolve=case.days_to_resolve)
    # The files kept with the case by their names, as found: what the front matter lists and the notes show is
    # in them, and their digests and paths mean nothing to another tool. Never the files themselves.
    del record["listed"], record["images"]
    record["attachments"] = [{"name": a.name, "note": a.note, "kind": a.kind, "size": a.size} for a in case.attachments]
    text = json.dumps(record, default=_plain, ensure_ascii=False, indent=2, sort_keys=True)
    return ("    " + text.replace("\n", "\n    ")).encode("utf-8")


def cases_json(cases: list[Case], records: list[bytes] | None = None) -> bytes:
    """Every case field, nested as in the case file, as JSON in UTF-8.

    `records` may hold each case's `json_record` already made, in the order of `cases`.
    """
    if not cases:
        return b'{\n  "cases": []\n}\n'
    records = records if records is not None else [json_record(case) for case in cases]
    between = [b",\n"] * len(records)
    between[-1] = b"\n  ]\n}\n"
    return b"".join([b'{\n  "cases": [\n', *(part for pair in zip(records, between) for part in pair)])


def calendar_entries(followups: list[Followup], cases: list[Case], as_of: date,
                     every: Callable[[str | None], int | None] = lambda severity: None
                     ) -> list[tuple[date | datetime, str, str, str]]:
    """(start, uid, summary, description) of every event, in the calendar's order: what is still to come.

    The follow-ups, calls and letters still to go (one late is still to go), the promises not kept
    that fall due today or later, and the next word from us each open case is owed (`every`: the cadence
    in days by severity), today when it is late. A promise past its day is on the overview and its case's
    page; in a calendar it would sit on a past day for ever, and the file would grow with the years.
    """
    found = []
    for f in followups:
        case, name = f.case, f.case.customer.name
        if f.medium == "email" and f.state in EMAIL_STATES:
            found.append((f.when or f.due_at, f"{f.key}@amends", f"{f.kind} email to {name}", f"{case.title}\n{f.reason}"))
        elif f.medium in TASK_SUMMARIES and f.state in TASK_STATES:
            phone = f"Phone: {case.customer.phone}" if case.customer.phone else ""
            lines = [case.title, phone, f.reason]
            found.append((f.due_at, f"{f.key}@amends", TASK_SUMMARIES[f.medium].format(name=name),
                          "\n".join(line for line in lines if line)))
    for case in cases:
        if case.status == "lost":
            continue
        touch = views.touch(case, every(case.weight))
        if touch:
            found.append((max(touch.due, as_of), f"{case.id}/touch@amends", f"Get in touch with {case.customer.name}",
                          f"{case.title}\n{touch.words(max(touch.due, as_of), case.weight)}"))
        for index, promise in enumerate(case.promises):
            if promise.due is not None and promise.due >= as_of and promise.kept is None:
                found.append((promise.due, f"{case.id}/promise/{index}@amends",
                              f"Promise due: {_oneline(promise.what)}", case.title))
    return sorted(found, key=lambda e: (_instant(e[0]), e[1]))


def _instant(start: date | datetime) -> datetime:
    """A sort key that puts whole days (as midnight UTC) and moments on one line."""
    if isinstance(start, datetime):
        return start.astimezone(timezone.utc)
    return datetime.combine(start, time(0), timezone.utc)


def calendar(followups: list[Followup], cases: list[Case], business: str, as_of: date,
             known: dict[tuple, bytes] | None = None,
             every: Callable[[str | None], int | None] = lambda severity: None) -> bytes:
    """An iCalendar feed of what is still to come (see calendar_entries).

    `known` maps events already written (by what they say) to their text; new ones are added to it.
    """
    from icalendar import Calendar  # here: a build that changes nothing never needs it

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{business}: follow-ups")
    known = {} if known is None else known
    events = []
    for entry in calendar_entries(followups, cases, as_of, every):
        if (entry, as_of) not in known:
            known[entry, as_of] = _event(*entry, as_of)
        events.append(known[entry, as_of])
    # The calendar's own lines, then its events, as Calendar.to_ical() lays them out.
    head, end = cal.to_ical().split(b"END:VCALENDAR\r\n")
    return head + b"".join(events) + b"END:VCALENDAR\r\n" + end


def _event(start: date | datetime, uid: str, summary: str, description: str, as_of: date) -> bytes:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    # Stamped with the day asked about, not the clock, so the same input gives the same bytes.
    event.add("dtstamp", datetime.combine(as_of, time(0), timezone.utc))
    if isinstance(start, datetime):
        event.add("dtstart", _instant(start))
        event.add("dtend", _instant(start) + EVENT_LENGTH)
    else:
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    return event.to_ical()
