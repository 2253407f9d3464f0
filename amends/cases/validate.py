"""Turn raw case files into typed Cases, reporting every problem at once."""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from amends.cases import attachments
from amends.cases.briefed import briefed
from amends.cases.casefile import RawCase, stem_of
from amends.cases.config import SAYS, Config
from amends.cases.fields import Reader
from amends.cases.yamlfile import dotted, shown
from amends.model import (
    ACCOMMODATION_KINDS, CHANNELS, CONDUCTS, CONTACT_BY, FAULTS, SEVERITIES, STATUSES, TASKS,
    Accommodation, AskedFor, Case, Purchase, Contact, Customer, FollowupOverrides, Problem, Promise, looks_like_company,
)

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")

CASE_KEYS = (
    "id", "title", "customer", "channel", "opened", "resolved", "status",
    "fault", "severity", "owner", "team", "category", "tags",
    "accommodation", "promises", "about", "subject", "what_went_wrong", "how_resolved", "prevention",
    "contacts", "followups", "do_not_contact", "customer_value", "source_url",
    "repeat_of", "not_a_repeat_of", "message_id", "approved_by", "asked_for", "next_purchase", "conduct",
    "acknowledged_by", "attachments",
)
ASKED_FOR_KEYS = ("what", "amount", "currency")
CUSTOMER_KEYS = ("name", "salutation", "email", "company", "phone", "address", "timezone", "language")
ACCOMMODATION_KEYS = ("kind", "amount", "currency", "note", "code", "url", "expires", "sent", "redeemed")
PURCHASE_KEYS = ("date", "amount", "currency")
GIFT_CARD_KEYS = ("code", "url", "expires", "sent")
# Whose lines a case keeps for warnings: the texts written to the customer, the language, the attachments;
# and repeat_of, for the check of the ids it names against all cases (not_a_repeat_of's items too).
_LINES_KEPT = {("accommodation",), ("attachments",), ("about",), ("subject",), ("what_went_wrong",), ("how_resolved",), ("prevention",), ("customer", "language"),
               ("repeat_of",)}
PROMISE_KEYS = ("what", "due", "kept")
CONTACT_KEYS = ("at", "by", "channel", "note", "dated")
FOLLOWUP_KEYS = ("hold", "skip", "dates")
# What each status means, said where a wrong one is refused: the choice decides the follow-ups.
STATUS_MEANINGS = {
    "open": "still being put right",
    "resolved": "put right",
    "recovered": "put right, and the customer stayed",
    "lost": "the customer left; no follow-ups go out",
}
# Words in a customer-read text that speak of the customer instead of to them. A role noun for one person
# holds the message for a person to read; a pronoun only warns, since it may mean a member of staff.
# "Our customer service", "the guest room" and "unsere Kunden" (all of them) name no one.
_COMPOUND = ("service|services|care|account|accounts|number|file|files|room|rooms|portal|area|line|support|record|"
             "records|card|cards|list|data|parking|entrance|lounge|toilets?|feedback|experience|satisfaction|desk|"
             "book|wifi|wi-fi|house|bathroom|kitchen|floor|wing|pass|login|app|reviews?|relations")
_ROLE_EN = (rf"(?i:the|this|that|our)\s+(?i:customer|client|guest|patient|tenant|caller|visitor|buyer)\b"
            rf"(?!s\b|'s\s+(?i:{_COMPOUND})\b|\s+(?i:{_COMPOUND})\b|-)")
_ROLE_DE = ("(?i:der|unser)\\s+(?:Kunde|Patient|Gast|Mieter|Anrufer|Besucher|Käufer)\\b"
            "|(?i:den|dem|des|unseren|unserem|unseres)\\s+(?:Kunden|Patienten|Gast|Gastes|Mieter|Mieters|Anrufer|Anrufers|"
            "Besucher|Besuchers|Käufer|Käufers)\\b(?!-)"
            "|(?i:die|der|unsere|unserer)\\s+(?:Kundin|Patientin|Mieterin|Anruferin|Besucherin|Käuferin)\\b")
