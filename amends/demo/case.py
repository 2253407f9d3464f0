"""One case of the demo: its facts, drawn first for every case; its cause, which needs every case's date;
then its words, from the front matter's texts to the Markdown body."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from amends.demo.people import Person, slug
from amends.demo.words import (ABOUT, ABOUT_DE, ACCOMMODATION_NOTES, ACCOMMODATION_NOTES_DE, ASKED_FOR, ASKED_FOR_DE,
                               BAKERS, CAME_IN, CATEGORIES, CHECK_IN_NOTES, CLOSING_NOTES, DAYS, DRIVERS, EVENTS, FAULT_LINES,
                               FIRST_NOTES, FOUND_ANY, FOUND_ORDER, HAPPENED_ANY, HAPPENED_ORDER, ITEMS, LATER_NOTES,
                               LESSONS_GENERIC, LINKS_ANY, LINKS_ORDER, LOST_ENDINGS, MIDDLE_NOTES, OPEN_ITEMS,
                               OWNERS, PLACES, PROMISE_GENERIC, QUOTES_DE, QUOTES_GENERIC, RECOVERED_ENDINGS, TEAMS,
                               UNCLEAR_WRONG, WRONG_DE_UNCLEAR, Category, Cause, Thing, cause_tag)
from amends.model import ACCOMMODATION_KINDS, CHANNELS, FAULTS, SEVERITIES

STATUS_TABLE = (("open", 12), ("reopened", 3), ("resolved", 50), ("recovered", 20), ("lost", 15))
# Weights in the order of the model's lists; zip(strict) fails loudly if a list grows.
CHANNEL_TABLE = tuple(zip(CHANNELS, (30, 25, 6, 17, 8, 14), strict=True))
FAULT_TABLE = tuple(zip(FAULTS, (55, 13, 17, 15), strict=True))
SEVERITY_TABLE = tuple(zip(SEVERITIES, (30, 40, 22, 8), strict=True))
# A reimbursement is drawn as an `other` and turned into one (see _accommodation), so that the demo's
# random draws, and with them every generated project, stay as they were before the kind existed.
KIND_TABLE = tuple(zip([k for k in ACCOMMODATION_KINDS if k != "reimbursement"], (18, 28, 14, 18, 15, 7), strict=True))
# Follow-up kinds of config.DEFAULT_PLAN (and of the shipped amends.yaml), plus the two tasks.
PLAN_KINDS = ("followup", "gift-card", "checkin")
SKIPPABLE = PLAN_KINDS + ("call", "letter")
STORY = ("what_went_wrong", "how_resolved", "prevention")
# A cause whose prevention was promised in a team and category comes back there this much less often than
# one not yet promised.
RECURS = 0.02
# The share of a customer's later cases that bring back an earlier trouble of theirs.
AGAIN = 0.1
CURRENCIES = ("USD", "GBP")
GIFT_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    """One value of a (value, weight) table."""
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def _covered(rng: random.Random, index: int, table: Sequence[tuple[str, int]]) -> str:
    """The index-th value for the first cases, so even a small set shows every value; then by weight."""
    return table[index][0] if index < len(table) else _weighted(rng, table)


# -- the facts --------------------------------------------------------------------------

@dataclass
class Draft:
    """Everything about one case, before it is written out; the cause and the words come last."""

    person: Person
    kind: str  # a status, or 'reopened'
    channel: str
    opened: date
    resolved: date | None
    status: str
    fault: str
    severity: str
    owner: str
    team: str
    category: Category
    told: int  # how many of STORY the case says
    # The same customer's case whose trouble this one is again.
    recurs: Draft | None = None
    cause: Cause | None = None
    thing: Thing | None = None
    title: str = ""
    context: dict = field(default_factory=dict)
    customer_value: int | None = None
    do_not_contact: bool = False
    accommodation: list[dict] | None = None
    approved_by: str | None = None
    asked_for: dict | None = None
    next_purchase: dict | None = None
    conduct: str | None = None
    acknowledged_by: list[tuple[str, date | None]] | None = None
    promises: list[dict] | None = None
    story: dict | None = None
    contacts: list[tuple[str, str, str, str]] | None = None
    followups: dict | None = None
    about: str = ""
    source_url: str | None = None
    body: str = ""
    attachments: list[dict] = field(default_factory=list)


def _dates(rng: random.Random, kind: str, today: date) -> tuple[date, date | None]:
    """Opened over the last three years (more of them recent), resolved 0–40 days later."""
    recent = rng.random() < 0.12 or (kind == "open" and rng.random() < 0.75)
    back = rng.randint(0, 45 if recent else 3 * 365)
    if kind == "reopened":
        # Room after the first resolution for the customer to come back.
        back = max(back, 3)
    opened = today - timedelta(days=back)
    if kind == "open" or (kind == "lost" and rng.random() < 0.4):
        return opened, None
    latest = today - timedelta(days=1) if kind == "reopened" else today
    resolved = min(opened + timedelta(days=int(rng.triangular(0, 40, 4))), latest)
    return opened, resolved


def _between(rng: random.Random, start: date, end: date) -> date:
    """A day from start to end, both included."""
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _moment(rng: random.Random, day: date) -> str:
    """A date, or a date and a time of day in opening hours."""
    if rng.random() < 0.6:
        return f"{day} {rng.randint(7, 18):02d}:{rng.choice((0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55)):02d}"
    return str(day)


def _contacts(rng: random.Random, d: Draft, kind: str, today: date) -> list[tuple[str, str, str, str]]:
    """The contact log (at, channel, note, by): first word on the opened day, replies in between, a late one when reopened."""
    count = rng.choices(range(6), (8, 25, 25, 20, 12, 10))[0]
    end = d.resolved if d.resolved and kind != "open" else today
    # A customer who writes again after the resolved date holds the follow-ups: the reopened ones always, a few others too.
    came_back = d.resolved is not None and d.resolved < today and (kind == "reopened" or rng.random() < 0.02)
    # A few settled cases get a call from us after the resolved date, which holds nothing.
    checked_in = (not came_back and d.resolved is not None and d.resolved < today and kind in ("resolved", "recovered")
                  and rng.random() < 0.04)
    if kind == "reopened":
        end, count = d.resolved, max(count, 1)
    # At most five entries, counting the one after the resolved date.
    count = min(count, 4) if came_back or checked_in else count
    days = sorted([d.opened] + [_between(rng, d.opened, end) for _ in range(max(count - 1, 0))])[:count]
    closing = CLOSING_NOTES if kind in ("resolved", "recovered", "reopened") else MIDDLE_NOTES
    notes = [FIRST_NOTES] + [MIDDLE_NOTES] * (len(days) - 2) + ([closing] if len(days) > 1 else [])
    log = []
    for i, (day, pool) in enumerate(zip(days, notes)):
        note, by = rng.choice(pool)
        log.append((_moment(rng, day), d.channel if i == 0 else rng.choice(CHANNELS), note.format_map(d.context), by))
    if came_back or checked_in:
        later = _between(rng, d.resolved + timedelta(days=1), min(d.resolved + timedelta(days=30), today))
        note, by = rng.choice(LATER_NOTES if came_back else CHECK_IN_NOTES)
        log.append((_moment(rng, later), rng.choice(CHANNELS), note.format_map(d.context), by))
    return log


def _amount(rng: random.Random, kind: str) -> str | None:
    """An amount in the right range for the kind; replacements and gestures sometimes have none."""
    if kind in ("replacement", "other") and rng.random() < 0.3:
        return None
    if kind == "gift-card":
        return f"{rng.choice((10, 15, 20, 25, 30, 50)):.2f}"
    low, high = {"credit": (5, 80), "refund": (3, 150), "discount": (5, 120)}.get(kind, (4, 90))
    return f"{rng.uniform(low, high):.2f}"


def _gift_card(rng: random.Random, d: Draft, today: date) -> dict:
    """A gift card's own details: a code, sometimes a link, an expiry date; a few were already handed over."""
    code = "HLB-" + "".join(rng.choices(GIFT_CODE_LETTERS, k=4)) + "-" + "".join(rng.choices(GIFT_CODE_LETTERS, k=4))
    given_on = d.resolved or d.opened
    return {
        "code": code,
        "url": f"https://giftcards.example.com/{code}" if rng.random() < 0.5 else None,
        "expires": given_on + timedelta(days=365),
        # Handed over at the counter or by post before the follow-ups: on a day from opened to resolved.
        "sent": _between(rng, d.opened, min(given_on, today)) if rng.random() < 0.3 else None,
    }


