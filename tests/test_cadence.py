"""Keeping in touch (amends.yaml cadence:): an open case whose customer has waited longer than its severity
allows for a word from us, or has had none at all, is listed under "needs attention"; its page says when
the next word is due, and the calendar holds it.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup
from icalendar import Calendar

from amends import cli
from amends.cases.config import parse_config
from conftest import write_case

TODAY = "2026-12-07"


def case(title: str, severity: str, status: str, contacts: str) -> str:
    return f"""\
---
title: {title}
customer:
  name: {title.split()[0]} Example
  email: {title.split()[0].lower()}@example.com
channel: email
opened: 2026-11-25
status: {status}
{"resolved: 2026-12-01" if status != "open" else ""}
severity: {severity}
contacts:
{contacts}
---
"""


CASES = {
    # Our last word was on 2 Dec; high: every 2 days, so due on 4 Dec, late by 7 Dec.
    "2026-11-25-anna": case("Anna waits", "high", "open", "  - at: 2026-11-25\n  - at: 2026-12-02\n    by: us"),
    # Medium: every 3 days; our last word yesterday.
    "2026-11-25-ben": case("Ben heard", "medium", "open", "  - at: 2026-12-06 16:00\n    by: us"),
    # Only the customer has spoken.
    "2026-11-25-cleo": case("Cleo unanswered", "low", "open", "  - at: 2026-11-25\n    by: customer"),
    # Settled: no cadence.
    "2026-11-25-dan": case("Dan resolved", "high", "resolved", "  - at: 2026-11-26\n    by: us"),
}


def project(root: Path) -> Path:
    for name, text in CASES.items():
        write_case(root, f"{name}.md", text)
    assert cli.main(["--root", str(root), "--today", TODAY, "--quiet", "build"]) in (0, 1)
    return root / "site"


def page(site: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((site / name).read_text(encoding="utf-8"), "html5lib")


def test_the_cadence_is_read_by_severity_and_its_mistakes_named_by_line():
    config, problems = parse_config(b"cadence:\n  high: 2\n  low: 0\n  urgent: 1\n")
    assert config.every("high") == 2 and config.every("low") is None and config.every(None) is None
    assert sorted((p.line, p.message.split(";")[0]) for p in problems) == [
        (3, "'cadence.low' should be a whole number of at least 1, not '0'"), (4, "unknown key 'cadence.urgent'")]
    config, _ = parse_config(b"cadence: {medium: 3}\n")
    assert config.every(None) == 3  # a case without a severity counts as medium


def test_the_overview_lists_who_is_waiting_to_hear_from_us_the_longest_first(root: Path):
    site = project(root)
    items = [li.text for li in page(site, "index.html").find(id="attention-touch").find_all("li")]
    assert items == ["Cleo unanswered — Cleo Example: no contact from us yet; low: every 5 days",
                     "Anna waits — Anna Example: no contact for 5 days; high: every 2 days"]


def test_the_case_page_says_by_when_the_customer_hears_from_us(root: Path):
    site = project(root)
    said = page(site, "cases/2026-11-25-anna.html").find(id="touch").text
    assert said == ("Keeping in touch (high: every 2 days): our last contact was on 2 Dec 2026, so the customer "
                    "hears from us again by 4 Dec 2026.")
    assert "we have not been in touch yet" in page(site, "cases/2026-11-25-cleo.html").find(id="touch").text
    assert page(site, "cases/2026-11-25-dan.html").find(id="touch") is None


def test_the_next_word_is_in_the_calendar_today_when_it_is_late(root: Path):
    site = project(root)
    calendar = Calendar.from_ical((site / "followups.ics").read_bytes())
    touches = {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT") if "/touch@" in str(e["uid"])}
    assert touches == {"Get in touch with Anna Example": date(2026, 12, 7), "Get in touch with Ben Example": date(2026, 12, 9),
                       "Get in touch with Cleo Example": date(2026, 12, 7)}


def test_without_a_cadence_nobody_is_flagged(root: Path):
    settings = root / "amends.yaml"
    settings.write_text("\n".join(line for line in settings.read_text(encoding="utf-8").splitlines()
                                  if not line.startswith("cadence:")) + "\n", encoding="utf-8")
    site = project(root)
    assert page(site, "index.html").find(id="attention-touch") is None
    assert page(site, "cases/2026-11-25-anna.html").find(id="touch") is None
