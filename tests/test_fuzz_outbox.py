"""Fuzzing what is not a case file: the ledger and the outbox folder.

The ledger: realistic histories of the sender (attempts, handovers, outcomes, a person's decisions)
with random lines among them, then duplicated, reordered (as a merge that kept both sides would) and
cut off. Whatever comes out, no follow-up that may have been delivered (`data`, `ambiguous` or `sent`
on a whole line) is ever due again, `send` attempts none of them, and no command prints a traceback.

The outbox: every sent .eml damaged, cut off, huge, nested thousands deep, dated out of range, or
swapped for a link (out of the project, to /dev/zero, dangling), a FIFO, a directory or a socket.
No command hangs or prints a traceback, and nothing outside the project reaches the site.

Seeded: a failure names its seed and round, and `SEED` reproduces it.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from amends.followups import ledger, mail
from amends.followups.review import review

from conftest import REPO

SEED = 21
LEDGER_ROUNDS = 40     # in process, through review.review
CLI_EVERY = 10         # every 10th ledger round also goes through build.py
OUTBOX_ROUNDS = 4      # each a build and a check of a damaged outbox folder
TIMEOUT = 60           # a command still running by then hangs
CUSTOMERS = 10
NOW = "2026-11-19T12:00"  # Thursday: the follow-up of a case resolved on Monday 16 Nov is due at 09:00
ZONE = ZoneInfo("Europe/Berlin")
TRANSPORTS = ("smtp", "outbox")
SECRET = "SECRET-OUTSIDE-THE-PROJECT"

CASE = """\
---
title: Order {n} went wrong
customer:
  name: Customer {n}
  email: {email}
channel: email
opened: 2026-11-12
resolved: 2026-11-16
status: resolved
severity: low
fault: ours
about: the order for the office breakfast
what_went_wrong: The order was put on the wrong van, so it reached you two hours late.
how_resolved: We brought a fresh order and refunded the delivery fee.
prevention: Each van now has its own list, checked before it leaves.
---
Order {n} arrived late.
"""


def cli(root: Path, *words: str) -> subprocess.CompletedProcess:
    """build.py in its own process, stopped by the timeout if it hangs."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), "--now", NOW, *words],
                          capture_output=True, text=True, timeout=TIMEOUT)


def no_traceback(result: subprocess.CompletedProcess, what: str) -> None:
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "Error:" not in out.replace("error:", ""), f"{what}\n{out[-3000:]}"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A project of CUSTOMERS cases whose follow-up is due at NOW, one customer each (some with umlaut domains)."""
    root = tmp_path_factory.mktemp("base")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    (root / "cases").mkdir()
    for n in range(CUSTOMERS):
        email = f"kunde{n}@müller{n}.example" if n % 3 == 0 else f"customer{n}@example.com"
        (root / "cases" / f"2026-11-12-order-{n}.md").write_text(CASE.format(n=n, email=email), encoding="utf-8")
    return root


def copy(base: Path, root: Path) -> None:
    """The base project's settings, templates and cases: none of what a command wrote there."""
    for folder in ("templates", "cases"):
        shutil.copytree(base / folder, root / folder)
    shutil.copy(base / "amends.yaml", root / "amends.yaml")


def email_keys(root: Path) -> dict[str, str]:
    """The key of every email follow-up, with the address it goes to."""
    state = review(root, datetime.fromisoformat(NOW).replace(tzinfo=ZONE), "outbox")
    return {p.followup.key: p.followup.case.customer.email for p in state.prepared if not p.followup.is_task}


def test_the_base_project_has_follow_ups_due(base):
    """Without a ledger, every customer's follow-up is due: the fuzz below can only fail if it is."""
    state = review(base, datetime.fromisoformat(NOW).replace(tzinfo=ZONE), "outbox")
    due = [p for p in state.prepared if p.followup.state == "due" and not p.followup.is_task]
    assert len(due) == CUSTOMERS


# --- the ledger ---------------------------------------------------------------------------------------------


