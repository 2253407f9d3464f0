"""The typed model of a case, and the Problem value every stage reports."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

CHANNELS = ("email", "phone", "letter", "in-person", "social", "chat")
STATUSES = ("open", "resolved", "recovered", "lost")
FAULTS = ("ours", "customer", "shared", "unclear")
SEVERITIES = ("low", "medium", "high", "critical")
# `reimbursement` pays back a cost the problem caused the customer (a taxi, a pharmacy bill): money
# owed, never worded as a gift.
ACCOMMODATION_KINDS = ("credit", "refund", "gift-card", "discount", "replacement", "reimbursement", "other")
SEVERE = ("high", "critical")
# How the customer treated our staff: `abusive` gives them a plain note instead of the warm round, and warns staff.
CONDUCTS = {"abusive": "the customer insulted or threatened our staff"}
ABUSIVE = "abusive"
CONTACT_BY = ("customer", "us")
# How a follow-up answers in the channel the complaint came by, besides the emails.
TASKS = ("call", "letter", "social", "none")

Channel = Literal["email", "phone", "letter", "in-person", "social", "chat"]
Status = Literal["open", "resolved", "recovered", "lost"]


# A legal form in a name says it names a company. The short forms that are also people's names or
# initials ("Anna Oy", "Li SA") only make `check` warn; the rest also stop the greeting using the name.
_FORMS = (r"GmbH|mbH|AG|KG|KGaA|OHG|UG|GbR|e\.\s?K\.|e\.\s?V\.|Ltd\.?|Limited|LLC|LLP|PLC|plc|Inc\.?|Corp\.?"
          r"|B\.\s?V\.|N\.\s?V\.|ApS|A/S|S\.\s?A\.|SARL|S\.\s?r\.\s?l\.|SpA|S\.p\.A\.")
_COMPANY = re.compile(rf"(?:^|\s)(?:{_FORMS})(?=$|[\s,&)])")
_MAYBE_COMPANY = re.compile(r"(?:^|\s)(?:AS|AB|Oy|SA)(?=$|[\s,&)])")


def looks_like_company(name: str, surely: bool = False) -> bool:
    """Whether a name holds a legal form (GmbH, Ltd, Inc, B.V., ApS, …); with `surely`, only a form
    that no person's name holds."""
    return bool(_COMPANY.search(name) or (not surely and _MAYBE_COMPANY.search(name)))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, pointing at the line to fix."""

    path: str
    line: int | None
    message: str
    field: str = ""
    # A warning is worth a look but changes nothing: the case is still valid and built.
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


@dataclass(frozen=True)
class Customer:
    name: str  # the person; the company's name when the case names no person
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    timezone: str | None = None
    language: str | None = None
    salutation: str | None = None  # how the greeting names them: "Zoë", "Ms Müller"
    address: str | None = None     # postal address, several lines

    @property
    def person(self) -> str | None:
        """The person written to, if the case names one: a company's name is no person to greet."""
        return None if self.name == self.company or looks_like_company(self.name, surely=True) else self.name

    @property
    def greeting_name(self) -> str | None:
        """Who the greeting names ("Ms Müller"), or None for "Dear Sir or Madam"."""
        return self.salutation or self.person


@dataclass(frozen=True)
class Accommodation:
    kind: str
    amount: Decimal | None = None
    currency: str = ""
    note: str | None = None
    # A gift card's own details; `sent` is the day it was already handed over another way.
    code: str | None = None
    url: str | None = None
    expires: date | None = None
    sent: date | None = None
    # The day the customer used it (a gift card, a discount, a credit): a sign the recovery held.
    redeemed: date | None = None


@dataclass(frozen=True)
class AskedFor:
    """What the customer said would make it right, in their words, with an amount if they named one."""

    what: str
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class Purchase:
    """The customer's first purchase after the case: the surest sign they stayed."""

    day: date
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class Briefed:
    """Someone briefed on a case's lesson, and the day, when it was written down."""

    name: str
    on: date | None = None


@dataclass(frozen=True)
class Promise:
    what: str
    due: date | None = None
    kept: bool | None = None


@dataclass(frozen=True)
class Contact:
    at: date | datetime
    channel: str | None = None
    note: str | None = None
    by: str = "customer"  # who got in touch: only the customer's own contacts hold the follow-ups
    # The date written on a letter, which can be days before `at`, the day it reached us: our answer quotes it.
    dated: date | None = None

    @property
    def day(self) -> date:
        return self.at.date() if isinstance(self.at, datetime) else self.at


