"""An email's words as a mail client shows them: the text part wrapped, the HTML part, the address
headers, and a message handed over, read back from its .eml."""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import Header
from email.headerregistry import Address
from email.parser import BytesParser
from email.policy import default

from markupsafe import escape

from amends.cases.fields import CONTROL


_URL = re.compile(r"https?://\S+")
# A list item "Yes, all good: mailto:…" is a link named by its words: a mailto address is no text to read.
_NAMED_MAILTO = re.compile(r"^(\S.*?): (mailto:[^\s@]+@\S+)$")


# Punctuation that ends a sentence rather than a URL when it closes one.
_AFTER_URL = ".,;:!?)"


_STYLE = ("max-width: 600px; margin: 0 auto; padding: 32px 24px; background-color: #ffffff; color: #222222; "
          "font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; font-size: 16px; "
          "line-height: 1.5;")


# Starts a line the templates' heading() macro wrote (templates/email/_phrases.txt): the HTML part
# sets it as a heading, the text part keeps its words. A mark, not a guess from the words: no
# punctuation tells a heading ("Mit der Bitte um Entschuldigung" is a closing). No case text or
# setting can hold a control character (fields.text refuses them), so no line a person wrote can
# become a heading.
HEADING = "\x1e"


def paragraphs(text: str) -> list[list[str]]:
    """The text's paragraphs (split at blank lines), each a list of its lines."""
    return [block.strip("\n").split("\n") for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The text as a page shows it, in its order: ("h2", [words]) for a heading line, ("ul", items)
    for a paragraph's run of "- " lines, ("p", lines) for a run of its other lines."""
    out: list[tuple[str, list[str]]] = []
    for lines in paragraphs(text):
        start = len(out)
        for line in lines:
            if line.startswith(HEADING):
                out.append(("h2", [line[len(HEADING):]]))
                continue
            tag, words = ("ul", line[2:]) if line.startswith("- ") else ("p", line)
            if len(out) > start and out[-1][0] == tag:
                out[-1][1].append(words)
            else:
                out.append((tag, [words]))
    return out


def to_html(text: str, language: str, title: str) -> str:
    """The HTML part, made from the text part so the two always say the same.

    Paragraphs stay paragraphs, lines starting with "- " become a list, a
    heading() line becomes a heading, web addresses become links; everything
    else is escaped. Styles are inline, since mail clients drop style sheets.
    """
    out = []
    for tag, lines in blocks(text):
        if tag == "h2":
            out.append('<h2 style="margin: 24px 0 4px 0; font-size: 18px; line-height: 1.3;">'
                       f"{escape(lines[0])}</h2>")
        elif tag == "p":
            out.append('<p style="margin: 0 0 16px 0;">' + "<br>\n".join(_linked(line) for line in lines) + "</p>")
        else:
            out.append('<ul style="margin: 0 0 16px 0; padding: 0 0 0 24px;">\n'
                       + "\n".join(f'<li style="margin: 0 0 4px 0;">{_linked(item)}</li>' for item in lines)
                       + "\n</ul>")
    body = "\n".join(out)
    return (f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n</head>\n"
            '<body style="margin: 0; padding: 0; background-color: #f4f3ef;">\n'
            f'<div style="{_STYLE}">\n{body}\n</div>\n</body>\n</html>\n')


def _url_end(url: str) -> int:
    """Where the URL found at the start of `url` ends: trailing punctuation is the sentence's, and so is a `)`
    that closes a bracket the URL did not open ("(see https://x.example/a)"), but not one it opened itself."""
    end = len(url)
    while end and url[end - 1] in _AFTER_URL:
        if url[end - 1] == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break
        end -= 1
    return end


def unlinked(text: str) -> str:
    """The text part of a message whose template names mailto links ("- Yes, all good: mailto:…"): their
    names alone. The HTML part links them; a mailto address is nothing to read, and longer than a line."""
    return "\n".join(_NAMED_MAILTO.sub(r"\1", line) for line in text.split("\n"))


def _linked(line: str) -> str:
    named = _NAMED_MAILTO.match(line)
    if named:
        return f'<a href="{escape(named.group(2))}">{escape(named.group(1))}</a>'
    out, last = [], 0
    for match in _URL.finditer(line):
        url = match.group()[:_url_end(match.group())]
        if url.partition("://")[2]:
            out += [str(escape(line[last:match.start()])), f'<a href="{escape(url)}">{escape(url)}</a>']
            last = match.start() + len(url)
    return "".join(out) + str(escape(line[last:]))


# What a line must never be broken inside: a phone number, a date, an amount with its currency.
_MONTH = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Januar|Jänner|Februar|März|Mai|Juni|Juli|Oktober|Dezember|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Okt|Nov|Dec|Dez")


_NUMBER = r"(?<![\w.,])\d(?:[\d.,']*\d)?"


_CURRENCY = r"(?:[€$£¥]|\b[A-Z]{3}\b)"


_KEEP_TOGETHER = [re.compile(pattern) for pattern in (
    # +49 40 555 0142, +49 (0)40 555 0142, (030) 1234 5678, 040 555-0142
    r"(?<![\w+])(?:\+\d{1,3}|\(\d{2,6}\)|0\d{1,5})(?: (?:\(0\))?\d(?:[\d/-]*\d)?)+",
    # 21. November 2026, 21 Nov. 2026, November 21, 2026
    rf"\b[0-3]?\d\.? (?:{_MONTH})\b\.?(?: \d{{4}}\b)?|\b(?:{_MONTH})\b\.? [0-3]?\d\b(?:, \d{{4}}\b)?",
    # 12,50 €, € 12.50, EUR 1.234,50
    rf"{_CURRENCY} {_NUMBER}|{_NUMBER} {_CURRENCY}",
)]


# Holds those spaces while textwrap fills the lines: it breaks only at ASCII whitespace. Not the
# no-break space, which the text may already hold (Babel writes "12,50\xa0€", a case may have one on
# purpose) and which must come out as it went in; no case text or setting can hold a control
# character (fields.text refuses them), so every one of these after wrapping is ours.
_GLUE = "\x1f"


def _glued(line: str) -> str:
    """The line with the spaces inside a phone number, date or amount made unbreakable."""
    chars = list(line)
    for pattern in _KEEP_TOGETHER:  # each on the line as written, so that spans may overlap
        for m in pattern.finditer(line):
            chars[m.start():m.end()] = m.group().replace(" ", _GLUE)
    return "".join(chars)


def wrap(text: str, width: int = 76) -> str:
    """The text part wrapped for mail clients; a list item's lines hang under its text, and no
    phone number, date or amount is broken across two lines."""
    out = []
    for lines in paragraphs(text):
        block = []
        for line in lines:
            hang = "  " if line.startswith("- ") else ""
            block += textwrap.wrap(_glued(line), width, subsequent_indent=hang, break_long_words=False,
                                   break_on_hyphens=False) or [""]
        out.append("\n".join(block).replace(_GLUE, " "))
    return "\n\n".join(out) + "\n"


# A few plain words (RFC 5322 atoms, one space apart) can go out as they are. "=" and "?" are left
# out so that no name can pass for an RFC 2047 encoded word.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/^_`{|}~-]+)*")


MAX_HEADER_LINE = 78  # what RFC 5322 asks lines to keep to


MAX_LINE = 998  # what it allows


def address_header(field: str, name: str | None, addr: str) -> str:
    """The value of an address header (From, To, Reply-To) that names exactly one address, `addr`.

    A name that is not a few plain words goes in quotes (ASCII) or as one RFC 2047
    encoded word (anything else), and its lines are folded here, only at spaces inside
    the quotes: neither the email package nor a mail server reading the header can
    take part of the name for another address. (Python 3.11 drops the quotes when it
    folds a long quoted name itself, and it reads two encoded words folded apart
    with a space between them, so the name is kept in one.)
    """
    addr_spec = Address(addr_spec=addr).addr_spec  # refuses anything but one plain address
    name = name or ""
    if CONTROL.search(name):
        raise ValueError(f"the {field} name contains a line break or a control character")
    if not name:
        return addr_spec
    prefix = len(field) + 2
    if _PLAIN_NAME.fullmatch(name) and prefix + len(name) + len(addr_spec) + 3 <= MAX_HEADER_LINE:
        return f"{name} <{addr_spec}>"
    phrase = _fold(prefix, '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"')
    # Python decodes an encoded word even inside quotes, so a name that looks like one is encoded too.
    if not name.isascii() or "=?" in name or any(len(line) > MAX_LINE - prefix for line in phrase.split("\n")):
        # Only a name of hundreds of characters without a space needs more than one encoded word.
        phrase = Header(name, "utf-8", header_name=field, maxlinelen=MAX_LINE).encode(linesep="\n")
    fits = len(phrase.rsplit("\n", 1)[-1]) + len(addr_spec) + 3 <= MAX_HEADER_LINE
    return phrase + (" " if fits else "\n ") + f"<{addr_spec}>"


def _fold(width: int, text: str) -> str:
    """`text` folded before its spaces to keep lines short; a line never holds only the space."""
    words = text.split(" ")
    out, width = words[0], width + len(words[0])
    for word in words[1:]:
        if word and width + 1 + len(word) > MAX_HEADER_LINE:
            out, width = out + "\n " + word, 1 + len(word)
        else:
            out, width = out + " " + word, width + 1 + len(word)
    return out


# A sent message amends wrote is a few kilobytes: one larger than this is not parsed for its page.
MAX_SHOWN_BYTES = 1024 * 1024


# A Date outside these years is shown as written: a year 9999 overflows when moved to the business's time zone.
_SHOWN_YEARS = range(1900, 2200)


@dataclass(frozen=True)
class Sent:
    """What a person reads of a message as it was handed over: the headers they care about and the text part."""

    to: str
    subject: str
    date: datetime | None  # None when missing, unreadable or out of range: then `date_text` is shown
    date_text: str
    message_id: str
    text: str


def read_sent(data: bytes) -> Sent | None:
    """The message's headers and text part, decoded; None if the bytes cannot be read as a message.

    A part missing or broken reads as empty. The email package raises almost anything on a
    damaged file (OverflowError for a year of 20 digits, RecursionError for thousands of
    nested parts): one damaged .eml must cost its own page, never the build.
    """
    try:
        msg = BytesParser(policy=default).parsebytes(data)
        body = msg.get_body(preferencelist=("plain",))
        try:
            text = body.get_content().replace("\r\n", "\n") if body is not None else ""
        except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
            text = ""
        date_text = next((value for name, value in msg.raw_items() if name.lower() == "date"), "")
        try:
            moment = getattr(msg["Date"], "datetime", None)  # None when missing or unreadable
        except (ValueError, OverflowError):
            moment = None
        if moment is not None and moment.year not in _SHOWN_YEARS:
            moment = None
        elif moment is not None and moment.tzinfo is None:  # "-0000": the moment is in UTC, the sender's zone unknown
            moment = moment.replace(tzinfo=timezone.utc)
        return Sent(str(msg.get("To", "")), str(msg.get("Subject", "")), moment, " ".join(date_text.split()),
                    str(msg.get("Message-ID", "")), text)
    except Exception:  # noqa: BLE001 - see above: any error is "cannot be read", on that page only
        return None


def file_name(key: str) -> str:
    """case/kind/2026-03-18 → case--kind--2026-03-18.eml"""
    return key.replace("/", "--") + ".eml"
