"""Read typed values out of a parsed YAML document, collecting every problem.

Each reader method takes a key path such as ("customer", "email"), returns the
typed value or None, and on bad input records a Problem naming the file, the
line of the key and the field, with a hint at the fix. Nothing raises: one bad
field never hides the others.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from .model import Problem
from .yamlfile import Document, KeyPath, dotted

_MISSING = ("", "~", "null", "Null", "NULL")
_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_CURRENCY = re.compile(r"[A-Z]{3}")
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")  # tabs and newlines are fine


def closest(word: str, known: Sequence[str]) -> str | None:
    """The known word a typo most likely meant, if any is close."""
    matches = difflib.get_close_matches(word.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    return next((k for k in known if k.lower() == matches[0]), None) if matches else None


class Reader:
    """Typed access to one document; problems accumulate in `problems`."""

    def __init__(self, doc: Document, problems: list[Problem] | None = None) -> None:
        self.doc = doc
        self.problems = problems if problems is not None else []

    # -- where and what ---------------------------------------------------
    def line(self, keypath: KeyPath) -> int | None:
        """The line of a key, or of its nearest parent that has one."""
        while keypath:
            if keypath in self.doc.lines:
                return self.doc.lines[keypath]
            keypath = keypath[:-1]
        return 1

    def problem(self, keypath: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.doc.path, self.line(keypath), message, dotted(keypath)))

    def raw(self, keypath: KeyPath):
        value = self.doc.data
        for part in keypath:
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return value

    def present(self, keypath: KeyPath) -> bool:
        value = self.raw(keypath)
        return value is not None and value not in _MISSING

    # -- structure --------------------------------------------------------
    def keys(self, keypath: KeyPath, known: Sequence[str]) -> bool:
        """Check that a mapping has only known keys, suggesting the one a typo meant."""
        value = self.raw(keypath) if keypath else self.doc.data
        if not isinstance(value, dict):
            if value not in _MISSING and value is not None:
                self.problem(keypath, f"'{dotted(keypath)}' should be a set of 'key: value' lines, not {_kind(value)}")
            return False
        for key in value:
            if key not in known:
                guess = closest(key, known)
                hint = f"; did you mean '{guess}'?" if guess else f"; known keys here: {', '.join(known)}"
                self.problem(keypath + (key,), f"unknown key '{dotted(keypath + (key,))}'{hint}")
        return True

    def items(self, keypath: KeyPath) -> Iterator[KeyPath]:
        """Yield the key path of each item of a list (absent means empty)."""
        value = self.raw(keypath)
        if value is None or value in _MISSING:
            return
        if not isinstance(value, list):
            self.problem(keypath, f"'{dotted(keypath)}' should be a list (lines starting with '- '), not {_kind(value)}")
            return
        for index in range(len(value)):
            yield keypath + (index,)

    # -- scalars ----------------------------------------------------------
    def _scalar(self, keypath: KeyPath, required: bool) -> str | None:
        value = self.raw(keypath)
        if isinstance(value, (dict, list)):
            self.problem(keypath, f"'{dotted(keypath)}' should be a single value, not {_kind(value)}")
            return None
        if value is None or value.strip() in _MISSING:
            if required:
                self.problem(keypath, f"'{dotted(keypath)}' is required")
            return None
        return value.strip()

    def text(self, keypath: KeyPath, required: bool = False, multiline: bool = False) -> str | None:
        """Text; a one-line field refuses line breaks, which could forge email headers."""
        value = self._scalar(keypath, required)
        if value is not None and (_CONTROL_IN_TEXT if multiline else CONTROL).search(value):
            what = "control characters" if multiline else "line breaks or control characters"
            self.problem(keypath, f"'{dotted(keypath)}' must not contain {what}")
            return None
        return value

    def text_list(self, keypath: KeyPath) -> tuple[str, ...]:
        out = []
        for itempath in self.items(keypath):
            value = self.text(itempath)
            if value is not None:
                out.append(value)
        return tuple(out)

    def choice(self, keypath: KeyPath, choices: Sequence[str], required: bool = False) -> str | None:
        value = self._scalar(keypath, required)
        if value is None or value in choices:
            return value
        if value.lower() in choices:
            return value.lower()
        guess = closest(value, choices)
        hint = f"did you mean '{guess}'? " if guess else ""
        self.problem(keypath, f"'{value}' is not a valid {dotted(keypath)}; {hint}choose one of: {', '.join(choices)}")
        return None

    def date(self, keypath: KeyPath, required: bool = False) -> date | None:
        value = self._scalar(keypath, required)
        if value is None:
            return None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            self.problem(keypath, f"'{dotted(keypath)}' should be a date like 2026-03-14, not '{value}'")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            self.problem(keypath, f"'{dotted(keypath)}' is not a real date: {value} ({error})")
            return None

    def moment(self, keypath: KeyPath, required: bool = False) -> date | datetime | None:
        """A date, or a date with a time of day (and optional UTC offset)."""
        value = self._scalar(keypath, required)
        if value is None:
            return None
        if not _DATETIME.fullmatch(value):
            return self.date(keypath)
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            self.problem(keypath, f"'{dotted(keypath)}' is not a real date and time: {value} ({error})")
            return None

    def boolean(self, keypath: KeyPath) -> bool | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.problem(keypath, f"'{dotted(keypath)}' should be true or false, not '{value}'")
        return None

    def amount(self, keypath: KeyPath) -> Decimal | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        try:
            number = Decimal(value.replace("_", ""))
        except InvalidOperation:
            hint = "; use a dot for decimals, e.g. 12.50" if re.fullmatch(r"\d+,\d{1,2}", value) else ""
            self.problem(keypath, f"'{dotted(keypath)}' should be a number like 12.50, not '{value}'{hint}")
            return None
        if not number.is_finite() or number < 0:
            self.problem(keypath, f"'{dotted(keypath)}' should be zero or more, not '{value}'")
            return None
        return number

    def integer(self, keypath: KeyPath, minimum: int = 0) -> int | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        if not re.fullmatch(r"\d+", value) or int(value) < minimum:
            self.problem(keypath, f"'{dotted(keypath)}' should be a whole number of at least {minimum}, not '{value}'")
            return None
        return int(value)

    def email(self, keypath: KeyPath, required: bool = False) -> str | None:
        value = self._scalar(keypath, required)
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            self.problem(keypath, f"'{value}' is not a valid email address: {error}")
            return None

    def language(self, keypath: KeyPath) -> str | None:
        value = self._scalar(keypath, required=False)
        if value is not None and not LANGUAGE.fullmatch(value):
            self.problem(keypath, f"'{dotted(keypath)}' should be a language code like en, de or pt-BR, not '{value}'")
            return None
        return value

    def currency(self, keypath: KeyPath) -> str | None:
        value = self._scalar(keypath, required=False)
        if value is not None and not _CURRENCY.fullmatch(value.upper()):
            self.problem(keypath, f"'{dotted(keypath)}' should be a three-letter currency code like EUR, not '{value}'")
            return None
        return value.upper() if value else None

    def url(self, keypath: KeyPath) -> str | None:
        """A web address a customer can open: http or https, with a host, on one line."""
        value = self.text(keypath)
        if value is not None and not _URL.fullmatch(value):
            self.problem(keypath, f"'{dotted(keypath)}' should be a web address starting with https:// "
                                  f"or http://, not '{value}'")
            return None
        return value

    def timezone(self, keypath: KeyPath) -> str | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(keypath, f"'{value}' is not a known time zone; use a name like Europe/Berlin")
            return None
        return value


def _kind(value) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of 'key: value' lines"
    return f"'{value}'"