def story(rng: random.Random, key: str, to: str, start: datetime) -> list[dict]:
    """What the sender and a person could have written for one key: tries, each cut off by a kill at any
    step or ended by an outcome, and now and then an approval, a release or a done."""
    events, moment = [], start
    local, domain = to.split("@")
    details = {"opened": "2026-11-12", "to": rng.choice((to, to.upper(), f"{local}@{domain.encode('idna').decode()}"))}
    for n in range(1, rng.randint(1, 4) + 1):
        moment += timedelta(minutes=rng.randint(1, 300))
        transport = rng.choice(TRANSPORTS)
        mine = {**details, "transport": transport, "msgid": f"<amends.{rng.getrandbits(64):x}@example.com>",
                "sha256": f"{rng.getrandbits(256):064x}"}
        if rng.random() < 0.15:
            events.append(ledger.event(key, "approved", moment, sha256=mine["sha256"]))
        events.append(ledger.event(key, "attempt", moment, n=n, **mine))
        steps = rng.choice((["data", "sent"], ["data", "ambiguous"], ["tempfail"], ["permfail"], ["data"], [],
                            ["data", "tempfail"], ["data", "permfail"], ["sent"]))
        for ev in steps:
            extra = {"code": rng.choice((250, 421, 451, 550))} if ev != "data" and rng.random() < 0.5 else {}
            events.append(ledger.event(key, ev, moment, **mine, **extra))
        if rng.random() < 0.1:
            moment += timedelta(minutes=rng.randint(1, 60))
            events.append(ledger.event(key, rng.choice(("released", "done")), moment))
    return events


JUNK = ('{"ev": "sent"}', "[1, 2]", '"sent"', "null", "{}", "\x00\x01", "not json at all", '{"ev": "attempt", "key": 7}',
        '{"ev": "teleported", "key": "%s", "ts": "2026-11-19T10:00:00+01:00"}',
        '{"ev": "sent", "key": "%s", "ts": "yesterday", "transport": "smtp"}',
        '{"ev": "sent", "key": "%s", "ts": "2026-11-19T10:00:00", "transport": "smtp"}',
        '{"ev": "sent", "key": "%s", "ts": "2026-11-19T10:00:00+01:00"}',
        '{"ev": "sent", "key": "%s", "ts": "2026-11-19T10:00:00+01:00", "transport": "smtp", "to": ["a@b.c"]}',
        '{"ev": "approved", "key": "%s", "ts": "2026-11-19T10:00:00+01:00"}',
        '{"ev": "attempt", "key": "%s", "ts": "9999-12-31T23:59:59+14:00", "transport": "smtp", "n": -1}',
        '{"ev": "done", "key": "%s", "ts": "0001-01-01T00:00:00-12:00"}',
        "<<<<<<< HEAD", "=======", ">>>>>>> theirs", "||||||| base")


def fuzz_ledger(rng: random.Random, keys: dict[str, str]) -> tuple[bytes, dict[str, set[str]], set[str]]:
    """A damaged ledger; for each key the events on its whole lines, as (ev, transport, msgid); the keys a person released."""
    start = datetime(2026, 11, 19, 9, 0, tzinfo=ZONE)
    events = [e for key in rng.sample(sorted(keys), rng.randint(1, len(keys)))
              for e in story(rng, key, keys[key], start)]
    released = {e["key"] for e in events if e["ev"] == "released"}
    lines = [json.dumps(e, ensure_ascii=rng.random() < 0.5, sort_keys=True) for e in events]
    # A merge that kept both sides: two runs of lines, interleaved or one pasted after the other.
    if rng.random() < 0.5 and len(lines) > 2:
        cut = rng.randrange(1, len(lines))
        ours, theirs = lines[:cut], lines[cut:]
        lines = theirs + ours if rng.random() < 0.5 else [x for pair in zip(theirs, ours) for x in pair] + \
            ours[len(theirs):] + theirs[len(ours):]
    for _ in range(rng.randint(0, 6)):
        change, i = rng.randrange(6), rng.randrange(len(lines))
        if change == 0:
            lines.insert(rng.randrange(len(lines) + 1), lines[i])                  # a duplicate, anywhere
        elif change == 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]                                # two lines swapped
        elif change == 2:
            lines[i] = lines[i][:rng.randrange(len(lines[i]) or 1)]                   # cut off
        elif change == 3:
            junk = rng.choice(JUNK)
            lines.insert(i, junk % rng.choice(sorted(keys)) if "%s" in junk else junk)
        elif change == 4:
            lines.insert(i, "")
        else:
            lines[i] = lines[i].replace(" ", "\t", 1)                              # still JSON
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        data = data[:rng.randrange(len(data) + 1)]                                 # a torn last write
    if rng.random() < 0.1:
        data = data.replace(b"\n", b"\r\n")
    if rng.random() < 0.1:
        data += b"\n\xff\xfe broken bytes\n"
    whole: dict[str, set[tuple[str, str, str]]] = {}
    for line in data.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event in events:
            whole.setdefault(event["key"], set()).add((event["ev"], event.get("transport"), event.get("msgid")))
    return data, whole, released


