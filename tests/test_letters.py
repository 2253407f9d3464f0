"""Printed letters read right and print clean, and the email never repeats them.

The cases are real files, the site is built with build.py, the letter pages are read as HTML and printed
to PDF by headless Chromium with the browser's own header and footer switched on, and what goes out by
email is what a real `send` pass writes to the outbox.
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends.cases.config import DEFAULT_PLAN
from amends.followups import plan
from amends.followups.ledger import key_for
from amends.followups.mail import file_name
from amends.followups.messages import render
from amends.report.pages import letter_page

from conftest import REPO, write_case
from test_browser import browser  # noqa: F401  (the same headless Chromium, as a fixture)
from test_wording import CONFIG as WORDING_CONFIG, ENV, SENT_AT, TEXTS, assert_reads_well, flat, make_case

TODAY = "2026-11-20"  # a Friday: the letters of the cases below, resolved on Monday, are due
CONFIG = """\
business:
  name: Harbour Lane Bakery & Café
  email: care@harbourlane.example.com
  phone: "+49 40 555 0142"
  address: |
    Harbour Lane Bakery & Café
    Hafenstraße 7
    20459 Hamburg
  signature: Priya Nair
currency: EUR
timezone: Europe/Berlin
followups:
  since: 2026-11-01
{extra}"""

# The team's labels: never on paper, never in an email.
SOUP_TITLE = "Zqx soup complaint from the fussy regular"
SOUP = f"""\
---
title: {SOUP_TITLE}
customer:
  name: Margaret Whitfield
  salutation: Mrs Whitfield
  email: margaret@example.com
  address: |
    Mrs Margaret Whitfield
    14 Elm Grove
    Bristol BS6 5AA
channel: letter
opened: 2026-11-12
resolved: 2026-11-16
status: resolved
fault: ours
about: the cold soup you were served at the window table
what_went_wrong: The soup was plated before the bowl warmer had come up to temperature.
how_resolved: We refunded the soup and the bread.
prevention: The kitchen now checks the bowl warmer before the first order.
accommodation:
  - kind: refund
    amount: 12.50
  - kind: gift-card
    amount: 20
    code: SOUP-9K2P
    expires: 2027-06-30
contacts:
  - at: 2026-11-12
    channel: letter
    dated: 2026-11-09
    note: Letter received, polite and precise.
  - at: 2026-11-13
    by: us
    channel: letter
    dated: 2026-11-13
    note: We wrote back that an answer is coming.
---
Team notes.
"""
SOUP_ID = "2026-11-12-soup"

CAKE_TITLE = "Zqx Weber cake mess"
CAKE = f"""\
---
title: {CAKE_TITLE}
customer:
  name: Dr. Anna Weber
  company: Weber Catering GmbH
  email: anna.weber@example.com
  address: |
    Frau Dr. Anna Weber
    Lindenstraße 3
    10969 Berlin
  language: de
channel: letter
opened: 2026-11-12
resolved: 2026-11-16
status: resolved
fault: customer
about: die Torte, die beim Transport verrutscht ist
what_went_wrong: Die Torte wurde ohne Kühlung im Auto transportiert.
how_resolved: Wir haben die Dekoration vor Ort erneuert.
prevention: Holen Sie Torten am besten mit einer Kühlbox ab.
contacts:
  - at: 2026-11-13
    channel: letter
    note: Brief eingegangen.
---
Team notes.
"""
CAKE_ID = "2026-11-14-cake"

BREAD = """\
---
title: Zqx stale bread, no contact logged
customer:
  name: Tom Baker
  company: Baker & Sons Ltd
  address: |
    baker & sons ltd
    2 Mill Lane
    Leeds LS1 4AB
