"""The one place a Jinja environment is built, with amends' filters."""
from __future__ import annotations

import functools
import re
import traceback
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, pass_context, select_autoescape,
)
from markupsafe import Markup, escape

from amends.model import Problem


def format_date(value: date | datetime | None) -> str:
    """14 Mar 2026, the same on every machine whatever its locale."""
    # The same moment in two zones compares equal, so the zone is part of the cache's key.
    return _format_date(value, value.tzinfo if isinstance(value, datetime) else None)


@functools.lru_cache(maxsize=8192)  # a big site shows the same few hundred days tens of thousands of times
def _format_date(value: date | datetime | None, zone) -> str:
    if value is None:
        return "—"
    text = f"{value.day} {value.strftime('%b %Y')}"
    if isinstance(value, datetime):
        text += value.strftime(" %H:%M")
    return text


def format_local(value: datetime, tz: str) -> str:
    """A moment as the business's clock shows it."""
    return format_date(value.astimezone(ZoneInfo(tz)))


# A command a reason tells a person to run: "python build.py release 2026-03-14-cake apology".
_COMMAND = re.compile(r"python build\.py(?: [\w.\-/]+)+")


def commands(text: str) -> Markup:
    """The text, escaped, with each command it names set as code, so it stands out to be copied."""
    return Markup(_COMMAND.sub(lambda m: f"<code>{m.group()}</code>", str(escape(text))))


def format_money(amount: Decimal | None, currency: str = "") -> str:
    """12.50 EUR, with thousands separated: 1,200.00 EUR."""
    if amount is None:
        return "—"
    return f"{amount:,.2f} {currency}".strip()


# The follow-up templates speak the customer's language: dates and amounts are written
# the way that language writes them (Babel's CLDR data), the language taken from the
# template's `language`.
@pass_context
def spoken_date(context, value: date, with_year: bool = True) -> str:
    """14 March 2026 in English, 14. März 2026 in German; without the year: 14 March, 14. März."""
    from babel.dates import format_date as babel_date, format_skeleton

    language = context.get("language", "en")
    if language.split("-")[0] == "en":  # the same for a reader anywhere: day, month, year
        return f"{value.day} {value.strftime('%B')}" + (f" {value.year}" if with_year else "")
    if with_year:
        return babel_date(value, format="long", locale=_locale(language))
    return format_skeleton("MMMMd", value, locale=_locale(language))


@pass_context
def spoken_money(context, amount: Decimal, currency: str = "") -> str:
    """€12.50 in English, 12,50 € in German."""
    from babel.numbers import format_currency, format_decimal

    locale = _locale(context.get("language", "en"))
    return format_currency(amount, currency, locale=locale) if currency else format_decimal(amount, "#,##0.00", locale=locale)


def _locale(language: str) -> str:
    return language.replace("-", "_")


def make_env(templates_dir: Path, *, html: bool = True) -> Environment:
    """A strict environment: a missing value is an error, never a blank."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "htm", "xml"]) if html else False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(date=format_date, localtime=format_local, money=format_money,
                       spoken_date=spoken_date, spoken_money=spoken_money, commands=commands)
    return env


def template_problem(error: TemplateError, templates_dir: Path) -> Problem:
    """Point a template error at the template file and line a person must fix."""
    if isinstance(error, TemplateSyntaxError) and error.filename:
        where, line = Path(error.filename), error.lineno
    else:
        # Jinja rewrites tracebacks so that template frames carry the template's path.
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith((".html", ".txt", ".j2"))]
        where, line = (Path(frames[-1].filename), frames[-1].lineno) if frames else (templates_dir, None)
    try:
        name = where.resolve().relative_to(templates_dir.resolve().parent.parent).as_posix()
    except ValueError:
        name = where.as_posix()
    return Problem(name, line, f"template error: {error.message or error}")
