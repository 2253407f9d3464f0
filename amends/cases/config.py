"""The business settings in amends.yaml, with every default in one place."""
from __future__ import annotations

import functools
import re
from dataclasses import astuple, dataclass, field
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from amends.cases.fields import LANGUAGE, Reader
from amends.cases.yamlfile import parse_mapping
from amends.model import ACCOMMODATION_KINDS, CHANNELS, SEVERE, SEVERITIES, TASKS, Problem

CONFIG_NAME = "amends.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TRANSPORTS = ("outbox", "smtp")
SECURITY = ("none", "starttls", "tls")
_DELAY = re.compile(r"(\d+)\s+(business\s+)?days?")
MAX_DELAY_DAYS = 366  # a follow-up a year after the case at most: more is a typo, and could overflow a date
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Step:
    """One kind of follow-up in the plan: when it goes out and what it says."""

    kind: str
    days: int
    business_days: bool = False
    template: str = ""
    approval: bool = False
    # Only for cases that gave back this kind of accommodation (e.g. gift-card).
    only_if_given: str | None = None
    # A check-in that also asks for a score from 1 to 5, answered by a link like its yes and no.
    score: bool = False

    @property
    def delay_text(self) -> str:
        return days_text(self.days, self.business_days)


def days_text(n: int, business: bool) -> str:
    """3 business days, 1 day."""
    return f"{n} {'business ' if business else ''}day{'s' if n != 1 else ''}"


# The practice's round: one follow-up email a few days after the case is resolved (the apology with what
# was given back, the explanation and thanks) and a call the same day where there is a phone number, the
# gift card in a mail of its own after it, and a short check-in about a week later.
DEFAULT_PLAN = (
    Step("followup", 3, True, "followup"),
    Step("call", 3, True, "call"),
    Step("gift-card", 3, True, "gift-card", only_if_given="gift-card"),
    Step("checkin", 10, False, "checkin"),
)
# The kinds that ask whether all is well now: they wait while a promise to the customer is open, and a
# severe case gets a personal call in their place.
CHECKIN_KINDS = ("checkin", "thanks")
# What each shipped kind tells the customer. When the plan changes, a kind that would say again what an
# earlier kind of the same round already said is held for a person instead of sent.
SAYS = {"apology": {"apology"}, "explanation": {"explanation"}, "thanks": {"thanks", "checkin"},
        "followup": {"apology", "explanation", "thanks"}, "checkin": {"checkin"}, "gift-card": {"gift-card"}}


DEFAULT_TASKS = (("phone", "call"), ("letter", "letter"), ("social", "social"), ("in-person", "call"),
                 ("email", "none"), ("chat", "none"))


@dataclass(frozen=True)
class Person:
    """Someone who signs the messages of a severe case in their own name."""

    name: str
    # The role under the name, per language (language -> text); English for the others.
    roles: tuple[tuple[str, str], ...] = ()

    def role_for(self, language: str | None) -> str | None:
        by_language = dict(self.roles)
        return by_language.get(language or "en") or by_language.get("en") or next(iter(by_language.values()), None)


@dataclass(frozen=True)
class Smtp:
    host: str = "localhost"
    port: int | None = None
    security: str = "starttls"
    user: str | None = None
    timeout: int = 60


@dataclass(frozen=True)
class Guideline:
    """What staff may give on their own for a case of one severity (amends.yaml guidelines:)."""

    max: Decimal | None = None   # in the business currency; None: no limit on the amount
    kinds: tuple[str, ...] = ()  # the kinds of accommodation allowed; none named: every kind


@dataclass(frozen=True)
class Imap:
    host: str
    port: int | None = None
    security: str = "tls"
    user: str | None = None
    folder: str = "INBOX"
    timeout: int = 60


@dataclass(frozen=True)
class Inbox:
    """The business's mailbox, read by `inbox`: a Maildir (relative to the project) or an IMAP account."""

    maildir: str | None = None
    imap: Imap | None = None


