"""Hostile mail: what a real mailbox throws at `inbox`. Every mailbox here is a real Maildir on disk,
written with the standard library's mailbox.Maildir and read by mailbox.read_mailbox or the `inbox`
command, as an owner's would be.

The figures, as measured when these tests were written (MB = 2**20 bytes; what is asserted is in each test):

- 10,000 messages, 132 MB on disk (100 invoices of about 1 MB, 100 replies to a follow-up, the rest
  everyday mail of 0.5 to 12 KB): each recorded once, at a peak of 17.7 MB of traced memory, 11.7 MB of
  it the 10,000 lines read_mailbox returns (1.2 KB each). 1,000 of the same mix, 13 MB: a peak of 5.3 MB.
  Ten times the messages, 118 MB more of them, raise the peak by 12.5 MB: the lines, not the messages.
- A MIME bomb of 200,000 empty parts in 6.1 MB: refused at a peak of 12.3 MB (128 MB, and some
  twenty seconds, when it was parsed whole before its parts were counted).
- A reply quoting the whole check-in (its Yes, Not yet and five score links, each with the case's token)
  in four styles, and delivered twice: one record, one answer, at most one call-back task.
- 14 hostile messages in 15 files (NUL and 8-bit bytes in headers, an encoded line break and terminal
  escapes, broken charsets and dates, no Message-ID twice, 300 parts, 3,000 nested parts, 11 MB, an empty
  file): 14 lines of `inbox`, one each, and nothing on stderr.
"""
from __future__ import annotations

import mailbox as stdlib_mailbox
import os
import random
import subprocess
import sys
import tracemalloc
from collections import Counter
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.followups import hearing, incoming, ledger, mailbox
from amends.followups.messages import case_token
from amends.followups.review import review
from conftest import REPO
from test_inbox import (CASE_ID, LATER, NOW, OURS, RECENT, SENT_AT, dated, maildir, message, project,  # noqa: F401
                        recent, sent)

MB = 1024 * 1024
CHECKIN_KEY = f"{RECENT}/checkin/2026-11-24"
FOLLOWUP_ID = "<amends.followup0000@harbourlane.example.com>"
# The follow-up went on 27 Nov (test_inbox's SENT_AT), the check-in a week later, the customer answered
# the Monday after, and the plan is looked at that afternoon.
CHECKIN_AT = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
ANSWERED_AT = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)
AFTER = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)


def with_inbox(root: Path) -> None:
    (root / "amends.yaml").write_text((root / "amends.yaml").read_text() + "\ninbox:\n  maildir: Maildir\n")


def inbox(root: Path, capsys, now: str = "2026-12-07T16:00") -> str:
    """What `inbox` prints, run as an owner runs it; `now` on the business's clock (Berlin: AFTER, by default)."""
    assert cli.main(["--root", str(root), "--now", now, "inbox"]) == 0
    return capsys.readouterr().out


def in_cur(path: Path, data: bytes) -> None:
    """The message filed in cur/ and marked as seen, as a mail client leaves a message it has shown."""
    msg = stdlib_mailbox.MaildirMessage(data)
    msg.set_subdir("cur")
    msg.add_flag("S")
    stdlib_mailbox.Maildir(path, create=False).add(msg)


def heard_recorded(root: Path, when: datetime = AFTER) -> list[hearing.Heard]:
    state = review(root, when)
    return hearing.hear(mailbox.read_record(root).messages, state.project.cases, state.histories, state.project.config)


def plan(root: Path, when: datetime = AFTER) -> list[tuple[str, str, str]]:
    return [(p.followup.key, p.followup.state, p.followup.reason) for p in review(root, when).prepared]


def call_backs(root: Path, when: datetime = AFTER) -> list[str]:
    return [reason for key, _, reason in plan(root, when) if f"/{hearing.CALL_BACK}/" in key]


