"""Printing: the letter fills one A4 page with nothing but the letter, laid out for a windowed envelope, and
every other page prints without the top bar, search box or navigation.

The pages are printed to PDF by Debian's headless Chromium (through Playwright, opened as file:// URLs, as a
person opens the built site) and the PDF is read back with poppler-utils' pdftotext and pdfinfo: what is
checked is what lands on paper.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from amends import cli
from amends.report.pages import letter_page

from conftest import REPO, write_case
from test_browser import browser  # noqa: F401  (the same headless Chromium, as a fixture)

TODAY = "2026-11-20"  # four days after the case below was resolved: its letter is due
CASE_ID = "2026-11-10-cold-soup"
TITLE = "Cold soup served at the window table"
CONFIG = """\
business:
  name: Harbour Lane Bakery & Café
  email: care@harbourlane.example.com
  phone: "+49 40 555 0142"
  address: |
    Hafenstraße 7
    20459 Hamburg
    Germany
  signature: |
    Priya Nair
    Harbour Lane Bakery & Café
currency: EUR
timezone: Europe/Berlin
followups:
  since: 2026-11-01
"""
SENDER = ["Harbour Lane Bakery & Café", "Hafenstraße 7", "20459 Hamburg", "Germany", "+49 40 555 0142",
          "care@harbourlane.example.com"]
RECIPIENT = ["Margaret Whitfield", "14 Elm Grove", "Bristol BS6 5AA", "United Kingdom"]
CASE = f"""\
---
title: {TITLE}
customer:
  name: Margaret Whitfield
  salutation: Mrs Whitfield
  address: |
    {RECIPIENT[1]}
    {RECIPIENT[2]}
    {RECIPIENT[3]}
  language: en
channel: letter
opened: 2026-11-10
resolved: 2026-11-16
status: resolved
fault: ours
severity: medium
owner: Priya Nair
team: Kitchen
category: Food quality
tags: [soup, letter]
accommodation:
  - kind: refund
    amount: 12.50
    note: for the soup and the bread
  - kind: gift-card
    amount: 20
    code: SOUP-9K2P
    url: https://shop.example.com/gift/9K2P
    expires: 2027-06-30
promises:
  - what: Reply in writing within a week
    due: 2026-11-17
    kept: true
what_went_wrong: The soup was plated before the bowl warmer had come up to temperature on a cold morning.
how_resolved: We refunded the soup and the bread and sent a gift card for your next visit.
prevention: The kitchen now checks the bowl warmer before the first order and keeps a thermometer by the pass.
contacts:
  - at: 2026-11-10 10:30
    channel: letter
    note: Letter received, polite and precise.
  - at: 2026-11-12
    by: us
    channel: phone
    note: Priya called to say a written answer is on its way.
---
## What happened

Mrs Whitfield ordered the leek and potato soup at the window table. It came lukewarm, and the second bowl
was no better. She wrote to us the next day.

See the [bowl warmer's manual](https://maker.example.com/manuals/bw-200) and the [team's page](../teams/index.html).
"""
SUBJECT = "Your letter, which reached us on 10 November 2026"  # the log gives no date written on it
GREETING = "Dear Mrs Whitfield,"
# The top bar's words (its navigation, the search box's label and placeholder, the "as of" date) and the footer's.
NAVIGATION = ["Overview", "Follow-ups", "Figures", "Lessons", "Categories", "Customers", "Search", "Problems",
              "words, names", "as of 20 Nov", "Private report"]
# The letter page's own heading and hint, around the sheet.
LETTER_PAGE = ["print this page", "Letter to", "to do:", "python build.py"]
MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A project of one letter-channel case with both postal addresses, built on a day its letter is due."""
    root = tmp_path_factory.mktemp("print")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "amends.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "cases").mkdir()
    write_case(root, f"{CASE_ID}.md", CASE)
    assert cli.main(["--root", str(root), "--today", TODAY]) == 0
    assert (root / "site" / letter_page(CASE_ID)).is_file()
    return root / "site"


