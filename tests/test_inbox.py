"""Reading the business's mailbox: what a message is (reply, answer, bounce, machine mail), which case and
follow-up it belongs to, and a record of what was read that survives a kill and never counts a message twice.

The mailbox here is a real Maildir on disk, read with the standard library as `inbox` reads it.
"""
from __future__ import annotations

import mailbox as stdlib_mailbox
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.cases.config import Config
from amends.followups import hearing, incoming, ledger, mailbox
from amends.followups.messages import case_token
from amends.followups.review import review
from conftest import MINIMAL_CASE, REPO, write_case

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=timezone.utc)
OURS = "<amends.0123456789abcdef@harbourlane.example.com>"
CASE_ID = "2026-03-01-cake-late"


def message(sender: str = "Ann Example <ann@example.com>", subject: str = "Re: About your cake",
            body: str = "Thank you.\n", msgid: str = "<m1@example.com>", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "care@harbourlane.example.com", subject
    msg["Message-ID"], msg["Date"] = msgid, format_datetime(NOW)
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def dsn(original: str = OURS, status: str = "5.1.1", action: str = "failed") -> bytes:
    """A delivery status notification laid out as RFC 3464 says (and Postfix writes it)."""
    return f"""\
From: MAILER-DAEMON@mail.example.net (Mail Delivery System)
To: care@harbourlane.example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mail.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.net
Arrival-Date: Wed,  9 Dec 2026 09:00:00 +0000 (UTC)

Final-Recipient: rfc822; nobody@example.com
Original-Recipient: rfc822;nobody@example.com
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: Harbour Lane <care@harbourlane.example.com>
To: nobody@example.com
Subject: We are sorry
Message-ID: {original}

--B--
""".encode()


# --------------------------------------------------------------------------
# What a message is
# --------------------------------------------------------------------------
def test_a_reply_is_read_with_its_threading_its_sender_and_its_own_words():
    body = ("I'm still waiting for my refund.\n\nAnn\n\n"
            "On Mon, 7 Dec 2026 at 09:00, Harbour Lane <care@harbourlane.example.com> wrote:\n> Dear Ann,\n> we are sorry.\n")
    found = incoming.read(message(sender="Ann Example <Ann@Example.COM>", body=body, In_Reply_To=OURS,
                                  References=f"<older@x> {OURS}", subject="Re: Sorry [ref 3f9a0c21de]"))
    assert found.sender == "ann@example.com" and found.sender_name == "Ann Example"
    assert found.refers_to == (OURS, "<older@x>")
    assert found.token == "3f9a0c21de"
    assert "still waiting for my refund" in found.words and "we are sorry" not in found.words
    assert not found.automatic and found.bounce is None


def test_a_german_reply_loses_its_quote_too():
    body = "Noch nicht, leider.\n\nAm 07.12.2026 um 09:00 schrieb Harbour Lane <care@harbourlane.example.com>:\n> Liebe Ann\n"
    assert incoming.read(message(body=body)).words == "Noch nicht, leider."


@pytest.mark.parametrize("headers, why", [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"List_Id": "<news.example.com>"}, "List-Id"),
    ({"Return_Path": "<>"}, "null return path"),
])
def test_machine_mail_is_known_by_its_headers(headers, why):
    assert why in incoming.read(message(**headers)).automatic


def test_a_no_reply_sender_is_machine_mail_and_a_person_is_not():
    assert "takes no replies" in incoming.read(message(sender="Shop <no-reply@shop.example>")).automatic
    assert incoming.read(message(Auto_Submitted="no")).automatic == ""
    assert incoming.read(message(sender="Noreen <noreen@example.com>")).automatic == ""


def test_a_delivery_status_notification_names_the_message_and_says_why_in_plain_words():
    found = incoming.read(dsn())
    assert found.bounce == incoming.Bounce(OURS, "nobody@example.com", "5.1.1", True, "the address does not exist",
                                           "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown")
    delayed = incoming.read(dsn(status="4.4.1", action="delayed")).bounce
    assert not delayed.permanent and delayed.words.startswith("delivery is delayed")


def test_a_message_too_large_or_of_too_many_parts_is_read_by_its_headers_only(monkeypatch):
    bomb = EmailMessage()
    bomb["From"], bomb["Message-ID"], bomb["Subject"] = "x@example.com", "<bomb@example.com>", "parts"
    bomb.set_content("hello")
    for n in range(incoming.MAX_PARTS + 5):
        bomb.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{n}.bin")
    found = incoming.read(bytes(bomb))
    assert found.message_id == "<bomb@example.com>" and "parts" in found.refused and found.words == ""
    monkeypatch.setattr(incoming, "MAX_BYTES", 100)
    assert "larger than" in incoming.read(message(body="x" * 500)).refused


