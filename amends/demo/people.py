"""The demo's customers: names, addresses, how each is greeted, and the ASCII forms that email addresses
and file names need."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from amends.demo.words import (COMPANY_FORMS, COMPANY_WORDS, DOMAINS, FEMALE, FIRST, FIRST_INTL, LAST, LAST_INTL, MALE,
                               OTHER_LANGUAGES, PHONE_PREFIXES, STREETS, TIMEZONES, TIMEZONES_FAR, TOWNS)

# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th",
                       "ð": "d", "Ð": "D", "ß": "ss", "đ": "d", "Đ": "D", "œ": "oe", "ı": "i"})


def _ascii(text: str) -> str:
    """Fold text to plain ASCII: Søren Ødegaard → Soren Odegaard."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slug(title: str, limit: int = 40) -> str:
    """A file-name slug of a title, cut at a word boundary."""
    words = re.sub(r"[^a-z0-9]+", "-", _ascii(title).lower()).strip("-")
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0]
    return words or "case"


@dataclass(frozen=True)
class Person:
    """A customer; a repeat customer keeps the same record across cases."""

    name: str
    first: str
    email: str | None
    company: str | None
    phone: str | None
    timezone: str | None
    language: str | None
    salutation: str | None = None  # "Dear …": a first name, Ms/Mr (Frau/Herr) and the surname, or the full name
    address: str | None = None     # postal, several lines; written for letter cases and some others
    address_on_file: bool = False


def _name(rng: random.Random, intl: bool, used: set[str]) -> tuple[str, str]:
    """A full name nobody else has yet, and its first name."""
    for attempt in range(40):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if intl:
            roll = rng.random()
            first = rng.choice(FIRST_INTL) if roll < 0.7 else first
            last = rng.choice(LAST_INTL) if roll >= 0.5 else last
        # A middle initial once the plain pairs run out, as they do in large sets.
        name = f"{first} {last}" if attempt < 20 else f"{first} {chr(65 + rng.randrange(26))}. {last}"
        if name not in used:
            used.add(name)
            return name, first
    name = f"{first} {last} {len(used)}"
    used.add(name)
    return name, first


def _email(rng: random.Random, name: str, used: set[str]) -> str:
    """An ASCII address under an example domain, unique in the set."""
    parts = re.sub(r"[^a-z ]+", "", _ascii(name).lower()).split()
    style = rng.randrange(3)
    local = ".".join(parts) if style == 0 else parts[0] + parts[-1] if style == 1 else f"{parts[0][0]}.{parts[-1]}"
    domain = rng.choice(DOMAINS)
    address, number = f"{local}@{domain}", 2
    while address in used:
        address, number = f"{local}{number}@{domain}", number + 1
    used.add(address)
    return address


def _language(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return "de"
    if roll < 0.09:
        return rng.choice(OTHER_LANGUAGES)
    return "en" if roll < 0.35 else None


def _salutation(rng: random.Random, name: str, first: str, language: str | None) -> str | None:
    """How the greeting names a customer: their first name, a title and surname, or (None) the full name."""
    roll = rng.random()
    surname = name.split()[-1]
    if first in FEMALE or first in MALE:
        title = (("Frau" if first in FEMALE else "Herr") if language == "de" else ("Ms" if first in FEMALE else "Mr"))
        if roll < 0.12:
            return f"{title} {surname}"
    elif roll < 0.03:
        return f"Dr {surname}"
    # A first name only where that is how we speak to them; German customers keep the formal greeting,
    # by title where we know it, else by their full name, as the owner chose.
    if language == "de":
        return f"{title} {surname}" if first in FEMALE or first in MALE else name
    return first if 0.12 <= roll < 0.3 else None


def _address(rng: random.Random) -> str:
    """A postal address of two lines: street and number, postcode and town."""
    return f"{rng.choice(STREETS)} {rng.randint(1, 140)}\n{rng.choice(TOWNS)}"


def _timezone(rng: random.Random, language: str | None) -> str | None:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(TIMEZONES_FAR)
    if roll < 0.5:
        return "Europe/Berlin" if language == "de" else rng.choice(TIMEZONES)
    return None


def _person(rng: random.Random, names: set[str], emails: set[str], intl: bool) -> Person:
    name, first = _name(rng, intl, names)
    language = _language(rng)
    word, surname = rng.choice(COMPANY_WORDS), name.split()[-1]
    return Person(
        name=name,
        first=first,
        email=_email(rng, name, emails) if rng.random() < 0.94 else None,
        company=rng.choice(COMPANY_FORMS).format(w=word, l=surname) if rng.random() < 0.35 else None,
        phone=f"{rng.choice(PHONE_PREFIXES)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}" if rng.random() < 0.55 else None,
        timezone=_timezone(rng, language),
        language=language,
        salutation=_salutation(rng, name, first, language),
        address=_address(rng),
        address_on_file=rng.random() < 0.15,
    )


def customers(rng: random.Random, n: int) -> list[Person]:
    """One customer per case, ~15% of customers with two to four cases, in random order."""
    names: set[str] = set()
    emails: set[str] = set()
    slots: list[Person] = []
    while len(slots) < n:
        # The first customer is a repeating one with a non-ASCII name, so a small set shows both.
        first_one = not slots
        repeat = first_one or rng.random() < 0.15
        person = _person(rng, names, emails, intl=first_one or rng.random() < 0.2)
        slots += [person] * (rng.choice((2, 2, 2, 3, 3, 4)) if repeat else 1)
    slots = slots[:n]
    rng.shuffle(slots)
    return slots
