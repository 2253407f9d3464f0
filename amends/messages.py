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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email
from jinja2 import Environment, TemplateError, TemplateNotFound, UndefinedError

from .config import Config
from .fields import CONTROL
from .ledger import History
from .model import Case
from .plan import Followup

MAX_SUBJECT = 200


@dataclass(frozen=True)
class Rendered:
    """The words of one message, before it gets a date and an id."""

    subject: str
    text: str
    html: str
    to_name: str
    to_addr: str

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


def context(case: Case, config: Config, kind: str) -> dict:
    """What the email templates can use; see README, "Email templates"."""
    given = [_present(dataclasses.asdict(a)) for a in case.accommodation]
    gift_cards = [g for g in given if g["kind"] == "gift-card"]
    return {
        "kind": kind,
        "customer": _present(dataclasses.asdict(case.customer)),
        "case": _present({name: getattr(case, name) for name in (
            "id", "title", "channel", "opened", "resolved", "what_went_wrong", "how_resolved", "prevention")}),
        "given": [g for g in given if g["kind"] != "gift-card"],
        "gift_cards": gift_cards,
        "gift_card_follows": bool(gift_cards) and any(s.kind == "gift-card" for s in config.plan),
        "business": _present({"name": config.business_name, "email": config.business_email,
                              "phone": config.business_phone, "signature": config.signature}),
    }


def template_set(env: Environment, template: str, language: str | None) -> str:
    """The customer's language's templates when that set exists, else the default."""
    if language:
        try:
            env.get_template(f"{language}/{template}.subject.txt")
            return f"{language}/{template}"
        except TemplateNotFound:
            pass
    return template


def render(followup: Followup, config: Config, env: Environment) -> Rendered | str:
    """The rendered message, or the reason it cannot be sent."""
    case, step = followup.case, followup.step
    name = template_set(env, step.template, case.customer.language)
    values = context(case, config, step.kind)
    try:
        subject, text, html = (env.get_template(f"{name}{suffix}").render(values)
                               for suffix in (".subject.txt", ".txt", ".html"))
    except UndefinedError as error:
        missing = re.findall(r"'([^']+)'", str(error))
        field = missing[-1] if missing else str(error)
        return f"the {name} template needs '{field}', which the case does not give"
    except TemplateNotFound as error:
        return f"there is no template templates/email/{error.name}"
    except TemplateError as error:
        return f"the {name} template has an error: {error}"
    subject = subject.strip()
    if not subject or CONTROL.search(subject) or len(subject) > MAX_SUBJECT:
        return f"the subject must be one line of 1 to {MAX_SUBJECT} characters"
    if any("{{" in part or "{%" in part for part in (subject, text, html)):
        return "the rendered message still contains template markup"
    try:
        address = validate_email(case.customer.email or "", check_deliverability=False)
    except EmailNotValidError as error:
        return f"the customer's address cannot be used: {error}"
    if not address.ascii_email:
        return "the customer's address needs an SMTPUTF8 mail server, which amends does not use"
    if CONTROL.search(case.customer.name):
        return "the customer's name contains a line break"
    return Rendered(subject, text, html, case.customer.name, address.ascii_email)


def prepare(followups: list[Followup], histories: dict[str, History],
            render_one: Callable[[Followup], Rendered | str]) -> list[Prepared]:
    """Render every email follow-up still to go (or missed, to read before a release).

    A failure to render turns it into 'blocked'.
    """
    out = []
    for f in followups:
        if f.is_task or f.state not in ("due", "approval", "upcoming", "missed"):
            out.append(Prepared(f, None))
            continue
        rendered = render_one(f)
        if isinstance(rendered, str):
            out.append(Prepared(dataclasses.replace(f, state="blocked", reason=rendered), None))
            continue
        approved = histories[f.key].approved if f.key in histories else None
        if f.state == "due" and f.step.approval and approved != rendered.digest:
            f = dataclasses.replace(f, state="approval", reason=(
                f"the text changed after it was approved; review it and run: python build.py approve {f.case.id} {f.kind}"))
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
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(config.business_name, addr_spec=config.business_email)
    msg["To"] = Address(rendered.to_name, addr_spec=rendered.to_addr)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(key, config)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def file_name(key: str) -> str:
    """case/kind/2026-03-18 → case--kind--2026-03-18.eml"""
    return key.replace("/", "--") + ".eml"