def test_a_message_without_a_message_id_is_known_by_its_bytes():
    data = message().replace(b"Message-ID: <m1@example.com>\n", b"")
    assert incoming.read(data).message_id == incoming.read(data).message_id != incoming.read(data + b"x").message_id
    assert incoming.read(data).message_id.startswith("digest:")


# --------------------------------------------------------------------------
# Which case and follow-up it belongs to
# --------------------------------------------------------------------------
def sent(key: str = f"{CASE_ID}/followup/2026-03-04", to: str = "ann@example.com") -> dict[str, ledger.History]:
    return {key: ledger.History([{"ev": "sent", "key": key, "msgid": OURS, "to": to, "transport": "smtp",
                                  "ts": "2026-12-07T09:00:00+00:00", "v": 1}])}


def heard(root: Path, data: bytes, histories: dict | None = None) -> hearing.Heard:
    state = review(root, NOW)
    entry = mailbox.entry(incoming.read(data), "x.eml", NOW, "memory")
    return hearing.hear([entry], state.project.cases, histories if histories is not None else sent(), state.project.config)[0]


@pytest.fixture
def project(root: Path) -> Path:
    write_case(root, f"{CASE_ID}.md", MINIMAL_CASE)
    return root


def test_a_reply_from_the_customer_to_a_follow_up_is_theirs(project: Path):
    h = heard(project, message(In_Reply_To=OURS))
    assert (h.kind, h.case_id, h.key) == (hearing.REPLY, CASE_ID, f"{CASE_ID}/followup/2026-03-04")


def test_a_forged_reply_from_another_sender_counts_for_nobody(project: Path):
    h = heard(project, message(sender="eve@evil.example", In_Reply_To=OURS))
    assert h.kind == hearing.UNMATCHED and h.case_id is None and "not the address it went to" in h.why


def test_the_check_in_answers_are_told_apart(project: Path):
    checkin = sent(f"{CASE_ID}/checkin/2026-03-04")
    assert heard(project, message(In_Reply_To=OURS, body="Yes, all good!\n"), checkin).answer == "yes"
    assert heard(project, message(In_Reply_To=OURS, body="Not yet, the refund is missing.\n"), checkin).answer == "not yet"
    unclear = heard(project, message(In_Reply_To=OURS, body="Yes, but the cake was dry again.\nAnd late.\nAgain.\n"), checkin)
    assert (unclear.kind, unclear.answer) == (hearing.ANSWER, "")


def test_a_token_in_the_subject_counts_only_from_the_customer(project: Path):
    token = case_token(CASE_ID, review(project, NOW).project.config)
    yes = heard(project, message(subject=f"Yes, all good [ref {token}]", body=""), {})
    assert (yes.kind, yes.case_id, yes.answer) == (hearing.ANSWER, CASE_ID, "yes")
    score = heard(project, message(subject=f"Score 2 [ref {token}]", body=""), {})
    assert score.score == 2
    forged = heard(project, message(sender="eve@evil.example", subject=f"Yes, all good [ref {token}]"), {})
    assert forged.kind == hearing.UNMATCHED and forged.answer == ""


def test_a_bounce_marks_the_follow_up_it_names(project: Path):
    h = heard(project, dsn())
    assert (h.kind, h.key) == (hearing.BOUNCE, f"{CASE_ID}/followup/2026-03-04")
    assert heard(project, dsn(status="4.2.2", action="delayed")).kind == hearing.DELAYED


def test_an_auto_reply_never_speaks_for_the_customer_even_when_it_threads(project: Path):
    h = heard(project, message(In_Reply_To=OURS, Auto_Submitted="auto-replied", body="Yes\n"))
    assert h.kind == hearing.AUTOMATIC and h.case_id is None and h.answer == ""


def test_other_mail_from_a_customer_is_wrote_again_and_the_rest_unmatched(project: Path):
    assert (heard(project, message(subject="Another thing"), {}).kind, heard(project, message(), {}).case_id) == \
        (hearing.WROTE_AGAIN, CASE_ID)
    assert heard(project, message(sender="stranger@example.org"), {}).kind == hearing.UNMATCHED


# --------------------------------------------------------------------------
# The record of what was read
# --------------------------------------------------------------------------
def maildir(root: Path, messages: list[bytes]) -> Path:
    path = root / "Maildir"
    box = stdlib_mailbox.Maildir(path, create=True)
    for data in messages:
        box.add(data)
    return path


