"""The CSV, JSON and iCalendar exports, read back with independent parsers.

Expected values come from the case files' own front matter (read here with
yaml.safe_load), not from the loader the exports are built on.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import yaml

from amends.cases.project import load_project
from amends.followups import plan
from amends.followups.review import review
from amends.report.exports import calendar, cases_csv, cases_json

from conftest import TODAY, write_case

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
WEDDING = "cases/2026-03-14-late-wedding-cake.md"
REOPENED = "cases/2026-10-21-late-standing-order-reopened.md"

# A phone complaint resolved two days ago: a call task, a USD refund, one open promise with a date, one without.
PHONE_CASE = """\
---
title: Birthday order picked up cold
customer:
  name: Ōtani Ren
  email: ren.otani@example.com
  phone: "+81 3 1234 5678"
channel: phone
opened: 2026-11-19
resolved: 2026-11-20
status: resolved
accommodation:
  - kind: refund
    amount: 30.00
    currency: USD
    note: Card payment refunded
  - kind: credit
    amount: 12.50
promises:
  - what: Send the new pick-up checklist
    due: 2026-11-27
  - what: Invite Ren to the tasting evening
what_went_wrong: Your order waited on the counter instead of in the warming cabinet.
how_resolved: We refunded the order and baked it again for you.
prevention: Orders for pick-up now go straight into the warming cabinet.
---
"""

# A lost customer: the promise still open in the file must not reach the calendar.
LOST_CASE = """\
---
title: Catering cancelled at short notice
customer:
  name: Lena Brandt
  email: lena.brandt@example.com
channel: email
opened: 2026-11-10
resolved: 2026-11-20
status: lost
promises:
  - what: Return the deposit for the cancelled catering
    due: 2026-11-30
---
"""

FORMULA_CASE = """\
---
title: '=HYPERLINK("http://evil.example","click")'
customer:
  name: "@Eve Example"
  phone: "+44 20 7946 0000"
channel: email
opened: 2026-03-01
status: open
owner: "-2+3"
team: Kitchen
tags: ["+cmd", safe]
customer_value: 250
accommodation:
  - kind: credit
    amount: 7.50
---
"""


def front_matter(path: Path) -> dict:
    """The YAML between the first two '---' lines of a case file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("---")
    end = lines.index("---", start + 1)
    return yaml.safe_load("\n".join(lines[start + 1:end]))


def front_matters(root: Path) -> dict[str, dict]:
    """Every case file's front matter, by its path as the CSV shows it."""
    return {f"cases/{p.name}": front_matter(p) for p in sorted((root / "cases").glob("*.md"))}


