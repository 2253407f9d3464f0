"""Render follow-ups into standard email messages, or say why one cannot be.

A message is built with the standard library (EmailMessage, SMTP policy), not
with yagmail's builder, which rewrites newlines in the text part, reuses
Message-IDs and fetches remote stylesheets. A template that asks for a field
the case lacks blocks the message: it is never sent with a hole in it.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, TemplateError, TemplateNotFound, UndefinedError
from markupsafe import escape

from amends.cases.config import Config
from amends.cases.fields import CONTROL
from amends.cases.validate import CUSTOMER_TEXTS
from amends.followups.ledger import History
from amends.followups.guards import planned_approval
from amends.followups.plan import Followup
from amends.followups.rounds import EarlierRound
from amends.model import Case, Contact, Problem
from amends.templating import format_date

MAX_SUBJECT = 200
# The language of the templates at the top of templates/email/; other sets sit in a folder each.
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Rendered:
    """The words of one message or task, before it gets a date and an id."""

    subject: str
    text: str
    html: str
    to_name: str
    to_addr: str  # empty for a call, a letter or a post to answer
    language: str = DEFAULT_LANGUAGE  # the template set it was written from

    @functools.cached_property
    def digest(self) -> str:
        """What a person approves: any change to the words or recipient changes it."""
        return hashlib.sha256(json.dumps([getattr(self, f.name) for f in dataclasses.fields(self)]).encode()).hexdigest()


@dataclass(frozen=True)
class Prepared:
    followup: Followup
    rendered: Rendered | None


def _present(values: dict) -> dict:
    # Absent, not None: so that StrictUndefined catches a template using a missing field.
    return {k: v for k, v in values.items() if v not in (None, "", ())}


def context(case: Case, config: Config, kind: str, language: str = DEFAULT_LANGUAGE,
            earlier: EarlierRound | None = None) -> dict:
    """What the follow-up templates can use; see README, "Follow-up templates".

    The case's title is the team's label and is left out on purpose: nothing the
    customer receives may quote it.
    """
    items = [_present(dataclasses.asdict(a)) for a in case.accommodation]
    card_step = any(s.kind == "gift-card" for s in config.plan)
    # A gift card still to be handed over goes in its own email when the plan has one, the customer
    # has an address and gets emails (email_too: false leaves a call or letter alone); everything else
    # given back is named as given.
    to_send = [g for g in items if g["kind"] == "gift-card" and "sent" not in g]
    follows = card_step and bool(case.customer.email) and (config.email_too or config.task_for(case.channel) is None)
    handed = [g for g in items if not (follows and g in to_send)]
    customer = _present({**dataclasses.asdict(case.customer), "greeting": case.customer.greeting_name})
    facts = {name: getattr(case, name) for name in (
        "id", "channel", "opened", "resolved", "fault", "severity", "source_url", *CUSTOMER_TEXTS)}
    # A letter is answered by the date written on it, or else by the day it reached us.
    letter = their_letter(case)
    facts["letter_dated"] = letter and letter.dated
    facts["letter_received"] = letter.day if letter else (case.opened if case.channel == "letter" else None)
    signer = config.person(case.owner) if case.severe else None
    signature = config.signature_for(language)
    if signer:  # a severe case is answered by a person, in their own name
        role = signer.role_for(language)
        signature = f"{signer.name}\n{role + ', ' if role else ''}{config.business_name}"
    return {
        "kind": kind,
        "language": language,
        "customer": customer,
        "case": _present(facts),
        # Harm, not trouble: high and critical cases are written to in other words.
        "grave": case.severe,
        # Costs paid back are money owed, not a gift; an `other` with no amount is said in its own words.
        "paid": [g for g in handed if g["kind"] == "reimbursement"],
        "done_for_you": [g["note"] for g in handed if _done_for_you(g)],
        "given": [g for g in handed if g["kind"] != "reimbursement" and not _done_for_you(g)],
        # A second round, after a reopen: when the first was resolved and first written about.
        "earlier": {"resolved": earlier.resolved, "sent": earlier.first_sent.date()} if earlier else {},
        # Promises still open, for a call sheet to name with their dates (their words are the team's).
        "promises": [_present({"what": p.what, "due": p.due}) for p in case.promises if p.kept is None],
        "gift_cards": to_send,
        "gift_card_follows": bool(to_send) and follows,
        "signer": _present({"name": signer.name, "role": signer.role_for(language)}) if signer else {},
        "business": _present({"name": config.business_name, "email": config.reply_to or config.business_email,
                              "phone": config.business_phone, "address": config.business_address,
                              "signature": signature}),
    }


# How a note that says what we did begins: it is a sentence of its own, not a thing given.
_WE = re.compile(r"(we|we've|we'll|we're|our|wir|unser|unsere|unser[emnrs])\b", re.IGNORECASE)


def _done_for_you(item: dict) -> bool:
    """An `other` with no amount whose note says what we did ("we have booked you …", "wir haben …")."""
    return item["kind"] == "other" and "amount" not in item and bool(_WE.match(item.get("note", "").strip()))


def their_letter(case: Case) -> Contact | None:
    """The customer's first letter in the contact log: a printed answer names it by its date."""
    return next((c for c in case.contacts if c.channel == "letter" and c.by == "customer"), None)


