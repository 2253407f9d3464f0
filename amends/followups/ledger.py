"""The ledger: an append-only JSON-lines record of every follow-up event.

It is the only state amends keeps about sending. Each event is flushed and
fsync'd before the next step, so a crash at any moment leaves on disk what had
happened up to then. A line that cannot be trusted (torn by a power cut, edited
by hand, a git merge conflict) is reported with its line number, never guessed
at: the sender refuses to run until a person has fixed it.
"""
from __future__ import annotations

import fcntl
import functools
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from amends.incremental.files import name_error
from amends.model import Problem

VERSION = 1
NAME = "outbox/ledger.jsonl"
# Every event amends writes; anything else was typed or merged in by hand.
EVENTS = ("attempt", "data", "sent", "tempfail", "permfail", "ambiguous", "approved", "released", "done")
_KEY = re.compile(r"[^/\s]+/[^/\s]+/\d{4}-\d{2}-\d{2}")
# The key of a line that is not JSON any more, e.g. one cut off after its "key" (keys are sorted: ev, key, …).
_KEY_IN_TEXT = re.compile(r'"key":\s*("(?:[^"\\]|\\.)*")')
_CONFLICT = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")
TRANSPORTS = ("smtp", "outbox")
# The events that write down a try at delivery: each says which transport made it.
DELIVERY = ("attempt", "data", "sent", "tempfail", "permfail", "ambiguous")
# A person's decision about what happened before it.
ANSWERS = ("released", "done")
# What a later try says of an earlier handover: this one did not arrive (the server answered, refusing it).
_REFUSED = ("tempfail", "permfail")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def key_for(case_id: str, kind: str, resolved) -> str:
    """One follow-up of one resolution: a reopened and re-resolved case gets a fresh key."""
    return f"{case_id}/{kind}/{resolved.isoformat()}"


# Every case's address is asked for on each review: the cache holds as many as a big casebook has.
@functools.lru_cache(maxsize=200_000)
def address_key(address: str) -> str:
    """The one form of an address in which two spellings of it compare equal.

    The domain in ASCII (IDNA), as amends sends to it and records it in `to`, so that
    zoe@müller.example in a case file is zoe@xn--mller-kva.example in the ledger; the local
    part casefolded when it is ASCII. A non-ASCII local part is kept as written (in NFC):
    casefolding it could make two mailboxes one (straße, strasse).
    """
    try:
        found = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address.strip().casefold()
    local = found.local_part
    return f"{local.casefold() if local.isascii() else local}@{found.ascii_domain}"


@dataclass
class History:
    """Every event recorded for one key, in the ledger's order."""

    events: list[dict] = field(default_factory=list)

    def sent_by(self, transport: str) -> dict | None:
        return next((e for e in reversed(self.events) if e["ev"] == "sent" and e.get("transport") == transport), None)

    def delivered(self, transport: str) -> dict | None:
        """The send that counts for a pass by `transport`: SMTP always, the outbox only for the outbox."""
        return self.sent_by("smtp") or (self.sent_by("outbox") if transport == "outbox" else None)

    @property
    def last(self) -> dict | None:
        """The event that decides what comes next (approvals never do), whatever the order of the lines.

        A person's last decision (`released`, `done`) answers what happened before it. Of what
        happened since (a line after it, or one stamped later), a handover the server never answered
        (`data`, `ambiguous`) may have arrived and decides first: no later `attempt` or `tempfail`,
        a merged or pasted line, makes it sendable again. Then (unless the decision was `done`) a
        refusal for good, a refusal for now, a send, a bare attempt; with none of these, the decision itself.
        """
        delivery = [i for i, e in enumerate(self.events) if e["ev"] != "approved"]
        if not delivery:
            return None
        answers = [i for i in delivery if self.events[i]["ev"] in ANSWERS]
        answer = self.events[answers[-1]] if answers else None
        since = [self.events[i] for i in delivery if self.events[i]["ev"] not in ANSWERS
                 and (answer is None or i > answers[-1] or _moment(self.events[i]) > _moment(answer))]
        refused = {e.get("msgid") for e in since if e["ev"] in _REFUSED and e.get("msgid")}
        # After `done` nothing is tried again: only a handover that may have arrived says more.
        order = [("data", "ambiguous")] if answer and answer["ev"] == "done" else \
            [("data", "ambiguous"), ("permfail",), ("tempfail",), ("sent",), ("attempt",)]
        for wanted in order:
            found = [e for e in since if e["ev"] in wanted and not (e["ev"] in ("data", "ambiguous")
                                                                      and e.get("msgid") in refused)]
            if found:
                return max(found, key=_moment)
        return answer

    @property
    def approved(self) -> str | None:
        """The digest of the text a person approved, if any."""
        return next((e["sha256"] for e in reversed(self.events) if e["ev"] == "approved"), None)

    def count(self, event: str) -> int:
        return sum(e["ev"] == event for e in self.events)


