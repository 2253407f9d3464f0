"""What a message in the business's mailbox is: a customer's reply, an answer to the check-in, a bounce,
or machine mail that must never speak for the customer. Pure: bytes in, an Incoming out.

Nothing here trusts the message. It is read with limits (size, parts), a header that cannot be
parsed counts as absent, and a message with no Message-ID is known by a digest of its bytes.
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import html
import itertools
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.feedparser import BytesFeedParser
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3
from flufl.bounce import all_failures
from mailparser_reply import EmailReplyParser

from amends.followups.ledger import address_key

# A message larger than this is not parsed beyond its headers; its record says why.
MAX_BYTES = 10 * 1024 * 1024
# A message of more parts than this is a MIME bomb, or nothing a customer wrote by hand.
MAX_PARTS = 200
# The languages whose quoting ("On Mon, … wrote:", "Am … schrieb …:") is stripped for display.
REPLY_LANGUAGES = ["en", "de"]
# What a case's token looks like in a subject: "[ref 3f9a0c21de]" (see messages.case_token).
TOKEN = re.compile(r"\[ref[ :#]*([0-9a-f]{10})\]", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")


def message_ids(header: str) -> list[str]:
    """The Message-IDs a header names ("<a@b>"), in order."""
    return _MSGID.findall(header)


# The Message-ID header of a message quoted in a bounce's text.
_QUOTED_ID = re.compile(r"^message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
# Senders that are machines by name: a reply to them reaches nobody.
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+.-].*)?$", re.IGNORECASE)
_MACHINE_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}

# flufl.bounce logs each detector it runs, and a traceback for each that fails on odd input (which only
# means the message is no bounce that detector knows); `inbox` logs at INFO, and an owner must see neither.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: which message did not arrive, and why in plain words."""

    original: str          # the Message-ID of the message that bounced, or "" when the report does not say
    recipient: str         # the address it was for, as the report gives it
    status: str            # "5.1.1"
    permanent: bool        # 5.x.x: it will not arrive; 4.x.x: it may yet
    words: str             # "the address does not exist"
    diagnostic: str        # what the receiving server said, as it said it


@dataclass(frozen=True)
class Incoming:
    message_id: str                 # "<…>", or "digest:<sha256>" when the message has none
    sender: str                     # the From address in address_key form, "" when unreadable
    sender_name: str
    subject: str
    date: datetime | None
    refers_to: tuple[str, ...]      # the Message-IDs of In-Reply-To and References, nearest first
    token: str                      # the case token in the subject, or ""
    automatic: str                  # why this is machine mail ("Auto-Submitted: auto-replied"), or ""
    bounce: Bounce | None
    words: str                      # the new words of the text part, quoted text stripped
    refused: str = ""               # why the message was not read beyond its headers, or ""


def read(data: bytes) -> Incoming:
    """The message in `data`, as far as it can be read safely."""
    if len(data) > MAX_BYTES:
        return _headers_only(data, f"it is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        msg = _parse(data)
    except _TooManyParts:
        return _headers_only(data, f"it has more than {MAX_PARTS} parts")
    parts = list(_walk(msg))
    machine = automatic(msg)
    bounce = _bounce(msg) or (_other_bounce(msg, data) if machine else None)
    sender, name = _sender(msg)
    subject = _header(msg, "Subject")
    return Incoming(
        message_id=_message_id(msg, data), sender=sender, sender_name=name, subject=subject, date=_date(msg),
        refers_to=_refers_to(msg), token=_token(subject), automatic="" if bounce else machine,
        bounce=bounce, words="" if bounce else new_words(_text(parts)),
    )


class _TooManyParts(Exception):
    pass


def _parse(data: bytes) -> Message:
    """The message, parsed until it has more than MAX_PARTS parts: a bomb of 200,000 empty parts in 6 MB
    would take over 100 MB parsed whole, and parts nested a few thousand deep exceed Python's recursion."""
    made = itertools.count()

    def part(policy=email.policy.compat32) -> Message:
        if next(made) > MAX_PARTS:  # the parser makes one message first, to try the factory
            raise _TooManyParts
        return Message(policy=policy)

    parser = BytesFeedParser(part, policy=email.policy.compat32)
    for start in range(0, len(data), 64 * 1024):
        parser.feed(data[start:start + 64 * 1024])
    return parser.close()


def unreadable(data: bytes, error: Exception) -> Incoming:
    """A message the parser broke on: known by its bytes alone, for a person to read from its kept copy."""
    return Incoming("digest:" + hashlib.sha256(data).hexdigest(), "", "", "", None, (), "", "", None, "",
                    refused=f"it could not be read ({type(error).__name__})")


def _headers_only(data: bytes, why: str) -> Incoming:
    msg = BytesHeaderParser(policy=email.policy.compat32).parsebytes(data[:256 * 1024])
    return Incoming(_message_id(msg, data), *_sender(msg), _header(msg, "Subject"), _date(msg), _refers_to(msg),
                    _token(_header(msg, "Subject")), automatic(msg), None, "", refused=why)


def _walk(msg: Message):
    """The parts of a message, stopping one past MAX_PARTS."""
    for n, part in enumerate(msg.walk()):
        yield part
        if n > MAX_PARTS:
            return


def _header(msg: Message, name: str) -> str:
    """A header as text, its encoded words decoded; "" when absent."""
    raw = msg.get(name)
    return "" if raw is None else _decoded(str(raw))


def _decoded(text: str) -> str:
    """Header text with its encoded words decoded, as written when they cannot be, on one line and with no
    control character: `inbox` prints it, and an encoded line break must not make a line of its own."""
    try:
        text = str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, email.errors.MessageError):  # a charset that is none: "utf-\xff8"
        pass
    return _without_controls(text)