@dataclass(frozen=True)
class Config:
    business_name: str = "Our business"
    business_email: str | None = None
    business_phone: str | None = None
    business_address: str | None = None  # postal, several lines: the letter's sender
    reply_to: str | None = None           # where replies go, if not business_email
    signature: str = "The team"
    # Per language, when business.signature is a mapping (language -> text).
    signatures: tuple[tuple[str, str], ...] = ()
    # Who may sign, by the name a case's `owner` gives (people: in amends.yaml).
    people: tuple[tuple[str, Person], ...] = ()
    currency: str = "EUR"
    timezone: str = "UTC"
    # The language a customer is written to in when their case gives none.
    language: str = "en"
    # By severity: the most staff may give without someone's approval (a case's approved_by:).
    guidelines: tuple[tuple[str, Guideline], ...] = ()
    # By severity: the most days an open case may go without a word from us to the customer.
    cadence: tuple[tuple[str, int], ...] = ()
    # A case opened within this many days after the same customer's case was resolved as recovered is
    # their second chance.
    second_chance_days: int = 365
    # What finding a new customer costs the business (advertising, offers), in its currency: set beside
    # what winning one back cost, on the figures pages.
    acquisition_cost: Decimal | None = None
    # An open case older than this many days is flagged in the report.
    attention_days: int = 14
    plan: tuple[Step, ...] = DEFAULT_PLAN
    window_start: time = time(9, 0)
    window_end: time = time(17, 0)
    window_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[date, ...] = ()
    # A follow-up due longer ago than this is missed, not sent stale.
    catch_up_days: int = 3
    # A phone complaint also gets a call task, a letter a printable letter, a social post
    # an answer where it was posted (followups.tasks); calls_and_letters: false turns all off.
    calls_and_letters: bool = True
    tasks: tuple[tuple[str, str], ...] = DEFAULT_TASKS
    # ...and the email follow-ups still go out where there is an address.
    email_too: bool = True
    every_minutes: int = 15
    # Cases resolved before this day (say, before amends was used) get no follow-ups.
    since: date | None = None
    # An email of a kind that went to the same address this many days ago, about the same complaint, is held:
    # a renamed, re-dated or copied case must not send it twice.
    resend_guard_days: int = 60
    # Every email of a case of these severities waits for a person's approve.
    approve_first: tuple[str, ...] = SEVERE
    do_not_contact: tuple[str, ...] = ()
    transport: str = "outbox"
    smtp: Smtp = field(default_factory=Smtp)
    inbox: Inbox = field(default_factory=Inbox)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(step.kind for step in self.plan)

    def task_for(self, channel: str) -> str | None:
        """The task that answers a complaint in its own channel, if any."""
        task = dict(self.tasks).get(channel, "none") if self.calls_and_letters else "none"
        return None if task == "none" else task

    def signature_for(self, language: str | None) -> str:
        """The signature in the customer's language. With one per language but none in theirs, the
        business's name, which is in no language: a mail never ends in another language's words."""
        if not self.signatures:
            return self.signature
        return dict(self.signatures).get(language or "en") or self.business_name

    def every(self, severity: str | None) -> int | None:
        """How often an open case of this severity hears from us, in days (a case without one counts as medium)."""
        return dict(self.cadence).get(severity or "medium")

    def guideline(self, severity: str | None) -> Guideline | None:
        """What staff may give for a case of this severity, if amends.yaml says."""
        return dict(self.guidelines).get(severity or "")

    def person(self, owner: str | None) -> Person | None:
        """The person a case's owner names, by their key in `people:` or their full name."""
        if not owner:
            return None
        wanted = owner.casefold()
        return next((p for key, p in self.people if wanted in (key.casefold(), p.name.casefold())), None)

    # Planning looks up due times by (day, step, settings) tens of thousands of times:
    # the settings never change, so their hash is worked out once.
    def __hash__(self) -> int:
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        return hash(astuple(self))

    def __getstate__(self) -> dict:
        # A str's hash differs from one process to the next: never carry it along.
        return {name: value for name, value in self.__dict__.items() if name != "_hash"}