def delivered(seen: set[tuple[str, str, str]], transport: str) -> bool:
    """Whether these events say the message may have reached the customer, for a pass by `transport`:
    a handover the server never answered with a refusal of that message, or a send (a message only
    written to the outbox folder was not emailed: an SMTP pass still sends it)."""
    refused = {msgid for ev, _, msgid in seen if ev in ("tempfail", "permfail")}
    return any((ev in ("data", "ambiguous") and msgid not in refused)
               or (ev == "sent" and (t == "smtp" or transport == "outbox")) for ev, t, msgid in seen)


def attempts(data: bytes) -> list[str]:
    """The key of every `attempt` on a whole line."""
    out = []
    for line in data.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("ev") == "attempt" and isinstance(event.get("key"), str):
            out.append(event["key"])
    return out


def test_fuzzed_ledgers_never_make_a_delivered_message_due(base, tmp_path):
    rng = random.Random(SEED)
    keys = {k: to for k, to in email_keys(base).items() if k.split("/")[1] == "followup"}
    now = datetime.fromisoformat(NOW).replace(tzinfo=ZONE)
    checked = 0
    for n in range(LEDGER_ROUNDS):
        root = tmp_path / f"r{n}"
        copy(base, root)
        data, whole, released = fuzz_ledger(rng, keys)
        (root / "outbox").mkdir()
        (root / "outbox" / "ledger.jsonl").write_bytes(data)
        where = f"seed {SEED}, round {n}: {root / 'outbox' / 'ledger.jsonl'}"
        for transport in TRANSPORTS:
            state = review(root, now, transport)
            for item in state.prepared:
                f = item.followup
                if f.key in whole and f.key not in released and delivered(whole[f.key], transport):
                    assert f.state != "due", f"{where}: {f.key} is due again by {transport} ({f.reason})"
                    checked += 1
        if n % CLI_EVERY == 0:
            for words in (["check"], ["followups", "--all"], ["send"], ["build"]):
                result = cli(root, *words)
                no_traceback(result, f"{where}: {' '.join(words)}")
                assert result.returncode in (0, 1, 2), f"{where}: {words}\n{result.stderr[-3000:]}"
            assert (root / "site" / "index.html").exists(), where
            after = (root / "outbox" / "ledger.jsonl").read_bytes()
            again = [k for k in attempts(after[len(data):]) if k in whole and k not in released
                     and delivered(whole[k], "outbox")]
            assert again == [], f"{where}: send tried again what may have been delivered"
            shutil.rmtree(root)
    print(f"\nfuzz: {LEDGER_ROUNDS} ledgers, {checked} follow-ups that may have been delivered, none due again")
    assert checked > LEDGER_ROUNDS


# --- the outbox folder --------------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    head = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: deep\r\nDate: Thu, 19 Nov 2026 10:00:00 +0100\r\n"
    parts = [b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i)
             for i in range(depth)]
    return head + b"".join(parts) + b"Content-Type: text/plain\r\n\r\nbottom\r\n"


KINDS = ("flipped", "cut", "year 9999", "year of 20 digits", "nested", "huge", "sparse", "empty", "charset", "encoding",
         "long header", "link out", "link to /dev/zero", "dangling link", "link to a folder", "link inside", "fifo",
         "folder", "socket", "header bytes")


