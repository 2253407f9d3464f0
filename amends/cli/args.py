"""What the command line takes and gives back: its arguments, and the exit statuses."""
from __future__ import annotations

import argparse
from datetime import date, datetime
from enum import IntEnum
from pathlib import Path

from amends.incremental.cache import FOLDER as CACHE_FOLDER
from amends.model import CHANNELS


class ExitStatus(IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2
    BUSY = 3
    INTERRUPTED = 130


# The years --today and --now accept: far enough either way for any real case, and clear of the
# ends of Python's calendar, where a day's arithmetic (the day before, the first of its week) overflows.
YEARS = range(1900, 2200)


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-03-14, not '{text}'") from None
    _check_year(day, text)
    return day


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date and time like 2026-03-14T09:30, not '{text}'") from None
    _check_year(moment, text)
    return moment


def _check_year(value: date, text: str) -> None:
    if value.year not in YEARS:
        raise argparse.ArgumentTypeError(f"'{text}' is out of range: give a day in the years {YEARS.start} to {YEARS.stop - 1}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description="amends: customer recovery from plain files.")
    p.add_argument("--root", type=Path, default=Path("."), help="the project folder (default: this one)")
    p.add_argument("--quiet", action="store_true",
                   help="show no progress on the terminal, however long a build, check or followups runs")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--today", type=_day, help="act as if today were DATE (YYYY-MM-DD), at noon")
    when.add_argument("--now", type=_moment, help="act as if it were DATETIME (YYYY-MM-DDTHH:MM, business time zone)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    # No command is `build`, as if typed without options.
    p.set_defaults(command="build", clean=False)
    b = sub.add_parser("build", help="build site/ from cases/ (the default)")
    b.add_argument("--clean", action="store_true", help=f"forget the cache in {CACHE_FOLDER}/ and do all the work")
    sub.add_parser("check", help="validate every case file and amends.yaml, and render every follow-up")
    s = sub.add_parser("serve", help="serve site/ on 127.0.0.1, rebuilding when a file changes")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    n = sub.add_parser("new", help="write a new case file to fill in")
    n.add_argument("--title", help="what went wrong, in a few words (required, unless --from-email)")
    n.add_argument("--name", help="the customer's name (required, unless --from-email)")
    n.add_argument("--from-email", type=Path, metavar="FILE.eml",
                   help="a draft from the customer's email: their name, address, words and the day it came")
    n.add_argument("--email", help="the customer's email address")
    n.add_argument("--phone", help="the customer's phone number")
    n.add_argument("--channel", choices=CHANNELS, default="email", help="how the complaint came in (default email)")
    i = sub.add_parser("init", help="start your own casebook in DIR: amends.yaml with your details, no sample cases")
    i.add_argument("dir", type=Path, metavar="DIR", help="the folder for the new casebook (made if missing)")
    i.add_argument("--name", help="the business's name (asked on a terminal if not given)")
    i.add_argument("--email", help="the address the follow-ups come from")
    i.add_argument("--phone", help="the business's phone number, named in emails and call sheets")
    i.add_argument("--address", help="the sender on printed letters, its lines separated by ';'")
    i.add_argument("--language", help="the language customers are written to in when a case names none (default en)")
    i.add_argument("--currency", help="a three-letter code like EUR or GBP (default EUR)")
    i.add_argument("--timezone", help="an IANA name like Europe/Berlin (default: this computer's)")
    d = sub.add_parser("demo", help="write a project of N generated, varied cases (for trying amends out, or benchmarks)")
    d.add_argument("--cases", type=int, default=1000, help="how many cases (default 1000)")
    d.add_argument("--out", type=Path, required=True, help="the folder for the new project")
    d.add_argument("--seed", type=int, default=1, help="the same seed gives the same cases (default 1)")
    f = sub.add_parser("followups", help="list the follow-ups to act on or still to go, and write those to outbox/preview/")
    f.add_argument("--all", action="store_true", help="also list the sent, done and skipped ones")
    t = sub.add_parser("send", help="deliver every due follow-up once")
    t.add_argument("--transport", choices=("outbox", "smtp"), help="override amends.yaml for this pass")
    sub.add_parser("inbox", help="read the business's mailbox (amends.yaml inbox:) for replies, answers and bounces")
    sc = sub.add_parser("schedule", help="run a send pass and a site build every few minutes, until Ctrl-C")
    sc.add_argument("--transport", choices=("outbox", "smtp"), help="override amends.yaml")
    for action, text in (("approve", "approve the rendered text of a follow-up"),
                         ("release", "send a missed or uncertain follow-up anyway"),
                         ("done", "mark a follow-up handled (call made, letter posted, arrival confirmed)")):
        a = sub.add_parser(action, help=text)
        a.add_argument("case", help="the case id")
        a.add_argument("kind", help="the follow-up kind, e.g. apology or call")
    return p
