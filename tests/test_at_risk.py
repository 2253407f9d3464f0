"""Who may leave next: the at-risk page lists each customer with a reason to leave, every reason said,
the one with more reasons first, then the one worth more; the overview names the first five.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from bs4 import BeautifulSoup

from amends import cli
from amends.followups import ledger, mailbox
from conftest import write_case
from test_inbox import message

TODAY = "2026-12-07"


def case(name: str, opened: str, status: str = "resolved", severity: str = "medium", more: str = "",
         value: int | None = None) -> str:
    resolved = "" if status == "open" else f"resolved: {opened[:8]}{int(opened[8:]) + 1:02d}\n"
    return f"""\
---
title: {name}'s trouble of {opened}
customer:
  name: {name} Example
  email: {name.lower()}@example.com
channel: email
opened: {opened}
{resolved}status: {status}
severity: {severity}
{f"customer_value: {value}" if value is not None else ""}
{more}
---
"""


def build(root: Path) -> Path:
    assert cli.main(["--root", str(root), "--today", TODAY, "--quiet", "build"]) in (0, 1)
    return root / "site"


def rows(site: Path) -> dict[str, tuple[list[str], str]]:
    page = BeautifulSoup((site / "at-risk.html").read_text(encoding="utf-8"), "html5lib")
    table = page.find(id="at-risk")
    return {tr.th.text: ([li.text for li in tr.find_all("li")], tr.find_all("td")[1].text)
            for tr in table.tbody.find_all("tr")} if table else {}


def test_each_customer_is_listed_for_the_reasons_shown(root: Path):
    write_case(root, "2026-12-01-ann.md", case("Ann", "2026-12-01", "open", "critical", value=900))
    write_case(root, "2026-03-01-bob.md", case("Bob", "2026-03-01", value=300))
    write_case(root, "2026-10-01-bob.md", case("Bob", "2026-10-01", more="promises:\n  - what: Call back with the refund\n"
                                                                         "    due: 2026-10-03\n    kept: false", value=300))
    write_case(root, "2026-11-01-dora.md", case("Dora", "2026-11-01", "recovered", value=5000))
    write_case(root, "2026-02-01-eve.md", case("Eve", "2026-02-01", "open", "high"))
    write_case(root, "2026-06-01-eve.md", case("Eve", "2026-06-01", "lost"))  # gone: her latest case was lost
    write_case(root, "2026-11-20-finn.md", case("Finn", "2026-11-20"))        # nothing wrong
    listed = rows(build(root))
    assert listed == {
        "Bob Example": (["2 cases in 12 months", "a broken promise: Call back with the refund"], "300.00 EUR"),
        "Dora Example": (["marked recovered, but the customer has not confirmed it"], "5,000.00 EUR"),
        "Ann Example": (["an open critical case: Ann's trouble of 2026-12-01"], "900.00 EUR"),
    }
    assert list(listed) == ["Bob Example", "Dora Example", "Ann Example"]  # two reasons first, then by value
    home = BeautifulSoup((root / "site" / "index.html").read_text(encoding="utf-8"), "html5lib")
    first = home.find(id="attention-risk").li
    assert first.text.startswith("Bob Example (300.00 EUR a year): 2 cases in 12 months; a broken promise")
    assert home.find("a", href="at-risk.html").text.startswith("All 3 customers who may leave")


def checkin_sent(root: Path, name: str, day: str, msgid: str) -> None:
    key = f"2026-11-01-{name.lower()}/checkin/2026-11-02"
    ledger.append(root / ledger.NAME, ledger.event(key, "sent", datetime.fromisoformat(f"{day}T09:00+00:00"),
                                                   transport="outbox", msgid=msgid, to=f"{name.lower()}@example.com"))


def test_a_check_in_answered_not_yet_or_not_at_all_is_a_reason(root: Path):
    for name in ("Gus", "Hana", "Ivo"):
        write_case(root, f"2026-11-01-{name.lower()}.md", case(name, "2026-11-01"))
    checkin_sent(root, "Gus", "2026-11-20", "<c-gus@x>")
    checkin_sent(root, "Hana", "2026-11-20", "<c-hana@x>")
    checkin_sent(root, "Ivo", "2026-12-05", "<c-ivo@x>")   # two days ago: not yet an answer missing
    mailbox.read_mailbox(root, mailbox.Memory([
        message(sender="gus@example.com", In_Reply_To="<c-gus@x>", body="Not yet, the invoice is still wrong.\n",
                msgid="<r-gus@x>")]), datetime(2026, 12, 1, 10, tzinfo=timezone.utc))
    listed = rows(build(root))
    # Its Date is later than it was read, so it counts from when it was read.
    assert listed["Gus Example"][0] == ["said it is not put right (not yet, 1 Dec 2026)"]
    assert listed["Hana Example"][0] == ["no answer to the check-in of 20 Nov 2026"]
    assert "Ivo Example" not in listed