channel: letter
opened: 2026-11-11
resolved: 2026-11-16
status: resolved
fault: unclear
---
Team notes.
"""
BREAD_ID = "2026-11-11-bread"


def build(root: Path, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", TODAY, *command],
                          capture_output=True, text=True, timeout=300)


def project(root: Path, extra: str = "", **cases: str) -> Path:
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "amends.yaml").write_text(CONFIG.format(extra=extra), encoding="utf-8")
    (root / "cases").mkdir()
    for case_id, text in cases.items():
        write_case(root, f"{case_id}.md", text)
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = project(tmp_path_factory.mktemp("letters"),
                   **{SOUP_ID: SOUP, CAKE_ID: CAKE, BREAD_ID: BREAD})
    built = build(root)
    assert built.returncode == 0, built.stdout + built.stderr
    return root / "site"


def letter(site: Path, case_id: str) -> BeautifulSoup:
    return BeautifulSoup((site / letter_page(case_id)).read_text(encoding="utf-8"), "html5lib")


def lines(element) -> list[str]:
    """The lines of an <address>, as printed."""
    for br in element.find_all("br"):
        br.replace_with("\n")
    return [flat(line) for line in element.get_text().split("\n")]


def sheet_text(page: BeautifulSoup) -> str:
    return flat(page.select_one(".sheet").get_text(" "))


# -- the customer's letter, by its date --------------------------------------------------------------------


@pytest.mark.parametrize("case_id, subject, body", [
    # The date written on their letter, not the day it reached us (12 November) or the case was opened.
    (SOUP_ID, "Your letter of 9 November 2026", "Thank you for your letter of 9 November; you deserve"),
    # No date written on it in the log: the day it reached us, from the log (not `opened`, the 12th). The
    # customer's fault: the opening thanked them already, so the letter says what it answers.
    (CAKE_ID, "Ihr Schreiben, das uns am 13. November 2026 erreicht hat",
     "Dies ist unsere Antwort auf Ihr Schreiben, das uns am 13. November erreicht hat."),
    # No letter in the log at all: the day the case was opened.
    (BREAD_ID, "Your letter, which reached us on 11 November 2026",
     "Thank you for your letter, which reached us on 11 November; you deserve"),
])
def test_the_letter_names_the_customers_letter_by_its_date(site, case_id, subject, body):
    page = letter(site, case_id)
    assert flat(page.select_one(".letter-subject").get_text()) == subject
    assert body in sheet_text(page)


def test_a_german_letter_of_a_known_date_is_ihr_schreiben_vom(tmp_path):
    dated = CAKE.replace("    note: Brief eingegangen.", "    dated: 2026-11-11\n    note: Brief eingegangen.")
    root = project(tmp_path, **{CAKE_ID: dated})
    assert build(root).returncode == 0
    page = letter(root / "site", CAKE_ID)
    assert flat(page.select_one(".letter-subject").get_text()) == "Ihr Schreiben vom 11. November 2026"
    assert "Dies ist unsere Antwort auf Ihr Schreiben vom 11. November." in sheet_text(page)


@pytest.mark.parametrize("contact, message", [
    ("dated: 2026-02-30", "'contacts[1].dated' is not a real date"),
    ("dated: 12.11.2026", "'contacts[1].dated' should be a date like 2026-03-14, not '12.11.2026'"),
    ("dated: 2026-11-13", "'dated' (2026-11-13) is after 'at' (2026-11-12)"),
])
def test_a_wrong_dated_is_a_problem_on_its_line(tmp_path, contact, message):
    root = project(tmp_path, **{SOUP_ID: SOUP.replace("dated: 2026-11-09", contact)})
    checked = build(root, "check")
    assert checked.returncode == 1
    line = SOUP.splitlines().index("    dated: 2026-11-09") + 1
    assert f"cases/{SOUP_ID}.md:{line}: {message}" in checked.stderr, checked.stderr
    assert "Traceback" not in checked.stdout + checked.stderr


def test_the_timeline_shows_the_date_written_on_a_letter(site):
    page = BeautifulSoup((site / "cases" / f"{SOUP_ID}.html").read_text(encoding="utf-8"), "html5lib")
    events = [flat(li.get_text(" ")) for li in page.select("ol.timeline li")]
    assert any("Contact by letter (dated 9 Nov 2026): Letter received" in e for e in events), events
    assert any("Contact by letter (dated 13 Nov 2026): We wrote back" in e for e in events), events


# -- names, once -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id, recipient", [
    # The address names the customer with a title: no bare name line above it.
    (SOUP_ID, ["Mrs Margaret Whitfield", "14 Elm Grove", "Bristol BS6 5AA"]),
    # "Dr. Anna Weber" is the "Frau Dr. Anna Weber" of the address; the company the address lacks is added.
    (CAKE_ID, ["Weber Catering GmbH", "Frau Dr. Anna Weber", "Lindenstraße 3", "10969 Berlin"]),
    # The company is in the address in another case; the person is not, so their name comes first.
    (BREAD_ID, ["Tom Baker", "baker & sons ltd", "2 Mill Lane", "Leeds LS1 4AB"]),
])
def test_no_name_is_written_twice(site, case_id, recipient):
    page = letter(site, case_id)
    assert lines(page.select_one("address.recipient")) == recipient
    sender = lines(page.select_one("address.sender"))
    assert sender[:3] == ["Harbour Lane Bakery & Café", "Hafenstraße 7", "20459 Hamburg"]
    assert sender.count("Harbour Lane Bakery & Café") == 1


def test_the_business_name_heads_the_sender_when_the_address_lacks_it(tmp_path):
    root = project(tmp_path, **{SOUP_ID: SOUP})
    yaml_text = (root / "amends.yaml").read_text(encoding="utf-8").replace("    Harbour Lane Bakery & Café\n", "")
    (root / "amends.yaml").write_text(yaml_text, encoding="utf-8")
    assert build(root).returncode == 0
    sender = lines(letter(root / "site", SOUP_ID).select_one("address.sender"))
    assert sender[:3] == ["Harbour Lane Bakery & Café", "Hafenstraße 7", "20459 Hamburg"]


# -- nothing internal on paper -----------------------------------------------------------------------------


def test_the_letter_page_names_nothing_internal(site):
    for case_id, title in ((SOUP_ID, SOUP_TITLE), (CAKE_ID, CAKE_TITLE)):
        path = letter_page(case_id)
        assert case_id not in path and (site / path).is_file()
        page = letter(site, case_id)
        head = page.title.get_text()
        assert title not in head and case_id not in head and "Zqx" not in head, head
        assert head.startswith("Letter: " + flat(page.select_one(".letter-subject").get_text()))
    assert not (site / "letters" / f"{SOUP_ID}.html").exists()


def print_with_header_and_footer(browser, file: Path, out: Path) -> str:
    """Print a page as a person does with the browser's defaults: its header (date, title) and footer (address, page)."""
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(file.as_uri(), wait_until="load")
    page.pdf(path=str(out), format="A4", display_header_footer=True)
    page.close()
    assert all(url.startswith("file://") for url in requests), requests
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_the_letter_prints_clean_with_the_browsers_header_and_footer_on(site, browser, tmp_path):
    for case_id, title, text in ((SOUP_ID, SOUP_TITLE, "Your letter of 9 November 2026"),
                                 (CAKE_ID, CAKE_TITLE, "Ihr Schreiben, das uns am 13. November 2026 erreicht hat")):
        file = site / letter_page(case_id)
        printed = print_with_header_and_footer(browser, file, tmp_path / f"{case_id}.pdf")
        words = flat(printed)
        assert text in words and "Priya Nair" in words
        for internal in (title, "Zqx", case_id, file.name, file.stem, "file://", str(site), "amends"):
            assert internal not in words, (internal, words)