# --------------------------------------------------------------------------
# A big mailbox, in bounded memory
# --------------------------------------------------------------------------
def everyday_mail(rng: random.Random) -> list[bytes]:
    """Twenty shapes of mail that is none of the business's: 0.5 to 12 KB, half with an attachment, one
    in ten from a mailing list. SUBJECT and <MSGID> are filled in for each message."""
    shapes = []
    for k in range(20):
        msg = EmailMessage()
        msg["From"], msg["To"] = f"Person {k} <person{k}@example.org>", "care@harbourlane.example.com"
        msg["Subject"], msg["Message-ID"], msg["Date"] = "SUBJECT", "<MSGID>", "Wed, 09 Dec 2026 09:00:00 +0000"
        if k % 10 == 0:
            msg["List-Id"] = "<news.shop.example>"
        msg.set_content(f"Hello, about order {k}.\n" + "Some words about it. " * k + "\n")
        if k % 2:
            msg.add_attachment(rng.randbytes(500 + 400 * k), maintype="application", subtype="octet-stream",
                               filename=f"scan{k}.bin")
        shapes.append(bytes(msg))
    return shapes


def big_mailbox(path: Path, count: int) -> int:
    """A Maildir of `count` messages, one in a hundred a customer's reply to the follow-up and one an
    invoice of about 1 MB; its size in bytes. Each is a template with its own Message-ID and subject."""
    rng = random.Random(count)
    invoice = EmailMessage()
    invoice["From"], invoice["Subject"], invoice["Message-ID"] = "Supplier <invoices@supplier.example>", "SUBJECT", "<MSGID>"
    invoice.set_content("Please find the invoice attached.\n")
    invoice.add_attachment(rng.randbytes(750_000), maintype="application", subtype="pdf", filename="invoice.pdf")
    reply = message(In_Reply_To=OURS, subject="SUBJECT", msgid="<MSGID>", body="Where is my refund?\n")
    shapes = everyday_mail(rng)
    box = stdlib_mailbox.Maildir(path, create=True)
    total = 0
    for n in range(count):
        template = bytes(invoice) if n % 100 == 50 else reply if n % 100 == 7 else shapes[n % len(shapes)]
        data = template.replace(b"<MSGID>", f"<n{n}@example.net>".encode(), 1).replace(b"SUBJECT", f"Message {n}".encode(), 1)
        box.add(data)
        total += len(data)
    return total


def peak_reading(root: Path, path: Path) -> tuple[mailbox.Pass, int, int]:
    """What read_mailbox did; the peak of the memory it allocated meanwhile, and what it still holds after."""
    tracemalloc.start()
    try:
        done = mailbox.read_mailbox(root, mailbox.Maildir(path), NOW)
        held, peak = tracemalloc.get_traced_memory()
        return done, peak, held
    finally:
        tracemalloc.stop()


def test_ten_thousand_messages_are_read_in_bounded_memory(project: Path, tmp_path: Path, monkeypatch):
    # Three fsyncs a message (its copy, the copy's folder, its line) would be most of the run, and are
    # no part of what is measured; that a reading survives a kill is test_inbox's kill test.
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    small_root = tmp_path / "thousand"
    small_root.mkdir()
    small_size = big_mailbox(small_root / "Maildir", 1_000)
    _, small_peak, _ = peak_reading(small_root, small_root / "Maildir")
    size = big_mailbox(project / "Maildir", 10_000)
    done, peak, held = peak_reading(project, project / "Maildir")

    ids = [m["id"] for m in mailbox.read_record(project).messages]
    assert len(ids) == len(set(ids)) == len(done.read) == 10_000
    assert set(ids) == {f"<n{n}@example.net>" for n in range(10_000)}
    state = review(project, NOW)
    heard = hearing.hear(done.read, state.project.cases, sent(), state.project.config)
    assert Counter((h.kind, h.case_id) for h in heard if h.case_id) == {(hearing.REPLY, CASE_ID): 100}

    figures = (f"{size / MB:.0f} MB read at a peak of {peak / MB:.1f} MB, {held / MB:.1f} MB held after; "
               f"{small_size / MB:.0f} MB at a peak of {small_peak / MB:.1f} MB")
    assert size > 100 * MB
    # What grows with the count is what read_mailbox returns, the line of each message read (0.6 KB as
    # JSON here, about twice that as a dict in memory), and the Message-IDs seen: 2 KB a message bounds
    # them. All else it needs, it needs for one message at a time.
    assert held < 10_000 * 2 * 1024, figures
    assert peak - held < size / 10, figures
    # Ten times the messages, 118 MB more of them: the lines more, not the messages.
    assert peak - small_peak < 9_000 * 2 * 1024, figures