def files_of(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_reading_twice_records_each_message_once_and_changes_nothing_in_the_mailbox(project: Path):
    path = maildir(project, [message(msgid=f"<m{n}@example.com>") for n in range(3)] + [dsn()])
    before = files_of(path)
    first = mailbox.read_mailbox(project, mailbox.Maildir(path), NOW)
    second = mailbox.read_mailbox(project, mailbox.Maildir(path), NOW)
    assert len(first.read) == 4 and (len(second.read), second.skipped) == (0, 4)
    assert files_of(path) == before  # nothing moved, deleted or flagged
    record = mailbox.read_record(project)
    assert sorted(m["id"] for m in record.messages) == sorted([f"<m{n}@example.com>" for n in range(3)] + ["<dsn1@mail.example.net>"])
    for m in record.messages:  # the whole original is kept
        assert (project / m["file"]).read_bytes() in before.values()


def test_a_line_cut_short_is_named_and_its_message_read_again(project: Path):
    path = maildir(project, [message(msgid="<a@example.com>"), message(msgid="<b@example.com>")])
    mailbox.read_mailbox(project, mailbox.Maildir(path), NOW)
    record = project / mailbox.NAME
    lines = record.read_bytes().splitlines(keepends=True)
    record.write_bytes(lines[0] + lines[1][:25])  # a kill in the middle of the second line
    again = mailbox.read_mailbox(project, mailbox.Maildir(path), NOW)
    assert [p.line for p in again.problems] == [2] and [m["id"] for m in again.read] == ["<b@example.com>"]
    assert sorted(m["id"] for m in mailbox.read_record(project).messages) == ["<a@example.com>", "<b@example.com>"]


def test_a_kill_during_inbox_loses_nothing_and_records_nothing_twice(project: Path):
    count = 400
    path = maildir(project, [message(msgid=f"<k{n}@example.com>", body="words " * 200) for n in range(count)])
    (project / "amends.yaml").write_text((project / "amends.yaml").read_text() + "\ninbox:\n  maildir: Maildir\n")
    command = [sys.executable, str(REPO / "build.py"), "--root", str(project), "--now", "2026-12-09T10:00", "inbox"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    record = project / mailbox.NAME
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not record.exists() or record.read_bytes().count(b"\n") < 20):
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    recorded = len(mailbox.read_record(project).messages)
    assert 20 <= recorded < count, "the kill came too late to test anything"
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    ids = [m["id"] for m in mailbox.read_record(project).messages]
    assert len(ids) == len(set(ids)) == count


def test_inbox_says_what_it_read_and_where_each_message_belongs(project: Path, capsys):
    path = maildir(project, [message(In_Reply_To=OURS, body="The refund has not come.\n"), dsn(),
                             message(sender="stranger@example.org", msgid="<s@example.org>")])
    (project / "amends.yaml").write_text((project / "amends.yaml").read_text() + "\ninbox:\n  maildir: Maildir\n")
    key = f"{CASE_ID}/followup/2026-03-04"
    ledger.append(project / ledger.NAME, ledger.event(key, "sent", NOW, transport="smtp", msgid=OURS, to="ann@example.com"))
    assert cli.main(["--root", str(project), "--now", "2026-12-09T10:00", "inbox"]) == 0
    out = capsys.readouterr().out
    assert "3 new messages read from maildir" in out
    assert f'reply from ann@example.com on {CASE_ID}: "The refund has not come."' in out
    assert f"bounce of {key}: the address does not exist (5.1.1)" in out
    assert "unmatched: Re: About your cake from stranger@example.org" in out
    assert path.is_dir()


def test_inbox_without_a_mailbox_says_what_to_add(project: Path, capsys):
    assert cli.main(["--root", str(project), "--now", "2026-12-09T10:00", "inbox"]) == 2
    assert "add inbox: with maildir: PATH" in capsys.readouterr().err
    (project / "amends.yaml").write_text((project / "amends.yaml").read_text() + "\ninbox:\n  maildir: nowhere\n")
    assert cli.main(["--root", str(project), "--now", "2026-12-09T10:00", "inbox"]) == 2
    assert "is not a Maildir" in capsys.readouterr().err


def test_the_inbox_settings_are_checked():
    from amends.cases.config import parse_config
    config, problems = parse_config(b"inbox:\n  imap:\n    port: 99999\n    password: x\n")
    assert {p.message.split(":")[0] for p in problems} >= {"'99999' is not a port number".split(":")[0]}
    assert any("never put the password here" in p.message for p in problems)
    assert any("needs a host" in p.message for p in problems)
    assert isinstance(Config().inbox, type(config.inbox))


# --------------------------------------------------------------------------
# What the customers' messages change in the plan
# --------------------------------------------------------------------------
RECENT = "2026-11-23-cake-late"
RECENT_CASE = MINIMAL_CASE.replace("2026-03-01", "2026-11-23").replace("2026-03-04", "2026-11-24")
SENT_AT = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def recent(root: Path) -> Path:
    """A case resolved on Tue 24 Nov 2026, inside the sample settings' followups.since."""
    write_case(root, f"{RECENT}.md", RECENT_CASE)
    return root


def answered(root: Path, *messages: bytes, sent_kind: str = "followup", when: datetime = LATER) -> dict[str, object]:
    """The follow-ups of the case, by kind, once the first email went and `messages` came back."""
    key = f"{RECENT}/{sent_kind}/2026-11-24"
    ledger.append(root / ledger.NAME, ledger.event(key, "sent", SENT_AT, transport="outbox", msgid=OURS, to="ann@example.com"))
    mailbox.read_mailbox(root, mailbox.Memory(list(messages)), when)
    return {p.followup.kind: p.followup for p in review(root, when).prepared}


def dated(data: bytes, moment: datetime = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)) -> bytes:
    return data.replace(format_datetime(NOW).encode(), format_datetime(moment).encode())


