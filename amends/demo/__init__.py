"""Synthetic case files: many varied, valid cases for demos, screenshots and load tests.

`generate(n, seed, today)` yields (file name, text) pairs and writes nothing. The
same seed and `today` always give the same files: every choice comes from one
`random.Random(seed)`, and the clock is never read. Every file passes
`load_project` without a problem; tests/test_demo.py holds it to that. A few cases
list attachments, which `files(n)` makes (paths from cases/, and their bytes).

The words come from words.json (see words.py), the customers from people.py, each case's facts, cause
and text from case.py, and the attachments from files.py; this module writes the files.
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from amends.demo.case import Draft, choose_causes, draft, tell
from amends.demo.files import attachments_of, files
from amends.demo.people import Person, customers, slug
from amends.demo.words import CATEGORIES, Cause, Thing, cause_tag

# What tests and callers use of the demo.
__all__ = ["CATEGORIES", "Cause", "Thing", "cause_tag", "files", "generate"]


def _q(text: str) -> str:
    """A YAML scalar that reads back as exactly this text: JSON strings are valid YAML."""
    return json.dumps(text, ensure_ascii=False)


# Keys whose values are written by people; every other value is a date, number or choice.
FREE_TEXT = ("note", "what", "file")


def _customer_lines(p: Person, channel: str) -> list[str]:
    """The customer mapping, leaving out what this customer did not give; a letter case always has the address."""
    lines = ["customer:", f"  name: {_q(p.name)}"]
    for key in ("salutation", "email", "company", "phone", "timezone", "language"):
        value = getattr(p, key)
        if value is not None:
            lines.append(f"  {key}: {_q(value)}")
    if p.address and (channel == "letter" or p.address_on_file):
        lines += ["  address: |"] + [f"    {line}" for line in p.address.split("\n")]
    return lines


def _list_lines(key: str, items: list[dict]) -> list[str]:
    """A YAML list of mappings, leaving out the absent values; free text goes in quotes."""
    if not items:
        return []
    lines = [f"{key}:"]
    for item in items:
        present = [(k, v) for k, v in item.items() if v is not None]
        for position, (k, v) in enumerate(present):
            text = _q(v) if k in FREE_TEXT else str(v).lower() if isinstance(v, bool) else str(v)
            lines.append(f"{'  - ' if position == 0 else '    '}{k}: {text}")
    return lines


def _followup_lines(overrides: dict | None) -> list[str]:
    """The case's own changes to the follow-up plan, if any."""
    if not overrides:
        return []
    lines = ["followups:"]
    if "hold" in overrides:
        lines.append(f"  hold: {overrides['hold']}")
    if "skip" in overrides:
        lines.append(f"  skip: {json.dumps(overrides['skip'])}")
    if "dates" in overrides:
        lines += ["  dates:"] + [f"    {kind}: {day}" for kind, day in overrides["dates"].items()]
    return lines


def _render(d: Draft) -> str:
    """The case file: YAML front matter between '---' lines, then the Markdown body."""
    lines = ["---", f"title: {_q(d.title)}", *_customer_lines(d.person, d.channel), f"channel: {d.channel}", f"opened: {d.opened}"]
    if d.resolved:
        lines.append(f"resolved: {d.resolved}")
    if d.source_url:
        lines.append(f"source_url: {d.source_url}")
    lines += [f"status: {d.status}", f"fault: {d.fault}", f"severity: {d.severity}", f"owner: {_q(d.owner)}",
              f"team: {_q(d.team)}", f"category: {_q(d.category.name)}", f"tags: {json.dumps([cause_tag(d.cause, d.thing)])}"]
    if d.customer_value is not None:
        lines.append(f"customer_value: {d.customer_value}")
    if d.do_not_contact:
        lines.append("do_not_contact: true")
    lines += _list_lines("accommodation", d.accommodation)
    if d.approved_by:
        lines.append(f"approved_by: {_q(d.approved_by)}")
    if d.conduct:
        lines.append(f"conduct: {d.conduct}")
    if d.next_purchase:
        bought = d.next_purchase
        lines.append(f"next_purchase: {{date: {bought['date']}, amount: {bought['amount']}}}" if bought["amount"]
                     else f"next_purchase: {bought['date']}")
    if d.asked_for:
        lines += ["asked_for:", f"  what: {_q(d.asked_for['what'])}"] + (
            [f"  amount: {d.asked_for['amount']}"] if d.asked_for["amount"] else [])
    lines += _list_lines("promises", d.promises)
    lines.append(f"about: {_q(d.about)}")
    lines += [f"{key}: {_q(text)}" for key, text in d.story.items()]
    if d.acknowledged_by:
        lines += ["acknowledged_by:"] + [f"  - {{name: {_q(name)}, on: {on}}}" if on else f"  - {_q(name)}"
                                         for name, on in d.acknowledged_by]
    lines += _list_lines("contacts", [{"at": at, "by": "us" if by == "us" else None, "channel": ch, "note": note}
                                      for at, ch, note, by in d.contacts])
    lines += _followup_lines(d.followups)
    lines += _list_lines("attachments", d.attachments)
    # The photo shows in the notes too, where the story tells of it.
    photos = [f"![{a['note']}]({a['file']})" for a in d.attachments if a["file"].endswith(".jpg")]
    lines += ["---", d.body + "".join(f"\n{photo}\n" for photo in photos)]
    return "\n".join(lines)


def generate(n: int, seed: int, today: date) -> Iterator[tuple[str, str]]:
    """Yield (file name, text) for n varied, valid case files; the same seed gives the same files."""
    rng = random.Random(seed)
    # Customers first, so that repeat customers keep one name and address across their cases.
    people = customers(rng, n)
    drafts: list[Draft] = []
    theirs: dict[Person, list[Draft]] = defaultdict(list)
    for index, person in enumerate(people):
        drafts.append(draft(rng, index, person, today, theirs[person]))
        theirs[person].append(drafts[-1])
    # Causes need every case's date: whether a prevention was promised before depends on the cases opened earlier.
    choose_causes(rng, drafts)
    for index, d in enumerate(drafts):
        tell(rng, d, today)
        d.attachments = attachments_of(index)
        # The index keeps names unique; the date and slug keep them readable and in order.
        yield f"{d.opened}-{slug(d.title)}-{index + 1:05d}.md", _render(d)