@dataclass(frozen=True)
class Listed:
    """A file the front matter lists under `attachments:`, as written: checked against the disk when the project is read."""

    name: str  # relative to the case file's folder, with '/' between folders
    note: str | None
    line: int


@dataclass(frozen=True)
class Attachment:
    """A file kept with a case (a photo of the damage, the scan of a letter), found on disk and safe to copy.

    Only the private site shows it: nothing a customer receives names it.
    """

    name: str    # relative to the case file's folder: "photos/cracked-stand.jpg"
    source: str  # its path in the project: "cases/photos/cracked-stand.jpg"
    kind: str    # "image" (re-encoded), "pdf" (copied) or "file" (a download only), by its first bytes
    size: int
    digest: str  # of its bytes
    note: str | None = None
    # An image's format and its width and height once turned upright (its EXIF orientation applied).
    format: str = ""
    pixels: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class FollowupOverrides:
    """Per-case changes to the follow-up plan, from the `followups` front matter."""

    hold: bool = False
    skip: tuple[str, ...] = ()
    dates: tuple[tuple[str, date], ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    title: str  # the team's label; never shown to the customer
    customer: Customer
    channel: str
    opened: date
    status: str
    resolved: date | None = None
    fault: str | None = None
    severity: str | None = None
    owner: str | None = None
    team: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    accommodation: tuple[Accommodation, ...] = ()
    promises: tuple[Promise, ...] = ()
    what_went_wrong: str | None = None
    how_resolved: str | None = None
    prevention: str | None = None
    about: str | None = None       # what happened, in the customer's terms: "sorry about …"
    subject: str | None = None     # the matter as a subject line names it: "your order 4711"
    source_url: str | None = None  # where a social complaint was posted
    contacts: tuple[Contact, ...] = ()
    followups: FollowupOverrides = field(default_factory=FollowupOverrides)
    do_not_contact: bool = False
    customer_value: Decimal | None = None
    body: str = ""
    # A person's word on "preventions that did not hold": the earlier case this one repeats,
    # and earlier cases it must not be counted against.
    repeat_of: str | None = None
    # The Message-ID of the customer's complaint email, when the case was made from it: the follow-ups answer it.
    message_id: str | None = None
    # Who agreed to give more than amends.yaml's guidelines allow for the case's severity.
    approved_by: str | None = None
    asked_for: AskedFor | None = None
    next_purchase: Purchase | None = None
    conduct: str | None = None
    # Who was briefed on the case's lesson (what went wrong, what was given, the prevention): the team's sheet shows it.
    acknowledged_by: tuple[Briefed, ...] = ()
    # The id of the same customer's earlier case that recovered them not long before this one was opened:
    # found by the project among all cases (cases.chances), never written in a file.
    second_chance_of: str | None = None
    not_a_repeat_of: tuple[str, ...] = ()
    # The files the front matter lists under `attachments:`, and the images the notes show: (src, alt, line).
    listed: tuple[Listed, ...] = ()
    images: tuple[tuple[str, str, int], ...] = ()
    # The files kept with the case, found on disk when the project is read (cases.attachments): those listed
    # and, for a case folder (cases/<id>/index.md), every other file in it.
    attachments: tuple[Attachment, ...] = ()
    # The file line of each customer-facing text and of customer.language, keyed by its
    # dotted name (accommodation[1].note), so a warning about one can point at it; and of each
    # id named by repeat_of or not_a_repeat_of, for the check against all cases.
    lines: tuple[tuple[str, int], ...] = ()
    # Where a text the customer reads speaks of them instead of to them: (field, the words, whether
    # that holds a message quoting it for a person). Found once, when the case is checked.
    spoken: tuple[tuple[str, str, bool], ...] = ()

    @property
    def severe(self) -> bool:
        """High or critical: harm, not trouble, and a person reads every word first."""
        return self.severity in SEVERE

    @property
    def weight(self) -> str | None:
        """The severity that guidelines, cadence and approval go by: at least high for a second chance,
        since most customers give one and very few a third."""
        if self.second_chance_of and (self.severity or "medium") not in SEVERE:
            return "high"
        return self.severity

    @property
    def reopened(self) -> bool:
        """A case set back to open that keeps its resolved date was reopened."""
        return self.status == "open" and self.resolved is not None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def days_to_resolve(self) -> int | None:
        if self.resolved is None or self.is_open:
            return None
        return (self.resolved - self.opened).days