def damaged(rng: random.Random, kind: str, real: bytes, path: Path, outside: Path) -> None:
    """Swap the sent message at `path` for something of this kind: damaged, or not a file at all."""
    path.unlink()
    if kind == "flipped":
        data = bytearray(real)
        for _ in range(rng.randint(1, 50)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
    elif kind == "cut":
        path.write_bytes(real[:rng.randrange(len(real))])
    elif kind in ("year 9999", "year of 20 digits"):
        year = b"9999" if kind == "year 9999" else b"1" * 20
        path.write_bytes(real.replace(b"Date: ", b"Date: Fri, 31 Dec %s 23:59:59 -1200\r\nX-Old-Date: " % year, 1))
    elif kind == "nested":
        path.write_bytes(nested(rng.choice((1000, 3000))))
    elif kind == "huge":
        path.write_bytes(real + b"x" * (mail.MAX_SHOWN_BYTES + rng.randrange(1000)))
    elif kind == "sparse":  # 200 MB on paper, none on disk
        path.write_bytes(real)
        os.truncate(path, 200 * 1024 * 1024)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "charset":
        path.write_bytes(real.replace(b"charset=\"utf-8\"", b"charset=\"x-no-such\"").replace(b"charset=utf-8",
                                                                                               b"charset=x-no-such"))
    elif kind == "encoding":
        path.write_bytes(real.replace(b"Content-Transfer-Encoding: ", b"Content-Transfer-Encoding: x-rot13\r\nX: "))
    elif kind == "header bytes":  # not UTF-8, where the email package keeps them as surrogates
        head, _, body = real.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        for i in (rng.randrange(len(lines)), next(i for i, line in enumerate(lines) if line.startswith(b"Date:"))):
            half = len(lines[i]) // 2
            lines[i] = lines[i][:half] + bytes(rng.randrange(128, 256) for _ in range(3)) + lines[i][half:]
        path.write_bytes(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    elif kind == "long header":
        path.write_bytes(b"Subject: " + b"a" * 200_000 + b"\r\n" + real)
    elif kind == "link out":
        path.symlink_to(outside)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "dangling link":
        path.symlink_to(path.parent / "gone.eml")
    elif kind == "link to a folder":
        path.symlink_to(outside.parent)
    elif kind == "link inside":
        path.symlink_to(path.parent.parent.parent / "amends.yaml")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
        (path / "inner.eml").write_bytes(real)
    else:  # bound where its name fits a socket's, then moved
        short = Path(tempfile.mkdtemp(dir="/tmp")) / "s"
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(short))
        os.replace(short, path)
        short.parent.rmdir()


def test_a_damaged_outbox_folder_never_hangs_crashes_or_leaks(base, tmp_path):
    rng = random.Random(SEED)
    outside = tmp_path / "private" / "id_rsa"
    outside.parent.mkdir()
    outside.write_text(f"-----BEGIN KEY-----\n{SECRET}\n")
    sent = tmp_path / "sent"
    copy(base, sent)
    result = cli(sent, "send")
    assert result.returncode in (0, 1), result.stderr
    emls = sorted((sent / "outbox" / "messages").glob("*.eml"))
    assert len(emls) == CUSTOMERS
    # Every kind of damage at least twice, on messages picked at random.
    kinds = [KINDS[i % len(KINDS)] for i in range(OUTBOX_ROUNDS * CUSTOMERS)]
    rng.shuffle(kinds)
    for n in range(OUTBOX_ROUNDS):
        root = tmp_path / f"r{n}"
        shutil.copytree(sent, root, symlinks=True)
        for eml in sorted((root / "outbox" / "messages").glob("*.eml")):
            damaged(rng, kinds.pop(), eml.read_bytes(), eml, outside)
        (root / "outbox" / "messages" / "odd \u202e name\n.eml").write_bytes(b"\xff\xfe")
        where = f"seed {SEED}, round {n}: {root}"
        for words in (["build"], ["check"], ["followups", "--all"]):
            result = cli(root, *words)
            no_traceback(result, f"{where}: {' '.join(words)}")
            assert result.returncode in (0, 1), f"{where}: {words}\n{result.stderr[-3000:]}"
        assert (root / "site" / "index.html").exists(), where
        site = b"".join(p.read_bytes() for p in (root / "site").rglob("*") if p.is_file() and not p.is_symlink())
        assert SECRET.encode() not in site, where
        assert not [p for p in (root / "site").rglob("*") if p.is_symlink()], where
        shutil.rmtree(root)
    print(f"\nfuzz: {OUTBOX_ROUNDS} outbox folders of {CUSTOMERS} damaged messages each")


def test_a_sent_message_with_bytes_that_are_not_utf8_in_its_date_gets_its_page(tmp_path):
    """Found by bench/replay.py: the email package keeps such bytes of a header as surrogates, which
    no page can be written with; the page shows them as U+FFFD and the build goes on."""
    for folder in ("templates", "cases", "outbox"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    shutil.copy(REPO / "amends.yaml", tmp_path / "amends.yaml")
    eml = tmp_path / "outbox" / "messages" / "2026-11-09-hair-in-croissant--followup--2026-11-14.eml"
    eml.write_bytes(eml.read_bytes().replace(b"Date: ", b"Date: Wed, 18 Novj2026 09:05:00 \xa80100\r\nX-Date: ", 1))
    built = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(tmp_path), "--today", "2026-11-22"],
                           capture_output=True, text=True, timeout=TIMEOUT)
    assert built.returncode == 0, built.stderr[-3000:]
    page = tmp_path / "site" / "messages" / eml.name.replace(".eml", ".html")
    assert "\ufffd" in page.read_text(encoding="utf-8")