def load_config(path: Path) -> tuple[Config, list[Problem]]:
    """Read amends.yaml; a missing file means all defaults."""
    if not path.exists():
        return Config(), []
    try:
        data = path.read_bytes()
    except OSError as error:
        return Config(), [Problem(CONFIG_NAME, None, f"cannot read the file: {error.strerror}")]
    return parse_config(data)


def parse_config(data: bytes) -> tuple[Config, list[Problem]]:
    """The settings in amends.yaml's bytes; none at all means all defaults."""
    name = CONFIG_NAME
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Config(), [Problem(name, None, f"the file is not UTF-8 ({error.reason}); save it as UTF-8")]
    if not text.strip():
        return Config(), []
    doc, problems = parse_mapping(text, name)
    if doc is None:
        return Config(), problems
    return read_config(Reader(doc, problems)), problems


def _pick(value, default):
    return default if value is None else value


def read_config(r: Reader) -> Config:
    """Build a Config from a parsed amends.yaml, defaults filling the gaps."""
    d = Config()
    r.keys((), ["business", "people", "currency", "timezone", "language", "guidelines", "cadence", "second_chance_days",
                "acquisition_cost", "attention_days",
                "followups",
                "do_not_contact", "transport", "smtp", "inbox"])
    r.keys(("business",), ["name", "email", "phone", "address", "reply_to", "signature"])
    r.keys(("followups",), ["plan", "send_window", "holidays", "catch_up_days", "calls_and_letters",
                            "tasks", "email_too", "every_minutes", "since", "resend_guard_days", "approve_first"])
    signature, signatures = _signature(r, d)
    start, end, days = _window(r, d)
    return Config(
        business_name=_pick(r.text(("business", "name")), d.business_name),
        business_email=r.email(("business", "email")),
        business_phone=r.text(("business", "phone")),
        business_address=r.address(("business", "address")),
        reply_to=r.email(("business", "reply_to")),
        signature=signature,
        signatures=signatures,
        people=_people(r),
        currency=_pick(r.currency(("currency",)), d.currency),
        timezone=_pick(r.timezone(("timezone",)), d.timezone),
        language=_pick(r.language(("language",)), d.language),
        guidelines=_guidelines(r),
        cadence=_cadence(r),
        second_chance_days=_pick(r.integer(("second_chance_days",), minimum=0), d.second_chance_days),
        acquisition_cost=r.amount(("acquisition_cost",)),
        attention_days=_pick(r.integer(("attention_days",), minimum=1), d.attention_days),
        plan=_plan(r) or d.plan,
        window_start=start, window_end=end, window_days=days,
        holidays=tuple(sorted(h for h in (r.date(p) for p in r.items(("followups", "holidays"))) if h)),
        catch_up_days=_pick(r.integer(("followups", "catch_up_days"), minimum=0), d.catch_up_days),
        calls_and_letters=_pick(r.boolean(("followups", "calls_and_letters")), d.calls_and_letters),
        tasks=_tasks(r, d),
        email_too=_pick(r.boolean(("followups", "email_too")), d.email_too),
        every_minutes=_pick(r.integer(("followups", "every_minutes"), minimum=1), d.every_minutes),
        since=r.date(("followups", "since")),
        resend_guard_days=_pick(r.integer(("followups", "resend_guard_days"), minimum=0), d.resend_guard_days),
        approve_first=_approve_first(r, d),
        do_not_contact=tuple(e.casefold() for e in (r.email(p) for p in r.items(("do_not_contact",))) if e),
        transport=_pick(r.choice(("transport",), TRANSPORTS), d.transport),
        smtp=_smtp(r),
        inbox=_inbox(r),
    )


def _signature(r: Reader, d: Config) -> tuple[str, tuple[tuple[str, str], ...]]:
    """business.signature: one text, or a mapping from language to text."""
    path = ("business", "signature")
    if not isinstance(r.raw(path), dict):
        return _pick(r.text(path, multiline=True), d.signature), ()
    return d.signature, _by_language(r, path)


