"""The one place a Jinja environment is built, with amends' filters."""
from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import traceback

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateSyntaxError, select_autoescape

from .model import Problem


@functools.lru_cache(maxsize=8192)  # a big site shows the same few hundred days tens of thousands of times
def format_date(value: date | datetime | None) -> str:
    """14 Mar 2026, the same on every machine whatever its locale."""
    if value is None:
        return "—"
    text = f"{value.day} {value.strftime('%b %Y')}"
    if isinstance(value, datetime):
        text += value.strftime(" %H:%M")
    return text


def format_local(value: datetime, tz: str) -> str:
    """A moment as the business's clock shows it."""
    return format_date(value.astimezone(ZoneInfo(tz)))


def format_money(amount: Decimal | None, currency: str = "") -> str:
    """12.50 EUR, with thousands separated: 1,200.00 EUR."""
    if amount is None:
        return "—"
    return f"{amount:,.2f} {currency}".strip()


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
    env.filters.update(date=format_date, localtime=format_local, money=format_money)
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