_ROLE = re.compile(rf"\b(?:{_ROLE_EN}|{_ROLE_DE})")
# English pronouns; in German only where they plainly mean a person ("sie sagte", "ihr Mann"), since
# "sie" and "er" stand for things as often ("die Torte, weil sie verrutscht ist").
_PRONOUN = {"en": re.compile(r"\b(?i:she|he|her|hers|herself|him|himself|his)\b"),
            "de": re.compile(r"\b(?:(?:sie|er)\s+(?:sagte|schrieb|rief|meinte|bestellte|wollte|beschwerte|erzählte)"
                             r"|(?:ihr|sein)(?:e|em|en|er)?\s+(?:Mann|Frau|Sohn|Tochter|Kind|Kinder|Familie|Partner|"
                             r"Partnerin|Mutter|Vater|Gäste|Bestellung))\b")}
# A sentence that names a member of staff gives a pronoun someone else to mean: no warning.
_STAFF = re.compile(r"\b(?i:staff|server|waiter|waitress|driver|baker|chef|cook|manager|colleague|technician|engineer|"
                    r"plumber|fitter|dentist|doctor|nurse|receptionist|cleaner|owner|team|Mitarbeiter\w*|Fahrer\w*|"
                    r"Kolleg\w*|Bäcker\w*|Koch|Köchin|Kellner\w*|Leiter\w*|Inhaber\w*|Techniker\w*|Monteur\w*)\b")
# Capitalised words that name no one: a pronoun beside them still means the customer.
_NO_ONE = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
           "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
# An article before a name makes it a noun: "der Hahn tropfte" speaks of a tap, not of Herr Hahn.
_ARTICLE = re.compile(r"(?i:\b(?:the|a|an|der|die|das|den|dem|des|ein|eine|einen|einem|einer|kein|keine|unser\w*|ihr\w*|"
                      r"mein\w*|dein\w*))\s+$")
CUSTOMER_TEXTS = ("about", "subject", "what_went_wrong", "how_resolved", "prevention")

# Words people use for a status, and the status they mean.
STATUS_WORDS = {"closed": "resolved", "done": "resolved", "fixed": "resolved", "won back": "recovered", "gone": "lost"}


def unknown_links(cases: list[Case], known: Iterable[str]) -> tuple[list[Case], list[Problem]]:
    """Cases less those whose `repeat_of` or `not_a_repeat_of` names an id no case has, and a problem for each id.

    `known` holds every id a case file claims, valid or not (and each file's name), so a link to a case
    left out for a problem of its own is that case's problem, not this one's. Ids match ignoring case.
    """
    ids = {case_id.casefold() for case_id in known}
    kept, problems = [], []
    for case in cases:
        lines = dict(case.lines)
        named = [("repeat_of", case.repeat_of)] if case.repeat_of else []
        named += [(f"not_a_repeat_of[{n}]", other) for n, other in enumerate(case.not_a_repeat_of, 1)]
        found = [Problem(case.path, lines.get(key, 1), f"'{key}' names '{shown(other)}', but no case has that id; "
                                                       "give the id of an earlier case (its file name without .md)", key)
                 for key, other in named if other.casefold() not in ids]
        problems += found
        if not found:
            kept.append(case)
    return kept, problems


def id_line(raw: RawCase) -> int:
    """Where the case's id comes from: its `id:` line, or the top of the file for a file name."""
    return raw.doc.lines.get(("id",), 1)


# Names of site pages that sit beside the case pages (site/cases/index.html): no case id may take one,
# in any case, since on macOS and Windows "INDEX.html" is "index.html".
RESERVED_IDS = ("index",)