def _accommodation(rng: random.Random, index: int, kind: str, d: Draft, today: date) -> list[dict]:
    """What was given back: usually one or two things for a resolved case, sometimes nothing."""
    settled = kind in ("resolved", "recovered", "reopened")
    count = rng.choices(range(4), (8, 55, 30, 7) if settled else (45, 40, 13, 2))[0]
    if index < len(KIND_TABLE):
        count = max(count, 1)
    out = []
    for position in range(count):
        what = _covered(rng, index, KIND_TABLE) if position == 0 else _weighted(rng, KIND_TABLE)
        item = {"kind": what, "amount": _amount(rng, what)}
        roll = rng.random()
        item["currency"] = rng.choice(CURRENCIES) if roll < 0.05 else "EUR" if roll < 0.3 else None
        notes = ACCOMMODATION_NOTES_DE if d.person.language == "de" else ACCOMMODATION_NOTES
        item["note"] = rng.choice(notes[what]) if rng.random() < 0.8 else None
        if what == "other" and item["amount"] and (index + position) % 3 == 0:
            paid = notes["reimbursement"]
            item.update(kind="reimbursement", note=paid[(index + position) % len(paid)])
        if what == "gift-card":
            item.update(_gift_card(rng, d, today))
        out.append(item)
    return out


