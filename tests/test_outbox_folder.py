"""outbox/messages/ is read like cases/: only regular files inside the project are opened; a link out,
a FIFO or a device is refused with a warning naming it; a damaged or huge sent .eml costs its own page
("cannot be read", "too large to show"), never the build."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.followups.mail import read_sent

from conftest import REPO

TODAY = "2026-11-22"
SENT = "2026-11-09-hair-in-croissant--followup--2026-11-14.eml"


@pytest.fixture
def project(root: Path) -> Path:
    """The sample cases with their outbox: SENT is a message handed over, shown on its own page."""
    for folder in ("cases", "outbox"):
        shutil.rmtree(root / folder, ignore_errors=True)
        shutil.copytree(REPO / folder, root / folder)
    return root


def page_of(root: Path, eml: str = SENT) -> str:
    """The words of the message page of `eml`."""
    page = root / "site" / "messages" / eml.replace(".eml", ".html")
    main = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("main")
    return " ".join(main.get_text(" ").split())


def run(root: Path, *words: str) -> subprocess.CompletedProcess:
    """build.py in its own process: a build that waits on a FIFO is stopped by the timeout, not the tests."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", TODAY, *words],
                          capture_output=True, text=True, timeout=120)


def site_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (root / "site").rglob("*") if p.is_file())


def test_a_link_to_a_private_file_outside_is_never_shown(project, tmp_path_factory):
    secret = tmp_path_factory.mktemp("etc") / "passwd"
    secret.write_text("root:x:0:0:SECRET-LINE:/root:/bin/bash\n")
    eml = project / "outbox" / "messages" / SENT
    eml.unlink()
    eml.symlink_to(secret)
    built = run(project)
    assert built.returncode == 0, built.stdout + built.stderr
    assert b"SECRET-LINE" not in site_bytes(project)
    assert not (project / "site" / "messages" / SENT).exists()
    words = page_of(project)
    assert f"a symbolic link to {secret}, outside the project" in words and "will not be sent again" in words
    checked = run(project, "check")
    assert f"outbox/messages/{SENT}: warning: a symbolic link to {secret}, outside the project; not read" in checked.stderr
    assert "Traceback" not in built.stderr + checked.stderr


def fifo_inside(path: Path) -> None:
    """A link to a FIFO elsewhere in the project."""
    os.mkfifo(path.parent.parent / "pipe")
    path.symlink_to(path.parent.parent / "pipe")


@pytest.mark.parametrize("make, why", [
    (os.mkfifo, "not a regular file (a FIFO)"),
    (fifo_inside, "not a regular file (a FIFO)"),
    (lambda path: path.symlink_to("/dev/zero"), "a symbolic link to /dev/zero, outside the project"),
], ids=["fifo", "link-to-a-fifo-inside", "link-to-dev-zero"])
def test_a_fifo_or_device_in_the_outbox_does_not_hang_the_build(project, make, why):
    eml = project / "outbox" / "messages" / SENT
    eml.unlink()
    make(eml)
    built = run(project)
    assert built.returncode == 0, built.stdout + built.stderr
    assert not (project / "site" / "messages" / SENT).exists()
    assert f"is not shown: outbox/messages/{SENT} is {why}." in page_of(project)
    checked = run(project, "check")
    assert f"outbox/messages/{SENT}: warning: {why}; not read" in checked.stderr
    assert "Traceback" not in built.stderr + checked.stderr


def damaged(date: str = "Wed, 18 Nov 2026 09:05:00 +0100", body: bytes = b"Content-Type: text/plain\n\nDear Mette,\n") -> bytes:
    return (b"To: Mette <mette.kjaergaard@example.com>\nSubject: Our apology\nDate: " + date.encode()
            + b"\nMessage-ID: <x@example.com>\nMIME-Version: 1.0\n" + body)


NESTED = (b"Content-Type: multipart/mixed; boundary=b0\n\n"
          + b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(3000)))


@pytest.mark.parametrize("date", ["Fri, 31 Dec 9999 23:59:59 -0100", "Fri, 31 Dec 99999999999999999999 23:59:59 +0000",
                                  "Mon, 01 Jan 1000 00:00:00 +0000"])
def test_a_date_out_of_range_is_shown_as_written(project, date):
    (project / "outbox" / "messages" / SENT).write_bytes(damaged(date))
    built = run(project)
    assert built.returncode == 0, built.stdout + built.stderr
    words = page_of(project)
    assert f"Date {date}" in words and "Dear Mette," in words


def test_thousands_of_nested_parts_give_the_page_cannot_be_read(project):
    (project / "outbox" / "messages" / SENT).write_bytes(damaged(body=NESTED))
    built = run(project)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "Traceback" not in built.stderr
    assert "The message as it was handed over cannot be read" in page_of(project)