def test_a_reply_holds_the_rest_of_the_round_until_a_person_releases_it(recent: Path):
    kinds = answered(recent, dated(message(In_Reply_To=OURS, body="Where is my refund?\n")))
    assert kinds["checkin"].state == "held"
    assert 'the customer wrote on 30 Nov 2026: "Where is my refund?"' in kinds["checkin"].reason
    assert kinds["followup"].state == "sent"
    ledger.append(recent / ledger.NAME, ledger.event(f"{RECENT}/checkin/2026-11-24", "released", LATER))
    after = {p.followup.kind: p.followup for p in review(recent, LATER).prepared}
    assert after["checkin"].state == "upcoming"


def test_not_yet_asks_a_person_to_call_back_within_one_business_day(recent: Path):
    kinds = answered(recent, dated(message(In_Reply_To=OURS, body="Not yet, the cake stand is still broken.\n"),
                                    datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)),  # a Friday
                     sent_kind="checkin", when=datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc))
    task = kinds["call-back"]
    assert task.state == "due" and task.is_task
    assert task.reason.startswith("call them by 7 Dec 2026")  # Monday: the next business day
    assert '"Not yet" on 4 Dec 2026: "Not yet, the cake stand is still broken."' in task.reason
    assert cli.main(["--root", str(recent), "--now", "2026-12-04T16:30", "done", RECENT, "call-back"]) == 0


def test_yes_asks_nobody_to_call(recent: Path):
    kinds = answered(recent, dated(message(In_Reply_To=OURS, body="Yes, all good!\n")), sent_kind="checkin")
    assert "call-back" not in kinds


def test_a_bounce_fails_the_email_asks_for_a_call_and_blocks_that_address(recent: Path):
    write_case(recent, "2026-11-22-second.md", RECENT_CASE.replace("Cake delivered late", "Bread stale")
               .replace("2026-11-23", "2026-11-22"))
    # A report with no Date of its own counts from when it was read.
    kinds = answered(recent, dsn(original=OURS).replace(b"nobody@example.com", b"ann@example.com"))
    assert kinds["followup"].state == "failed"
    assert "bounced on 1 Dec 2026: the address does not exist (5.1.1)" in kinds["followup"].reason
    assert kinds["call-back"].state == "due" and "the email bounced" in kinds["call-back"].reason
    other = {p.followup.kind: p.followup for p in review(recent, LATER).prepared if p.followup.case.id == "2026-11-22-second"}
    assert other["followup"].state == "blocked" and "bounced on 1 Dec 2026" in other["followup"].reason


def test_an_auto_reply_changes_nothing(recent: Path):
    kinds = answered(recent, dated(message(In_Reply_To=OURS, Auto_Submitted="auto-replied", body="I am away.\n")))
    assert kinds["checkin"].state == "upcoming" and "call-back" not in kinds


