"""Read typed values out of a parsed YAML document, collecting every problem.

Each reader method takes a key path such as ("customer", "email"), returns the
typed value or None, and on bad input records a Problem naming the file, the
line of the key and the field, with a hint at the fix. Nothing raises: one bad
field never hides the others.
"""
from __future__ import annotations

import calendar
import difflib
import functools
import importlib.resources
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from amends.cases.yamlfile import Document, KeyPath, dotted, escaped, shown
from amends.model import Problem

_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_CURRENCY = re.compile(r"[A-Z]{3}")
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")  # tabs and newlines are fine
# An amount as people write one: no sign, no exponent, no NaN; sizes any money fits in,
# and that no computation (sums, formatting) can blow up.
_PLAIN_NUMBER = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
MAX_WHOLE_DIGITS, MAX_DECIMALS = 12, 4
MAX_INTEGER = 99_999
# What fits the address window of a DIN envelope (85 x 45 mm, 11 pt letters): a longer line or more lines
# runs out of the window and can push the letter onto a second sheet.
ADDRESS_LINES = 8
ADDRESS_WIDTH = 60
# Years a date may have: anything outside is a typo, and the plan can add days to any of them.
FIRST_YEAR, LAST_YEAR = 1900, 2199
OLD_YEARS = 30


def closest(word: str, known: Sequence[str]) -> str | None:
    """The known word a typo most likely meant, if any is close."""
    matches = difflib.get_close_matches(word.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    return next((k for k in known if k.lower() == matches[0]), None) if matches else None


class Reader:
    """Typed access to one document; problems accumulate in `problems`."""

    def __init__(self, doc: Document, problems: list[Problem] | None = None, today: date | None = None) -> None:
        self.doc = doc
        self.problems = problems if problems is not None else []
        self.today = today  # when given, dates long past are warned about
        # The days for which reading the document again says the same, from `valid_from` up to `expires`
        # (None: no bound): each comparison with `today` narrows them to where it comes out the same.
        self.valid_from: date | None = None
        self.expires: date | None = None

    @property
    def valid(self) -> tuple[date | None, date | None]:
        return self.valid_from, self.expires

    def in_future(self, day: date) -> bool:
        """Whether `day` is after today. A problem that says so names today: it holds for today only."""
        if self.today is None:
            return False
        if day <= self.today:
            self._valid_between(day, None)
            return False
        self._valid_between(self.today, self.today + timedelta(days=1))
        return True

    def standing_in(self) -> date:
        """Today, for a date that is missing (and reported): what is read with it holds for today only."""
        self._valid_between(self.today, self.today + timedelta(days=1))
        return self.today

    def _valid_between(self, first: date | None, until: date | None) -> None:
        if first is not None and (self.valid_from is None or first > self.valid_from):
            self.valid_from = first
        if until is not None and (self.expires is None or until < self.expires):
            self.expires = until

    # -- where and what ---------------------------------------------------
    def line(self, keypath: KeyPath) -> int | None:
        """The line of a key, or of its nearest parent that has one."""
        while keypath:
            if keypath in self.doc.lines:
                return self.doc.lines[keypath]
            keypath = keypath[:-1]
        return 1

    def problem(self, keypath: KeyPath, message: str, warning: bool = False) -> None:
        self.problems.append(Problem(self.doc.path, self.line(keypath), message, dotted(keypath), warning))

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the document invalid: all but the warnings."""
        return [p for p in self.problems if not p.warning]

    def raw(self, keypath: KeyPath):
        value = self.doc.data
        for part in keypath:
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return value

    def present(self, keypath: KeyPath) -> bool:
        return not _blank(self.raw(keypath))

    # -- structure --------------------------------------------------------
    def keys(self, keypath: KeyPath, known: Sequence[str]) -> bool:
        """Check that a mapping has only known keys, suggesting the one a typo meant."""
        value = self.raw(keypath) if keypath else self.doc.data
        if not isinstance(value, dict):
            if not _blank(value):
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
        if _blank(value):
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
        if _blank(value):
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
            if _blank(self.raw(itempath)):  # `tags: [a, ~]`: say so rather than drop the item
                self.problem(itempath, f"'{dotted(itempath)}' is empty; give it a value or remove it")
                continue
            value = self.text(itempath)
            if value is not None:
                out.append(value)
        return tuple(out)

    def choice(self, keypath: KeyPath, choices: Sequence[str] | Mapping[str, str], required: bool = False,
               words: Mapping[str, str] | None = None) -> str | None:
        """One of `choices` (a mapping gives each its meaning); `words` maps what people say to the choice they mean."""
        value = self._scalar(keypath, required)
        if value is None or value in choices:
            return value
        if value.lower() in choices:
            return value.lower()
        guess = (words or {}).get(" ".join(value.lower().split())) or closest(value, list(choices))
        meanings = choices if isinstance(choices, Mapping) else {}
        listed = ", ".join(f"{c} ({meanings[c]})" if c in meanings else c for c in choices)
        hint = f"did you mean '{guess}'? " if guess else ""
        self.problem(keypath, f"'{shown(value)}' is not a valid {dotted(keypath)}; {hint}choose one of: {listed}")
        return None

    def date(self, keypath: KeyPath, required: bool = False) -> date | None:
        value = self._scalar(keypath, required)
        if value is None:
            return None
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            self.problem(keypath, f"'{dotted(keypath)}' should be a date like 2026-03-14, not '{shown(value)}'")
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.problem(keypath, f"'{dotted(keypath)}' is not a real date: '{value}' ({_not_real(value)})")
            return None
        return day if self._sane(keypath, day, value) else None

    def _sane(self, keypath: KeyPath, day: date, written: str) -> bool:
        """Whether a date's year can be meant (`written`: the value as the user wrote it); one long past is kept
        with a warning."""
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.problem(keypath, f"'{dotted(keypath)}' should be a date between {FIRST_YEAR} and {LAST_YEAR}, "
                                  f"not '{written}'")
            return False
        old = timedelta(days=round(OLD_YEARS * 365.25))
        if self.today is not None and day >= self.today - old:
            self._valid_between(None, day + old + timedelta(days=1))
        elif self.today is not None:
            self._valid_between(day + old + timedelta(days=1), None)
            self.problem(keypath, f"'{dotted(keypath)}' is {day}, more than {OLD_YEARS} years ago; a typo in the year?",
                         warning=True)
        return True

    def moment(self, keypath: KeyPath, required: bool = False) -> date | datetime | None:
        """A date, or a date with a time of day (and optional UTC offset)."""
        value = self._scalar(keypath, required)
        if value is None:
            return None
        if not _DATETIME.fullmatch(value):
            return self.date(keypath)
        try:
            # 9:30 is read as 09:30, as the pattern allows, which Python's reader does not.
            moment = datetime.fromisoformat(re.sub(r"(?<=[ T])(\d)(?=:)", r"0\1", value).replace("Z", "+00:00"))
        except ValueError:
            self.problem(keypath, f"'{dotted(keypath)}' is not a real date and time: '{value}' ({_not_real(value)})")
            return None
        return moment if self._sane(keypath, moment.date(), value) else None

    def address(self, keypath: KeyPath) -> str | None:
        """A postal address, several lines, that fits an envelope's window; blank lines are not counted."""
        value = self.text(keypath, multiline=True)
        if value is None:
            return None
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        fits = True
        if len(lines) > ADDRESS_LINES:
            self.problem(keypath, f"'{dotted(keypath)}' has {len(lines)} lines; at most {ADDRESS_LINES} fit in an "
                                  "envelope's window")
            fits = False
        for number, line in enumerate(lines, start=1):
            if len(line) > ADDRESS_WIDTH:
                self.problem(keypath, f"line {number} of '{dotted(keypath)}' has {len(line)} characters; at most "
                                      f"{ADDRESS_WIDTH} fit in an envelope's window, so split it: '{shown(line)}'")
                fits = False
                break
        return value if fits else None

    def boolean(self, keypath: KeyPath) -> bool | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.problem(keypath, f"'{dotted(keypath)}' should be true or false, not '{shown(value)}'")
        return None

    def amount(self, keypath: KeyPath) -> Decimal | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        name, plain = dotted(keypath), _PLAIN_NUMBER.fullmatch(value.replace("_", ""))
        if plain is None:
            if re.fullmatch(r"[0-9]+,[0-9]{1,2}", value):
                hint = "; use a dot for decimals, e.g. 12.50"
            elif value.startswith(("-", "+")) and _PLAIN_NUMBER.fullmatch(value[1:]):
                hint = "; write it without a sign: amounts are zero or more"
            elif re.fullmatch(r"[0-9.]+[eE][+-]?[0-9]+", value):
                hint = "; write the number out in full, without an exponent"
            else:
                hint = ""
            self.problem(keypath, f"'{name}' should be a number like 12.50, not '{shown(value)}'{hint}")
            return None
        whole, decimals = plain.group(1).lstrip("0"), plain.group(2) or ""
        if len(whole) > MAX_WHOLE_DIGITS or len(decimals) > MAX_DECIMALS:
            self.problem(keypath, f"'{name}' should have at most {MAX_WHOLE_DIGITS} digits before the point and "
                                  f"{MAX_DECIMALS} after it, not '{shown(value)}'")
            return None
        return Decimal(plain.group(0))

    def integer(self, keypath: KeyPath, minimum: int = 0) -> int | None:
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        digits = value.lstrip("0") or "0"
        # The length is checked before int() reads it: Python refuses a few thousand digits with an error.
        if re.fullmatch(r"[0-9]+", value) and (len(digits) > len(str(MAX_INTEGER)) or int(digits) > MAX_INTEGER):
            self.problem(keypath, f"'{dotted(keypath)}' should be at most {MAX_INTEGER}, not '{shown(value)}'")
            return None
        if not re.fullmatch(r"[0-9]+", value) or int(digits) < minimum:
            self.problem(keypath, f"'{dotted(keypath)}' should be a whole number of at least {minimum}, not '{shown(value)}'")
            return None
        return int(digits)

    def email(self, keypath: KeyPath, required: bool = False) -> str | None:
        value = self._scalar(keypath, required)
        if value is None:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            self.problem(keypath, f"'{shown(value)}' is not a valid email address: {escaped(str(error))}")
            return None

    def language(self, keypath: KeyPath) -> str | None:
        value = self._scalar(keypath, required=False)
        if value is not None and not LANGUAGE.fullmatch(value):
            self.problem(keypath, f"'{dotted(keypath)}' should be a language code like en, de or pt-BR, not '{shown(value)}'")
            return None
        return value

    def currency(self, keypath: KeyPath) -> str | None:
        value = self._scalar(keypath, required=False)
        if value is not None and not _CURRENCY.fullmatch(value.upper()):
            self.problem(keypath, f"'{dotted(keypath)}' should be a three-letter currency code like EUR, not '{shown(value)}'")
            return None
        return value.upper() if value else None

    def url(self, keypath: KeyPath) -> str | None:
        """A web address a customer can open: http or https, with a host, on one line."""
        value = self.text(keypath)
        if value is not None and not _URL.fullmatch(value):
            self.problem(keypath, f"'{dotted(keypath)}' should be a web address starting with https:// "
                                  f"or http://, not '{shown(value)}'")
            return None
        return value

    def timezone(self, keypath: KeyPath) -> str | None:
        """An IANA time zone name: one that means the same on every computer that runs amends."""
        value = self._scalar(keypath, required=False)
        if value is None:
            return None
        if value in iana_zones():
            return value
        try:
            ZoneInfo(value)
            machine = True
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file
            machine = False
        like = next((zone for zone in iana_zones() if zone.casefold() == value.casefold()), "Europe/Berlin")
        if machine:
            # localtime, posixrules, Factory, right/…, posix/…: files of this computer's time zone
            # database, which differ from one computer to the next or are no place's time.
            self.problem(keypath, f"'{shown(value)}' is a time zone file of this computer, not the name of a "
                                  f"place's time; use an IANA name like {like}")
        else:
            self.problem(keypath, f"'{shown(value)}' is not a known time zone; use an IANA name like {like}")
        return None


@functools.cache
def iana_zones() -> frozenset[str]:
    """The IANA time zone names, as the tzdata package lists them; "Factory" is a placeholder, no place's time."""
    listed = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(listed.split()) - {"Factory"}


_PARTS = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:[+-](\d{2}):?(\d{2})|Z)?)?")


def _not_real(value: str) -> str:
    """Why a date (and time) of the right shape names no moment, in the user's terms: Python's own
    reasons quote values as code ("datetime.timedelta(days=1)")."""
    year, month, day, hour, minute, second, offset_hours, offset_minutes = (
        int(part) if part else 0 for part in _PARTS.fullmatch(value).groups())
    if year == 0:
        return "there is no year 0"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days"
    if hour > 23 or minute > 59 or second > 59:
        return "a time runs from 00:00 to 23:59"
    if offset_hours > 23 or offset_minutes > 59:
        return "a UTC offset is less than 24 hours, e.g. +01:00"
    return "no such moment"


def _blank(value) -> bool:
    """No value: null, or text of nothing but spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _kind(value) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of 'key: value' lines"
    return f"'{shown(value)}'"