def open_page(browser, url: str, media: str | None = None, scheme: str = "light"):
    """Open a file:// URL; the page and the list of URLs it requested (which must all be file:// too)."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    if media:
        page.emulate_media(media=media)
    page.goto(url, wait_until="load")
    return page, requests


def print_to_pdf(browser, file: Path, out: Path) -> tuple[str, int, str]:
    """Print a built page to an A4 PDF as Chromium prints it: (its text, its page count, its words' boxes)."""
    page, requests = open_page(browser, file.as_uri())
    page.pdf(path=str(out), format="A4")
    page.context.close()
    assert all(url.startswith("file://") for url in requests), requests
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True, timeout=60).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert "(A4)" in info
    boxes = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(out), "-"], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    return " ".join(text.split()), pages, boxes


def words(boxes: str) -> list[tuple[str, float, float, float, float]]:
    """Every word pdftotext -bbox found on the first page: (word, left, top, right, bottom) in millimetres."""
    first = boxes.split("</page>")[0]
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', first)
    return [(html.unescape(w), float(x0) / MM, float(y0) / MM, float(x1) / MM, float(y1) / MM)
            for x0, y0, x1, y1, w in found]


def line_box(found, line: str) -> tuple[float, float, float, float]:
    """The box around the first run of words that reads `line`."""
    wanted = line.split()
    for i in range(len(found) - len(wanted) + 1):
        run = found[i:i + len(wanted)]
        if [w[0] for w in run] == wanted:
            return min(w[1] for w in run), min(w[2] for w in run), max(w[3] for w in run), max(w[4] for w in run)
    raise AssertionError(f"{line!r} not found among the printed words")


def test_the_letter_prints_on_one_a4_page_with_nothing_but_the_letter(site, browser, tmp_path):
    text, pages, _ = print_to_pdf(browser, site / letter_page(CASE_ID), tmp_path / "letter.pdf")
    assert pages == 1
    for line in SENDER + RECIPIENT:
        assert line in text, line
    assert SUBJECT in text and GREETING in text
    assert "Priya Nair" in text  # the signature, at the end of the letter
    for word in NAVIGATION + LETTER_PAGE:
        assert word not in text, word
    assert TITLE not in text  # the team's label, in the crumb, is never shown to the customer


def test_the_letter_is_laid_out_for_a_windowed_envelope(site, browser, tmp_path):
    """DIN 5008 form B on A4: the recipient 45 mm down and 20-25 mm in, sender top right, date right-aligned."""
    _, _, boxes = print_to_pdf(browser, site / letter_page(CASE_ID), tmp_path / "letter.pdf")
    found = words(boxes)
    left, top, right, bottom = line_box(found, RECIPIENT[0])
    assert 20 <= left <= 27 and 42 <= top <= 50, (left, top)
    _, last_top, last_right, last_bottom = line_box(found, RECIPIENT[-1])
    assert last_bottom <= 90 and last_right <= 20 + 90  # inside the window of a DL envelope (45 × 90 mm)
    sender_left, sender_top, sender_right, _ = line_box(found, SENDER[0])
    assert sender_top < top and sender_left > 105 and sender_right > 170  # top right
    date_left, date_top, date_right, _ = line_box(found, "20 November 2026")
    assert date_right > 180 and date_left > 105 and date_top > last_bottom  # right-aligned, below the address
    _, subject_top, _, _ = line_box(found, SUBJECT)
    _, greeting_top, _, _ = line_box(found, GREETING)
    assert date_top < subject_top < greeting_top
    body_left = min(w[1] for w in found if w[2] > subject_top)
    assert 20 <= body_left <= 27  # the text starts where the address does