# --------------------------------------------------------------------------
# A reply that quotes the whole check-in
# --------------------------------------------------------------------------
def checkin_sent(root: Path) -> tuple[str, list[str], str]:
    """The check-in as a mail client quotes it: its subject, its lines with each link spelled out ("Yes, all
    good <mailto:…?subject=Yes, all good [ref …]>"), and its HTML body; the ledger then says it went, a week
    after the follow-up."""
    checkin = next(p for p in review(root, LATER).prepared if p.followup.kind == "checkin").rendered
    links = {a.text: unquote(a["href"]) for a in BeautifulSoup(checkin.html, "html5lib").find_all("a", href=True)}
    lines = [f"{line} <{links[line]}>" if line in links else line for line in checkin.text.splitlines()]
    for key, msgid, moment in ((f"{RECENT}/followup/2026-11-24", FOLLOWUP_ID, SENT_AT), (CHECKIN_KEY, OURS, CHECKIN_AT)):
        ledger.append(root / ledger.NAME, ledger.event(key, "sent", moment, transport="outbox", msgid=msgid,
                                                       to="ann@example.com"))
    return checkin.subject, lines, checkin.html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]


def quoting(style: str, own: str, subject: str, lines: list[str]) -> bytes:
    """The customer's reply: their own words, then the whole check-in quoted as `style` quotes it."""
    quoted = "\n".join(f"> {line}".rstrip() for line in lines)
    body = {
        ">": f"{own}\n\nOn Fri, 4 Dec 2026 at 10:00, Harbour Lane <care@harbourlane.example.com> wrote:\n{quoted}\n",
        "outlook": (f"{own}\n\n-----Original Message-----\nFrom: Harbour Lane <care@harbourlane.example.com>\n"
                    f"Sent: Friday, December 4, 2026 10:00 AM\nTo: Ann Example <ann@example.com>\nSubject: {subject}\n\n"
                    + "\n".join(lines) + "\n"),
        "de": f"{own}\n\nAm 04.12.2026 um 10:00 schrieb Harbour Lane <care@harbourlane.example.com>:\n{quoted}\n",
    }[style]
    return dated(message(subject=f"{'AW' if style == 'de' else 'Re'}: {subject}", body=body, msgid="<r1@example.com>",
                         In_Reply_To=OURS, References=f"{FOLLOWUP_ID} {OURS}"), ANSWERED_AT)


