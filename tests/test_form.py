"""The form of what goes out: lines that never break a phone number, a date or an amount, the
explanation's headings as headings in the HTML part, and the scheduler's log in the business's time."""
from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import default
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from amends.followups.mail import read_sent, to_html, wrap
from amends.followups.scheduler import BusinessClock
from amends.report.pages import letter_page

from conftest import MINIMAL_CASE, REPO, write_case

# Each must stay on one line of the text part, wherever it falls.
KEEP_TOGETHER = [
    "+49 40 555 0142", "+45 31 42 77 10", "(030) 1234 5678", "040 555 0142", "+49 (0)40 555-0142",
    "21. November 2026", "21. November", "21 November 2026", "November 21, 2026", "3. März 2027",
    "12,50 €", "€ 12.50", "12.50 EUR", "EUR 12.50", "1.234,50 €", "£ 1,200.00",
]


def lines_with(span: str, width: int = 76):
    """Lines on which `span` starts at every column up to past the width, so that somewhere it must be wrapped."""
    for column in range(width):
        before = "x" * (column - 1) + " " if column > 1 else ""
        yield f"{before}{span} and then a few more words, to be wrapped."
        yield f"- {before}{span}."


@pytest.mark.parametrize("span", KEEP_TOGETHER)
def test_wrapping_never_splits_a_phone_number_a_date_or_an_amount(span):
    split_by_plain_wrapping = 0
    for line in lines_with(span):
        wrapped = wrap(line)
        assert any(span in out for out in wrapped.splitlines()), f"{span!r} was split:\n{wrapped}"
        assert wrapped.split() == line.split(), "the words changed"
        assert "\xa0" not in wrapped and not any(ord(c) < 32 and c != "\n" for c in wrapped), repr(wrapped)
        assert max(len(out) for out in wrapped.splitlines()) <= 76
        plain = textwrap.wrap(line, 76, break_long_words=False, break_on_hyphens=False)
        split_by_plain_wrapping += not any(span in out for out in plain)
    assert split_by_plain_wrapping, "the lines never put the span where plain wrapping splits it"


def test_wrapping_keeps_a_no_break_space_the_text_already_holds():
    # Babel writes German amounts with one ("12,50\xa0€"), and a case text may hold one on purpose.
    line = "x" * 60 + " Sie erhalten 12,50\xa0€ zurück und 5\xa0kg Mehl."
    wrapped = wrap(line)
    assert "12,50\xa0€" in wrapped and "5\xa0kg" in wrapped
    assert wrapped.split() == line.split()


GERMAN_CASE = """\
---
title: Torte zu spät
customer:
  name: Zoë Müller
  email: zoe@example.com
  language: de
channel: email
opened: 2026-11-16
resolved: 2026-11-18
status: resolved
fault: ours
about: die verspätete Lieferung Ihrer Hochzeitstorte
what_went_wrong: Unser Fahrer hatte die alte Adresse. Rufen Sie uns jederzeit unter +49 40 555 0142 an, wenn etwas ist.
how_resolved: Wir haben die Torte am selben Abend gebracht und Ihnen die Liefergebühr erstattet, am 18. November 2026.
prevention: Ab dem 21. November 2026 bestätigen wir jede Lieferadresse am Vortag telefonisch unter (040) 555 0142.
accommodation:
  - kind: refund
    amount: 1234.50
    note: für die Liefergebühr und die Torte, die Sie bei uns am 14. November bestellt hatten
---
Team notes.
"""


def test_a_sent_message_keeps_its_numbers_dates_and_amounts_on_one_line(root):
    """`followups` writes the messages still to go as .eml files: their text parts break none of them."""
    write_case(root, "torte.md", GERMAN_CASE)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-19",
                             "followups"], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    texts = {}
    for eml in sorted((root / "outbox" / "preview").glob("*.eml")):
        texts[eml.name] = read_sent(eml.read_bytes()).text
    assert len(texts) >= 2, texts
    seen = set()
    for name, text in texts.items():
        lines = text.splitlines()
        assert max(map(len, lines)) <= 76, name
        for span in ("+49 40 555 0142", "(040) 555 0142", "18. November 2026", "21. November 2026",
                     "14. November", "1.234,50\xa0€"):
            if span in re.sub(r"\n *", " ", text):
                assert any(span in line for line in lines), f"{name}: {span!r} was split:\n{text}"
                seen.add(span)
    assert len(seen) == 6, seen


# -- the explanation's headings -------------------------------------------------------