def test_a_case_page_prints_without_top_bar_search_or_navigation(site, browser, tmp_path):
    text, pages, _ = print_to_pdf(browser, site / "cases" / f"{CASE_ID}.html", tmp_path / "case.pdf")
    assert TITLE in text
    assert "Mrs Whitfield ordered the leek and potato soup" in text  # the notes are printed too
    # "Follow-ups" is also a heading on the case page; the bar's other words are not.
    for word in NAVIGATION:
        if word != "Follow-ups":
            assert word not in text, word
    assert text.count("Follow-ups") == 2  # the heading and the assessment's line, not the bar's link
    # An external link prints its address; an internal one does not (a relative path means nothing on paper).
    assert "bowl warmer's manual (https://maker.example.com/manuals/bw-200)" in text
    assert "team's page." in text and "teams/index.html" not in text


@pytest.mark.parametrize("name", ["lessons.html", "figures/month.html", "figures/all.html",
                                  f"cases/{CASE_ID}.html", letter_page(CASE_ID)])
def test_print_media_hides_top_bar_and_navigation_and_keeps_rows_whole(site, browser, name):
    """What print media shows, dark mode or not: no bar or nav, black on white, table rows never split."""
    shown = "el => getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0"
    screen, _ = open_page(browser, (site / name).as_uri(), media="screen")
    assert screen.locator("header.top").evaluate(shown)  # the check below can see the difference
    screen.context.close()
    for scheme in ("light", "dark"):
        page, requests = open_page(browser, (site / name).as_uri(), media="print", scheme=scheme)
        assert all(url.startswith("file://") for url in requests), requests
        assert page.locator("header.top").evaluate("el => getComputedStyle(el).display") == "none"
        assert page.locator("nav").count() >= 1
        assert page.locator("nav").evaluate_all(f"els => els.filter({shown}).length") == 0
        assert page.locator("form[role=search], input[type=search], footer").evaluate_all(
            f"els => els.filter({shown}).length") == 0
        assert page.locator("body").evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
        assert page.locator("body").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 255, 255)"
        if name.startswith("letters"):  # addresses upright, not the browser's italic <address>
            assert page.locator(".sheet").evaluate(shown)
            assert page.locator(".sheet address").evaluate_all(
                "els => els.map(el => getComputedStyle(el).fontStyle)") == ["normal", "normal"]
        if name.startswith(("lessons", "figures", "cases")):
            assert page.locator("main tr").count() > 0
            assert set(page.locator("main tr").evaluate_all("els => els.map(el => getComputedStyle(el).breakInside)")) \
                == {"avoid"}
            assert set(page.locator("main h2").evaluate_all("els => els.map(el => getComputedStyle(el).breakAfter)")) \
                == {"avoid"}
        page.context.close()


# The words of each table cell after a case's own in a closed <details> that nothing else on the page shows.
CLOSED_ONLY = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("details:not([open]) > :not(summary)").forEach(el => el.remove());
  const shown = main.textContent.replace(/\\s+/g, " ");
  return Array.from(document.querySelectorAll("details:not([open]) td:not(:first-child)"),
                    td => td.textContent.replace(/\\s+/g, " ").trim())
    .filter(text => text.length > 12 && !shown.includes(text));
}"""


def test_lessons_print_every_lesson_even_those_shown_closed(browser, tmp_path):  # noqa: F811
    """On screen only the first three lessons of a section are open; on paper, which cannot be clicked, all are."""
    root = tmp_path / "demo"
    for name in ("templates", "cases"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    assert cli.main(["--root", str(root), "--today", "2026-11-22"]) == 0
    lessons = root / "site" / "lessons.html"
    page, _ = open_page(browser, lessons.as_uri())
    hidden = page.evaluate(CLOSED_ONLY)
    assert hidden  # the demo has lessons past the first three, and they say something the page shows nowhere else
    assert page.locator("details:not([open]) td").evaluate_all("tds => tds.filter(td => td.checkVisibility()).length") \
        == 0  # closed on screen
    page.context.close()
    text, _, _ = print_to_pdf(browser, lessons, tmp_path / "lessons.pdf")
    printed = "".join(text.split())  # a line may break anywhere on paper, even after a hyphen
    missing = [words for words in hidden if "".join(words.split()) not in printed]
    assert missing == []
