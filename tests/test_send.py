"""The follow-up sender against a real SMTP server on 127.0.0.1 (aiosmtpd).

Every test writes its own amends.yaml pointing at a server started on a free
port of 127.0.0.1; nothing here can reach another machine.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from amends.cases.config import load_config
from amends.cli import main
from amends.followups import ledger, messages
from amends.followups.messages import Rendered
from amends.followups.review import review
from amends.followups.send import send_pass
from amends.followups.transports import SmtpTransport

from conftest import CLASSIC_PLAN_YAML, REPO, write_case

BERLIN = ZoneInfo("Europe/Berlin")


# -- the SMTP server ------------------------------------------------------------------

def at(day: str, clock: str = "10:00") -> datetime:
    """A moment in the business's time zone: at("2026-03-04", "10:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BERLIN)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The shipped English subjects of each kind, whatever the fault.
SUBJECT_KINDS = (
    ("Our apology", "apology"),
    ("We are sorry", "apology"),
    ("Thank you for telling us", "apology"),
    ("Your gift card", "gift-card"),
    ("What went wrong", "explanation"),
    ("What happened", "explanation"),
    ("Thank you for bearing with us", "thanks"),
    ("Thank you, ", "thanks"),
)


def kind_of(content: bytes) -> str:
    subject = email.message_from_bytes(content, policy=email.policy.default)["Subject"] or ""
    for prefix, kind in SUBJECT_KINDS:
        if subject.startswith(prefix):
            return kind
    return f"unknown: {subject}"


class Recorder:
    """An aiosmtpd handler that keeps what it accepted and can misbehave on cue.

    `script` holds one behaviour per DATA command, consumed in order; when it is
    empty the message is accepted. Behaviours: "ok", an SMTP reply such as
    "451 4.3.0 try later", "drop" (close the connection, then accept), "sleep"
    (answer after 3 s) and "block" (wait until `release` is set, up to 30 s).
    """

    def __init__(self) -> None:
        self.received: list[dict] = []   # messages the server accepted (stored)
        self.data_calls: list[dict] = []  # every DATA the server saw, whatever it answered
        self.script: list[str] = []
        self.lock = threading.Lock()
        self.blocked = threading.Event()
        self.release = threading.Event()

    def _note(self, envelope, session) -> dict:
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        entry = {"content": content, "rcpt": tuple(envelope.rcpt_tos), "peer": session.peer,
                 "session": id(session), "kind": kind_of(content)}
        with self.lock:
            self.data_calls.append(entry)
        return entry

    def _store(self, entry: dict) -> None:
        with self.lock:
            self.received.append(entry)

    async def handle_DATA(self, server, session, envelope):
        entry = self._note(envelope, session)
        with self.lock:
            action = self.script.pop(0) if self.script else "ok"
        if action == "ok":
            self._store(entry)
            return "250 OK"
        if action == "drop":
            self._store(entry)  # the server has it; only the reply is lost
            server.transport.close()
            return "250 OK"
        if action == "sleep":
            await asyncio.sleep(3)
            self._store(entry)
            return "250 OK"
        if action == "block":
            self.blocked.set()
            for _ in range(600):
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
            self._store(entry)
            return "250 OK"
        return action  # a scripted reply such as 451 or 550: nothing stored

    # What the tests look at.
    def keys(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(rcpt, e["kind"]) for e in self.received for rcpt in e["rcpt"]]

    def data_keys(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(rcpt, e["kind"]) for e in self.data_calls for rcpt in e["rcpt"]]