def unique(cases: list[tuple[Case, int]]) -> tuple[list[Case], list[Problem]]:
    """Cases sorted by id, less those whose id another case shares, and a problem for each of those.

    An id names a page, a ledger key and kept .eml files, so two cases may never
    share one, ignoring case: on macOS and Windows `Foo` and `foo` are one file.
    When one of the files is named after the id, that one is kept and the others
    are reported; otherwise all of them are.
    """
    by_id: dict[str, list[tuple[Case, int]]] = defaultdict(list)
    for case, line in cases:
        by_id[case.id.casefold()].append((case, line))
    kept, problems = [], []
    for key in sorted(by_id):
        same = by_id[key]
        if len(same) == 1:
            kept.append(same[0][0])
            continue
        named = [case for case, _ in same if stem_of(case.path) == case.id]
        owner = named[0] if len(named) == 1 else None
        if owner is not None:
            kept.append(owner)
        in_case = " (ids differ only in upper and lower case)" if len({c.id for c, _ in same}) > 1 else ""
        for case, line in same:
            if case is not owner:
                others = ", ".join(c.path for c, _ in same if c is not case)
                keeps = f"; {owner.path} is named after it and keeps it" if owner else ""
                problems.append(Problem(case.path, line, f"the case id '{case.id}' is also used by {others}{in_case}; "
                                                         f"ids must be unique{keeps}", "id"))
    return sorted(kept, key=lambda c: c.id), problems


def copies(cases: list[Case]) -> list[Problem]:
    """A warning for each case with the customer's address, `opened` date and title of another: likely a copied file."""
    by_facts: dict[tuple, list[Case]] = defaultdict(list)
    for case in cases:
        if case.customer.email:
            by_facts[(case.customer.email.casefold(), case.opened, case.title)].append(case)
    return [Problem(case.path, None, (
        f"same customer address, opened date and title as {', '.join(c.path for c in same if c is not case)}; "
        "was the file copied? Keep one case per complaint"), warning=True)
        for same in by_facts.values() if len(same) > 1 for case in same]


def _label(value: str | None) -> str | None:
    """A team, category or tag in one Unicode form, so that the same word typed or pasted links one page."""
    return unicodedata.normalize("NFC", value) if value else value


def to_case(raw: RawCase, config: Config, today: date) -> tuple[Case | None, list[Problem], tuple[date | None, date | None]]:
    """Read one case; it is None when anything about it is wrong. Also the days for which reading it again
    gives the same answer: from the first (None: any before) up to the second (None: any after), which is
    the first day a date is no longer in the future, say."""
    r = Reader(raw.doc, today=today)
    r.keys((), CASE_KEYS)
    # A customer given as plain text is one mistake: its missing name is not another.
    customer_shaped = r.keys(("customer",), CUSTOMER_KEYS) or not r.present(("customer",))

    case_id = r.text(("id",)) or raw.stem
    if case_id.casefold() in RESERVED_IDS:
        r.problem(("id",) if r.present(("id",)) else (), f"'{case_id}' cannot be a case id: it is the name of the "
                                                          "table of cases (rename the file or set 'id:')")
    elif not ID_PATTERN.fullmatch(case_id):
        where = ("id",) if r.present(("id",)) else ()
        r.problem(where, f"'{shown(case_id)}' cannot be a case id: use letters, digits, '.', '_' and '-' only "
                         "(rename the file or set 'id:')")

    # A company may be the customer with no person named: it is then greeted "Dear Sir or Madam".
    company = r.text(("customer", "company"))
    customer = Customer(
        name=r.text(("customer", "name"), required=customer_shaped and not company) or company or "",
        email=r.email(("customer", "email")),
        company=company,
        phone=r.text(("customer", "phone")),
        timezone=r.timezone(("customer", "timezone")),
        language=r.language(("customer", "language")),
        salutation=r.text(("customer", "salutation")),
        address=r.address(("customer", "address")),
    )
    opened = r.date(("opened",), required=True)
    resolved = r.date(("resolved",))
    status = r.choice(("status",), {s: STATUS_MEANINGS[s] for s in STATUSES}, required=True, words=STATUS_WORDS)

    case = Case(
        id=case_id,
        path=raw.doc.path,
        title=r.text(("title",), required=True) or "",
        customer=customer,
        channel=r.choice(("channel",), CHANNELS, required=True) or "",
        opened=opened or r.standing_in(),
        resolved=resolved,
        status=status or "open",
        fault=r.choice(("fault",), FAULTS),
        severity=r.choice(("severity",), SEVERITIES),
        owner=r.text(("owner",)),
        team=_label(r.text(("team",))),
        category=_label(r.text(("category",))),
        tags=tuple(map(_label, r.text_list(("tags",)))),
        accommodation=_accommodation(r, config, today, resolved),
        promises=_promises(r),
        what_went_wrong=r.text(("what_went_wrong",), multiline=True),
        how_resolved=r.text(("how_resolved",), multiline=True),
        prevention=r.text(("prevention",), multiline=True),
        about=r.text(("about",)),
        subject=r.text(("subject",)),
        source_url=r.url(("source_url",)),
        contacts=_contacts(r, today, opened),
        followups=_followups(r, config),
        do_not_contact=bool(r.boolean(("do_not_contact",))),
        customer_value=r.amount(("customer_value",)),
        body=raw.body,
        repeat_of=r.text(("repeat_of",)),
        not_a_repeat_of=r.text_list(("not_a_repeat_of",)),
        message_id=_message_id(r),
        approved_by=r.text(("approved_by",)),
        asked_for=_asked_for(r, config),
        next_purchase=_next_purchase(r, config),
        conduct=r.choice(("conduct",), CONDUCTS),
        acknowledged_by=briefed(r, opened),
        listed=attachments.listed(r),
        images=attachments.note_images(raw.body, raw.body_line),
        lines=tuple((dotted(path), line) for path, line in raw.doc.lines.items() if path in _LINES_KEPT
                    or (len(path) == 3 and path[0] == "accommodation" and path[2] == "note")
                    or (len(path) == 2 and path[0] == "not_a_repeat_of")),
    )
    case = replace(case, spoken=tuple(spoken_of(case)))
    _check_links(r, case)
    _check_greeting(r, customer)
    if opened is not None:
        _check_dates(r, case, today)
    # Warnings are kept with the case: they never make it invalid.
    if r.errors:
        return None, r.problems, r.valid
    return case, r.problems, r.valid


