"""The ledger: an append-only JSON-lines record of every follow-up event.

It is the only state amends keeps about sending. Each event is flushed and
fsync'd before the next step, so a crash at any moment leaves on disk what had
happened up to then; a torn last line (power cut mid-write) is skipped and
reported, never guessed at.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .model import Problem

VERSION = 1


def key_for(case_id: str, kind: str, resolved) -> str:
    """One follow-up of one resolution: a reopened and re-resolved case gets a fresh key."""
    return f"{case_id}/{kind}/{resolved.isoformat()}"


@dataclass
class History:
    """Every event recorded for one key, oldest first."""

    events: list[dict] = field(default_factory=list)

    def sent_by(self, transport: str) -> dict | None:
        return next((e for e in reversed(self.events) if e["ev"] == "sent" and e.get("transport") == transport), None)

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


def read(path: Path) -> tuple[list[dict], list[Problem]]:
    """All events in the ledger, and a problem for each line that cannot be read."""
    if not path.exists():
        return [], []
    events, problems = [], []
    name = f"{path.parent.name}/{path.name}"
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                if not isinstance(event, dict) or "key" not in event or "ev" not in event:
                    raise ValueError("not a ledger event")
            except ValueError:
                problems.append(Problem(name, number, "unreadable ledger line (cut off by a crash?); it was skipped"))
                continue
            events.append(event)
    return events, problems


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