def template_set(env: Environment, template: str, language: str | None) -> tuple[str, str]:
    """The language written in and the template's name: the customer's language's set
    when it exists, else the default (English) one."""
    if language and language != DEFAULT_LANGUAGE:
        base = language.split("-")[0]
        for folder in dict.fromkeys((language, base)):
            try:
                env.get_template(f"{folder}/{template}.txt")
                return folder, f"{folder}/{template}"
            except TemplateNotFound:
                pass
    return DEFAULT_LANGUAGE, template


def has_template_set(env: Environment, language: str) -> bool:
    """Whether a customer writing in `language` is written to in it."""
    return template_set(env, "apology", language)[0] != DEFAULT_LANGUAGE or language.split("-")[0] == DEFAULT_LANGUAGE


# How a reason starts when the templates, not the case, are at fault: one problem for them all.
NO_TEMPLATE = "there is no template "


def template_fault(reason: str) -> bool:
    return reason.startswith(NO_TEMPLATE) or " template has an error: " in reason


def warnings(case: Case, env: Environment) -> list[Problem]:
    """What to look at before this case's follow-ups go out: a text written to the customer that
    talks about them (a message that quotes it waits for approval), and a language with no templates."""
    lines = dict(case.lines)
    out, seen = [], set()
    for field, word, holds in case.spoken:
        if field in seen:
            continue
        seen.add(field)
        then = ("; a message that quotes it waits for approval" if holds
                else " (if it means them; a member of staff is fine)")
        out.append(Problem(case.path, lines.get(field), (
            f"'{field}' is read by the customer but speaks of them as '{word}'; "
            f"write it to them ('you', 'your'){then}"), field, warning=True))
    language = case.customer.language
    if language and not has_template_set(env, language):
        out.append(Problem(case.path, lines.get("customer.language"), (
            f"no templates for '{language}'; this customer will be written to in English"),
            "customer.language", warning=True))
    return out


def unchanged(case: Case, sent: list[str], resolved: date) -> list[Problem]:
    """Warnings for the customer-read texts that a message of the earlier round (resolved on `resolved`)
    already said word for word: a second round that repeats them reads as if nothing was learned."""
    said = " ".join(" ".join(text.split()) for text in sent)
    lines = dict(case.lines)
    return [Problem(case.path, lines.get(name), (
        f"'{name}' is word for word what the customer read after the case was resolved on {format_date(resolved)}; "
        "say what went wrong the second time, and what changes now"), name, warning=True)
        for name in ("what_went_wrong", "how_resolved", "prevention")
        if getattr(case, name) and " ".join(getattr(case, name).split()) in said]


def _not_ready(followup: Followup, config: Config) -> str | None:
    """What a case must still give before this follow-up can be written."""
    case = followup.case
    if followup.kind == "gift-card":
        cards = [a for a in case.accommodation if a.kind == "gift-card" and a.sent is None]
        if any(not (a.code or a.url) for a in cards):
            return "the gift card has no code or url to send"
    if followup.kind == "letter":
        if not case.customer.address:
            return "the letter needs the customer's postal address (customer.address in the case file)"
        if not config.business_address:
            return "the letter needs the business's postal address (business.address in amends.yaml)"
    return None


# The messages that tell the customer until when a gift card is valid.
NAMES_THE_CARD = ("gift-card", "letter")


def expired_card(followup: Followup, config: Config, now: datetime) -> str | None:
    """Why this follow-up waits for a person: a gift card it would hand over as valid has expired by the day
    it would go (never before `now`). Not part of `render`, whose results are kept from one day to the next."""
    if followup.kind not in NAMES_THE_CARD:
        return None
    day = max(now, followup.when or followup.due_at).astimezone(ZoneInfo(config.timezone)).date()
    expired = [a.expires for a in followup.case.accommodation
               if a.kind == "gift-card" and a.sent is None and a.expires is not None and a.expires < day]
    if not expired:
        return None
    ends = min(expired)
    return (f"the gift card {'expired' if ends < now.astimezone(ZoneInfo(config.timezone)).date() else 'expires'} "
            f"on {format_date(ends)}, before this {followup.kind} would go on {format_date(day)}; "
            "give a new one or a new date (its 'expires' in the case file)")