def _accommodation(r: Reader, config: Config, today: date, resolved: date | None) -> tuple[Accommodation, ...]:
    out = []
    for item in r.items(("accommodation",)):
        if r.keys(item, ACCOMMODATION_KEYS):
            chosen = r.choice(item + ("kind",), ACCOMMODATION_KINDS, required=True)
            kind = chosen or "other"
            # Gift card details under a misspelled kind are that one mistake, already reported.
            if chosen is not None and kind != "gift-card":
                for key in GIFT_CARD_KEYS:
                    if r.present(item + (key,)):
                        r.problem(item + (key,), f"'{key}' belongs to a gift card; this item is a {kind}")
            out.append(Accommodation(
                kind=kind,
                amount=r.amount(item + ("amount",)),
                currency=r.currency(item + ("currency",)) or config.currency,
                note=r.text(item + ("note",), multiline=True),
                code=r.text(item + ("code",)),
                url=r.url(item + ("url",)),
                expires=r.date(item + ("expires",)),
                sent=r.date(item + ("sent",)),
                redeemed=r.date(item + ("redeemed",)),
            ))
            if out[-1].redeemed and r.in_future(out[-1].redeemed):
                r.problem(item + ("redeemed",), f"'redeemed' is in the future ({out[-1].redeemed}; today is {today})")
            if kind == "gift-card" and out[-1].expires is None and out[-1].sent is None:
                r.problem(item, "the gift card has no 'expires' date, so the customer is not told until when it "
                                "is valid; add 'expires:'", warning=True)
            card = out[-1]
            if kind == "gift-card" and card.sent is None and card.expires and resolved and card.expires < resolved:
                r.problem(item + ("expires",), f"the gift card expires on {card.expires}, before the case was resolved "
                                               f"({resolved}): the customer would get a card that no longer works; give a new one or a new date",
                          warning=True)
            if out[-1].sent and r.in_future(out[-1].sent):
                r.problem(item + ("sent",), f"'sent' is in the future ({out[-1].sent}; today is {today})")
    return tuple(out)


def _asked_for(r: Reader, config: Config) -> AskedFor | None:
    """asked_for: their words alone, or {what, amount, currency}."""
    path = ("asked_for",)
    if not isinstance(r.raw(path), dict):
        what = r.text(path, multiline=True)
        return AskedFor(what) if what else None
    if not r.keys(path, ASKED_FOR_KEYS):
        return None
    return AskedFor(r.text(path + ("what",), required=True, multiline=True) or "", r.amount(path + ("amount",)),
                    r.currency(path + ("currency",)) or config.currency)