def gmail_html(own: str, subject: str, html: str) -> bytes:
    """The same reply as an HTML-only mail: the check-in's own HTML in a blockquote, its links live."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Ann Example <ann@example.com>", "care@harbourlane.example.com", f"Re: {subject}"
    msg["Message-ID"], msg["In-Reply-To"], msg["References"] = "<r1@example.com>", OURS, f"{FOLLOWUP_ID} {OURS}"
    msg["Date"] = ANSWERED_AT.strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(f'<div dir="ltr">{own}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Fri, '
                    f"4 Dec 2026 at 10:00, Harbour Lane &lt;care@harbourlane.example.com&gt; wrote:<br></div>"
                    f'<blockquote class="gmail_quote">{html}</blockquote></div>', subtype="html")
    return bytes(msg)


@pytest.mark.parametrize("style, own, answer", [
    (">", "The stand is still cracked.", ""),
    ("outlook", "The stand is still cracked.", ""),
    ("de", "Der Ständer ist immer noch kaputt.", ""),
    ("html", "The stand is still cracked.", ""),
    (">", "Not yet, sorry.", "not yet"),
    ("outlook", "Yes, all good", "yes"),
    ("de", "Ja, alles gut", "yes"),
])
def test_a_reply_quoting_the_whole_check_in_counts_once(recent: Path, capsys, style: str, own: str, answer: str):
    subject, lines, html = checkin_sent(recent)
    token = case_token(RECENT, review(recent, LATER).project.config)
    assert f"Score: 1 [ref {token}]" in "\n".join(lines) and f"Yes, all good [ref {token}]" in "\n".join(lines)
    reply = gmail_html(own, subject, html) if style == "html" else quoting(style, own, subject, lines)
    # Delivered twice (a relay that retried, say): the same Message-ID and other bytes, in new/ and in cur/.
    path = maildir(recent, [reply])
    in_cur(path, b"Received: from relay.example.net by mx.harbourlane.example.com\n" + reply)
    with_inbox(recent)

    out = inbox(recent, capsys)
    assert "1 new message read from maildir" in out, out
    assert len(mailbox.read_record(recent).messages) == 1
    [h] = heard_recorded(recent)
    assert (h.kind, h.case_id, h.key, h.answer, h.score) == (hearing.ANSWER, RECENT, CHECKIN_KEY, answer, None)
    assert h.message["words"] == own  # nothing quoted is taken for the customer's words
    tasks = call_backs(recent)
    assert len(tasks) == (0 if answer == "yes" else 1), tasks
    assert all(f'"{own}"' in task for task in tasks)
    assert inbox(recent, capsys).startswith("0 new messages read from maildir, 2 read before")


# --------------------------------------------------------------------------
# A forged answer
# --------------------------------------------------------------------------
@pytest.mark.parametrize("sender", [
    "eve@evil.example",
    "Ann Example <eve@evil.example>",                                # the customer's name, another address
    "ann@example.com <eve@evil.example>",                            # her address as the name
    "=?utf-8?q?ann=40example=2Ecom=2C?= <eve@evil.example>",         # a name that decodes to "ann@example.com,"
])
@pytest.mark.parametrize("said", ["Not yet", "Score: 1"])
def test_a_forged_answer_with_the_threading_and_the_token_changes_nothing(recent: Path, capsys, sender: str, said: str):
    checkin_sent(recent)
    token = case_token(RECENT, review(recent, LATER).project.config)
    before = plan(recent)
    forged = dated(message(sender=sender, subject=f"{said} [ref {token}]", body="", msgid="<forged@evil.example>",
                           In_Reply_To=OURS, References=f"{FOLLOWUP_ID} {OURS}"), ANSWERED_AT)
    maildir(recent, [forged])
    with_inbox(recent)

    out = inbox(recent, capsys)
    assert plan(recent) == before  # no call-back task, nothing held
    [h] = hearing.loose(heard_recorded(recent))
    assert (h.kind, h.case_id, h.answer, h.score) == (hearing.UNMATCHED, None, "", None)
    assert h.why.startswith(f"a reply to a follow-up of {RECENT}, but from ")
    assert f"unmatched: {said} [ref {token}] from " in out and "not the address it went to" in out


@pytest.mark.parametrize("raw, sender", [
    (b"=?utf-8?q?ann=40example=2Ecom=2C?= <eve@evil.example>", "eve@evil.example"),
    (b"=?utf-8?q?ann@example.com,?= <eve@evil.example>", ""),
    (b"ann@example.com <eve@evil.example>", ""),
    (b"ann@example.com, eve@evil.example", ""),
    (b"ann@example.com <>", ""),
    (b'"Example, Ann" <ann@example.com>', "ann@example.com"),
    (b"=?utf-8?q?Ann_M=C3=BCller?= <ann@example.com>", "ann@example.com"),
    (b"Ann\x00Example <ann@example.com>", "ann@example.com"),
    (b"Ann \xff\xfe <ann@example.com>", "ann@example.com"),
])
def test_a_from_is_one_address_read_before_its_name_is_decoded(project: Path, raw: bytes, sender: str):
    """RFC 2047 allows encoded words in a name only: decoding them first lets a name make a second address.
    A From of two addresses is nobody's."""
    data = message(msgid="<from@example.com>").replace(b"From: Ann Example <ann@example.com>", b"From: " + raw)
    done = mailbox.read_mailbox(project, mailbox.Maildir(maildir(project, [data])), NOW)
    assert done.read[0].get("sender", "") == sender


# --------------------------------------------------------------------------
# What else a real mailbox holds
# --------------------------------------------------------------------------
def nested(depth: int) -> bytes:
    """A message of `depth` multiparts, each the only part of the one around it."""
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (n, n) for n in range(depth))
    closing = b"".join(b"\n--b%d--\n" % n for n in reversed(range(depth)))
    return (b"From: stranger@example.org\nSubject: Nested\nMessage-ID: <nested@example.org>\nMIME-Version: 1.0\n"
            + opening + b"Content-Type: text/plain\n\nhello" + closing)


