"""The site speaks to the owner: plain reasons with dates and commands, settings only in a folded
detail, one date style, overdue promises in red, and every message readable, sent ones too."""
from __future__ import annotations

import re
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.followups.mail import read_sent

from conftest import REPO, link_target, sample_project, write_case

# The words of amends.yaml and of the transports, which mean nothing to the person who runs the shop.
SETTINGS = ("catch_up_days", "followups.since", "resend_guard_days", "email_too", "send_window",
            "do_not_contact", "transport", "business.email", "outbox/messages")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
HUMAN_DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def owner_text(page: Path, ids: list[str]) -> str:
    """What the owner reads on a page: without the folded details, code, and the names of cases and files."""
    soup = soup_of(page)
    for hidden in soup.select("details.why, code, script, style"):
        hidden.decompose()
    words = text(soup.find("main"))
    for name in sorted(ids, key=len, reverse=True):  # a case id holds its opening date, as its file name does
        words = words.replace(name, "")
    return words


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample project with its outbox, built on 3 December 2026: a thanks has been missed by then."""
    root = tmp_path_factory.mktemp("owner")
    sample_project(root, "outbox")
    assert cli.main(["--root", str(root), "--today", "2026-12-03"]) == 0
    return root


def case_ids(root: Path) -> list[str]:
    return [p.stem for p in (root / "cases").glob("*.md")]


def test_no_setting_name_or_iso_date_where_the_owner_reads(sample):
    site, ids = sample / "site", case_ids(sample)
    pages = [p for p in site.rglob("*.html") if p.name != "problems.html"]
    assert len(pages) > 40
    for page in pages:
        words = owner_text(page, ids)
        assert not [s for s in SETTINGS if s in words], f"{page.relative_to(site)}: {words[:300]}"
        assert not ISO_DATE.search(words), f"{page.relative_to(site)}: {ISO_DATE.search(words).group()} in {words[:300]}"


def test_a_missed_followup_says_when_it_was_due_and_what_to_do(sample):
    """The check-in of the croissant case was due on 24 Nov: by 3 Dec it waits for a person."""
    page = sample / "site" / "cases" / "2026-11-09-hair-in-croissant.html"
    rows = [tr for tr in soup_of(page).select("table.followups tbody tr") if "missed" in text(tr)]
    assert len(rows) == 1
    why = rows[0].find_all("td")[3]
    assert " ".join(why.get_text().split()).startswith("not sent: it was due on 24 Nov 2026, more than 3 business days before today. "
                                "Send it anyway: python build.py release 2026-11-09-hair-in-croissant checkin; "
                                "or mark it handled: python build.py done 2026-11-09-hair-in-croissant checkin")
    assert [text(c) for c in why.select("code")] == ["python build.py release 2026-11-09-hair-in-croissant checkin",
                                                    "python build.py done 2026-11-09-hair-in-croissant checkin"]
    detail = why.select_one("details.why")
    assert detail is not None and "catch_up_days is 3 in amends.yaml" in text(detail)
    # The same on the overview, under what needs attention.
    home = soup_of(sample / "site" / "index.html").find("ul", id="attention-followups")
    assert "not sent: it was due on 24 Nov 2026" in text(home)


def test_the_followups_page_says_how_messages_go_in_plain_words(sample):
    main = soup_of(sample / "site" / "followups.html").find("main")
    assert "Follow-ups are written to the outbox folder, not emailed." in text(main)
    # Those not sent are over: on the page of the year they were due.
    skipped = soup_of(sample / "site" / "followups-2026.html").find("section", attrs={"aria-labelledby": "skipped"})
    assert "resolved before 1 Nov 2026 are not sent: amends began sending follow-ups on that day." in text(skipped)
    assert "followups.since is 2026-11-01 in amends.yaml" in text(skipped.select_one("details.why"))


def test_an_overdue_promise_is_red_and_says_since_when(sample):
    """The reopened standing order promised a ride-along by 21 Nov: on 3 Dec it is overdue, on the overview and the case."""
    home = soup_of(sample / "site" / "index.html").find("ul", id="attention-promises")
    overdue = [li for li in home.find_all("li") if "Ride along" in text(li)]
    assert len(overdue) == 1
    badge = overdue[0].find("span", class_="fstate")
    assert text(badge) == "overdue since 21 Nov 2026" and "f-failed" in badge["class"]
    case = soup_of(sample / "site" / "cases" / "2026-10-21-late-standing-order-reopened.html")
    promise = [li for li in case.select("ul.promises li") if "Ride along" in text(li)]
    assert len(promise) == 1 and "p-overdue" in promise[0]["class"]
    assert text(promise[0].find("strong")) == "overdue since 21 Nov 2026"


def test_a_promise_due_today_is_not_overdue(root):
    write_case(root, "promise.md", """\