def test_a_letter_of_two_pages_prints_clean_on_both(tmp_path, browser):
    """A long explanation runs the letter onto a second page: neither carries the browser's header or footer."""
    long = " ".join(["The bowl warmer had been switched off overnight, and nobody checked it."] * 60)
    root = project(tmp_path, **{SOUP_ID: SOUP.replace(
        "what_went_wrong: The soup was plated before the bowl warmer had come up to temperature.",
        f"what_went_wrong: {long}")})
    assert build(root).returncode == 0
    file = root / "site" / letter_page(SOUP_ID)
    out = tmp_path / "long.pdf"
    printed = print_with_header_and_footer(browser, file, out)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) >= 2
    words = flat(printed)
    assert "Priya Nair" in words
    for internal in (SOUP_TITLE, SOUP_ID, file.name, "file://", "1/2", "2/2"):
        assert internal not in words, internal


# -- the email does not repeat the letter ------------------------------------------------------------------


def sent_to(root: Path) -> dict[str, list]:
    """Every message a send pass handed over, by recipient: (subject, text), in the ledger's order."""
    out: dict[str, list] = {}
    ledger = root / "outbox" / "ledger.jsonl"
    for line in ledger.read_text(encoding="utf-8").splitlines() if ledger.exists() else []:
        event = json.loads(line)
        eml = root / "outbox" / "messages" / file_name(event["key"])
        if event["ev"] == "sent" and eml.exists():
            msg = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
            text = msg.get_body(preferencelist=("plain",)).get_content()
            out.setdefault(event["to"], []).append((str(msg["Subject"]), flat(text)))
    return out


