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
from urllib.parse import quote
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, TemplateError, TemplateNotFound, UndefinedError

from amends.cases.config import Config
from amends.cases.fields import CONTROL
from amends.cases.validate import CUSTOMER_TEXTS
from amends.followups.guards import planned_approval
from amends.followups.ledger import History
from amends.followups.mail import HEADING, address_header, to_html, unlinked, wrap
from amends.followups.plan import Followup
from amends.followups.rounds import EarlierRound
from amends.model import ABUSIVE, Case, Contact, Problem
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
        # The check-in's answers: links that open a mail to us with the answer and the case's token in the
        # subject. Nothing for a scanner to click: only the customer's own mail counts (followups.hearing).
        "answers": answer_links(case, config, language,
                                any(s.kind == kind and s.score for s in config.plan)),
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
    if case.conduct == ABUSIVE and template not in ("gift-card", "letter-note") and followup.medium in ("email", "letter"):
        template = "plain"  # the one note an abusive customer gets (plan.followups skips the rest)
    language, name = template_set(env, template, case.customer.language or config.language)
    values = context(case, config, followup.kind, language, followup.earlier)
    needs_subject = not followup.is_task or followup.kind == "letter"
    try:
        subject = env.get_template(f"{name}.subject.txt").render(values).strip() if needs_subject else ""
        marked = env.get_template(f"{name}.txt").render(values)
        html = _html_template(env, name)
        html = html.render(values) if html else to_html(marked, language, subject)
        # A heading in the text part is its line's words; a named mailto link its name (unlinked).
        text = unlinked(marked.replace(HEADING, ""))
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


# The check-in's two answers, and the word before its score, by language: the subject of the mail each
# link opens (followups.hearing reads them back).
ANSWERS = {"en": ("Yes, all good", "Not yet"), "de": ("Ja, alles gut", "Noch nicht")}
SCORE = {"en": "Score", "de": "Bewertung"}


def answer_links(case: Case, config: Config, language: str, score: bool = False) -> dict:
    """{"yes": mailto, "not_yet": mailto} for the check-in (RFC 6068), and with `score` "scores": a mailto
    for each of 1 to 5; nothing without an address for replies."""
    address = config.reply_to or config.business_email
    if not address:
        return {}
    token = case_token(case.id, config)

    def link(words: str) -> str:
        return f"mailto:{address}?subject={quote(f'{words} [ref {token}]', safe='')}"

    yes, not_yet = ANSWERS.get(language, ANSWERS["en"])
    out: dict = {"yes": link(yes), "not_yet": link(not_yet)}
    if score:
        out["scores"] = [link(f"{SCORE.get(language, SCORE['en'])}: {n}") for n in range(1, 6)]
    return out


def case_token(case_id: str, config: Config) -> str:
    """What a subject carries to name a case, "[ref 3f9a0c21de]": a digest, so the case id never shows."""
    return hashlib.sha256(f"{config.business_email}|case|{case_id}".encode()).hexdigest()[:10]


def build(rendered: Rendered, key: str, config: Config, now: datetime, answers: str | None = None) -> EmailMessage:
    """A multipart/alternative message with text and HTML parts, a Date and a Message-ID; with `answers`
    (the Message-ID of the customer's complaint email), threaded under it in their mail client."""
    # The address headers are set as folded here (see address_header) and go out as they are: the email
    # package's own folding drops the quotes of a long quoted name, which turned "Ann, eve@evil.example, …"
    # into three addresses.
    msg = EmailMessage(policy=SMTP.clone(refold_source="none"))
    msg.set_raw("From", address_header("From", config.business_name, config.business_email))
    msg.set_raw("To", address_header("To", rendered.to_name, rendered.to_addr))
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, config)
    # Sent by a program on the business's behalf (RFC 3834): an auto-responder must not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    if answers:
        msg["In-Reply-To"], msg["References"] = answers, answers
    msg.set_raw("Reply-To", address_header("Reply-To", config.business_name, config.reply_to or config.business_email))
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