def _promises(rng: random.Random, d: Draft, today: date) -> list[dict]:
    """Promises made to the customer: kept, broken, or still pending."""
    out = []
    for _ in range(rng.choices(range(4), (35, 40, 20, 5))[0]):
        what = rng.choice((d.cause.promise,) + PROMISE_GENERIC).format_map(d.context)
        due = d.opened + timedelta(days=rng.randint(1, 21))
        settled = d.resolved is not None and d.status != "open"
        kept = rng.choices((True, False, None), (80, 12, 8) if settled else (40, 20, 40))[0]
        # A kept or broken promise was due in the past; a pending one may be due later.
        out.append({"what": what, "due": min(due, today) if kept is not None else due, "kept": kept})
    return out


def _story_texts(rng: random.Random, d: Draft) -> dict[str, str]:
    """What went wrong, how it was put right and the prevention, all of the case's cause, in the customer's language."""
    german = d.person.language == "de"
    wrong, fix, prevent = (text[german] for text in (d.cause.wrong, d.cause.fix, d.cause.prevent))
    if d.fault == "unclear":
        # The prevention still aims at the likeliest cause.
        wrong = rng.choice(WRONG_DE_UNCLEAR if german else UNCLEAR_WRONG)
    return dict(zip(STORY, (wrong, fix, prevent), strict=True))


def _told(rng: random.Random, kind: str) -> int:
    """How many of STORY a case says: all when settled, some otherwise."""
    if kind in ("resolved", "recovered"):
        return 3
    if kind == "lost":
        return rng.choice((0, 1, 3, 3))
    if kind == "reopened":
        return rng.choice((2, 3))
    return rng.choice((0, 0, 1, 1, 2))


def _story(rng: random.Random, d: Draft) -> dict:
    """The first `told` of what_went_wrong, how_resolved and prevention."""
    fields = _story_texts(rng, d)
    return {key: fields[key].format_map(d.context) for key in STORY[:d.told]}


def _overrides(rng: random.Random, d: Draft) -> dict | None:
    """A few cases change their own follow-up plan: hold, skip kinds, or fix a date."""
    if d.resolved is None or rng.random() >= 0.04:
        return None
    choice = rng.randrange(3)
    if choice == 0:
        return {"hold": "true"}
    if choice == 1:
        return {"skip": rng.sample(SKIPPABLE, rng.randint(1, 2))}
    return {"dates": {rng.choice(PLAN_KINDS): d.resolved + timedelta(days=rng.randint(1, 10))}}


def _context(rng: random.Random, person: Person, owner: str, channel: str, cause: Cause, thing: Thing) -> dict:
    """The words that fill the sentence templates of one case; the cause's thing takes its slot."""
    context = {
        "item": rng.choice(ITEMS), "event": rng.choice(EVENTS).en, "place": rng.choice(PLACES),
        "time": f"{rng.randint(7, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}",
        "late": rng.choice((20, 35, 45, 50, 70, 90, 120)), "order": rng.randint(10000, 99999),
        "qty": rng.choice((4, 6, 8, 12, 20, 25, 40, 60)), "driver": rng.choice(DRIVERS), "baker": rng.choice(BAKERS),
        "owner": owner.split()[0], "first": person.first, "day": rng.choice(DAYS).en,
        "came_in": CAME_IN[channel], "thing": thing.en, "thing_de": thing.de,
    }
    if cause.slot:
        context[cause.slot] = thing.en
    context["Item"], context["Event"] = (context[k][0].upper() + context[k][1:] for k in ("item", "event"))
    return context