def _message_id(msg: Message, data: bytes) -> str:
    found = _MSGID.findall(_header(msg, "Message-ID"))
    return found[0] if found else "digest:" + hashlib.sha256(data).hexdigest()


def _sender(msg: Message) -> tuple[str, str]:
    """The From address and name, or ("", "") unless the From is one address. The address is read before
    any encoded word is decoded, since RFC 2047 allows them in a name only: decoded first, the name of
    "=?utf-8?q?ann=40example.com=2C?= <eve@evil.example>" made ann@example.com the sender."""
    raw = msg.get("From")
    pairs = getaddresses([_without_controls(str(raw))]) if raw is not None else []
    if len(pairs) != 1 or "@" not in pairs[0][1]:  # "ann@example.com <eve@evil.example>" reads as two
        return "", ""
    name, addr = pairs[0]
    return address_key(addr), _decoded(name)


def _date(msg: Message) -> datetime | None:
    try:
        return parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError, OverflowError):  # "+99999999999999999999" overflows
        return None


def _refers_to(msg: Message) -> tuple[str, ...]:
    """In-Reply-To first, then References from the newest: the message answered is most likely first."""
    found = _MSGID.findall(_header(msg, "In-Reply-To")) + _MSGID.findall(_header(msg, "References"))[::-1]
    return tuple(dict.fromkeys(found))


def _token(subject: str) -> str:
    match = TOKEN.search(subject)
    return match.group(1).lower() if match else ""


def automatic(msg: Message) -> str:
    """Why the message was sent by a machine (RFC 3834 and the common conventions), or "" for a person's mail."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if msg.get(name) is not None and (name != "X-Auto-Response-Suppress" or "oof" in _header(msg, name).lower()):
            return f"{name}: {_header(msg, name)}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in _MACHINE_PRECEDENCE:
        return f"Precedence: {precedence}"
    if msg.get("List-Id") is not None:
        return "List-Id: mail from a mailing list"
    if _header(msg, "Return-Path").replace(" ", "") == "<>":
        return "a null return path: mail that must not be answered"
    sender = _sender(msg)[0]
    if sender and _NO_REPLY.match(sender.split("@")[0]):
        return f"the sender {sender} takes no replies"
    return ""


def _text(parts: list[Message]) -> str:
    """The first text/plain part that is not an attachment, decoded; else the first text/html one with
    every tag taken out (nh3, which also drops scripts and styles whole); "" when there is neither."""
    for kind in ("text/plain", "text/html"):
        for part in parts:
            if part.get_content_type() == kind and part.get_content_disposition() != "attachment":
                payload = part.get_payload(decode=True) or b""
                try:
                    text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
                except (LookupError, ValueError):  # no such charset, or a NUL in its name
                    text = payload.decode("utf-8", errors="replace")
                return _printable(text if kind == "text/plain" else _plain(text))
    return ""


def _printable(text: str) -> str:
    """Text without the control characters that would act on a terminal that `inbox` prints it to."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text.replace("\r\n", "\n").replace("\r", "\n"))


def _plain(markup: str) -> str:
    """The words of an HTML part: its blocks on lines of their own, no tag left."""
    spaced = re.sub(r"(?i)</(p|div|h[1-6]|blockquote|table|ul|ol)>", "\n\n", re.sub(r"(?i)<br\s*/?>|</(li|tr)>", "\n", markup))
    text = html.unescape(nh3.clean(spaced, tags=set(), clean_content_tags={"script", "style", "head", "title"}))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def new_words(text: str) -> str:
    """What the sender wrote themselves: the text without the quoted message and the signature."""
    if not text.strip():
        return ""
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=text)
    except Exception:  # a parser's failure on odd input must not lose the message: show it whole
        return text.strip()
    return (reply or text).strip()