def render(followup: Followup, config: Config, env: Environment) -> Rendered | str:
    """The rendered message or task, or the reason it cannot go out."""
    case = followup.case
    reason = _not_ready(followup, config)
    if reason:
        return reason
    # A kind of the plan that a person does by phone (a severe case's check-in) has its own call sheet.
    template = (followup.step.template if followup.step else
                followup.kind if followup.kind == followup.medium else f"{followup.kind}-{followup.medium}")
    language, name = template_set(env, template, case.customer.language)
    values = context(case, config, followup.kind, language, followup.earlier)
    needs_subject = not followup.is_task or followup.kind == "letter"
    try:
        subject = env.get_template(f"{name}.subject.txt").render(values).strip() if needs_subject else ""
        marked = env.get_template(f"{name}.txt").render(values)
        html = _html_template(env, name)
        html = html.render(values) if html else to_html(marked, language, subject)
        text = marked.replace(HEADING, "")  # a heading in the text part is its line's words
    except UndefinedError as error:
        missing = re.findall(r"'([^']+)'", str(error))
        field = missing[-1] if missing else str(error)
        return f"the {name} template needs '{field}', which the case does not give"
    except TemplateNotFound as error:
        return f"{NO_TEMPLATE}templates/email/{error.name}"
    except TemplateError as error:
        return f"the {name} template has an error: {error}"
    if needs_subject and (not subject or CONTROL.search(subject) or len(subject) > MAX_SUBJECT):
        return f"the subject must be one line of 1 to {MAX_SUBJECT} characters"
    if any("{{" in part or "{%" in part for part in (subject, text, html)):
        return "the rendered message still contains template markup"
    if CONTROL.search(case.customer.name):
        return "the customer's name contains a line break"
    if followup.is_task:  # shown on the site, which lays out the paragraphs itself: not wrapped
        return Rendered(subject, text, html, case.customer.name, "", language)
    try:
        address = validate_email(case.customer.email or "", check_deliverability=False)
    except EmailNotValidError as error:
        return f"the customer's address cannot be used: {error}"
    if not address.ascii_email:
        return "the customer's address needs an SMTPUTF8 mail server, which amends does not use"
    return Rendered(subject, wrap(text), html, case.customer.name, address.ascii_email, language)


def _html_template(env: Environment, name: str):
    """A set may give its own KIND.html; otherwise the HTML part is made from the text."""
    try:
        return env.get_template(f"{name}.html")
    except TemplateNotFound:
        return None


_URL = re.compile(r"https?://\S+")
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


def _linked(line: str) -> str:
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


def approval_reason(followup: Followup, rendered: Rendered, config: Config) -> str | None:
    """Why a person reads this email before it goes, if one must: the plan's reasons, or a text it
    quotes that speaks of the customer by name or role ("the patient") instead of to them."""
    why = planned_approval(followup.case, followup.step, config)
    if why:
        return why
    # Compared with the spaces evened out: wrapping may have put a line break inside the words.
    words = " ".join(f"{rendered.subject} {rendered.text}".split())
    spoken = next(((field, word) for field, word, holds in followup.case.spoken
                   if holds and " ".join(word.split()) in words), None)
    return spoken and f"'{spoken[0]}' speaks of the customer as '{spoken[1]}': a person reads it first"


def prepare(followups: Iterable[Followup], histories: dict[str, History],
            render_one: Callable[[Followup], Rendered | str], config: Config) -> list[Prepared]:
    """Render every follow-up still to go (or missed, to read before a release): the emails,
    and the call sheets, letters and public answers of the tasks.

    A failure to render turns it into 'blocked'; an email a person must read first, and has
    not approved in these words, waits for approval.
    """
    out = []
    for f in followups:
        if f.state not in ("due", "approval", "upcoming", "missed"):
            out.append(Prepared(f, None))
            continue
        rendered = render_one(f)
        if isinstance(rendered, str):
            out.append(Prepared(dataclasses.replace(f, state="blocked", reason=rendered, detail=""), None))
            continue
        approved = histories[f.key].approved if f.key in histories else None
        why = None if f.is_task else approval_reason(f, rendered, config)
        if f.state == "due" and why and approved != rendered.digest:
            f = dataclasses.replace(f, state="approval", detail="", reason=(
                f"the text changed after it was approved; review it and run: python build.py approve {f.case.id} {f.kind}"
                if approved else f"{why}: read it, then run python build.py approve {f.case.id} {f.kind}"))
        out.append(Prepared(f, rendered))
    return out


def message_id(key: str, config: Config) -> str:
    """Unique per follow-up and stable across retries, so a server can spot a repeat.

    Only a hash of the key shows: the customer's mail client should not reveal our case ids.
    """
    domain = (config.business_email or "amends.invalid").rsplit("@", 1)[1]
    digest = hashlib.sha256(f"{config.business_email}|{key}".encode()).hexdigest()[:32]
    return f"<amends.{digest}@{domain}>"


def build(rendered: Rendered, key: str, config: Config, now: datetime) -> EmailMessage:
    """A multipart/alternative message with text and HTML parts, a Date and a Message-ID."""
    # The address headers are set as folded here (see address_header) and go out as they are: the email
    # package's own folding drops the quotes of a long quoted name, which turned "Ann, eve@evil.example, …"
    # into three addresses.
    msg = EmailMessage(policy=SMTP.clone(refold_source="none"))
    msg.set_raw("From", address_header("From", config.business_name, config.business_email))
    msg.set_raw("To", address_header("To", rendered.to_name, rendered.to_addr))
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, config)
    msg.set_raw("Reply-To", address_header("Reply-To", config.business_name, config.reply_to or config.business_email))
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


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