def _troubles(category: Category, fault: str) -> list[tuple[Cause, Thing]]:
    """Every cause a case of this category and fault can have: the customer's slips, or ours."""
    return [(cause, thing) for cause in (category.slips if fault == "customer" else category.causes) for thing in cause.things]


def _category(rng: random.Random, taken: set[str]) -> Category:
    """A category by its share of complaints, other than those taken."""
    free = [c for c in CATEGORIES if c.name not in taken]
    return rng.choices(free, [c.weight for c in free])[0]


def _again(rng: random.Random, theirs: list[Draft], fault: str) -> Draft | None:
    """Now and then, the customer's earlier case whose trouble comes back in this one: their slip, or ours, as this one is."""
    alike = [d.recurs or d for d in theirs if (d.fault == "customer") == (fault == "customer")]
    return rng.choice(alike) if alike and rng.random() < AGAIN else None


def draft(rng: random.Random, index: int, person: Person, today: date, theirs: list[Draft]) -> Draft:
    """Choose the facts of one case, given the customer's cases drafted so far; its cause and words come later."""
    kind = _covered(rng, index, STATUS_TABLE)
    channel = _covered(rng, index, CHANNEL_TABLE)
    if person.email is None and channel in ("email", "chat"):
        # Someone without an email address complained some other way, and is answered that way too.
        channel = rng.choice(("phone", "letter", "in-person"))
    fault = _covered(rng, index, FAULT_TABLE)
    opened, resolved = _dates(rng, kind, today)
    recurs = _again(rng, theirs, fault)
    if recurs is not None:
        category, team = recurs.category, recurs.team
    else:
        # Any two cases of one customer in one team and category count as a repeat, so a different trouble
        # of theirs is of another category.
        category = _category(rng, {d.category.name for d in theirs})
        team = rng.choice(category.teams) if rng.random() < 0.85 else rng.choice(TEAMS)
    d = Draft(
        person=person, kind=kind, channel=channel, opened=opened, resolved=resolved,
        status="open" if kind == "reopened" else kind, fault=fault, severity=_covered(rng, index, SEVERITY_TABLE),
        owner=rng.choice(OWNERS), team=team, category=category, told=_told(rng, kind), recurs=recurs,
    )
    d.customer_value = int(rng.lognormvariate(6.3, 1.1)) // 10 * 10 if rng.random() < 0.8 else None
    d.do_not_contact = rng.random() < 0.02
    d.accommodation = _accommodation(rng, index, kind, d, today)
    d.approved_by = _approver(d)
    d.asked_for = _asked_for(index, d)
    _came_back(index, d, today)
    # About one settled customer in fifty abused the staff: from the index, like _approver.
    d.conduct = "abusive" if index % 53 == 11 and d.resolved and d.status != "lost" else None
    d.acknowledged_by = _briefed(index, d, today)
    return d


def _briefed(index: int, d: Draft, today: date) -> list[tuple[str, date | None]] | None:
    """Who was briefed on the lesson of one settled case in three that says its prevention: one to three of the
    staff, most with the day of the team meeting a few days after it was resolved. From the index, like _approver."""
    if index % 3 or d.resolved is None or d.status == "open" or d.told < len(STORY):
        return None
    first, count = index // 3 % len(OWNERS), 1 + index // 3 % 3
    met = d.resolved + timedelta(days=1 + index % 6)
    return [(OWNERS[(first + n) % len(OWNERS)], met if met <= today and (index + n) % 4 else None) for n in range(count)]


def _came_back(index: int, d: Draft, today: date) -> None:
    """Signs that a recovery held: every other gift card, discount or credit used some days after the case
    was resolved, and two recovered customers in three buying again. From the index, like _approver."""
    if d.resolved is None or d.status == "lost":
        return
    for position, item in enumerate(d.accommodation):
        used = d.resolved + timedelta(days=5 + (index + position) % 40)
        if item["kind"] in ("gift-card", "discount", "credit") and (index + position) % 2 == 0 and used <= today:
            item["redeemed"] = used
    bought = d.resolved + timedelta(days=3 + index % 50)
    if d.status == "recovered" and index % 3 and bought <= today:
        d.next_purchase = {"date": bought, "amount": f"{20 + index % 9 * 15}.00" if index % 2 else None}