def _next_purchase(r: Reader, config: Config) -> Purchase | None:
    """next_purchase: a date, or {date, amount, currency}; a day still to come is a mistake."""
    path = ("next_purchase",)
    if isinstance(r.raw(path), dict):
        if not r.keys(path, PURCHASE_KEYS):
            return None
        day, amount = r.date(path + ("date",), required=True), r.amount(path + ("amount",))
        where, currency = path + ("date",), r.currency(path + ("currency",)) or config.currency
    else:
        day, amount, where, currency = r.date(path), None, path, config.currency
    if day and r.in_future(day):
        r.problem(where, f"'next_purchase' is in the future ({day}; today is {r.today}); write it once they have bought again")
        return None
    return Purchase(day, amount, currency) if day else None


def _promises(r: Reader) -> tuple[Promise, ...]:
    out = []
    for item in r.items(("promises",)):
        if r.keys(item, PROMISE_KEYS):
            out.append(Promise(
                what=r.text(item + ("what",), required=True, multiline=True) or "",
                due=r.date(item + ("due",)),
                kept=r.boolean(item + ("kept",)),
            ))
    return tuple(out)


def _contacts(r: Reader, today: date, opened: date | None) -> tuple[Contact, ...]:
    out = []
    for item in r.items(("contacts",)):
        if r.keys(item, CONTACT_KEYS):
            at = r.moment(item + ("at",), required=True)
            contact = Contact(at or r.standing_in(), r.choice(item + ("channel",), CHANNELS), r.text(item + ("note",), multiline=True),
                              r.choice(item + ("by",), CONTACT_BY) or "customer", r.date(item + ("dated",)))
            if at is not None and r.in_future(contact.day):
                r.problem(item + ("at",), f"the contact on {r.raw(item + ('at',))} is in the future (today is {today})")
            # The figures count days from `opened` to the first contact: one before it would count negative days.
            if at is not None and opened is not None and contact.day < opened:
                r.problem(item + ("at",), f"the contact on {contact.day} is before 'opened' ({opened}); "
                                          "correct the date, or open the case on the day of its first contact")
            # A letter is written before it arrives; a later date is a typo that our answer would quote.
            if at is not None and contact.dated is not None and contact.dated > contact.day:
                r.problem(item + ("dated",), f"'dated' ({contact.dated}) is after 'at' ({contact.day}), the day "
                                             "it reached us; a letter is written before it arrives")
            out.append(contact)
    # The log is shown in time order whatever order it was typed in.
    return tuple(sorted(out, key=lambda c: (c.day, str(c.at))))


def _followups(r: Reader, config: Config) -> FollowupOverrides:
    if not r.keys(("followups",), FOLLOWUP_KEYS):
        return FollowupOverrides()
    # Calls and letters are follow-ups too, and can be skipped like the emails.
    kinds = config.kinds + tuple(t for t in TASKS if t != "none")
    skip = r.text_list(("followups", "skip"))
    for index, kind in enumerate(skip):
        # A shipped kind the plan no longer has still means what it said (skip: [thanks] skips the check-in).
        if kind not in kinds and kind not in SAYS:
            r.problem(("followups", "skip", index), f"'{shown(kind)}' is not a follow-up kind; kinds: {', '.join(kinds)}")
    dates = []
    if r.keys(("followups", "dates"), config.kinds):
        mapping = r.raw(("followups", "dates"))
        for kind in mapping:
            when = r.date(("followups", "dates", kind))
            if kind in config.kinds and when is not None:
                dates.append((kind, when))
    return FollowupOverrides(hold=bool(r.boolean(("followups", "hold"))), skip=skip, dates=tuple(sorted(dates)))