def test_a_letter_customer_gets_one_short_note_and_the_gift_card_by_email(tmp_path):
    root = project(tmp_path, **{SOUP_ID: SOUP, CAKE_ID: CAKE})
    sent = build(root, "send")
    assert sent.returncode == 1 and "Traceback" not in sent.stderr  # 1: the letters are to print and post
    # "On its way by post" is true only once the letter is: nothing goes before a person marks it posted.
    assert sent_to(root) == {}

    def at(clock: str, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--now",
                               f"{TODAY}T{clock}", *command], capture_output=True, text=True, timeout=300)

    for case_id in (SOUP_ID, CAKE_ID):
        assert at("12:05", "done", case_id, "letter").returncode == 0
    # The note in the next pass, the gift card at least a minute after the note that comes first.
    for clock in ("12:10", "12:25"):
        assert "Traceback" not in at(clock, "send").stderr
    got = sent_to(root)
    soup = got["margaret@example.com"]
    assert [subject for subject, _ in soup] == ["Our reply is on its way by post", "Your gift card from Harbour Lane Bakery & Café"]
    note = soup[0][1]
    assert note.startswith("Dear Mrs Whitfield, Thank you for writing to us. We have answered you in a letter")
    assert "just reply to this email or call us on +49 40 555 0142" in note
    # Nothing the letter says: no apology, no explanation, nothing given back, no team label.
    for said in ("sorry", "soup", "bowl warmer", "refund", "12.50", "mistake", "Zqx"):
        assert said not in note, said
    assert "SOUP-9K2P" in soup[1][1]  # the card's code, which the letter does not hold, still comes by email
    cake = got["anna.weber@example.com"]
    assert [subject for subject, _ in cake] == ["Unsere Antwort ist per Post unterwegs"]
    assert cake[0][1].startswith("Guten Tag, Dr. Anna Weber, vielen Dank für Ihr Schreiben. Wir haben Ihnen schriftlich geantwortet; unser Brief ist mit der Post")
    assert "oder rufen Sie uns unter +49 40 555 0142 an." in cake[0][1]
    # The site says why the apology and the rest did not go.
    assert build(root).returncode == 0
    page = BeautifulSoup((root / "site" / "cases" / f"{SOUP_ID}.html").read_text(encoding="utf-8"), "html5lib")
    assert "not emailed: the letter says it" in flat(page.get_text(" "))


def test_without_email_too_a_letter_customer_gets_no_email_and_the_letter_carries_the_gift_card(tmp_path):
    root = project(tmp_path, "  email_too: false\n", **{SOUP_ID: SOUP})
    assert build(root, "send").returncode == 1
    assert sent_to(root) == {}
    assert build(root).returncode == 0
    text = sheet_text(letter(root / "site", SOUP_ID))
    assert "in a separate email" not in text  # no email will bring it
    assert "we have given you a refund of €12.50 and a gift card worth €20.00." in text
    assert "Here is your gift card worth €20.00, valid until 30 June 2027. Code: SOUP-9K2P Thank you for" in text
    assert_reads_well(text, "letter without email")


def ledger_line(key: str, ev: str, when: str, **details) -> str:
    return json.dumps({"v": 1, "ts": when, "key": key, "ev": ev, **details}, sort_keys=True) + "\n"


def test_a_round_already_emailed_sends_nothing_twice_and_no_note(tmp_path):
    """Before the change, the apology went by email to a letter customer: it stays sent, and nothing follows it."""
    root = project(tmp_path, **{SOUP_ID: SOUP})
    (root / "outbox").mkdir()
    apology = key_for(SOUP_ID, "apology", datetime(2026, 11, 16).date())
    (root / "outbox" / "ledger.jsonl").write_text(
        ledger_line(apology, "attempt", "2026-11-18T09:00:00+01:00", transport="outbox")
        + ledger_line(apology, "sent", "2026-11-18T09:00:01+01:00", transport="outbox", to="margaret@example.com",
                      msgid="<a@b>"), encoding="utf-8")
    sent = build(root, "send")
    assert "Traceback" not in sent.stderr
    # Only the gift card, which no email carried: no second apology, no note, no explanation.
    got = [subject for subject, _ in sent_to(root)["margaret@example.com"]]
    assert got == ["Your gift card from Harbour Lane Bakery & Café"]
    events = [json.loads(line) for line in (root / "outbox" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["key"].split("/")[1] for e in events if e["ev"] == "sent"] == ["apology", "gift-card"]
    assert build(root).returncode == 0
    page = BeautifulSoup((root / "site" / "cases" / f"{SOUP_ID}.html").read_text(encoding="utf-8"), "html5lib")
    words = flat(page.get_text(" "))
    assert "not sent: the customer already had an email about this case" in words


def test_the_note_reads_well_in_every_language_and_says_nothing_the_letter_says():
    step = dataclasses.replace(DEFAULT_PLAN[0], kind=plan.LETTER_NOTE, template=plan.LETTER_NOTE)
    for language in ("en", "de"):
        for fault in ("ours", "customer", None):
            case = make_case(language, fault, True, True)
            followup = plan.Followup(case, plan.LETTER_NOTE, "email", key_for(case.id, plan.LETTER_NOTE, case.resolved),
                                     "due", "due now", SENT_AT, step)
            r = render(followup, WORDING_CONFIG, ENV)
            assert not isinstance(r, str), r
            where = f"{language}, fault {fault}"
            for part in (r.subject, r.text):
                assert_reads_well(part, where)
            words = flat(r.subject + " " + r.text)
            for said in (*TEXTS[language], case.about, "12.50", "12,50", "CAKE-2026", case.title):
                assert said not in words, (where, said)