def _by_language(r: Reader, path: tuple) -> tuple[tuple[str, str], ...]:
    """A mapping from language code to text, each code checked."""
    out = []
    for language in r.raw(path):
        if not LANGUAGE.fullmatch(language):
            r.problem(path + (language,), f"'{language}' is not a language code like en, de or pt-BR")
            continue
        text = r.text(path + (language,), required=True, multiline=True)
        if text:
            out.append((language, text))
    return tuple(out)


def _people(r: Reader) -> tuple[tuple[str, Person], ...]:
    """people: key -> {name, role}; role is one text or one per language."""
    if not isinstance(r.raw(("people",)), dict):
        if r.present(("people",)):
            r.problem(("people",), "'people' maps the name a case gives as owner to {name: …, role: …}")
        return ()
    out = []
    for key in r.raw(("people",)):
        path = ("people", key)
        if not r.keys(path, ["name", "role"]):
            continue
        name = r.text(path + ("name",), required=True)
        role = path + ("role",)
        roles = _by_language(r, role) if isinstance(r.raw(role), dict) else (
            (("en", r.text(role)),) if r.text(role) else ())
        if name:
            out.append((str(key), Person(name, roles)))
    return tuple(out)


def _approve_first(r: Reader, d: Config) -> tuple[str, ...]:
    """followups.approve_first: the severities whose emails a person approves first ([] for none)."""
    path = ("followups", "approve_first")
    if not r.present(path) and not isinstance(r.raw(path), list):  # absent or blank; [] is a choice: none waits
        return d.approve_first
    return tuple(s for s in (r.choice(p, SEVERITIES) for p in r.items(path)) if s)


def _tasks(r: Reader, d: Config) -> tuple[tuple[str, str], ...]:
    """followups.tasks: channel -> call | letter | social | none, over the defaults."""
    base = ("followups", "tasks")
    tasks = dict(d.tasks)
    if r.keys(base, CHANNELS):
        for channel in r.raw(base) or {}:
            task = r.choice(base + (channel,), TASKS)
            if channel in tasks and task:
                tasks[channel] = task
    return tuple(tasks.items())


def _plan(r: Reader) -> tuple[Step, ...]:
    steps: list[Step] = []
    for item in r.items(("followups", "plan")):
        if not r.keys(item, ["kind", "after", "template", "approval", "only_if_given", "score"]):
            continue
        kind = r.text(item + ("kind",), required=True)
        after = r.text(item + ("after",), required=True)
        match = _DELAY.fullmatch(after.lower()) if after else None
        if match and (len(match.group(1)) > 4 or int(match.group(1)) > MAX_DELAY_DAYS):
            r.problem(item + ("after",), f"'{after}' is too long a delay; at most {MAX_DELAY_DAYS} days")
            match = None
        elif after and not match:
            r.problem(item + ("after",), f"'{after}' is not a delay; write e.g. '3 days' or '2 business days'")
        approval = r.choice(item + ("approval",), ("none", "required"))
        only_if = r.choice(item + ("only_if_given",), ACCOMMODATION_KINDS)
        score = bool(r.boolean(item + ("score",)))
        if score and kind not in CHECKIN_KINDS:
            r.problem(item + ("score",), f"only a check-in ({', '.join(CHECKIN_KINDS)}) asks for a score, not '{kind}'")
            score = False
        if kind and match:
            if kind in (s.kind for s in steps):
                r.problem(item + ("kind",), f"the plan names '{kind}' twice")
            steps.append(Step(kind, int(match.group(1)), bool(match.group(2)),
                              r.text(item + ("template",)) or kind, approval == "required", only_if, score))
    return tuple(steps)