def rows(data: bytes) -> list[dict[str, str]]:
    """The rows of cases.csv as it is written: UTF-8 bytes after a BOM."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")[1:], newline="")))


def add_extra_cases(root: Path) -> None:
    write_case(root, "2026-11-19-cold-birthday-order.md", PHONE_CASE)
    write_case(root, "2026-11-10-cancelled-catering.md", LOST_CASE)


def events(ics: bytes) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(ics).walk("VEVENT")


def feed(state) -> bytes:
    return calendar([p.followup for p in state.prepared], state.project.cases,
                    state.project.config.business_name, TODAY)


# -- CSV ------------------------------------------------------------------------------

def test_csv_has_a_header_and_one_row_per_case_in_order(demo_root):
    cases = load_project(demo_root, TODAY).cases
    data = cases_csv(cases)
    assert data.startswith(b"\xef\xbb\xbfid,title,status,reopened,")
    assert data.endswith(b"\r\n")
    assert [row["id"] for row in rows(data)] == [case.id for case in cases]
    assert len(rows(data)) == len(list((demo_root / "cases").glob("*.md"))) == 17


def test_csv_row_matches_the_front_matter(demo_root):
    fm = front_matters(demo_root)[WEDDING]
    row = next(r for r in rows(cases_csv(load_project(demo_root, TODAY).cases)) if r["path"] == WEDDING)
    for name in ("title", "status", "channel", "fault", "severity", "owner", "team", "category"):
        assert row[name] == fm[name], name
    for name in ("name", "email", "company", "timezone", "language"):
        assert row[f"customer_{name}"] == fm["customer"][name], name
    # A phone number starts with '+', but LibreOffice keeps '+', digits and spaces as text: no quote in front.
    assert row["customer_phone"] == fm["customer"]["phone"]
    assert row["opened"] == fm["opened"].isoformat() and row["resolved"] == fm["resolved"].isoformat()
    assert row["days_to_resolve"] == str((fm["resolved"] - fm["opened"]).days)
    assert row["tags"] == "; ".join(fm["tags"])
    assert Decimal(row["customer_value"]) == Decimal(str(fm["customer_value"]))
    assert (row["reopened"], row["do_not_contact"]) == ("false", "false")
    assert row["promises_total"] == str(len(fm["promises"]))
    assert row["promises_kept"] == str(sum(p.get("kept") is True for p in fm["promises"]))
    assert row["promises_broken"] == "0"
    assert row["contacts"] == str(len(fm["contacts"]))
    assert row["first_contact"] == min(str(c["at"])[:10] for c in fm["contacts"])
    assert row["accommodation"] == ("refund 45.00 EUR (für die von Ihnen bezahlte Liefergebühr); "
                                    "discount 120.00 EUR (15 Prozent auf Ihre nächste Bestellung für eine Veranstaltung)")


def test_csv_reopened_case_says_so(demo_root):
    row = next(r for r in rows(cases_csv(load_project(demo_root, TODAY).cases)) if r["path"] == REOPENED)
    assert (row["status"], row["reopened"], row["days_to_resolve"]) == ("open", "true", "")


def test_csv_compensation_per_currency_equals_the_sum_in_the_files(demo_root):
    add_extra_cases(demo_root)
    default = yaml.safe_load((demo_root / "amends.yaml").read_text(encoding="utf-8"))["currency"]
    expected: dict[str, dict[str, Decimal]] = {}
    for path, fm in front_matters(demo_root).items():
        sums = expected.setdefault(path, {})
        for given in fm.get("accommodation") or []:
            if given.get("amount") is not None:
                currency = given.get("currency", default)
                sums[currency] = sums.get(currency, Decimal(0)) + Decimal(str(given["amount"]))
    currencies = sorted({c for sums in expected.values() for c in sums})
    assert currencies == ["EUR", "USD"]

    got = rows(cases_csv(load_project(demo_root, TODAY).cases))
    assert [name for name in got[0] if name.startswith("compensation_")] == ["compensation_EUR", "compensation_USD"]
    assert {row["path"] for row in got} == set(expected)
    for row in got:
        for currency in currencies:
            cell = row[f"compensation_{currency}"]
            assert Decimal(cell or "0") == expected[row["path"]].get(currency, Decimal(0)), (row["path"], currency)
    phone = next(row for row in got if row["customer_name"] == "Ōtani Ren")
    assert (phone["compensation_EUR"], phone["compensation_USD"]) == ("12.50", "30.00")


def test_csv_keeps_non_ascii_names(demo_root):
    matters = front_matters(demo_root)
    got = {row["path"]: row for row in rows(cases_csv(load_project(demo_root, TODAY).cases))}
    for path, fm in matters.items():
        assert got[path]["customer_name"] == fm["customer"]["name"]
        assert got[path]["title"] == fm["title"]
    names = {row["customer_name"] for row in got.values()}
    assert {"Zoë Müller", "Łukasz Wójcik", "Søren Ødegaard", "Tomás Ó Briain"} <= names


def test_csv_defuses_formulas_in_text_but_not_numbers(root):
    write_case(root, "formula.md", FORMULA_CASE)
    project = load_project(root, TODAY)
    assert project.problems == []
    [row] = rows(cases_csv(project.cases))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["customer_name"] == "'@Eve Example"
    assert row["customer_phone"] == "+44 20 7946 0000"  # '+', digits and spaces: a phone, as written
    assert row["owner"] == "'-2+3"
    assert row["tags"] == "'+cmd; safe"
    assert row["team"] == "Kitchen"
    assert (row["customer_value"], row["compensation_EUR"]) == ("250", "7.50")


def test_csv_defuses_leading_tab_and_carriage_return(demo_root):
    case = load_project(demo_root, TODAY).cases[0]
    tricky = dataclasses.replace(case, title="\t=1+1", what_went_wrong="\r=cmd",
                                 how_resolved="+45 1+1", prevention="+4531427710")
    [row] = rows(cases_csv([tricky]))
    assert row["title"] == "'\t=1+1"
    assert row["what_went_wrong"] == "'\r=cmd"
    # Not a phone: a formula after the digits, or digits LibreOffice would read as a number without the '+'.
    assert (row["how_resolved"], row["prevention"]) == ("'+45 1+1", "'+4531427710")


def test_csv_of_no_cases_is_just_the_header():
    assert rows(cases_csv([])) == []
    assert cases_csv([]).count(b"\r\n") == 1


# -- JSON -----------------------------------------------------------------------------

def test_json_has_every_case_once_with_nested_fields(demo_root):
    cases = load_project(demo_root, TODAY).cases
    doc = json.loads(cases_json(cases))
    ids = Counter(case["id"] for case in doc["cases"])
    assert ids == Counter({case.id: 1 for case in cases})
    matters = front_matters(demo_root)
    assert {case["path"] for case in doc["cases"]} == set(matters)
    for case in doc["cases"]:
        fm = matters[case["path"]]
        assert case["customer"]["email"] == fm["customer"].get("email")
        assert case["opened"] == fm["opened"].isoformat()
        assert case["tags"] == fm.get("tags", [])
        given = fm.get("accommodation") or []
        assert [a["kind"] for a in case["accommodation"]] == [g["kind"] for g in given]
        for exported, written in zip(case["accommodation"], given):
            if written.get("amount") is None:
                assert exported["amount"] is None
            else:
                assert isinstance(exported["amount"], str)
                assert Decimal(exported["amount"]) == Decimal(str(written["amount"]))
    wedding = next(case for case in doc["cases"] if case["path"] == WEDDING)
    assert [a["amount"] for a in wedding["accommodation"]] == ["45.00", "120.00"]
    assert wedding["customer_value"] == "6400"
    assert wedding["days_to_resolve"] == 6 and wedding["reopened"] is False
    assert wedding["contacts"][0]["at"] == "2026-03-14T16:25:00"
    assert wedding["promises"][0] == {"what": "Call back with the driver's report", "due": "2026-03-16", "kept": True}
    reopened = next(case for case in doc["cases"] if case["path"] == REOPENED)
    assert reopened["reopened"] is True and reopened["days_to_resolve"] is None


def test_json_is_deterministic_readable_text(demo_root):
    cases = load_project(demo_root, TODAY).cases
    text = cases_json(cases).decode("utf-8")
    assert text == cases_json(list(cases)).decode("utf-8")
    assert text.endswith("}\n")
    assert "Zoë Müller" in text  # not \u-escaped
    assert [case["id"] for case in json.loads(text)["cases"]] == [case.id for case in cases]
    assert json.loads(cases_json([])) == {"cases": []}


# -- iCalendar ------------------------------------------------------------------------

def test_calendar_has_the_events_the_review_calls_for(demo_root):
    add_extra_cases(demo_root)
    state = review(demo_root, NOW)
    expected = Counter()
    for item in state.prepared:
        f, name = item.followup, item.followup.case.customer.name
        if f.medium == "email" and f.state in ("upcoming", "due", "approval"):
            expected[f"{f.kind} email to {name}"] += 1
        elif f.medium == "call" and f.state in ("upcoming", "due"):
            expected[f"Call {name}"] += 1
        elif f.medium == "letter" and f.state in ("upcoming", "due"):
            expected[f"Letter to {name}"] += 1
        elif f.medium == "social" and f.state in ("upcoming", "due"):
            expected[f"Answer {name} where they posted"] += 1
    for case in state.project.cases:
        if case.status != "lost":
            expected.update(f"Promise due: {p.what}" for p in case.promises if p.due and p.due >= TODAY and p.kept is None)

    got = Counter(str(event["SUMMARY"]) for event in events(feed(state)))
    assert got == expected
    # Each kind of event is really there, and what must stay out does.
    assert {"Call Ōtani Ren", "Letter to Rachel Okafor", "followup email to Ōtani Ren",
            "Promise due: Send the new pick-up checklist"} <= set(got)
    # Due yesterday and not kept: overdue, on the overview, but no longer to come.
    assert "Promise due: Ride along on the new route and report the timings back to Søren" not in got
    assert "Promise due: Invite Ren to the tasting evening" not in got
    assert "Promise due: Return the deposit for the cancelled catering" not in got
    assert not any("Aoife Brennan" in summary for summary in got)  # lost and do_not_contact


def test_calendar_times_uids_and_stamps(demo_root):
    add_extra_cases(demo_root)
    state = review(demo_root, NOW)
    parsed = icalendar.Calendar.from_ical(feed(state))
    assert str(parsed["PRODID"]) == "-//amends//customer recovery//EN"
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["X-WR-CALNAME"]) == "Harbour Lane Bakery & Café: follow-ups"
    found = {str(event["UID"]): event for event in parsed.walk("VEVENT")}
    assert len(found) == len(parsed.walk("VEVENT"))
    for event in found.values():
        assert event["DTSTAMP"].dt == datetime(2026, 11, 22, tzinfo=timezone.utc)

    by_key = {item.followup.key: item.followup for item in state.prepared}
    call = found["2026-11-19-cold-birthday-order/call/2026-11-20@amends"]
    assert call["DTSTART"].dt == by_key["2026-11-19-cold-birthday-order/call/2026-11-20"].due_at
    assert "+81 3 1234 5678" in str(call["DESCRIPTION"])
    assert "Birthday order picked up cold" in str(call["DESCRIPTION"])
    for uid, event in found.items():
        start = event["DTSTART"].dt
        if "/promise/" in uid:
            assert type(start) is date
            continue
        f = by_key[uid.removesuffix("@amends")]
        assert start == (f.when or f.due_at if f.medium == "email" else f.due_at)
        assert event["DTEND"].dt - start == timedelta(minutes=15)
        assert f.case.title in str(event["DESCRIPTION"])
    promise = found["2026-11-19-cold-birthday-order/promise/0@amends"]
    assert promise["DTSTART"].dt == date(2026, 11, 27)
    assert str(promise["DESCRIPTION"]) == "Birthday order picked up cold"


def test_calendar_is_byte_identical_whatever_the_input_order(demo_root):
    add_extra_cases(demo_root)
    state = review(demo_root, NOW)
    first = feed(state)
    assert first == feed(state)
    followups = [p.followup for p in reversed(state.prepared)]
    reordered = calendar(followups, state.project.cases[::-1], state.project.config.business_name, TODAY)
    assert reordered == first
    starts = [(e["DTSTART"].dt, str(e["UID"])) for e in events(first)]
    as_utc = [(datetime(s.year, s.month, s.day, tzinfo=timezone.utc) if type(s) is date else s, uid)
              for s, uid in starts]
    assert as_utc == sorted(as_utc)


def test_calendar_takes_only_follow_ups_still_to_do(demo_root):
    state = review(demo_root, NOW)
    email = next(p.followup for p in state.prepared if p.followup.medium == "email")
    task = dataclasses.replace(email, medium="call", kind="call", key="x/call/2026-11-01")
    in_calendar = {}
    for base in (email, task):
        in_calendar[base.medium] = {s for s in plan.STATES
                                    if events(calendar([dataclasses.replace(base, state=s)], [], "B", TODAY))}
    assert in_calendar == {"email": {"upcoming", "due", "approval"}, "call": {"upcoming", "due"}}


def test_calendar_takes_the_promises_still_to_come(root):
    """A promise not kept is in the calendar from the day it falls due on; one past its day is not (it is on the
    overview, overdue), nor one kept or broken: the calendar grows with the work ahead, not with the years."""
    write_case(root, "promises.md", """\
---
title: Cake delivered late
customer: {name: Ann Example, email: ann@example.com}
channel: email
opened: 2025-03-01
status: resolved
resolved: 2025-03-02
promises:
  - {what: Called back long ago, due: 2025-03-03}
  - {what: Yesterday's call, due: 2026-11-21}
  - {what: Today's call, due: 2026-11-22}
  - {what: Tomorrow's call, due: 2026-11-23}
  - {what: Kept tomorrow already, due: 2026-11-23, kept: true}
  - {what: Broken next week, due: 2026-11-30, kept: false}
---
""")
    cases = load_project(root, TODAY).cases
    got = [str(event["SUMMARY"]) for event in events(calendar([], cases, "B", TODAY))]
    assert got == ["Promise due: Today's call", "Promise due: Tomorrow's call"]