def many_parts(count: int, msgid: str = "<parts@example.org>") -> bytes:
    part = b"--B\nContent-Type: text/plain\n\nx\n"
    return (b"From: stranger@example.org\nSubject: %d parts\nMessage-ID: %s\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="B"\n\n' % (count, msgid.encode()) + part * count + b"--B--\n")


def hostile_mail() -> dict[str, bytes]:
    """Each message, by what is odd about it. Those from ann@example.com are listed by their first words,
    the others by their subjects."""
    stranger = "Stranger <stranger@example.org>"
    ann_from = b"From: Ann Example <ann@example.com>"
    no_id = message(sender=stranger, subject="No Message-ID").replace(b"Message-ID: <m1@example.com>\n", b"")
    return {
        "a NUL in the From": message(msgid="<nul@example.com>", body="A NUL in my name.\n")
        .replace(ann_from, b"From: Ann\x00Example <ann@example.com>"),
        "8-bit bytes in the From and Subject": message(sender=stranger, subject="Cafe", msgid="<latin1@example.org>")
        .replace(b"From: Stranger", b"From: Str\xe4nger \xff").replace(b"Subject: Cafe", b"Subject: Caf\xe9 \xff\xfe"),
        "a line break and terminal escapes in an encoded subject": message(sender=stranger, subject="X", msgid="<nl@example.org>")
        .replace(b"Subject: X", b"Subject: =?utf-8?q?Hello=0Aunmatched:_a_forged_line=1B[2J=1B]0;title=07?="),
        "terminal escapes in the words": message(msgid="<esc@example.com>", body="\x1b[2J\x1b]0;title\x07Thank you.\n"),
        "a charset that is no charset in a subject": message(sender=stranger, subject="X", msgid="<charset@example.org>")
        .replace(b"Subject: X", b"Subject: =?utf-\xff8?q?hi?="),
        "a NUL in the text's charset": message(sender=stranger, subject="Odd charset", msgid="<nulcharset@example.org>")
        .replace(b'charset="utf-8"', b'charset="utf\x008"'),
        "a Date out of any range": message(sender=stranger, subject="Odd date", msgid="<date@example.org>")
        .replace(b"Date: Wed, 09 Dec 2026 10:00:00 +0000", b"Date: Wed, 09 Dec 2026 10:00:00 +99999999999999999999"),
        "a mailing list's mail with 8-bit bytes in its From": message(sender="News <news@shop.example>", subject="Offers",
                                                                      msgid="<news@shop.example>", List_Id="<news.shop.example>")
        .replace(b"From: News", b"From: N\xe9ws"),
        "no Message-ID": no_id,
        "no Message-ID either": no_id.replace(b"Subject: No Message-ID", b"Subject: No Message-ID either"),
        "300 parts": many_parts(300),
        "3,000 nested parts": nested(3_000),
        "11 MB": message(sender=stranger, subject="Huge", msgid="<huge@example.org>") + (b"A" * 76 + b"\n") * 150_000,
        "an empty file": b"",
    }


def test_hostile_mail_is_each_listed_on_one_line_and_never_stops_the_reading(project: Path):
    mail = hostile_mail()
    path = maildir(project, list(mail.values()))
    in_cur(path, mail["no Message-ID"])  # the same again, where a mail client moved it
    with_inbox(project)
    # In a process of its own, as an owner runs it: with the logging `inbox` sets up, and stderr to read.
    command = [sys.executable, str(REPO / "build.py"), "--root", str(project), "--now", "2026-12-09T10:00", "inbox"]
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-3000:]
    head, *lines = done.stdout.splitlines()
    # The second copy of the message with no Message-ID, known by its bytes, is the one "read before".
    assert head.startswith(f"{len(mail)} new messages read from maildir, 1 read before"), done.stdout
    assert len(lines) == len(mail) and all(line.isprintable() for line in lines), done.stdout
    listed = "\n".join(lines)
    for expected in (
        f'wrote again from ann@example.com on {CASE_ID}: "A NUL in my name."',
        "unmatched: Caf\ufffd \ufffd\ufffd from stranger@example.org",
        "unmatched: Hello unmatched: a forged line [2J ]0;title from stranger@example.org",
        f'wrote again from ann@example.com on {CASE_ID}: "[2J]0;titleThank you."',
        "unmatched: =?utf-\ufffd8?q?hi?= from stranger@example.org",
        "unmatched: Odd charset from stranger@example.org",
        "unmatched: Odd date from stranger@example.org",
        "automatic: Offers from news@shop.example (List-Id: mail from a mailing list)",
        "unmatched: No Message-ID from stranger@example.org",
        "unmatched: No Message-ID either from stranger@example.org",
        "unmatched: 300 parts from stranger@example.org (not read: it has more than 200 parts)",
        "unmatched: Nested from stranger@example.org (not read: it has more than 200 parts)",
        "unmatched: Huge from stranger@example.org (not read: it is larger than 10 MB)",
        "unmatched: (no subject) from an unknown sender",
    ):
        assert sum(expected in line for line in lines) == 1, f"{expected!r} not once in:\n{listed}"
    again = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert (again.returncode, again.stderr) == (0, "") and again.stdout.startswith(
        f"0 new messages read from maildir, {len(mail) + 1} read before"), again.stdout + again.stderr