def test_a_huge_message_is_too_large_to_show(project):
    (project / "outbox" / "messages" / SENT).write_bytes(damaged(body=b"Content-Type: text/plain\n\n"
                                                                 + b"Dear Mette, sorry.\n" * 200_000))
    assert cli.main(["--root", str(project), "--today", TODAY]) == 0
    words = page_of(project)
    assert "too large to show" in words and f"outbox/messages/{SENT}" in words
    assert not (project / "site" / "messages" / SENT).exists()
    assert "Dear Mette, sorry." not in words


def test_the_other_sent_messages_still_show(project):
    """One damaged file costs its own page: the others are read as before."""
    (project / "outbox" / "messages" / SENT).write_bytes(damaged(body=NESTED))
    assert cli.main(["--root", str(project), "--today", TODAY]) == 0
    others = [p.name for p in (project / "outbox" / "messages").glob("*.eml") if p.name != SENT]
    assert others
    for name in others:
        assert (project / "site" / "messages" / name).read_bytes() == (project / "outbox" / "messages" / name).read_bytes()
        assert "Text, as it was handed over" in page_of(project, name)


# Gift cards (issue 21, item 6): an expired card is never mailed as valid.

CARD_CASE = """\
---
title: Stale croissant
customer:
  name: Ann Example
  email: ann@example.com
channel: email
opened: 2026-11-02
resolved: 2026-11-03
status: resolved
fault: ours
accommodation:
  - kind: gift-card
    amount: 10.00
    code: CARD-123
    expires: {expires}
what_went_wrong: The croissant was from the day before.
how_resolved: We refunded it and gave you a gift card.
prevention: We now check the date on every tray each morning.
---
"""


def card_project(root: Path, expires: str) -> Path:
    (root / "cases" / "2026-11-02-stale-croissant.md").write_text(CARD_CASE.format(expires=expires), encoding="utf-8")
    return root


def sent_kinds(root: Path) -> list[str]:
    return sorted(p.name.split("--")[1] for p in (root / "outbox" / "messages").glob("*.eml"))


def test_a_gift_card_that_expires_before_its_mail_waits_for_a_person(root, capsys):
    """Planned on 6 Nov, the card ends on 5 Nov: the gift-card mail is blocked, never sent as valid."""
    card_project(root, "2026-11-05")
    assert cli.main(["--root", str(root), "--now", "2026-11-06T10:00", "send"]) == 1  # a person must act
    assert sent_kinds(root) == []  # the mail that announces the card waits with it
    capsys.readouterr()
    assert cli.main(["--root", str(root), "--now", "2026-11-06T10:30", "check"]) == 1
    err = capsys.readouterr().err
    assert ("cases/2026-11-02-stale-croissant.md: the gift-card follow-up would be blocked: the gift card expired "
            "on 5 Nov 2026, before this gift-card would go on 6 Nov 2026; give a new one or a new date") in err


def test_a_card_that_ends_while_amends_was_not_running_is_not_sent_late(root, capsys):
    """Planned on 6 Nov while still valid, but sending only on 9 Nov (within catch-up): by then it has expired."""
    card_project(root, "2026-11-07")
    assert cli.main(["--root", str(root), "--now", "2026-11-09T10:00", "send"]) == 1
    assert sent_kinds(root) == []  # the mail that announces the card waits with it
    capsys.readouterr()
    cli.main(["--root", str(root), "--now", "2026-11-09T10:30", "check"])
    assert "the gift card expired on 7 Nov 2026, before this gift-card would go on 9 Nov 2026" in capsys.readouterr().err


def test_a_valid_card_is_sent(root):
    card_project(root, "2027-11-05")
    for hour in ("10", "12"):  # the card goes a little after the mail that announces it
        assert cli.main(["--root", str(root), "--now", f"2026-11-06T{hour}:00", "send"]) == 0
    assert sent_kinds(root) == ["followup", "gift-card"]
    text = (root / "outbox" / "messages" / "2026-11-02-stale-croissant--gift-card--2026-11-03.eml").read_bytes()
    assert b"CARD-123" in text


def test_check_warns_of_a_card_that_expired_before_the_case_was_resolved(root, capsys):
    card_project(root, "2026-11-01")
    cli.main(["--root", str(root), "--now", "2026-11-03T10:00", "check"])
    assert ("cases/2026-11-02-stale-croissant.md:15: warning: the gift card expires on 2026-11-01, before the case "
            "was resolved (2026-11-03): the customer would get a card that no longer works; give a new one or a new date"
            ) in capsys.readouterr().err