@dataclass
class Ledger:
    """What the ledger holds, and what in it cannot be trusted."""

    events: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The keys named on a bad line: what was sent for them is not known for sure.
    doubtful: dict[str, Problem] = field(default_factory=dict)
    # Lines out of turn (a copy of an earlier one, a merge in the other order): worth a look, stop nothing.
    warnings: list[Problem] = field(default_factory=list)


def read(path: Path) -> Ledger:
    """Every event in the ledger, and a problem for each line that cannot be trusted."""
    out = Ledger()
    if not path.exists():
        return out
    conflict: Problem | None = None  # the marker that opened a git merge conflict still open
    order = _Order()
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            if line.startswith(_CONFLICT):
                problem = Problem(NAME, number, "a git merge conflict marker: the ledger only grows, so keep the "
                                                "lines of both sides and delete the marker lines")
                out.problems.append(problem)
                conflict = None if line.startswith(b">>>>>>>") else (conflict or problem)
                continue
            event, error, key = _parse(line)
            if error:
                problem = Problem(NAME, number, error)
                out.problems.append(problem)
                if key:
                    out.doubtful.setdefault(key, problem)
                continue
            if conflict:
                out.doubtful.setdefault(event["key"], conflict)
            doubt, again = order.see(number, event)
            if doubt:
                out.warnings.append(Problem(NAME, number, doubt, warning=True))
            if not again:
                out.events.append(event)
    return out


# The steps of one message, in the order they happen; its outcomes all come last.
_STEP = {"attempt": 0, "data": 1, "sent": 2, "tempfail": 2, "permfail": 2, "ambiguous": 2}


class _Order:
    """What a line says out of turn: a copy of an earlier line, or one that cannot have come after them.

    Told as a warning, not a problem: what is due is decided by what happened (History.last),
    whatever the order of the lines, so nothing hangs on it; but a person should know that
    a merge or a paste has put the ledger out of order.
    """

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}                      # each line's event, as sorted JSON -> its line
        self.latest: dict[str, tuple[datetime, int]] = {}   # key -> its latest time so far, and that line
        self.steps: dict[tuple[str, str], tuple[int, int, str]] = {}  # (key, msgid) -> step, line, event
        self.open: dict[str, tuple[int, str | None]] = {}   # key -> a handover not answered: line, msgid

    def see(self, number: int, event: dict) -> tuple[str | None, bool]:
        """What is out of turn about this line, if anything; and whether it only repeats an earlier one."""
        text = json.dumps(event, sort_keys=True)
        if text in self.seen:
            return f"the same event as line {self.seen[text]} (a merge kept it twice?); it counts once", True
        self.seen[text] = number
        return self._out_of_turn(number, event), False

    def _out_of_turn(self, number: int, event: dict) -> str | None:
        key, ev, moment = event["key"], event["ev"], _moment(event)
        latest, msgid = self.latest.get(key), event.get("msgid")
        if latest is None or moment >= latest[0]:
            self.latest[key] = moment, number
        step = self.steps.get((key, msgid)) if msgid and ev in _STEP else None
        if msgid and ev in _STEP and (step is None or _STEP[ev] >= step[0]):
            self.steps[key, msgid] = _STEP[ev], number, ev
        handover = self.open.get(key)
        if ev in ("data", "ambiguous"):
            self.open[key] = number, msgid
        elif ev in ("sent", *ANSWERS) or (ev in _REFUSED and handover and msgid and msgid == handover[1]):
            self.open.pop(key, None)
        if latest and moment < latest[0]:
            return (f"stamped {event['ts']}, before line {latest[1]} of the same follow-up: lines out of order "
                    "(a merge or a paste), or the clock went back; amends goes by what happened, not by the line order")
        if step and _STEP[ev] < step[0]:
            return (f"{'an' if ev == 'attempt' else 'a'} {ev} after the {step[2]} of the same message on line "
                    f"{step[1]}: lines out of order (a merge or a paste?)")
        if ev in ("attempt", "tempfail") and handover and not (ev in _REFUSED and msgid and msgid == handover[1]):
            return (f"{'an' if ev == 'attempt' else 'a'} {ev} after line {handover[0]}, where the message may have "
                    "arrived, with no release or done between: lines out of order (a merge or a paste?); amends still "
                    "counts it as may have arrived")
        return None


