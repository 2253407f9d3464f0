"""The ledger: an append-only JSON-lines record of every follow-up event.

It is the only state amends keeps about sending. Each event is flushed and
fsync'd before the next step, so a crash at any moment leaves on disk what had
happened up to then. A line that cannot be trusted (torn by a power cut, edited
by hand, a git merge conflict) is reported with its line number, never guessed
at: the sender refuses to run until a person has fixed it.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .model import Problem

VERSION = 1
NAME = "outbox/ledger.jsonl"
# Every event amends writes; anything else was typed or merged in by hand.
EVENTS = ("attempt", "data", "sent", "tempfail", "permfail", "ambiguous", "approved", "released", "done")
_KEY = re.compile(r"[^/\s]+/[^/\s]+/\d{4}-\d{2}-\d{2}")
# The key of a line that is not JSON any more, e.g. one cut off after its "key" (keys are sorted: ev, key, …).
_KEY_IN_TEXT = re.compile(r'"key":\s*("(?:[^"\\]|\\.)*")')
_CONFLICT = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")


def key_for(case_id: str, kind: str, resolved) -> str:
    """One follow-up of one resolution: a reopened and re-resolved case gets a fresh key."""
    return f"{case_id}/{kind}/{resolved.isoformat()}"


@dataclass
class History:
    """Every event recorded for one key, oldest first."""

    events: list[dict] = field(default_factory=list)

    def sent_by(self, transport: str) -> dict | None:
        return next((e for e in reversed(self.events) if e["ev"] == "sent" and e.get("transport") == transport), None)

    def delivered(self, transport: str) -> dict | None:
        """The send that counts for a pass by `transport`: SMTP always, the outbox only for the outbox."""
        return self.sent_by("smtp") or (self.sent_by("outbox") if transport == "outbox" else None)

    @property
    def last(self) -> dict | None:
        """The last event about delivery (approvals are not)."""
        return next((e for e in reversed(self.events) if e["ev"] != "approved"), None)

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


def read(path: Path) -> Ledger:
    """Every event in the ledger, and a problem for each line that cannot be trusted."""
    out = Ledger()
    if not path.exists():
        return out
    conflict: Problem | None = None  # the marker that opened a git merge conflict still open
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
            out.events.append(event)
    return out


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
    return event, None, key


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


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a file so that it is either whole or absent; `durable` also makes it survive a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if not durable:
        return
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