def test_schedule_reads_the_mailbox_before_each_pass_and_sends_nothing_when_it_cannot(recent: Path, monkeypatch, caplog):
    from amends.followups import scheduler
    ledger.append(recent / ledger.NAME, ledger.event(f"{RECENT}/followup/2026-11-24", "sent", SENT_AT, transport="outbox",
                                                       msgid=OURS, to="ann@example.com"))
    settings = (recent / "amends.yaml").read_text()
    (recent / "amends.yaml").write_text(settings + "\ninbox:\n  maildir: Maildir\n")
    ticks = []
    monkeypatch.setattr(scheduler, "run_forever", lambda tick, every, stop: ticks.append(tick))
    monkeypatch.setattr(scheduler.Builds, "start", lambda self, build, stamp: None)
    # Thu 3 Dec 2026, 10:00 in Berlin: the check-in, due on Fri 4 Dec, is not due yet.
    assert cli.main(["--root", str(recent), "--now", "2026-12-03T10:00", "schedule"]) == 0
    [tick] = ticks
    tick()  # no Maildir there: nothing read, nothing sent
    assert "the mailbox could not be read: nothing was sent" in caplog.text
    maildir(recent, [dated(message(In_Reply_To=OURS, body="The stand is still cracked.\n"))])
    caplog.clear()
    tick()
    assert "could not be read" not in caplog.text
    assert len(mailbox.read_record(recent).messages) == 1
    kinds = {p.followup.kind: p.followup for p in review(recent, datetime(2026, 12, 7, 10, tzinfo=timezone.utc)).prepared}
    assert kinds["checkin"].state == "held"  # it would be due by now: the reply holds it


# --------------------------------------------------------------------------
# What the owner sees on the site
# --------------------------------------------------------------------------
def built(root: Path, when: str) -> dict[str, BeautifulSoup]:
    assert cli.main(["--root", str(root), "--now", when, "--quiet", "build"]) == 0
    site = root / "site"
    return {name: BeautifulSoup((site / name).read_text(encoding="utf-8"), "html5lib")
            for name in ("index.html", f"cases/{RECENT}.html", "inbox.html") if (site / name).exists()}


def test_not_yet_puts_the_case_at_the_top_of_the_overview_with_a_call_back(recent: Path):
    answered(recent, dated(message(In_Reply_To=OURS, body="Not yet, the stand is still cracked.\n"),
                           datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)),
             message(sender="stranger@example.org", msgid="<s@example.org>", subject="Offer"),
             sent_kind="checkin", when=datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc))
    pages = built(recent, "2026-12-04T17:30")
    attention = pages["index.html"].find(id="attention-h").find_next("h3")
    assert attention["id"] == "callbacks-h"  # first of everything that needs attention
    item = pages["index.html"].find(id="attention-callbacks").li
    assert "Cake delivered late" in item.text and "call them by 7 Dec 2026" in item.text
    case = pages[f"cases/{RECENT}.html"]
    heard_section = case.find(id="heard-h").parent
    assert "answer: not yet" in heard_section.text and "the stand is still cracked" in heard_section.text
    assert "call-back" in case.find(id="followups-h").parent.text
    link = pages["index.html"].find("a", href="inbox.html")
    assert link and link.text.startswith("1 message from the mailbox for a person")
    assert "stranger@example.org" in pages["inbox.html"].text and "Offer" in pages["inbox.html"].text


def test_a_recovered_case_shows_whether_the_customer_confirmed_it(recent: Path):
    path = recent / "cases" / f"{RECENT}.md"
    path.write_text(path.read_text().replace("status: resolved", "status: recovered"))
    assert "not confirmed" in built(recent, "2026-12-01T10:00")[f"cases/{RECENT}.html"].find(id="heard-h").parent.text
    answered(recent, dated(message(In_Reply_To=OURS, body="Yes, all good!\n")), sent_kind="checkin")
    section = built(recent, "2026-12-01T10:00")[f"cases/{RECENT}.html"].find(id="heard-h").parent
    assert "confirmed" in section.text and "not confirmed" not in section.text


@pytest.mark.parametrize("language, line, answer", [("en", "Yes, all good", "yes"), ("en", "Not yet", "not yet"),
                                                    ("de", "Ja, alles gut", "yes"), ("de", "Noch nicht", "not yet")])