def _parse(line: bytes) -> tuple[dict | None, str | None, str | None]:
    """One line as an event, or what is wrong with it and the key it names (if that can be read)."""
    try:
        event = json.loads(line)
    except ValueError:
        found = _KEY_IN_TEXT.search(line.decode("utf-8", "replace"))
        try:
            key = json.loads(found.group(1)) if found else None
        except ValueError:
            key = None
        return None, "not a JSON line (cut off by a crash, or edited by hand?); fix or remove it", key
    if not isinstance(event, dict):
        return None, "not a ledger event (a JSON object on one line)", None
    key = event.get("key") if isinstance(event.get("key"), str) else None
    if key is None or not _KEY.fullmatch(key) or not _real_day(key.rsplit("/", 1)[1]):
        return None, f"'key' should be CASE/KIND/RESOLVED-DATE, not {json.dumps(event.get('key'))}", None
    if event.get("ev") not in EVENTS:
        return None, f"unknown event {json.dumps(event.get('ev'))}; known: {', '.join(EVENTS)}", key
    ts = event.get("ts")
    try:
        moment = datetime.fromisoformat(ts) if isinstance(ts, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        what = "is missing" if ts is None else f"{json.dumps(ts)} is not a date and time with a UTC offset"
        return None, f"'ts' {what}", key
    error = _fields(event)
    return (None, error, key) if error else (event, None, key)


def _fields(event: dict) -> str | None:
    """What is wrong with the fields that amends reads from an event of its kind, if anything."""
    ev = event["ev"]
    if ev in DELIVERY and event.get("transport") not in TRANSPORTS:
        what = ("is missing" if "transport" not in event
                else f"should be {' or '.join(TRANSPORTS)}, not {json.dumps(event['transport'])}")
        return f"'transport' of the {ev} event {what}"
    if ev == "approved" and not (isinstance(event.get("sha256"), str) and _SHA256.fullmatch(event["sha256"])):
        what = "is missing" if "sha256" not in event else f"should be 64 hex digits, not {json.dumps(event['sha256'])}"
        return f"'sha256' of an approval {what}"
    for name in ("to", "msgid", "reply"):
        if name in event and not isinstance(event[name], str):
            return f"'{name}' should be text, not {json.dumps(event[name])}"
    for name in ("code", "n"):
        if name in event and (type(event[name]) is not int or event[name] < 0):
            return f"'{name}' should be a whole number, not {json.dumps(event[name])}"
    if "opened" in event and not (isinstance(event["opened"], str) and _real_day(event["opened"])):
        return f"'opened' should be a date like 2026-03-02, not {json.dumps(event['opened'])}"
    return None


def _moment(event: dict) -> datetime:
    return datetime.fromisoformat(event["ts"])


def _real_day(text: str) -> bool:
    """Whether an ISO date is a day of the calendar (2026-11-31 is not)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def histories(events: list[dict]) -> dict[str, History]:
    """Group events by key, keeping their order."""
    out: dict[str, History] = defaultdict(History)
    for event in events:
        out[event["key"]].events.append(event)
    return dict(out)


def event(key: str, ev: str, now: datetime, **details) -> dict:
    """A ledger event; details with no value are left out."""
    return {"v": VERSION, "ts": now.isoformat(timespec="seconds"), "key": key, "ev": ev,
            **{k: v for k, v in details.items() if v is not None}}


def append(path: Path, entry: dict) -> None:
    """Append one event and make it durable before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
    try:
        with path.open("ab") as f:
            # After a torn write, start on a fresh line rather than extend the broken one.
            if f.tell() > 0:
                with path.open("rb") as tail:
                    tail.seek(-1, os.SEEK_END)
                    if tail.read(1) != b"\n":
                        line = "\n" + line
            f.write(line.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as error:
        name_error(error, path)
        raise


class Busy(Exception):
    """Another process holds the send lock."""


@contextmanager
def lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for a whole pass; the OS drops it if the holder dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another send is running (it holds {path.name})") from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


