"""The business's mailbox, read and never changed: each new message is kept whole in outbox/inbox/ and
recorded on a line of outbox/inbox.jsonl, which only grows, like the ledger.

A message is recorded after its copy is on disk, so a run cut short at any moment reads it again next
time, and records it once: its line names its Message-ID, and a message whose Message-ID is recorded
is never read again. Nothing is deleted, moved or marked as read in the mailbox.
"""
from __future__ import annotations

import hashlib
import json
import mailbox
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol

from amends.cases.config import CONFIG_NAME, Imap as ImapSettings, Inbox
from amends.followups import incoming, ledger
from amends.followups.transports import stored_password
from amends.incremental.files import write_atomic
from amends.model import Problem

NAME = "outbox/inbox.jsonl"
KEPT = "outbox/inbox"
# Held for a whole reading: two at once could each record a message the other has not yet.
LOCK = "outbox/inbox.lock"
VERSION = 1
# The first bytes of a message read to learn its Message-ID, before deciding to read the rest.
HEAD_BYTES = 64 * 1024


class Source(Protocol):
    """Where messages come from: each as (its Message-ID, if known without reading it; how to read it)."""

    name: str

    def messages(self) -> Iterator[tuple[str, Callable[[], bytes]]]: ...


@dataclass
class Memory:
    """Messages held in memory, for tests."""

    items: list[bytes] = field(default_factory=list)
    name: str = "memory"

    def messages(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        for data in self.items:
            yield incoming.read(data).message_id, lambda data=data: data


@dataclass
class Maildir:
    """A local Maildir (new/ and cur/), read with the standard library; flags and places are left as they are."""

    path: Path
    name: str = "maildir"

    def messages(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        box = mailbox.Maildir(self.path, create=False)
        for key in sorted(box.iterkeys()):
            try:
                with box.get_file(key) as f:
                    head = f.read(HEAD_BYTES)
            except (FileNotFoundError, KeyError):  # taken by the mail client meanwhile: the next run sees it
                continue
            headers = BytesHeaderParser().parsebytes(head)
            found = incoming.message_ids(str(headers.get("Message-ID", "")))
            yield (found[0] if found else ""), lambda key=key: box.get_bytes(key)


IMAP_PASSWORD = "AMENDS_IMAP_PASSWORD"
IMAP_KEYRING = "amends-imap"
IMAP_PORTS = {"tls": 993, "starttls": 143, "none": 143}
# Message-IDs are asked for this many messages at a time: a mailbox of any size is read in bounded memory.
IMAP_CHUNK = 200


@dataclass
class Imap:
    """An IMAP folder, selected read-only (EXAMINE) and read with BODY.PEEK: no flag is set, nothing moved.

    TLS certificates are verified (the system's store, or SSL_CERT_FILE). Each message is fetched only
    when it is not recorded yet, one at a time, so a connection dropped halfway loses nothing: what
    was recorded stays, and the next run goes on from there.
    """

    settings: ImapSettings
    password: str
    name: str = "imap"

    def messages(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted  # only a run that reads IMAP loads it

        s = self.settings
        port = s.port or IMAP_PORTS[s.security]
        where = f"{s.host}:{port}"
        # Connects: a server that cannot be reached, or whose certificate fails, is an OSError of its own.
        box = (MailBox(s.host, port, s.timeout, ssl_context=ssl.create_default_context()) if s.security == "tls" else
               MailBoxStartTls(s.host, port, s.timeout, ssl_context=ssl.create_default_context()) if s.security == "starttls"
               else MailBoxUnencrypted(s.host, port, s.timeout))
        try:
            with _plainly(where):
                box.login(s.user, self.password, initial_folder=None)
                box.folder.set(s.folder, readonly=True)
                uids = box.uids("ALL")
            for start in range(0, len(uids), IMAP_CHUNK):
                chunk = uids[start:start + IMAP_CHUNK]
                with _plainly(where):
                    ids = {m.uid: m.headers.get("message-id", ("",))[0]
                           for m in box.fetch(AND(uid=chunk), mark_seen=False, headers_only=True, bulk=True)}
                for uid in chunk:
                    found = incoming.message_ids(ids.get(uid, ""))
                    yield (found[0] if found else ""), lambda uid=uid: _fetch(box, uid, where)
        finally:
            _close(box)


def _fetch(box, uid: str, where: str) -> bytes:
    """The whole message, as the server holds it; BODY.PEEK leaves it unread."""
    with _plainly(where):
        status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    parts = [item[1] for item in data if isinstance(item, tuple) and len(item) > 1] if status == "OK" else []
    if not parts:
        raise OSError(f"the IMAP server {where} did not give message {uid}")
    return parts[0]


@contextmanager
def _plainly(where: str) -> Iterator[None]:
    """IMAP's own errors, and a connection that breaks off, as an OSError of one line, which `inbox` reports
    as it does any mailbox it cannot read: imaplib and imap-tools raise errors of their own, not OSErrors."""
    import imaplib

    from imap_tools.errors import UnexpectedCommandStatusError

    try:
        yield
    except UnexpectedCommandStatusError as error:
        typ, data = error.command_result[0], error.command_result[1]
        said = " ".join(d.decode("utf-8", "replace") for d in data if isinstance(d, bytes))
        raise OSError(f"the IMAP server {where} answered {typ}: {said}") from error
    except (imaplib.IMAP4.abort, OSError) as error:
        raise OSError(f"the connection to the IMAP server {where} broke off ({error}); what was read before is "
                      f"recorded, and the next run reads the rest") from error
    except imaplib.IMAP4.error as error:
        raise OSError(f"the IMAP server {where} refused a command: {error}") from error


def _close(box) -> None:
    """Log out if the connection still holds, and close it either way. Nothing to say when that fails: the
    error that broke the connection is told already, and everything read is recorded."""
    import imaplib

    from imap_tools.errors import ImapToolsError

    try:
        box.logout()
    except (ImapToolsError, imaplib.IMAP4.error, OSError):
        with suppress(OSError):
            box.client.shutdown()


@dataclass
class Record:
    """What outbox/inbox.jsonl holds: each message read, and the lines that cannot be trusted."""

    messages: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {m["id"] for m in self.messages}


def read_record(root: Path) -> Record:
    """Every message recorded so far. A line that is not a record (cut short by a kill, edited by hand) is
    named with its line number and left out: its message is read again from the mailbox."""
    out, path = Record(), root / NAME
    if not path.exists():
        return out
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                entry = None
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or entry.get("v") != VERSION:
                out.problems.append(Problem(NAME, number, "not a record of a message read (cut short, or edited); "
                                                          "left out: its message is read again", warning=True))
                continue
            out.messages.append(entry)
    return out


def kept_name(message_id: str) -> str:
    """Where a message's copy is kept: named by a digest of its Message-ID, which may hold any character."""
    return f"{KEPT}/{hashlib.sha256(message_id.encode('utf-8')).hexdigest()[:32]}.eml"


def entry(found: incoming.Incoming, kept: str, now: datetime, source: str) -> dict:
    """The line recorded for a message: what it is, in plain JSON values."""
    values = asdict(found)
    values["date"] = found.date.isoformat() if found.date else None
    values["id"] = values.pop("message_id")
    return {"v": VERSION, "read": now.isoformat(timespec="seconds"), "source": source, "file": kept,
            **{k: v for k, v in values.items() if v not in (None, "", (), [])}}


@dataclass
class Pass:
    """What one reading of the mailbox did."""

    read: list[dict] = field(default_factory=list)
    skipped: int = 0        # already recorded
    problems: list[Problem] = field(default_factory=list)


def read_mailbox(root: Path, source: Source, now: datetime) -> Pass:
    """Record each message of `source` not recorded yet: its copy first, then its line."""
    done, out = read_record(root), Pass()
    out.problems += done.problems
    seen = done.ids
    for known, load in source.messages():
        if known and known in seen:
            out.skipped += 1
            continue
        data = load()
        try:
            found = incoming.read(data)
        except Exception as error:  # noqa: BLE001 - anyone's bytes: one the parser breaks on must not stop every run
            found = incoming.unreadable(data, error)
        if found.message_id in seen:
            out.skipped += 1
            continue
        kept = kept_name(found.message_id)
        write_atomic(root / kept, data)
        line = entry(found, kept, now, source.name)
        ledger.append(root / NAME, line)
        seen.add(found.message_id)
        out.read.append(line)
    return out


def source_for(inbox: Inbox, root: Path) -> Source | str:
    """The mailbox amends.yaml names, or why there is none to read."""
    if inbox.maildir:
        path = root / inbox.maildir
        if not ((path / "cur").is_dir() or (path / "new").is_dir()):
            return f"{CONFIG_NAME}: inbox: maildir: {path} is not a Maildir (it has no cur/ or new/ folder)"
        return Maildir(path)
    if inbox.imap:
        password = stored_password(inbox.imap.user, IMAP_PASSWORD, IMAP_KEYRING)
        if not inbox.imap.user or not password:
            return (f"{CONFIG_NAME}: inbox: imap: needs user: and a password: set {IMAP_PASSWORD} or store it with "
                    f"'keyring set {IMAP_KEYRING} {inbox.imap.user or 'USER'}'")
        return Imap(inbox.imap, password)
    return f"{CONFIG_NAME} names no mailbox to read: add inbox: with maildir: PATH (see the README's Inbox section)"