def _asked_for(index: int, d: Draft) -> dict | None:
    """What one customer in three said would make it right: sometimes an amount, half, all or twice what was
    then given first. Drawn from the index, not the random generator, for the same reason as _approver."""
    if index % 3 != 1 or not d.accommodation:
        return None
    pool = ASKED_FOR_DE if d.person.language == "de" else ASKED_FOR
    first = next((a for a in d.accommodation if a["amount"] and a["currency"] in (None, "EUR")), None)
    factor = (None, 0.5, 1, 2)[index // 3 % 4]
    return {"what": pool[index // 3 % len(pool)],
            "amount": f"{float(first['amount']) * factor:.2f}" if first and factor else None}


# The sample amends.yaml's guidelines: the most staff may give, in EUR, by severity, and what a low case may get.
GUIDELINE_MAX = {"low": 15, "medium": 40, "high": 150, "critical": 500}
LOW_KINDS = ("discount", "gift-card", "replacement", "other")


def _approver(d: Draft) -> str | None:
    """Who agreed to give more than the guideline: the owner, on every case that gives more, so that the
    demo checks clean. Drawn without the random generator, so that every other case stays as the same
    seed made it before."""
    gifts = [a for a in d.accommodation if a["kind"] != "reimbursement"]
    given = sum(float(a["amount"] or 0) for a in gifts if a["currency"] in (None, "EUR"))
    over = (given > GUIDELINE_MAX[d.severity] or any(a["currency"] not in (None, "EUR") for a in gifts if a["amount"])
            or (d.severity == "low" and any(a["kind"] not in LOW_KINDS for a in gifts)))
    return OWNERS[0] if over else None


def choose_causes(rng: random.Random, drafts: list[Draft]) -> None:
    """Give every case its cause, oldest first. A cause whose prevention a case has promised comes back
    rarely in that team and category: mostly the prevention holds, as in a business that learns."""
    troubles: dict[tuple[str, bool], list[tuple[Cause, Thing, str]]] = {}
    promised: set[tuple[str, str, str]] = set()
    for d in sorted(drafts, key=lambda d: d.opened):
        if d.recurs is not None and d.recurs.cause is not None:
            d.cause, d.thing = d.recurs.cause, d.recurs.thing
        elif d.cause is None:
            key = (d.category.name, d.fault == "customer")
            if key not in troubles:
                troubles[key] = [(c, t, cause_tag(c, t)) for c, t in _troubles(d.category, d.fault)]
            options = troubles[key]
            weights = [RECURS if (d.team, d.category.name, tag) in promised else 1 for _, _, tag in options]
            d.cause, d.thing, _ = rng.choices(options, weights)[0]
            if d.recurs is not None:
                d.recurs.cause, d.recurs.thing = d.cause, d.thing
        if "prevention" in STORY[:d.told]:
            promised.add((d.team, d.category.name, cause_tag(d.cause, d.thing)))


def tell(rng: random.Random, d: Draft, today: date) -> None:
    """Put one case into words, now that its cause is known."""
    d.context = _context(rng, d.person, d.owner, d.channel, d.cause, d.thing)
    d.title = rng.choice(d.cause.titles).format_map(d.context)
    d.about = rng.choice(ABOUT_DE if d.person.language == "de" else ABOUT[d.category.name]).format_map(d.context)
    if d.channel == "social":
        d.source_url = f"https://social.example.com/@{slug(d.person.name, 30)}/posts/{d.context['order']}"
    d.promises = _promises(rng, d, today)
    d.story = _story(rng, d)
    d.contacts = _contacts(rng, d, d.kind, today)
    d.followups = _overrides(rng, d)
    d.body = _body(rng, d, d.kind)


# -- the Markdown body ----------------------------------------------------------------

HEADINGS = ("## What happened", "## In the customer's words", "## What we found", "## Lessons")
STILL_TO_DO = "## Still to do"


def _words(text: str) -> int:
    """Count words as the length check does: whitespace-separated tokens."""
    return len(text.split())


def _table(rng: random.Random, d: Draft) -> str:
    """A timeline of the case, or a breakdown of the order."""
    if d.contacts and rng.random() < 0.5:
        rows = ["| When | Channel | What happened |", "| --- | --- | --- |"]
        rows += [f"| {at} | {channel} | {note} |" for at, channel, note, _ in d.contacts]
        return "\n".join(rows)
    rows = ["| Item | Quantity | Price |", "| --- | ---: | ---: |"]
    total = 0.0
    for item in rng.sample(ITEMS, rng.randint(2, 5)):
        quantity, price = rng.randint(1, 40), rng.uniform(1.5, 45)
        total += quantity * price
        rows.append(f"| {item[0].upper() + item[1:]} | {quantity} | {quantity * price:.2f} |")
    rows.append(f"| **Total** | | **{total:.2f}** |")
    return "\n".join(rows)


def _bullets(items: list[str], numbered: bool) -> str:
    """A Markdown list, bulleted or numbered."""
    return "\n".join(f"{i}. {item}" if numbered else f"- {item}" for i, item in enumerate(items, start=1))


def _quote(rng: random.Random, d: Draft) -> str:
    """The customer's words, in German for some German-speaking customers."""
    own = (d.cause.quote,) + QUOTES_GENERIC
    first = rng.choice(QUOTES_DE if d.person.language == "de" and rng.random() < 0.7 else own)
    lines = [f"> {first}"]
    if rng.random() < 0.4:
        lines += [">", f"> {rng.choice(own)}"]
    return "\n".join(lines)


def _paragraphs(rng: random.Random, sentences: list[str]) -> list[str]:
    """Group sentences into paragraphs of two to five."""
    out, start = [], 0
    while start < len(sentences):
        size = rng.randint(2, 5)
        out.append(" ".join(sentences[start:start + size]))
        start += size
    return out


def _body(rng: random.Random, d: Draft, kind: str) -> str:
    """300–800 words of Markdown: the story, the customer's words, the findings, the lessons."""
    ctx = d.context
    happened = [d.cause.happened.format_map(ctx)]
    found = [d.cause.found.format_map(ctx), FAULT_LINES[d.fault]]
    links = LINKS_ANY + LINKS_ORDER if d.category.orders else LINKS_ANY
    found += [link.format_map(ctx) for link in rng.sample(links, rng.randint(1, 2))]
    lessons = [d.cause.lesson] + rng.sample(LESSONS_GENERIC, rng.randint(1, 3))
    extras = {"quote": _quote(rng, d), "lessons": _bullets([x.format_map(ctx) for x in lessons], rng.random() < 0.4)}
    if rng.random() < 0.5:
        extras["table"] = _table(rng, d)
    if kind in ("open", "reopened"):
        extras["open"] = _bullets([x.format_map(ctx) for x in rng.sample(OPEN_ITEMS, rng.randint(2, 3))], False)
    endings = {"recovered": RECOVERED_ENDINGS, "lost": LOST_ENDINGS}.get(kind)
    extras["ending"] = rng.choice(endings).format_map(ctx) if endings else ""

    # Grow the two prose sections a sentence at a time until the body reaches its length;
    # one sentence is under 40 words, so a target up to 760 stays under 800.
    target = rng.randint(320, 760)
    headings = HEADINGS + (STILL_TO_DO,) if "open" in extras else HEADINGS
    words = sum(_words(x) for x in (*headings, *extras.values(), *happened, *found))
    story = list(HAPPENED_ANY + HAPPENED_ORDER if d.category.orders else HAPPENED_ANY)
    review = list(FOUND_ANY + FOUND_ORDER if d.category.orders else FOUND_ANY)
    rng.shuffle(story)
    rng.shuffle(review)
    while words < target and (story or review):
        into, source = (happened, story) if story and (len(happened) <= len(found) or not review) else (found, review)
        sentence = source.pop().format_map(ctx)
        into.append(sentence)
        words += _words(sentence)
    return _assemble(rng, happened, found, extras)


def _assemble(rng: random.Random, happened: list[str], found: list[str], extras: dict) -> str:
    """Put the sections in reading order."""
    what_happened, in_their_words, what_we_found, lessons = HEADINGS
    parts = [what_happened, *_paragraphs(rng, happened), in_their_words, extras["quote"],
             what_we_found, *_paragraphs(rng, found)]
    if "table" in extras:
        parts.append(extras["table"])
    if "open" in extras:
        parts += [STILL_TO_DO, extras["open"]]
    parts += [lessons, extras["lessons"]]
    if extras["ending"]:
        parts.append(extras["ending"])
    return "\n\n".join(parts) + "\n"