class CountingController(Controller):
    """A Controller that counts TCP connections (one SMTP protocol object per connection)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def factory(self):
        self.connections += 1
        return super().factory()


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = Recorder()
        self.controller = CountingController(self.handler, hostname="127.0.0.1", port=port)

    def start(self) -> "Server":
        self.controller.start()
        return self

    @property
    def connections(self) -> int:
        # Controller.start() connects once itself to check that the server is up.
        return self.controller.connections - 1


@pytest.fixture
def start_server():
    """Start an SMTP server on 127.0.0.1 (a free port, or the one given); all are stopped afterwards."""
    servers: list[Server] = []

    def start(port: int | None = None) -> Server:
        server = Server(port or free_port()).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.handler.release.set()
        server.controller.stop()


@pytest.fixture
def smtp(start_server) -> Server:
    return start_server()


# -- project files --------------------------------------------------------------------

def write_config(root: Path, port: int, transport: str = "smtp", followups: str = "") -> None:
    text = (
        "business: {name: Test Shop, email: care@shop.example.com, signature: The team}\n"
        "timezone: Europe/Berlin\n"
        f"transport: {transport}\n"
        f"smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 5}}\n"
    )
    text += "followups:\n" + ("" if "plan:" in followups else CLASSIC_PLAN_YAML) + followups
    (root / "amends.yaml").write_text(text, encoding="utf-8")


GIFT_NOTE = "Show the code at the counter"
GIFT_CODE = "GIFT-7Q4Z"


def case(email_addr: str, resolved: str, *, name: str = "Ann Example", opened: str | None = None,
         status: str = "resolved", gift: bool = False, extra: str = "", prevention: bool = True) -> str:
    opened = opened or resolved
    lines = [
        "---",
        "title: Cake delivered late",
        "customer:",
        f"  name: {name}",
        f"  email: {email_addr}",
        "channel: email",
        f"opened: {opened}",
        f"resolved: {resolved}",
        f"status: {status}",
        "what_went_wrong: |",
        "  The van broke down on the way.",
        "  Nobody called ahead to say so.",
        "how_resolved: We refunded the delivery fee and brought the cake ourselves.",
    ]
    if prevention:
        lines.append("prevention: A second van is now on standby every Saturday.")
    if gift:
        lines += ["accommodation:", "  - kind: gift-card", "    amount: 25", "    currency: EUR",
                  f"    note: {GIFT_NOTE}", f"    code: {GIFT_CODE}", "  - kind: refund", "    amount: 8.50", "    currency: EUR"]
    if extra:
        lines.append(extra.rstrip("\n"))
    lines += ["---", "The cake arrived two hours late.", ""]
    return "\n".join(lines)


def events(root: Path) -> list[dict]:
    book = ledger.read(root / "outbox" / "ledger.jsonl")
    assert book.problems == []
    return book.events


def events_for(root: Path, case_id: str, kind: str) -> list[dict]:
    return [e for e in events(root) if e["key"].startswith(f"{case_id}/{kind}/")]


def state_of(root: Path, now: datetime, case_id: str, kind: str) -> str:
    state = review(root, now)
    [item] = [p for p in state.prepared if p.followup.case.id == case_id and p.followup.kind == kind]
    return item.followup.state


def cli(capsys, root: Path, now: datetime, *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), "--now", now.strftime("%Y-%m-%dT%H:%M"), *args])
    out, err = capsys.readouterr()
    return code, out, err


def row(out: str, case_id: str, kind: str) -> str:
    """The line of the followups table about one follow-up."""
    [line] = [line for line in out.splitlines() if f" {case_id} " in line and f" {kind} " in line]
    return line


# -- 1. the right messages on the right days, exactly once ------------------------------

def test_right_messages_on_right_days_exactly_once(root, smtp):
    write_config(root, smtp.port)
    # Mon 2026-03-02: apology Wed 03-04, explanation Thu 03-05, thanks Mon 03-09.
    write_case(root, "normal.md", case("ann@example.com", "2026-03-02", opened="2026-03-01"))
    # Fri 2026-02-27: apology Tue 03-03, the gift card in the next pass (never in the apology's minute),
    # explanation Wed 03-04 and thanks Fri 03-06, each keeping its distance after the gift card.
    write_case(root, "gift.md", case("bea@example.com", "2026-02-27", name="Bea Gift", opened="2026-02-26", gift=True))
    write_case(root, "dnc.md", case("carl@example.com", "2026-03-02", name="Carl Quiet", extra="do_not_contact: true"))
    write_case(root, "reopened.md", case("dora@example.com", "2026-03-02", name="Dora Again", status="open",
                                         opened="2026-02-20"))

    arrived: dict[tuple[str, str], list[str]] = {}
    day = at("2026-03-02")
    while day <= at("2026-03-13"):
        for moment in (day, day + timedelta(minutes=5)):
            before = len(smtp.handler.received)
            report = send_pass(root, moment)
            assert report.error is None
            assert all(outcome.status == "sent" for _, outcome in report.results)
            for key in smtp.handler.keys()[before:]:
                arrived.setdefault(key, []).append(moment.strftime("%Y-%m-%d %H:%M"))
        day += timedelta(days=1)

    expected = {
        ("ann@example.com", "apology"): ["2026-03-04 10:00"],
        ("ann@example.com", "explanation"): ["2026-03-05 10:00"],
        ("ann@example.com", "thanks"): ["2026-03-09 10:00"],
        ("bea@example.com", "apology"): ["2026-03-03 10:00"],
        ("bea@example.com", "gift-card"): ["2026-03-03 10:05"],
        ("bea@example.com", "explanation"): ["2026-03-04 10:05"],
        ("bea@example.com", "thanks"): ["2026-03-06 10:05"],
    }
    assert arrived == expected
    assert Counter(smtp.handler.keys()) == Counter({key: 1 for key in expected})
    rcpts = {rcpt for rcpt, _ in smtp.handler.data_keys()}
    assert "carl@example.com" not in rcpts and "dora@example.com" not in rcpts

    # The gift card is its own message; the apology announces it but does not carry it.
    by_key = {(e["rcpt"][0], e["kind"]): e["content"] for e in smtp.handler.received}

    def text_of(content: bytes) -> str:
        msg = email.message_from_bytes(content, policy=email.policy.default)
        return " ".join(" ".join(part.get_content().split()) for part in msg.walk() if not part.is_multipart())

    assert GIFT_NOTE not in text_of(by_key[("bea@example.com", "apology")])
    assert "a refund of €8.50" in text_of(by_key[("bea@example.com", "apology")])
    assert GIFT_NOTE in text_of(by_key[("bea@example.com", "gift-card")])
    assert "€25.00" in text_of(by_key[("bea@example.com", "gift-card")])
    assert f"Code: {GIFT_CODE}" in text_of(by_key[("bea@example.com", "gift-card")])


# -- 2. nothing outside the send window ---------------------------------------------

def test_nothing_outside_the_send_window(root, smtp):
    write_config(root, smtp.port, followups="  catch_up_days: 5\n")
    # Apology due Wed 03-04 09:00, explanation Thu 03-05 09:00.
    write_case(root, "weekday.md", case("ann@example.com", "2026-03-02"))
    # Apology due Fri 03-06 09:00, explanation Mon 03-09 09:00.
    write_case(root, "weekend.md", case("bob@example.com", "2026-03-04", name="Bob Weekend"))
    h = smtp.handler

    for moment in (at("2026-03-04", "07:00"), at("2026-03-04", "08:59")):
        assert send_pass(root, moment).results == []
    assert h.data_calls == []
    # Late already, but the window has closed for the day, and it is not open yet the next morning.
    for moment in (at("2026-03-04", "17:00"), at("2026-03-04", "23:30"), at("2026-03-05", "07:00")):
        assert send_pass(root, moment).results == []
    assert h.data_calls == []
    assert state_of(root, at("2026-03-05", "07:00"), "weekday", "apology") == "upcoming"

    send_pass(root, at("2026-03-05", "09:00"))
    # Only the late apology: the explanation keeps its planned distance, one business day after it.
    assert Counter(h.keys()) == Counter({("ann@example.com", "apology"): 1})
    assert state_of(root, at("2026-03-05", "09:00"), "weekday", "explanation") == "upcoming"

    # Bob's apology and Ann's explanation are due on Friday, but the first pass after that runs on Saturday.
    for moment in (at("2026-03-07", "10:00"), at("2026-03-07", "15:00"), at("2026-03-08", "12:00")):
        assert send_pass(root, moment).results == []
    assert len(h.data_calls) == 1
    send_pass(root, at("2026-03-09", "09:00"))
    assert Counter(h.keys()) == Counter({
        ("ann@example.com", "apology"): 1, ("ann@example.com", "explanation"): 1, ("bob@example.com", "apology"): 1,
    })
    # Bob's explanation goes one business day after his apology; Ann's thanks, planned for today,
    # four days after her explanation, as planned (Thu 03-05 to Mon 03-09).
    assert state_of(root, at("2026-03-09", "09:05"), "weekend", "explanation") == "upcoming"
    assert state_of(root, at("2026-03-09", "09:05"), "weekday", "thanks") == "upcoming"


# -- 3. a temporary failure is retried after the backoff ----------------------------

def test_451_is_retried_after_backoff(root, smtp):
    write_config(root, smtp.port)
    write_case(root, "late.md", case("ann@example.com", "2026-03-02"))
    h = smtp.handler
    h.script = ["451 4.3.0 try later"]
    start = at("2026-03-04", "10:00")

    report = send_pass(root, start)
    assert [o.status for _, o in report.results] == ["tempfail"]
    assert h.received == [] and len(h.data_calls) == 1
    evs = events_for(root, "late", "apology")
    assert evs[-1]["ev"] == "tempfail"
    assert evs[-1]["code"] == 451 and "try later" in evs[-1]["reply"]

    assert send_pass(root, start + timedelta(minutes=1)).results == []
    assert len(h.data_calls) == 1

    report = send_pass(root, start + timedelta(minutes=6))
    assert [o.status for _, o in report.results] == ["sent"]
    assert h.keys() == [("ann@example.com", "apology")]
    assert events_for(root, "late", "apology")[-1]["ev"] == "sent"

    send_pass(root, start + timedelta(minutes=30))
    assert h.keys() == [("ann@example.com", "apology")]
    assert len(h.data_calls) == 2


def test_gift_card_never_goes_before_its_apology(root, smtp):
    write_config(root, smtp.port)
    # Apology and gift card both due Wed 03-04 09:00: the apology first, the gift card in a later pass.
    write_case(root, "gift.md", case("ann@example.com", "2026-03-02", gift=True))
    h = smtp.handler
    h.script = ["451 4.3.0 try later"]
    start = at("2026-03-04", "10:00")

    report = send_pass(root, start)
    # The apology failed for now: the gift card is not even tried in this pass.
    assert [(i.followup.kind, o.status) for i, o in report.results] == [("apology", "tempfail")]
    assert events_for(root, "gift", "gift-card") == []
    assert state_of(root, start + timedelta(minutes=1), "gift", "gift-card") == "upcoming"

    report = send_pass(root, start + timedelta(minutes=5))
    assert [(i.followup.kind, o.status) for i, o in report.results] == [("apology", "sent")]
    assert state_of(root, start + timedelta(minutes=5, seconds=30), "gift", "gift-card") == "upcoming"
    report = send_pass(root, start + timedelta(minutes=10))
    assert [(i.followup.kind, o.status) for i, o in report.results] == [("gift-card", "sent")]
    assert h.keys() == [("ann@example.com", "apology"), ("ann@example.com", "gift-card")]
    dates = [email.message_from_bytes(e["content"], policy=email.policy.default)["Date"].datetime for e in h.received
             if e["rcpt"] == ("ann@example.com",)]
    assert dates[1] - dates[0] >= timedelta(minutes=1)


# -- 4. a permanent failure is reported and never retried ---------------------------

def test_550_is_failed_and_never_retried(root, smtp, capsys):
    write_config(root, smtp.port)
    write_case(root, "bounce.md", case("nobody@example.com", "2026-03-02"))
    h = smtp.handler
    h.script = ["550 5.1.1 no such user"]
    now = at("2026-03-04", "10:00")

    code, out, err = cli(capsys, root, now, "send")
    assert code == 1
    assert "permfail" in out
    assert h.received == []
    last = events_for(root, "bounce", "apology")[-1]
    assert last["ev"] == "permfail" and last["code"] == 550
    assert "no such user" in last["reply"]

    code, out, err = cli(capsys, root, now + timedelta(minutes=10), "followups")
    line = row(out, "bounce", "apology")
    assert line.startswith("failed")
    assert "550" in line and "no such user" in line

    for moment in (now + timedelta(minutes=10), now + timedelta(hours=5), at("2026-03-05"), at("2026-03-06")):
        send_pass(root, moment)
    assert [k for k in h.data_keys() if k[1] == "apology"] == [("nobody@example.com", "apology")]
    assert [e["ev"] for e in events_for(root, "bounce", "apology")].count("attempt") == 1
    # The later kinds of the round wait for a person's decision about the apology.
    assert h.keys() == []
    code, out, err = cli(capsys, root, at("2026-03-06"), "followups")
    assert row(out, "bounce", "explanation").startswith("upcoming")
    assert "waits for the apology, which failed" in row(out, "bounce", "explanation")


# -- 5. a connection dropped after DATA is never resent on its own ------------------

def test_drop_after_data_is_ambiguous_until_released(root, smtp, capsys):
    write_config(root, smtp.port)
    write_case(root, "drop.md", case("ann@example.com", "2026-03-02"))
    h = smtp.handler
    h.script = ["drop"]
    now = at("2026-03-04", "10:00")

    code, out, err = cli(capsys, root, now, "send")
    assert code == 1
    assert "ambiguous" in out
    assert events_for(root, "drop", "apology")[-1]["ev"] == "ambiguous"
    assert len(h.data_calls) == 1

    for moment in (now + timedelta(minutes=10), now + timedelta(hours=2), at("2026-03-05")):
        send_pass(root, moment)
        assert [k for k in h.data_keys() if k[1] == "apology"] == [("ann@example.com", "apology")]
    code, out, err = cli(capsys, root, at("2026-03-05", "11:00"), "followups")
    assert row(out, "drop", "apology").startswith("check")

    # A person decided it did not arrive.
    code, out, err = cli(capsys, root, at("2026-03-05", "11:00"), "release", "drop", "apology")
    assert code == 0, err
    report = send_pass(root, at("2026-03-05", "11:05"))
    assert [(i.followup.kind, o.status) for i, o in report.results] == [("apology", "sent")]
    assert [k for k in h.data_keys() if k[1] == "apology"] == [("ann@example.com", "apology")] * 2
    send_pass(root, at("2026-03-05", "12:00"))
    assert [k for k in h.data_keys() if k[1] == "apology"] == [("ann@example.com", "apology")] * 2
    assert state_of(root, at("2026-03-05", "12:00"), "drop", "apology") == "sent"


# -- 6. a timeout after DATA is ambiguous too -------------------------------------

def test_timeout_after_data_is_ambiguous(root, smtp):
    write_config(root, smtp.port)
    write_case(root, "slow.md", case("ann@example.com", "2026-03-02"))
    h = smtp.handler
    h.script = ["sleep"]
    now = at("2026-03-04", "10:00")
    config, _ = load_config(root / "amends.yaml")
    transport = SmtpTransport(config.smtp, None, data_timeout=1.0)

    started = time.monotonic()
    report = send_pass(root, now, transport=transport)
    assert time.monotonic() - started < 2.9, "the client waited for the server instead of timing out"
    assert [o.status for _, o in report.results] == ["ambiguous"]
    assert report.needs_a_person
    assert events_for(root, "slow", "apology")[-1]["ev"] == "ambiguous"

    for moment in (now + timedelta(minutes=10), now + timedelta(hours=3)):
        assert send_pass(root, moment).results == []
    assert len(h.data_calls) == 1
    assert state_of(root, now + timedelta(hours=3), "slow", "apology") == "check"


# -- 7. a missing field blocks the one message that needs it ------------------------

def test_missing_prevention_blocks_the_explanation(root, smtp, capsys):
    write_config(root, smtp.port)
    path = write_case(root, "noprev.md", case("ann@example.com", "2026-03-02", prevention=False))
    day = at("2026-03-02")
    while day <= at("2026-03-13"):
        send_pass(root, day)
        day += timedelta(days=1)
    # The thanks waits for the explanation: blocked when rendered, it holds the rest of the round.
    assert Counter(smtp.handler.keys()) == Counter({("ann@example.com", "apology"): 1})
    assert not any(e["key"].startswith(("noprev/explanation/", "noprev/thanks/")) for e in events(root))

    code, out, err = cli(capsys, root, at("2026-03-05", "10:00"), "followups")
    line = row(out, "noprev", "explanation")
    assert line.startswith("blocked")
    assert "'prevention'" in line
    line = row(out, "noprev", "thanks")
    assert line.startswith("upcoming")
    assert "waits for the explanation, which is blocked" in line

    code, out, err = cli(capsys, root, at("2026-03-05", "10:00"), "check")
    assert code == 1
    assert "cases/noprev.md" in err and "prevention" in err
    assert path.name in err


# -- 8. header injection -----------------------------------------------------------

def test_crlf_in_name_cannot_be_loaded(root, smtp, capsys):
    write_config(root, smtp.port)
    bad = case("ann@example.com", "2026-03-02").replace("  name: Ann Example",
                                                          '  name: "Ann\\r\\nBcc: evil@example.com"')
    write_case(root, "inject.md", bad)
    write_case(root, "fine.md", case("fay@example.com", "2026-03-02", name="Fay Fine"))
    now = at("2026-03-04", "10:00")

    state = review(root, now)
    assert any(p.path == "cases/inject.md" and "customer.name" in p.message for p in state.problems)
    assert all(c.id != "inject" for c in state.project.cases)
    send_pass(root, now)
    assert smtp.handler.keys() == [("fay@example.com", "apology")]
    for entry in smtp.handler.data_calls:
        assert "evil@example.com" not in entry["rcpt"]
        assert b"evil@example.com" not in entry["content"]
        assert b"Bcc" not in entry["content"]

    code, out, err = cli(capsys, root, now, "check")
    assert code == 1 and "cases/inject.md" in err


@pytest.mark.parametrize("field", ["to_name", "subject"])
def test_build_never_produces_a_bcc_header(root, field):
    config, _ = load_config(root / "amends.yaml")
    values = {"subject": "We're sorry", "text": "Hello\n", "html": "<p>Hello</p>\n",
              "to_name": "Ann", "to_addr": "ann@example.com"}
    values[field] += "\r\nBcc: x@evil.example"
    rendered = Rendered(**values)
    try:
        msg = messages.build(rendered, "c/apology/2026-03-02", config, at("2026-03-04"))
        data = msg.as_bytes()
    except (ValueError, TypeError):
        return  # refused outright: fine
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert not any(line.lower().startswith(b"bcc:") for line in data.splitlines())


# -- 9. every message is well-formed -----------------------------------------------

def test_every_message_parses_cleanly(root, smtp):
    write_config(root, smtp.port)
    write_case(root, "normal.md", case("ann@example.com", "2026-03-02", name="Zoë Ødegaard-Smith"))
    write_case(root, "gift.md", case("bea@example.com", "2026-02-27", name="Bea Gift", gift=True))
    day = at("2026-03-02")
    while day <= at("2026-03-13"):
        send_pass(root, day)
        day += timedelta(days=1)
    received = smtp.handler.received
    assert len(received) == 7

    ids = []
    for entry in received:
        msg = email.message_from_bytes(entry["content"], policy=email.policy.default)
        assert msg.defects == []
        for part in msg.walk():
            assert part.defects == [], (entry["kind"], part.get_content_type(), part.defects)
        assert msg.get_content_type() == "multipart/alternative"
        types = [part.get_content_type() for part in msg.iter_parts()]
        assert types == ["text/plain", "text/html"]
        assert msg["Date"] and msg["Message-ID"]
        assert msg["Date"].datetime is not None
        # Sent by a program (RFC 3834): a vacation responder does not answer it.
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["To"].addresses[0].addr_spec == entry["rcpt"][0]
        # Replies reach the business: business.reply_to when given, else business.email.
        assert [a.addr_spec for a in msg["Reply-To"].addresses] == ["care@shop.example.com"]
        ids.append(msg["Message-ID"])
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        assert "<br>" not in text
        assert "http" not in html and "src=" not in html
        for body in (text, html, msg["Subject"]):
            assert "None" not in body and "{{" not in body and "{%" not in body
        assert ("Zoë" in text) == (entry["rcpt"][0] == "ann@example.com")
    assert len(set(ids)) == len(ids)


# -- 10. a killed sender never leads to a duplicate ---------------------------------

def test_kill_during_data_does_not_resend(root, smtp):
    write_config(root, smtp.port)
    # Three messages due on Wed 03-04 at 10:00: two apologies and a gift card.
    write_case(root, "first.md", case("ann@example.com", "2026-03-02", gift=True))
    write_case(root, "second.md", case("bob@example.com", "2026-03-02", name="Bob Second"))
    h = smtp.handler
    h.script = ["block"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), "--now", "2026-03-04T10:00",
                             "send"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert h.blocked.wait(20), "the sender never reached DATA"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    h.release.set()

    # Each round in the plan's order: Ann's apology goes first.
    assert h.data_keys() == [("ann@example.com", "apology")]
    assert events_for(root, "first", "apology")[-1]["ev"] == "data"

    now = at("2026-03-04", "10:05")
    report = send_pass(root, now)
    # Her gift card waits until a person has checked whether the apology arrived.
    assert [(i.followup.case.id, i.followup.kind, o.status) for i, o in report.results] == [("second", "apology", "sent")]
    assert state_of(root, now, "first", "apology") == "check"
    assert state_of(root, now, "first", "gift-card") == "upcoming"
    send_pass(root, now + timedelta(minutes=30))

    expected = {("ann@example.com", "apology"), ("bob@example.com", "apology")}
    seen = Counter(h.data_keys())
    assert set(seen) == expected
    assert all(n == 1 for n in seen.values()), seen
    assert all(n <= 1 for n in Counter(h.keys()).values())


# -- 11. one pass at a time --------------------------------------------------------

def test_lock_held_means_busy(root, smtp, capsys):
    write_config(root, smtp.port)
    write_case(root, "late.md", case("ann@example.com", "2026-03-02"))
    now = at("2026-03-04", "10:00")
    with ledger.lock(root / "outbox" / "send.lock"):
        code, out, err = cli(capsys, root, now, "send")
        assert code == 3
        assert "another send" in err
    assert smtp.handler.data_calls == []
    assert not any(e["ev"] in ("attempt", "sent") for e in events(root))
    # Once the lock is free, the pass runs.
    code, out, err = cli(capsys, root, now, "send")
    assert code == 0
    assert smtp.handler.keys() == [("ann@example.com", "apology")]


# -- 12. switching from the outbox to SMTP ----------------------------------------

def test_switching_from_outbox_to_smtp(root, smtp, capsys):
    write_config(root, smtp.port, transport="outbox")
    write_case(root, "gift.md", case("ann@example.com", "2026-03-02"))
    write_case(root, "second.md", case("bob@example.com", "2026-03-02", name="Bob Second"))
    h = smtp.handler
    now = at("2026-03-04", "10:00")

    report = send_pass(root, now)
    assert report.transport == "outbox"
    assert sorted(i.followup.case.id for i, o in report.results if o.status == "sent") == ["gift", "second"]
    files = sorted(p.name for p in (root / "outbox" / "messages").glob("*.eml"))
    assert len(files) == 2
    sent = [e for e in events(root) if e["ev"] == "sent"]
    assert len(sent) == 2 and all(e["transport"] == "outbox" for e in sent)
    assert h.data_calls == []

    code, out, err = cli(capsys, root, now + timedelta(hours=1), "send", "--transport", "smtp")
    assert code == 0, err
    assert Counter(h.keys()) == Counter({("ann@example.com", "apology"): 1, ("bob@example.com", "apology"): 1})

    code, out, err = cli(capsys, root, now + timedelta(hours=2), "send", "--transport", "smtp")
    assert code == 0
    assert "nothing was due" in out
    assert len(h.data_calls) == 2

    lines = len(events(root))
    report = send_pass(root, now + timedelta(hours=3))
    assert report.results == []
    assert len(events(root)) == lines
    assert sorted(p.name for p in (root / "outbox" / "messages").glob("*.eml")) == files
    assert len(h.data_calls) == 2


# -- 13. one connection per pass -------------------------------------------------

def test_one_connection_per_pass(root, smtp):
    write_config(root, smtp.port)
    write_case(root, "first.md", case("ann@example.com", "2026-03-02"))
    write_case(root, "second.md", case("bob@example.com", "2026-03-02", name="Bob Second"))
    write_case(root, "third.md", case("cleo@example.com", "2026-03-02", name="Cleo Third"))
    report = send_pass(root, at("2026-03-04", "10:00"))
    assert [o.status for _, o in report.results] == ["sent"] * 3
    assert len(smtp.handler.received) == 3
    assert len({e["session"] for e in smtp.handler.received}) == 1
    assert len({e["peer"] for e in smtp.handler.received}) == 1
    assert smtp.connections == 1


# -- 14. no server at all ---------------------------------------------------------

def test_connection_refused_is_retried_later(root, start_server, capsys):
    port = free_port()
    write_config(root, port)
    write_case(root, "first.md", case("ann@example.com", "2026-03-02"))
    write_case(root, "second.md", case("bob@example.com", "2026-03-02", name="Bob Second"))
    write_case(root, "third.md", case("cleo@example.com", "2026-03-02", name="Cleo Third"))
    now = at("2026-03-04", "10:00")

    code, out, err = cli(capsys, root, now, "send")
    assert code == 1
    assert "cannot connect" in err
    evs = events(root)
    assert not any(e["ev"] in ("sent", "data") for e in evs)
    tempfails = Counter(e["key"].rsplit("/", 1)[0] for e in evs if e["ev"] == "tempfail")
    assert tempfails == Counter({"first/apology": 1, "second/apology": 1, "third/apology": 1})

    server = start_server(port)
    assert send_pass(root, now + timedelta(minutes=1)).results == []  # still backing off
    report = send_pass(root, now + timedelta(minutes=6))
    assert [o.status for _, o in report.results] == ["sent"] * 3
    assert Counter(server.handler.keys()) == Counter({
        ("ann@example.com", "apology"): 1, ("bob@example.com", "apology"): 1, ("cleo@example.com", "apology"): 1})


# -- 15. send tells the whole truth -------------------------------------------------

def test_send_lists_everything_that_needs_a_person_on_every_pass(root, smtp, capsys):
    write_config(root, smtp.port)
    # Missed: due Wed 03-04, not sent by Mon 03-09 17:00.
    write_case(root, "missed.md", case("ann@example.com", "2026-03-02"))
    # Blocked: the explanation needs `prevention`; the apology went out before.
    write_case(root, "blocked.md", case("bob@example.com", "2026-03-06", name="Bob Blocked", prevention=False))
    # Check: a pass crashed after handing the apology over.
    write_case(root, "check.md", case("cat@example.com", "2026-03-06", name="Cat Check"))
    write_case(root, "broken.md", case("dan@example.com", "2026-03-06").replace("status: resolved", "status: done"))
    (root / "outbox").mkdir()
    for key, evs in (("blocked/apology/2026-03-06", ["attempt", "sent"]), ("check/apology/2026-03-06", ["attempt", "data"])):
        for name in evs:
            ledger.append(root / "outbox" / "ledger.jsonl",
                          ledger.event(key, name, at("2026-03-10", "09:00"), transport="smtp", msgid="<m@x>"))
    now = at("2026-03-11", "10:00")

    for moment in (now, now + timedelta(minutes=15)):
        code, out, err = cli(capsys, root, moment, "send")
        assert code == 1, out + err
        assert "nothing was due" not in out
        assert "Pass by smtp: nothing sent, 4 things to act on." in out
        assert "  missed    missed apology: not sent: it was due on 4 Mar 2026" in out
        assert "  blocked   blocked explanation: the explanation template needs 'prevention'" in out
        assert "  check     check apology: may have arrived: the connection broke just after the message was handed over" in out
        assert "  problem   cases/broken.md:" in out
    assert smtp.handler.data_calls == []


def test_nothing_was_due_only_when_true(root, start_server, capsys):
    port = free_port()
    write_config(root, port)
    write_case(root, "late.md", case("ann@example.com", "2026-03-02"))
    code, out, err = cli(capsys, root, at("2026-03-02"), "send")
    assert (code, out.splitlines()[-1]) == (0, "Pass by smtp: nothing was due.")
    # The server refused the connection: nothing was sent, and it says what will happen.
    code, out, err = cli(capsys, root, at("2026-03-04"), "send")
    assert code == 1
    assert "Pass by smtp: 1 to retry later." in out and "nothing was due" not in out
    assert "cannot connect" in err
    start_server(port)
    code, out, err = cli(capsys, root, at("2026-03-04", "10:06"), "send")
    assert code == 0 and "Pass by smtp: 1 sent." in out