---
title: Cake delivered late
customer: {name: Ann Example, email: ann@example.com}
channel: email
opened: 2026-11-20
status: open
promises:
  - {what: Call Ann back, due: 2026-11-22}
---
""")
    assert cli.main(["--root", str(root), "--today", "2026-11-22"]) == 0
    li = soup_of(root / "site" / "cases" / "promise.html").select_one("ul.promises li")
    assert "p-pending" in li["class"] and text(li) == "Call Ann back — due 22 Nov 2026: not yet kept"
    badge = soup_of(root / "site" / "index.html").find("ul", id="attention-promises").find("span", class_="fstate")
    assert text(badge) == "due today" and "f-due" in badge["class"]


def test_every_sent_message_has_a_page_with_what_was_sent(sample):
    """Each sent follow-up links to a page showing the .eml's headers and text, and links the .eml itself."""
    site = sample / "site"
    emls = sorted((sample / "outbox" / "messages").glob("*.eml"))
    assert len(emls) >= 4  # one follow-up email per round, the gift card and the note that a letter is coming
    # Sent is over: each on the page of the year it was due.
    sent_rows = [(listing, row) for listing in sorted(site.glob("followups-*.html"))
                 for section in soup_of(listing).find_all("section", attrs={"aria-labelledby": "sent"})
                 for row in section.select("tbody tr")]
    assert len(sent_rows) == len(emls)
    for listing, row in sent_rows:
        link = row.find("a", string="read")
        assert link is not None, text(row)
        page = link_target(listing, link["href"])
        eml = sample / "outbox" / "messages" / (page.stem + ".eml")
        msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
        main = soup_of(page).find("main")
        facts = dict(zip([text(dt) for dt in main.select("dl.facts dt")], [text(dd) for dd in main.select("dl.facts dd")]))
        assert facts["To"] == str(msg["To"]) and facts["Subject"] == str(msg["Subject"])
        assert facts["Message-ID"] == str(msg["Message-ID"])
        assert HUMAN_DATE.match(facts["Date"]), facts["Date"]
        body = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        assert main.select_one("pre.mail").get_text() == body
        download = main.find("a", href=re.compile(r"\.eml$"))
        assert link_target(page, download["href"]).read_bytes() == eml.read_bytes()


def test_a_sent_message_whose_file_is_gone_says_so(root):
    for folder in ("cases", "outbox"):
        shutil.rmtree(root / folder, ignore_errors=True)
        shutil.copytree(REPO / folder, root / folder)
    gone = root / "outbox" / "messages" / "2026-11-04-rude-staff-member--letter-note--2026-11-17.eml"
    gone.unlink()
    assert cli.main(["--root", str(root), "--today", "2026-11-22"]) == 0
    main = soup_of(root / "site" / "messages" / (gone.stem + ".html")).find("main")
    assert "is not in outbox/messages/" in text(main) and "will not be sent again" in text(main)
    assert main.find("a", href=re.compile(r"\.eml$")) is None
    assert not (root / "site" / "messages" / gone.name).exists()


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00", b"Date: garbage\n\nx",
                                  b"Content-Type: text/plain; charset=x-unknown\n\nhi",
                                  b"Content-Type: multipart/mixed; boundary=x\n\n--x\n"])
def test_a_damaged_message_file_reads_as_blanks_not_an_error(data):
    """A sent .eml cut short or edited by hand still gets its page: what cannot be read is left empty."""
    sent = read_sent(data)
    assert (sent.to, sent.subject, sent.date, sent.message_id) == ("", "", None, "")