def test_the_check_in_answers_by_a_link_that_a_mail_client_opens(recent: Path, language: str, line: str, answer: str):
    from urllib.parse import parse_qs, unquote, urlsplit
    path = recent / "cases" / f"{RECENT}.md"
    path.write_text(path.read_text().replace("  email: ann@example.com", f"  email: ann@example.com\n  language: {language}"))
    checkin = next(p for p in review(recent, LATER).prepared if p.followup.kind == "checkin")
    assert line in checkin.rendered.text.splitlines() and "mailto:" not in checkin.rendered.text
    # The HTML part links each answer; the text part names it (a plain-text reader replies yes or no).
    link = BeautifulSoup(checkin.rendered.html, "html5lib").find("a", string=line)["href"]
    # As a mail client reads a mailto: URL (RFC 6068): the address, then each header percent-decoded.
    parts = urlsplit(link)
    to, headers = unquote(parts.path), {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.scheme == "mailto" and to == "care@harbourlane.example.com"
    reply = message(subject=headers["subject"], body="", msgid="<click@example.com>")
    h = heard(recent, reply, {})
    assert (h.kind, h.case_id, h.answer) == (hearing.ANSWER, RECENT, answer)


QMAIL = b"""From: MAILER-DAEMON@mail.example.net
To: care@harbourlane.example.com
Subject: failure notice
Message-ID: <q1@mail.example.net>

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<ann@example.com>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <care@harbourlane.example.com>
From: Harbour Lane <care@harbourlane.example.com>
To: ann@example.com
Subject: We are sorry
MESSAGE_ID

Dear Ann
"""


@pytest.mark.parametrize("quoted", [f"Message-ID: {OURS}".encode(), b"X-Quoted: none"])
def test_a_bounce_in_an_older_format_is_read_too(project: Path, quoted: bytes):
    """Not RFC 3464: flufl.bounce reads it; the message that bounced is the one it quotes, or else the
    latest one sent to the address it names."""
    data = QMAIL.replace(b"MESSAGE_ID", quoted)
    found = incoming.read(data).bounce
    assert found.recipient == "ann@example.com" and found.permanent and found.words == "it could not be delivered"
    assert found.original == (OURS if b"Message-ID" in quoted else "")
    h = heard(project, data)
    assert (h.kind, h.key) == (hearing.BOUNCE, f"{CASE_ID}/followup/2026-03-04")


# --------------------------------------------------------------------------
# A case from a complaint email
# --------------------------------------------------------------------------
def new_from(root: Path, data: bytes, capsys) -> tuple[int, str, Path | None]:
    eml = root / "complaint.eml"
    eml.write_bytes(data)
    before = set((root / "cases").glob("*.md"))
    status = cli.main(["--root", str(root), "--now", "2026-12-09T10:00", "new", "--from-email", str(eml)])
    made = set((root / "cases").glob("*.md")) - before
    out = capsys.readouterr()
    return status, out.out + out.err, made.pop() if made else None


def test_a_complaint_email_becomes_a_draft_case_that_check_accepts(root: Path, capsys):
    subject = 'Re: "Torte" late: #1 [urgent] {{ x }} -- yes: no'
    data = message(sender="=?utf-8?q?Zo=C3=AB_M=C3=BCller?= <zoe@example.de>", subject=subject,
                   body="My cake came two hours late.\n---\nand it was squashed.\n", msgid="<complaint-1@example.de>")
    status, said, path = new_from(root, dated(data, datetime(2026, 12, 8, 18, 30, tzinfo=timezone.utc)), capsys)
    assert status == 0 and path is not None, said
    text = path.read_text(encoding="utf-8")
    assert path.name.startswith("2026-12-08-")  # the day it came, on the business's clock
    assert '"Zoë Müller"' in text and '"zoe@example.de"' in text and "channel: email" in text
    assert '> My cake came two hours late.\n> ---\n> and it was squashed.' in text
    assert 'message_id: "<complaint-1@example.de>"' in text
    assert cli.main(["--root", str(root), "--today", "2026-12-09", "check"]) == 0
    case = review(root, NOW).project.cases[0]
    assert case.title == '"Torte" late: #1 [urgent] {{ x }} -- yes: no' and case.message_id == "<complaint-1@example.de>"


def test_the_follow_ups_of_a_case_from_an_email_answer_that_email(root: Path, capsys):
    import email as stdlib_email
    status, said, path = new_from(root, message(subject="Cake late", msgid="<complaint-2@example.com>"), capsys)
    assert status == 0, said
    path.write_text(path.read_text(encoding="utf-8").replace("status: open", "status: resolved\nresolved: 2026-12-09"),
                    encoding="utf-8")
    assert cli.main(["--root", str(root), "--now", "2026-12-09T10:00", "followups"]) in (0, 1)
    previews = sorted((root / "outbox" / "preview").glob("*.eml"))
    assert previews, capsys.readouterr().out
    for preview in previews:  # each one threads under the customer's email in their mail client
        msg = stdlib_email.message_from_bytes(preview.read_bytes())
        assert msg["In-Reply-To"] == msg["References"] == "<complaint-2@example.com>"
        assert msg["Auto-Submitted"] == "auto-generated"


def test_an_html_only_complaint_keeps_its_words_and_loses_its_markup(root: Path, capsys):
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "ann@example.com", "Broken", "<h@example.com>"
    msg.set_content("<p>The <b>lid</b> was broken.</p><script>alert(1)</script><p>Please call.</p>", subtype="html")
    status, said, path = new_from(root, bytes(msg), capsys)
    assert status == 0, said
    text = path.read_text(encoding="utf-8")
    assert "> The lid was broken.\n>\n> Please call." in text and "script" not in text and "alert" not in text


@pytest.mark.parametrize("data, why", [
    (message(Auto_Submitted="auto-replied"), "sent by a machine"),
    (dsn(), "sent by a machine"),
])
def test_machine_mail_makes_no_case(root: Path, capsys, data: bytes, why: str):
    status, said, path = new_from(root, data, capsys)
    assert status == 2 and path is None and why in said and "nothing was written" in said


def test_a_mime_bomb_or_a_huge_message_makes_no_case(root: Path, capsys, monkeypatch):
    bomb = EmailMessage()
    bomb["From"], bomb["Message-ID"] = "x@example.com", "<bomb2@example.com>"
    bomb.set_content("hello")
    for n in range(incoming.MAX_PARTS + 5):
        bomb.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{n}.bin")
    status, said, path = new_from(root, bytes(bomb), capsys)
    assert status == 2 and path is None and f"more than {incoming.MAX_PARTS} parts" in said
    monkeypatch.setattr(incoming, "MAX_BYTES", 1000)
    status, said, path = new_from(root, message(body="x" * 5000), capsys)
    assert status == 2 and path is None and "larger than" in said


# --------------------------------------------------------------------------
# A score from 1 to 5, and what the answers add up to
# --------------------------------------------------------------------------
def mail_client_subject(link: str) -> str:
    """The subject a mail client puts in the mail a mailto: link opens (RFC 6068)."""
    from urllib.parse import parse_qs, urlsplit
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    return parse_qs(parts.query)["subject"][0]


@pytest.mark.parametrize("language, low, high", [("en", "1, poorly", "5, very well"), ("de", "1, schlecht", "5, sehr gut")])
def test_the_check_in_asks_for_a_score_by_the_same_kind_of_link(recent: Path, language: str, low: str, high: str):
    path = recent / "cases" / f"{RECENT}.md"
    path.write_text(path.read_text().replace("  email: ann@example.com", f"  email: ann@example.com\n  language: {language}"))
    checkin = next(p for p in review(recent, LATER).prepared if p.followup.kind == "checkin")
    html = BeautifulSoup(checkin.rendered.html, "html5lib")
    links = [html.find("a", string=name) for name in (low, "2", "3", "4", high)]
    assert all(links) and "mailto:" not in checkin.rendered.text and low in checkin.rendered.text
    for score, link in enumerate(links, start=1):
        h = heard(recent, message(subject=mail_client_subject(link["href"]), body="", msgid=f"<s{score}@example.com>"), {})
        assert (h.kind, h.case_id, h.score, h.answer) == (hearing.ANSWER, RECENT, score, "")
        assert hearing.unhappy(h) == (score <= 2) and hearing.confirms(h) == (score >= 3)


def test_a_plan_without_score_asks_for_none_and_only_a_check_in_may_ask(recent: Path):
    settings = recent / "amends.yaml"
    settings.write_text(settings.read_text().replace("      score: true", "      score: false"))
    checkin = next(p for p in review(recent, LATER).prepared if p.followup.kind == "checkin")
    assert "Not yet" in checkin.rendered.text and "1, poorly" not in checkin.rendered.text
    settings.write_text(settings.read_text().replace("      after: 3 business days\n", "      after: 3 business days\n"
                                                                                      "      score: true\n", 1))
    line = settings.read_text().splitlines().index("      score: true") + 1
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(recent), "check"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"amends.yaml:{line}: only a check-in (checkin, thanks) asks for a score, not 'followup'" in \
        result.stdout + result.stderr


@pytest.mark.parametrize("body, score", [("4\n", 4), ("2/5\n\nThe stand is still cracked.\n", 2), ("5 von 5!\n", 5)])
def test_a_score_typed_in_a_reply_counts(recent: Path, body: str, score: int):
    kinds = answered(recent, dated(message(In_Reply_To=OURS, body=body)), sent_kind="checkin")
    assert ("call-back" in kinds) == (score <= 2)
    if score <= 2:
        assert f"they answered a score of {score} on 30 Nov 2026" in kinds["call-back"].reason


def test_the_latest_answer_stands_and_each_answer_is_a_contact_by_the_customer(recent: Path):
    path = recent / "cases" / f"{RECENT}.md"
    path.write_text(path.read_text().replace("status: resolved", "status: recovered"))
    answered(recent, dated(message(In_Reply_To=OURS, body="Not yet, the stand is cracked.\n", msgid="<a1@example.com>"),
                           datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)), sent_kind="checkin")
    case = built(recent, "2026-12-01T10:00")[f"cases/{RECENT}.html"]
    assert "not confirmed" in case.find(id="heard-h").parent.text
    events = [li.text for li in case.find(id="timeline-h").parent.find_all("li")]
    # 10:30 in Berlin, where the business is.
    assert any('28 Nov 2026 10:30 Contact by email, by the customer: answered the check-in: not yet, '
               '"Not yet, the stand is cracked."' in e for e in events), events
    mailbox.read_mailbox(recent, mailbox.Memory([dated(message(In_Reply_To=OURS, body="Yes, all good!\n",
                                                               msgid="<a2@example.com>"))]), LATER)
    case = built(recent, "2026-12-01T10:00")[f"cases/{RECENT}.html"]
    section = case.find(id="heard-h").parent.text
    assert "confirmed" in section and "not confirmed" not in section
    assert sum("Contact by email, by the customer" in li.text
               for li in case.find(id="timeline-h").parent.find_all("li")) == 2