def test_a_letter_does_not_name_an_expired_card_as_valid(root, capsys):
    text = CARD_CASE.format(expires="2026-11-05").replace("  email: ann@example.com\n", "  address: |\n    1 Mill Lane\n    Hamburg\n")
    (root / "cases" / "2026-11-02-stale-croissant.md").write_text(text.replace("channel: email", "channel: letter"), encoding="utf-8")
    cli.main(["--root", str(root), "--now", "2026-11-06T10:00", "check"])
    assert ("the letter follow-up would be blocked: the gift card expired on 5 Nov 2026, before this letter would go "
            "on 6 Nov 2026") in capsys.readouterr().err


def test_a_fifo_in_place_of_an_earlier_rounds_message_does_not_hang_check(root):
    """A second round compares its words with the first round's sent .emls: a FIFO there is not read, the rest is."""
    case = root / "cases" / "2026-11-02-stale-croissant.md"
    case.write_text(CARD_CASE.format(expires="2027-11-05"), encoding="utf-8")
    for hour in ("10", "12"):
        assert cli.main(["--root", str(root), "--now", f"2026-11-06T{hour}:00", "send"]) == 0
    first = root / "outbox" / "messages" / "2026-11-02-stale-croissant--gift-card--2026-11-03.eml"
    first.unlink()
    os.mkfifo(first)
    again = CARD_CASE.format(expires="2027-11-05").replace("resolved: 2026-11-03", "resolved: 2026-11-20")
    case.write_text(again.replace("what_went_wrong:", "contacts:\n  - at: 2026-11-16 10:00\n    channel: email\n"
                                  "    note: It happened again.\nwhat_went_wrong:"), encoding="utf-8")
    checked = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--now", "2026-11-21T10:00",
                              "check"], capture_output=True, text=True, timeout=120)
    assert f"outbox/messages/{first.name}: warning: not a regular file (a FIFO); not read" in checked.stderr
    assert "Traceback" not in checked.stderr
    # The first round's other message is still read: the same words again are worth a warning.
    assert "'what_went_wrong' is word for word what the customer read after the case was resolved on 3 Nov 2026" in checked.stderr


# From item 7: the signature falls back to the business, never to another language.

def test_with_only_a_german_signature_an_english_customer_gets_the_business_name(root):
    config = root / "amends.yaml"
    text = config.read_text(encoding="utf-8")
    block = text[text.index("  signature:"):text.index("# Who signs")]
    config.write_text(text.replace(block, '  signature: {de: "Ana und Tom"}\n'), encoding="utf-8")
    card_project(root, "2027-11-05")
    assert cli.main(["--root", str(root), "--now", "2026-11-06T10:00", "send"]) == 0
    sent = (root / "outbox" / "messages" / "2026-11-02-stale-croissant--followup--2026-11-03.eml").read_bytes()
    body = read_sent(sent).text
    assert "Ana und Tom" not in body
    assert body.rstrip().endswith("Harbour Lane Bakery & Café")


# From item 7: --today and --now outside 1900–2199 are refused with a clear message.

@pytest.mark.parametrize("flag, value", [("--today", "0001-01-01"), ("--today", "9999-12-31"),
                                         ("--now", "1899-12-31T23:59"), ("--now", "2200-01-01T00:00")])
def test_a_day_out_of_range_is_refused(root, capsys, flag, value):
    card_project(root, "2027-11-05")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--root", str(root), flag, value, "check"])
    assert stopped.value.code == 2
    assert f"argument {flag}: '{value}' is out of range: give a day in the years 1900 to 2199" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value", [("--today", "1900-01-01"), ("--now", "2199-12-31T23:59")])
def test_the_ends_of_the_range_build_and_check(root, capsys, flag, value):
    card_project(root, "2027-11-05")
    for command in ([], ["check"], ["followups"]):
        assert cli.main(["--root", str(root), flag, value, *command]) in (0, 1)


# From item 7: a contact before `opened` is a problem, so no figure counts negative days.

def test_a_contact_before_opened_is_a_problem_and_no_figure_goes_negative(root, capsys):
    text = CARD_CASE.format(expires="2027-11-05").replace(
        "what_went_wrong:", "contacts:\n  - at: 2026-10-01 10:00\n    channel: email\n    note: First mail.\nwhat_went_wrong:")
    (root / "cases" / "2026-11-02-stale-croissant.md").write_text(text, encoding="utf-8")
    assert cli.main(["--root", str(root), "--today", "2026-11-22"]) == 1
    err = capsys.readouterr().err
    assert ("cases/2026-11-02-stale-croissant.md:17: the contact on 2026-10-01 is before 'opened' (2026-11-02); "
            "correct the date, or open the case on the day of its first contact") in err
    cells = [td.get_text() for page in (root / "site").glob("*.html")
             for td in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select('td[id*="-first-contact"]')]
    assert cells and all(c == "—" or float(c) >= 0 for c in cells), cells
