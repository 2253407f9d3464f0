"""Write a new case file with today's date and every field ready to fill in."""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from amends.cases.casefile import parse_case, stem_of
from amends.cases.config import Config
from amends.cases.project import case_names, check_file, read_regular
from amends.model import Problem
from amends.text import slugify


def _quoted(value: str | None) -> str:
    # JSON strings are valid double-quoted YAML, whatever the value contains.
    return json.dumps(value, ensure_ascii=False) if value else ""


def case_text(title: str, name: str, email: str | None, phone: str | None, channel: str, today: date,
              words: str = "", message_id: str | None = None) -> str:
    """The text of a new, open case; `words` are the customer's own (from their email), quoted under
    "In the customer's words", and `message_id` their email's, which the follow-ups answer."""
    quoted = "\n".join(f"> {line}".rstrip() for line in words.splitlines()) if words.strip() else "> "
    return f"""---
title: {_quoted(title)}             # the team's label; the customer never sees it
customer:
  name: {_quoted(name)}
  salutation:             # how to greet them, e.g. Zoë or Ms Müller (default: the full name)
  company:                # a company as the customer; `name` is then the contact person, if known
  email: {_quoted(email)}
  phone: {_quoted(phone)}
channel: {channel}            # email | phone | letter | in-person | social | chat
opened: {today.isoformat()}
status: open              # open | resolved | recovered | lost
# resolved: {today.isoformat()}    # the day it was put right
fault: unclear            # ours | customer | shared | unclear
severity: medium          # low | medium | high | critical
owner:
team:                     # the team accountable for the loss
category:
tags: []
accommodation: []         # - kind: refund   (credit | refund | gift-card | discount | replacement |
                          #                  reimbursement, for a cost they had: a taxi, a bill | other)
                          #   amount: 10.00
                          #   note: for the delivery fee you paid   (the customer reads this)
promises: []              # - what: call back with the courier's answer
                          #   due: {today.isoformat()}
# The next five are read by the customer in the follow-ups: write them to the customer
# ("you", "your"), never about them. The notes below the front matter are the team's own.
about:                    # what happened, to follow "We are sorry about …", e.g. the late delivery of your cake
subject:                  # optional: how subjects name it, e.g. your order 4711 (default: from about)
what_went_wrong:
how_resolved:
prevention:               # why it will not happen again (if the fault was theirs: how to avoid it next time)
contacts:
  - at: {today.isoformat()}
    by: customer          # customer | us: only the customer getting in touch again holds the follow-ups
    channel: {channel}
    # dated: {today.isoformat()}    # a letter: the date written on it (our answer quotes it)
    note: Complaint received.
{f"message_id: {_quoted(message_id)}    # their email: the follow-ups answer it" + chr(10) if message_id else ""}---
## What happened

## In the customer's words

{quoted}

## Lessons
"""


def case_stem(title: str, today: date) -> str:
    """The new file's name without `.md` (a number follows it if that is taken)."""
    return f"{today.isoformat()}-{slugify(title)}"


def refusals(text: str, title: str, config: Config, today: date) -> list[Problem]:
    """What `check` would find wrong in the text of a new case, read exactly as `check` reads it."""
    _, _, problems, _ = check_file(text.encode("utf-8"), f"cases/{case_stem(title, today)}.md", config, today)
    return [p for p in problems if not p.warning]


def claimed_ids(root: Path) -> set[str]:
    """Every id a case file holds, by its name or its `id:` line, casefolded as `check` compares them.

    A file that cannot be read or parsed still claims its name: its id is not known, so none is taken
    from it.
    """
    if not (root / "cases").is_dir():
        return set()
    names, _ = case_names(root)
    taken = set()
    for name in names:
        stem = stem_of(name)
        taken.add(stem.casefold())
        try:
            raw, _ = parse_case(read_regular(os.path.join(root, name)), stem, name)
        except OSError:
            continue
        if raw is not None and isinstance(raw.doc.data.get("id"), str):
            taken.add(raw.doc.data["id"].casefold())
    return taken


def write_new_case(root: Path, text: str, title: str, today: date) -> Path:
    """Write the file under a fresh name, one that no case holds as its id; an existing file is never overwritten.

    A name another case claims with `id:` would take that case's page and ledger history.
    """
    cases_dir = root / "cases"
    taken = claimed_ids(root)
    cases_dir.mkdir(parents=True, exist_ok=True)
    stem = case_stem(title, today)
    for n in range(1, 1000):
        path = cases_dir / (f"{stem}.md" if n == 1 else f"{stem}-{n}.md")
        if path.stem.casefold() in taken:
            continue
        try:
            with path.open("x", encoding="utf-8") as f:
                f.write(text)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"too many cases named {stem}")