def test_a_mime_bomb_is_refused_before_it_is_built(project: Path):
    bomb = many_parts(200_000, "<bomb@example.org>")
    done, peak, _ = peak_reading(project, maildir(project, [bomb]))
    assert [(m["id"], m["refused"]) for m in done.read] == [("<bomb@example.org>", "it has more than 200 parts")]
    # The bytes themselves, a copy or two while the first parts are parsed, and no part past the 201st.
    assert peak < 3 * len(bomb), f"peak {peak / MB:.1f} MB for a bomb of {len(bomb) / MB:.1f} MB"


def test_a_customer_who_answers_twice_in_a_day_gets_one_call_back(recent: Path, capsys):
    checkin_sent(recent)
    maildir(recent, [dated(message(In_Reply_To=OURS, msgid="<a1@example.com>", body="Not yet.\n"), ANSWERED_AT),
                     dated(message(In_Reply_To=OURS, msgid="<a2@example.com>", body="The stand is still cracked!\n"),
                           ANSWERED_AT.replace(hour=11))])
    with_inbox(recent)
    assert "2 new messages read" in inbox(recent, capsys)
    assert len(call_backs(recent)) == 1, call_backs(recent)


def test_a_reply_from_a_phone_whose_clock_says_1970_still_holds_the_round(recent: Path, capsys):
    ledger.append(recent / ledger.NAME, ledger.event(f"{RECENT}/followup/2026-11-24", "sent", SENT_AT, transport="outbox",
                                                     msgid=OURS, to="ann@example.com"))
    maildir(recent, [dated(message(In_Reply_To=OURS, body="The stand is still cracked.\n"),
                           datetime(1970, 1, 1, tzinfo=timezone.utc))])
    with_inbox(recent)
    inbox(recent, capsys, "2026-12-01T11:00")
    checkin = next(state for key, state, _ in plan(recent, LATER) if key == CHECKIN_KEY)
    assert checkin == "held"


def test_a_message_the_parser_breaks_on_is_kept_for_a_person_and_the_reading_goes_on(recent: Path, capsys, monkeypatch):
    """Whatever the parser still cannot read stops nothing: the message is kept whole, listed for a person,
    and the messages after it are read."""
    real = incoming.read

    def breaks_on_one(data: bytes) -> incoming.Incoming:
        if b"<breaks@example.com>" in data:
            raise LookupError("a parser bug not found yet")
        return real(data)

    monkeypatch.setattr(incoming, "read", breaks_on_one)
    maildir(recent, [message(msgid="<breaks@example.com>"), message(msgid="<after@example.com>", subject="Hello")])
    with_inbox(recent)
    said = inbox(recent, capsys)
    assert "2 new messages read" in said and "not read: it could not be read (LookupError)" in said
    assert len(mailbox.read_record(recent).messages) == 2