def _window(r: Reader, d: Config) -> tuple[time, time, tuple[int, ...]]:
    base = ("followups", "send_window")
    r.keys(base, ["from", "to", "days"])
    start, end = d.window_start, d.window_end
    for key in ("from", "to"):
        value = r.text(base + (key,))
        if value is None:
            continue
        match = _CLOCK.fullmatch(value)
        if not match:
            r.problem(base + (key,), f"'{value}' is not a time of day; write e.g. \"09:00\"")
            continue
        clock = time(int(match.group(1)), int(match.group(2)))
        start, end = (clock, end) if key == "from" else (start, clock)
    if start >= end:
        r.problem(base, f"the send window ends ({end:%H:%M}) before it starts ({start:%H:%M})")
        start, end = d.window_start, d.window_end
    days = tuple(sorted({WEEKDAYS.index(day) for day in (r.choice(p, WEEKDAYS) for p in r.items(base + ("days",))) if day}))
    if r.present(base + ("days",)) and not days:
        r.problem(base + ("days",), "the send window needs at least one day")
    return start, end, days or d.window_days


def _smtp(r: Reader) -> Smtp:
    d = Smtp()
    r.keys(("smtp",), ["host", "port", "security", "user", "timeout", "password"])
    if r.present(("smtp", "password")):
        r.problem(("smtp", "password"), "never put the password here: set AMENDS_SMTP_PASSWORD or use the system keyring")
    port = r.integer(("smtp", "port"), minimum=1)
    if port is not None and port > 65535:
        r.problem(("smtp", "port"), f"'{port}' is not a port number")
    return Smtp(
        host=_pick(r.text(("smtp", "host")), d.host),
        port=port,
        security=_pick(r.choice(("smtp", "security"), SECURITY), d.security),
        user=r.text(("smtp", "user")),
        timeout=_pick(r.integer(("smtp", "timeout"), minimum=1), d.timeout),
    )


def _cadence(r: Reader) -> tuple[tuple[str, int], ...]:
    """cadence: severity -> days, in the order of SEVERITIES."""
    if not r.keys(("cadence",), list(SEVERITIES)):
        return ()
    days = {severity: r.integer(("cadence", severity), minimum=1) for severity in SEVERITIES}
    return tuple((severity, n) for severity, n in days.items() if n is not None)


def _guidelines(r: Reader) -> tuple[tuple[str, Guideline], ...]:
    """guidelines: severity -> {max: amount, kinds: [...]}, in the order of SEVERITIES."""
    if not r.keys(("guidelines",), list(SEVERITIES)):
        return ()
    out = []
    for severity in SEVERITIES:
        path = ("guidelines", severity)
        if not r.present(path) or not r.keys(path, ["max", "kinds"]):
            continue
        kinds = tuple(k for k in (r.choice(p, ACCOMMODATION_KINDS) for p in r.items(path + ("kinds",))) if k)
        out.append((severity, Guideline(r.amount(path + ("max",)), kinds)))
    return tuple(out)


def _inbox(r: Reader) -> Inbox:
    """inbox: either `maildir: PATH` or `imap:` with the keys of smtp: (the password never here)."""
    r.keys(("inbox",), ["maildir", "imap"])
    maildir, imap = r.text(("inbox", "maildir")), None
    if r.present(("inbox", "imap")):
        base = ("inbox", "imap")
        r.keys(base, ["host", "port", "security", "user", "folder", "timeout", "password"])
        if r.present(base + ("password",)):
            r.problem(base + ("password",), "never put the password here: set AMENDS_IMAP_PASSWORD or use the system keyring")
        port = r.integer(base + ("port",), minimum=1)
        if port is not None and port > 65535:
            r.problem(base + ("port",), f"'{port}' is not a port number")
        host = r.text(base + ("host",))
        if host is None:
            r.problem(base, "the IMAP server needs a host: write e.g. host: imap.example.com")
        else:
            imap = Imap(host=host, port=port, security=_pick(r.choice(base + ("security",), SECURITY), "tls"),
                        user=r.text(base + ("user",)), folder=_pick(r.text(base + ("folder",)), "INBOX"),
                        timeout=_pick(r.integer(base + ("timeout",), minimum=1), 60))
    if maildir and imap:
        r.problem(("inbox",), "give either maildir: or imap:, not both")
        return Inbox()
    return Inbox(maildir=maildir, imap=imap)