# RFC 3463's subjects and details, in the words an owner reads on the site.
_STATUS_WORDS = {
    "1.1": "the address does not exist", "1.2": "the address's domain does not exist",
    "1.3": "the address is not valid", "1.6": "the mailbox has moved", "2.1": "the mailbox is disabled",
    "2.2": "the mailbox is full", "2.3": "the message is too large for the mailbox",
    "3.4": "the message is too large for the receiving server", "7.1": "the receiving server refused it",
}
_CLASS_WORDS = {"1": "the address was refused", "2": "the mailbox cannot take mail",
                "3": "the receiving mail system cannot take mail", "4": "the receiving server could not be reached",
                "5": "the mail system failed", "6": "the message's content was refused",
                "7": "the receiving server refused it"}


def status_words(status: str) -> str:
    """A DSN status in plain words: 5.1.1 → "the address does not exist"."""
    _, _, detail = status.partition(".")
    words = _STATUS_WORDS.get(detail) or _CLASS_WORDS.get(detail.partition(".")[0]) or "it could not be delivered"
    return words if status.startswith("5") else f"delivery is delayed ({words})"


def _bounce(msg: Message) -> Bounce | None:
    """The failure an RFC 3464 delivery status notification reports, or None for any other message."""
    if msg.get_content_type() != "multipart/report" or (msg.get_param("report-type") or "").lower() != "delivery-status":
        return None
    fields, original = [], ""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            fields = [block for block in part.get_payload() if isinstance(block, Message)]
        elif kind == "message/rfc822" and not original:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            original = _MSGID.findall(_header(inner, "Message-ID"))[0] if isinstance(inner, Message) and \
                _MSGID.findall(_header(inner, "Message-ID")) else ""
        elif kind == "text/rfc822-headers" and not original:
            headers = HeaderParser().parsestr(_text_of(part))
            found = _MSGID.findall(_header(headers, "Message-ID"))
            original = found[0] if found else ""
    # The per-recipient blocks follow the per-message one; the first that failed or is delayed tells.
    for block in fields[1:] or fields:
        action = _header(block, "Action").lower()
        status = re.search(r"[245]\.\d{1,3}\.\d{1,3}", _header(block, "Status"))
        if action in ("failed", "delayed") and status:
            recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
            return Bounce(original, recipient.partition(";")[2].strip() or recipient, status.group(0),
                          status.group(0).startswith("5"), status_words(status.group(0)),
                          _header(block, "Diagnostic-Code").partition(";")[2].strip())
    return None


def _other_bounce(msg: Message, data: bytes) -> Bounce | None:
    """A bounce in one of the older formats (qmail, Exim, the big mail providers' own), from machine mail:
    flufl.bounce knows them. It names the addresses; the message that bounced is the first of ours that
    the report quotes, if it quotes one."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector's failure on odd input: then it is no bounce that can be read
        return None
    found = sorted(permanent or temporary)
    if not found:
        return None
    recipient = found[0].decode("utf-8", "replace") if isinstance(found[0], bytes) else str(found[0])
    own = _MSGID.findall(_header(msg, "Message-ID"))
    quoted = [m for m in _QUOTED_ID.findall(data.decode("utf-8", "replace")) if m not in own]
    status = "5.0.0" if permanent else "4.0.0"
    return Bounce(quoted[0] if quoted else "", recipient, status, bool(permanent), status_words(status), "")


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(part.get_payload())


@dataclass(frozen=True)
class Draft:
    """What a customer's complaint email gives a new case (`new --from-email`)."""

    title: str
    name: str
    email: str | None
    opened: datetime | None
    words: str
    message_id: str | None


def draft(data: bytes) -> Draft | str:
    """The facts of a new case from the customer's email, or why it cannot be one."""
    found = read(data)
    if found.refused:
        return f"the message cannot be read safely: {found.refused}"
    if found.bounce or found.automatic:
        return f"the message was sent by a machine ({found.automatic or 'a bounce'}), not by a customer"
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    title = re.sub(r"^((re|aw|fwd?|wg)\s*:\s*)+", "", _without_controls(found.subject), flags=re.IGNORECASE)
    name = _without_controls(found.sender_name) or (found.sender.split("@")[0] if found.sender else "")
    return Draft(title=(title[:79] + "…" if len(title) > 80 else title) or "Complaint by email",
                 name=name or "The customer who wrote", email=found.sender or None, opened=found.date,
                 words=_text(list(_walk(msg))).strip(),
                 message_id=None if found.message_id.startswith("digest:") else found.message_id)


def _without_controls(text: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())