ENGLISH_LETTER_CASE = """\
---
title: Team label wrong address
customer:
  name: Ann Example
  email: ann@example.com
  address: |
    1 Quay Street
    Cork
channel: letter
opened: 2026-11-16
resolved: 2026-11-18
status: resolved
fault: ours
what_went_wrong: The van went to the old address.
how_resolved: |
  We drove the cake over ourselves.
  What happened next
  The driver called you from the door.
prevention: Addresses are now confirmed by phone the day before.
---
Team notes.
"""
HEADINGS = {
    "ann": ["What went wrong", "How we put it right", "Why it will not happen again"],
    "torte": ["Was schiefgelaufen ist", "Wie wir es in Ordnung gebracht haben", "Warum es nicht wieder vorkommt"],
}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def run(root, *command):
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-19",
                             *command], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return result


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_explanations_headings_are_headings_in_the_html_part_and_plain_lines_in_the_text(root):
    # By email: a letter customer's follow-up is the letter itself.
    write_case(root, "ann.md", ENGLISH_LETTER_CASE.replace("channel: letter", "channel: email"))
    write_case(root, "torte.md", GERMAN_CASE)
    run(root, "followups")
    for case, headings in HEADINGS.items():
        data = (root / "outbox" / "preview" / f"{case}--followup--2026-11-18.eml").read_bytes()
        message = message_from_bytes(data, policy=default)
        text = read_sent(data).text
        html = message.get_body(preferencelist=("html",)).get_content()
        soup = BeautifulSoup(html, "html5lib")
        # Exactly the three: neither a case's own line ("What happened next") nor the German
        # closing ("Mit der Bitte um Entschuldigung", no punctuation either) becomes one.
        assert [words(h.get_text()) for h in soup.find_all("h2")] == headings, html
        for heading in soup.find_all("h2"):
            assert heading.find_next_sibling().name == "p", "a heading is followed by its text"
        # The text part reads the same: each heading a line of its own, right above its text.
        paragraphs = [p.split("\n") for p in text.strip().split("\n\n")]
        assert [p[0] for p in paragraphs if p[0] in headings] == headings, text
        in_html = words(" ".join(e.get_text(" ") for e in soup.find_all(["h2", "p", "li"])))
        assert in_html == words(text)
        assert not CONTROL.search(text) and not CONTROL.search(html), "the heading's mark went out"
        if case == "ann":
            assert "What happened next" in text.splitlines(), "the case's own line is kept as it was"


def test_the_letter_and_message_pages_show_the_headings_words_without_the_mark(root):
    write_case(root, "ann.md", ENGLISH_LETTER_CASE)
    write_case(root, "torte.md", GERMAN_CASE)
    run(root)
    pages = {path: path.read_text(encoding="utf-8") for path in (root / "site").rglob("*.html")}
    letter = pages[root / "site" / letter_page("ann")]
    assert all(heading in words(BeautifulSoup(letter, "html5lib").get_text(" ")) for heading in HEADINGS["ann"])
    for path, text in pages.items():
        assert not CONTROL.search(text), f"{path}: a control character"


def test_the_html_part_keeps_the_order_of_a_paragraphs_lines():
    text = "Before the list:\n- one\n- two\nAfter the list.\n"
    soup = BeautifulSoup(to_html(text, "en", "Order"), "html5lib")
    assert [e.name for e in soup.body.div.find_all(["p", "ul"])] == ["p", "ul", "p"]
    assert words(soup.body.div.get_text(" ")) == "Before the list: one two After the list."


# -- the scheduler's log --------------------------------------------------------------

def log_line(zone: str, moment: datetime) -> str:
    record = logging.LogRecord("amends", logging.INFO, __file__, 1, "pass done", None, None)
    record.created = moment.timestamp()
    return BusinessClock(ZoneInfo(zone)).format(record)


def test_log_lines_carry_the_businesss_clock_and_zone():
    winter, summer = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc), datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc)
    assert log_line("Europe/Berlin", winter) == "2026-01-15 13:00:00 CET pass done"
    assert log_line("Europe/Berlin", summer) == "2026-07-15 14:00:00 CEST pass done"
    assert log_line("America/New_York", winter) == "2026-01-15 07:00:00 EST pass done"
    assert log_line("America/Sao_Paulo", winter) == "2026-01-15 09:00:00 -03 pass done"  # no abbreviation


LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (EST|EDT) pass as of (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (EST|EDT) "
                  r"done \(exit \d\); next in 15 minutes$", re.M)


def test_the_schedule_command_logs_in_the_businesss_time_zone(root, tmp_path):
    """On a machine that runs on UTC, a business in New York reads its scheduler's log in New York time."""
    write_case(root, "a.md", MINIMAL_CASE)
    (root / "amends.yaml").write_text("business: {name: Test Shop, email: care@shop.example.com}\n"
                                      "timezone: America/New_York\n", encoding="utf-8")
    output = tmp_path / "schedule.log"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    with output.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), "schedule"],
                                stdout=out, stderr=subprocess.STDOUT, text=True, env={**os.environ, "TZ": "UTC"})
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not LINE.search(output.read_text(encoding="utf-8")):
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=15)
        finally:
            proc.kill()
    after = datetime.now(timezone.utc)
    log = output.read_text(encoding="utf-8")
    found = LINE.search(log)
    assert found, log
    new_york = ZoneInfo("America/New_York")
    for text, abbreviation in (found.group(1, 2), found.group(3, 4)):
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=new_york)
        assert before <= moment <= after, (moment, before, after, log)
        assert moment.tzname() == abbreviation
    assert "Traceback" not in log
