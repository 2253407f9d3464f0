"""A business's own casebook, begun empty: what `init` writes, as `hugo new site` or `pelican-quickstart`
do. The settings come from the business's details; the templates are amends' own, for the business to
make its own; there are no sample cases.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from amends.cases.config import CONFIG_NAME, parse_config
from amends.model import Problem


@dataclass(frozen=True)
class Business:
    """What `init` asks: who writes to the customers, and in what language, currency and time zone."""

    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None  # postal, several lines: the sender of a printed letter
    language: str = "en"
    currency: str = "EUR"
    timezone: str = "UTC"


# Which option of `init` gives each key of amends.yaml: a mistake is named by the option the user typed.
OPTIONS = {("business", "name"): "--name", ("business", "email"): "--email", ("business", "phone"): "--phone",
           ("business", "address"): "--address", ("language",): "--language", ("currency",): "--currency",
           ("timezone",): "--timezone"}

GITIGNORE = """\
# Made by amends from the files kept here: built again at will, and full of customers' details.
/site/
/.amends-cache/
# Left while a command runs.
/outbox/send.lock
/outbox/inbox.lock
/outbox/preview/
/outbox/**/.*.tmp
"""


def _quoted(text: str) -> str:
    """A YAML scalar that reads back as exactly `text`: JSON's double-quoted strings are YAML's too."""
    return json.dumps(text, ensure_ascii=False)


def _block(text: str, indent: str) -> str:
    """A literal block (|) of several lines, each indented."""
    return "|\n" + "".join(f"{indent}{line}\n" for line in text.splitlines())


def settings_text(b: Business) -> str:
    """amends.yaml for a new casebook: the business's details, and the recommended plan with every
    setting a new user may want to change named and explained."""
    optional = "".join(
        f"  {key}: {_quoted(value)}\n" if value else f"  # {key}: {example}\n"
        for key, value, example in (("email", b.email, "care@example.com           # where emails come from"),
                                    ("phone", b.phone, '"+44 20 7946 0000"        # named in emails and call sheets')))
    address = (f"  address: {_block(b.address, '    ')}" if b.address else
               "  # address: |                   # the sender on printed letters\n  #   1 High Street\n")
    return f"""\
# The settings of this casebook. Each line is explained in amends' README ("amends.yaml");
# python build.py check reads this file and names any mistake by its line.
business:
  name: {_quoted(b.name)}
{optional}{address}  # How the emails end: your names, then the business's, a line each ("Ana and Tom").
  signature: |
    {b.name}
currency: {_quoted(b.currency.upper())}
# Follow-ups go out in the business's working hours, in this time zone.
timezone: {_quoted(b.timezone)}
# A customer whose case names no language is written to in this one.
language: {_quoted(b.language)}
# How often, by severity, a customer with an open case hears from us, in days.
cadence: {{critical: 1, high: 2, medium: 3, low: 5}}

followups:
  plan:                         # in order; `after` counts from the day the case was resolved
    - kind: followup            # the one email: apology, what was given back, what went wrong, thanks
      after: 3 business days
    - kind: call                # a call the same day, where the case gives a phone number
      after: 3 business days
    - kind: gift-card           # a separate message, only when a gift card was given
      after: 3 business days
      only_if_given: gift-card
    - kind: checkin             # has everything been put right? (a severe case gets a call instead)
      after: 10 days
      score: true               # ...and, if they like, a score from 1 to 5
  approve_first: [high, critical]  # a person reads every email of a case this severe first
  send_window:
    from: "09:00"
    to: "17:00"
    days: [mon, tue, wed, thu, fri]
  holidays: []                  # e.g. [2027-12-25, 2027-12-26]

# outbox: messages are written to outbox/messages/ only, and nothing leaves this machine.
# smtp: sent through the server below; the password comes from the environment variable
# AMENDS_SMTP_PASSWORD or the system keyring, never from this file.
transport: outbox
# smtp:
#   host: smtp.example.com
#   port: 587
#   security: starttls
#   user: care@example.com
"""


def problems(b: Business) -> list[Problem]:
    """What `check` would say of the settings these details make, each named by its option (see OPTIONS)."""
    _, found = parse_config(settings_text(b).encode("utf-8"))
    return found


def option_of(problem: Problem) -> str:
    """The option of `init` that a problem of the settings comes from, or amends.yaml when none does."""
    return next((option for path, option in OPTIONS.items() if problem.field == ".".join(path)), CONFIG_NAME)