def spoken_of(case: Case) -> list[tuple[str, str, bool]]:
    """Where a text the customer reads speaks of them: (field, the words, whether it holds the message).

    Their own name or a role noun ("the patient", "die Kundin") holds it for a person; a pronoun
    ("she", "ihr") only warns.
    """
    names = [part for part in re.split(r"[\s,]+", case.customer.person or "") if len(part) > 1 and part[0].isupper()]
    language = "de" if (case.customer.language or "").split("-")[0] == "de" else "en"
    pronouns = _PRONOUN[language]
    texts = [(name, getattr(case, name)) for name in CUSTOMER_TEXTS] + [
        (f"accommodation[{i}].note", a.note) for i, a in enumerate(case.accommodation, 1)]
    out = []
    for field, text in texts:
        if not text:
            continue
        found = [(n, True) for n in names if any(not _ARTICLE.search(text[:m.start()])
                                                 for m in re.finditer(rf"\b{re.escape(n)}\b", text))] + [
            (m.group(), True) for m in _ROLE.finditer(text)] + [
            (m.group(), False) for sentence in re.split(r"(?<=[.!?])\s+", text) if not _someone_else(sentence, names, language)
            for m in pronouns.finditer(sentence)]
        out += [(field, word, holds) for word, holds in found]
    return out


def _someone_else(sentence: str, names: list[str], language: str) -> bool:
    """Whether a sentence names someone a pronoun could mean besides the customer: a member of staff by
    their job, or (in English, where only names are capitalised) by a name that is not the customer's."""
    if _STAFF.search(sentence):
        return True
    words = re.findall(r"\b[^\W\d_][\w'-]*", sentence)[1:]
    return language == "en" and any(w[0].isupper() and w not in names and w not in _NO_ONE and w != "I"
                                    and not w.isupper() for w in words)


def _check_greeting(r: Reader, customer: Customer) -> None:
    """Warn about a greeting that would read wrong: a company greeted as a person, a German 'Guten Tag, Vorname Name'."""
    if customer.name != customer.company and looks_like_company(customer.name) and not customer.company:
        r.problem(("customer", "name"), f"'{customer.name}' looks like a company: put it under 'company:' and the "
                                        "contact person, if known, under 'name:' (with no person, the greeting is "
                                        "'Dear Sir or Madam')", warning=True)
    if (customer.language or "").split("-")[0] == "de" and customer.person and not customer.salutation:
        r.problem(("customer",), f"a German customer is greeted by 'salutation:' (e.g. 'Frau Müller', 'Herr "
                                 f"Schmidt'); without it the greeting is 'Guten Tag, {customer.person},'", warning=True)


def _check_links(r: Reader, case: Case) -> None:
    """A case is no repeat of itself, and not both a repeat and no repeat of one case."""
    own = case.id.casefold()
    if case.repeat_of and case.repeat_of.casefold() == own:
        r.problem(("repeat_of",), f"'repeat_of' names this case itself ('{shown(case.repeat_of)}'); give an earlier case's id")
    for n, other in enumerate(case.not_a_repeat_of):
        if other.casefold() == own:
            r.problem(("not_a_repeat_of", n), f"'not_a_repeat_of' names this case itself ('{shown(other)}'); remove it")
        elif case.repeat_of and other.casefold() == case.repeat_of.casefold():
            r.problem(("not_a_repeat_of", n), f"'{shown(other)}' is both 'repeat_of' and 'not_a_repeat_of'; keep one")


def _check_dates(r: Reader, case: Case, today: date) -> None:
    """Dates that cannot be true: the future, or resolved before opened."""
    if r.in_future(case.opened):
        r.problem(("opened",), f"'opened' is in the future ({case.opened}; today is {today})")
    if case.resolved is not None:
        if r.in_future(case.resolved):
            r.problem(("resolved",), f"'resolved' is in the future ({case.resolved}; today is {today})")
        if case.resolved < case.opened:
            r.problem(("resolved",), f"'resolved' ({case.resolved}) is before 'opened' ({case.opened})")
    elif case.status in ("resolved", "recovered") and r.present(("status",)) and not r.present(("resolved",)):
        r.problem(("status",), f"status is '{case.status}' but there is no 'resolved' date; add one")


_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


def _message_id(r: Reader) -> str | None:
    """The complaint email's Message-ID, as `new --from-email` writes it: <…@…>, nothing else on the line."""
    value = r.text(("message_id",))
    if value is not None and not _MESSAGE_ID.fullmatch(value):
        r.problem(("message_id",), f"'{value}' is not a Message-ID: it looks like <something@example.com>")
        return None
    return value