def test_the_figures_show_the_share_confirmed_by_team_and_period(recent: Path):
    """Three check-ins in November: Bakery's confirmed and not put right, Café's unanswered; one in October."""
    cases = {"a": ("Bakery", "<q-a@x>"), "b": ("bakery", "<q-b@x>"), "c": ("Café", "<q-c@x>"), "d": ("Café", "<q-d@x>")}
    for name, (team, _) in cases.items():
        write_case(recent, f"2026-10-0{ord(name) - 96}-{name}.md", RECENT_CASE.replace("ann@example.com", f"{name}@example.com")
                   .replace("2026-11-23", f"2026-10-0{ord(name) - 96}").replace("2026-11-24", f"2026-10-0{ord(name) - 95}")
                   .replace("status: resolved", f"status: resolved\nteam: {team}"))
    for name, (_, msgid) in cases.items():
        key = f"2026-10-0{ord(name) - 96}-{name}/checkin/2026-10-0{ord(name) - 95}"
        when = datetime(2026, 10 if name == "d" else 11, 20, 9, 0, tzinfo=timezone.utc)
        ledger.append(recent / ledger.NAME, ledger.event(key, "sent", when, transport="outbox", msgid=msgid,
                                                         to=f"{name}@example.com"))
    mailbox.read_mailbox(recent, mailbox.Memory([
        message(sender="a@example.com", In_Reply_To="<q-a@x>", body="Yes, all good\n", msgid="<r-a@x>"),
        message(sender="b@example.com", In_Reply_To="<q-b@x>", body="Score: 2\n", subject="Score: 2", msgid="<r-b@x>"),
        message(sender="d@example.com", In_Reply_To="<q-d@x>", body="5\n", msgid="<r-d@x>")]), LATER)
    assert cli.main(["--root", str(recent), "--now", "2026-11-30T10:00", "--quiet", "build"]) in (0, 1)
    month = BeautifulSoup((recent / "site" / "figures" / "month.html").read_text(encoding="utf-8"), "html5lib")
    rows = {tr.th.text: [td.text for td in tr.find_all("td")] for tr in month.find(id="answers-month").tbody.find_all("tr")}
    assert rows == {"All teams": ["3", "1 (33%)", "1", "1", "2 (1 score)"], "Bakery": ["2", "1 (50%)", "1", "0", "2 (1 score)"],
                    "Café": ["1", "0 (0%)", "0", "1", "—"]}
    year = BeautifulSoup((recent / "site" / "figures" / "year.html").read_text(encoding="utf-8"), "html5lib")
    rows = {tr.th.text: [td.text for td in tr.find_all("td")] for tr in year.find(id="answers-year").tbody.find_all("tr")}
    assert rows["All teams"] == ["4", "2 (50%)", "1", "1", "3.5 (2 scores)"] and rows["Café"][4] == "5 (1 score)"
    # Beside the month before: October's one check-in was confirmed.
    assert month.find(id="answers-month-prev").text == "October 2026: 1 of 1 check-ins confirmed (100%)."
