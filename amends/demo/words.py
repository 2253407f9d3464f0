"""The demo's words: names, places, causes and sentences, read once from words.json into the types the
generator draws from.

The pools are data, kept in a file of their own so that the code stays short. Here they are constants:
tuples (which the generator joins with tuples of its own), frozensets and dicts. Their order is the
file's, and it matters: a seed draws by position, so reordering a pool changes every generated project.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import NamedTuple


class Thing(NamedTuple):
    """What exactly a cause concerned, in English and in German; the slug names it in the cause's tag.

    German names stand where their article does not change: in brackets, after "am", or as a feminine,
    neuter or plural noun in the nominative or accusative.
    """

    slug: str
    en: str
    de: str


@dataclass(frozen=True)
class Cause:
    """Why a complaint happened, told alike by every text of its case: the title, the story, what went wrong,
    how it was put right and the prevention. Each of its things is a cause of its own, with its own tag.

    A thing fills {thing} and {thing_de} in the texts, and the context key `slot` names (the place of a
    delivery, the item of a bake…), so that the rest of the case speaks of the same thing.
    """

    tag: str  # "{}" takes the thing's slug
    slot: str | None
    things: tuple[Thing, ...]
    titles: tuple[str, ...]
    happened: str
    found: str
    # (English, German): what the customer reads.
    wrong: tuple[str, str]
    fix: tuple[str, str]
    prevent: tuple[str, str]
    lesson: str
    promise: str
    quote: str


@dataclass(frozen=True)
class Category:
    """One kind of complaint: who handles it, how often it comes, and its causes."""

    name: str
    teams: tuple[str, ...]
    weight: int
    causes: tuple[Cause, ...]
    # The customer's own slip (fault: customer); no fault of ours claimed, and a change that helps next time.
    slips: tuple[Cause, ...]
    # About an order (most are); the order-related filler sentences fit only these.
    orders: bool = True


def cause_tag(cause: Cause, thing: Thing) -> str:
    """The tag that names one cause: its kind and its thing."""
    return cause.tag.format(thing.slug)


_WORDS = json.loads(files("amends.demo").joinpath("words.json").read_text(encoding="utf-8"))


def _texts(key: str) -> tuple[str, ...]:
    return tuple(_WORDS[key])


def _notes(key: str) -> tuple[tuple[str, str], ...]:
    """Contact-log notes as (note, who got in touch: the customer, or us)."""
    return tuple((entry["note"], entry["by"]) for entry in _WORDS[key])


def _by_key(key: str) -> dict[str, tuple[str, ...]]:
    return {name: tuple(texts) for name, texts in _WORDS[key].items()}


# -- who -----------------------------------------------------------------------------

FIRST, LAST = _texts("first"), _texts("last")
# Names a mail merge or a slug must not mangle: diacritics, ø, æ, ł, þ, ð, ß.
FIRST_INTL, LAST_INTL = _texts("first_intl"), _texts("last_intl")
# Only these first names get a Ms/Mr (Frau/Herr) salutation; the others a first name or none.
FEMALE, MALE = frozenset(_WORDS["female"]), frozenset(_WORDS["male"])
COMPANY_WORDS = _texts("company_words")
COMPANY_FORMS = _texts("company_forms")  # {w} takes a company word, {l} the surname
DOMAINS = _texts("domains")
TIMEZONES = _texts("timezones")
# Customers who live far away (family abroad ordering for someone here, visitors back home).
TIMEZONES_FAR = _texts("timezones_far")
STREETS, TOWNS, PHONE_PREFIXES = _texts("streets"), _texts("towns"), _texts("phone_prefixes")
# Only `de` has its own email templates; the others fall back to the default set.
OTHER_LANGUAGES = _texts("other_languages")
OWNERS, DRIVERS, BAKERS = _texts("owners"), _texts("drivers"), _texts("bakers")
# What a customer said would make it right, as staff note it (English, and for German customers German).
ASKED_FOR, ASKED_FOR_DE = _texts("asked_for"), _texts("asked_for_de")

# -- what ----------------------------------------------------------------------------

ITEMS, TEAMS = _texts("items"), _texts("teams")
_THINGS = {name: tuple(Thing(**thing) for thing in pool) for name, pool in _WORDS["things"].items()}
# Only a yeast dough proves.
_YEASTED = frozenset(_WORDS["yeasted"])
_THINGS["yeasted"] = tuple(bake for bake in _THINGS["bakes"] if bake.slug in _YEASTED)
VENUES, EVENTS, DAYS = _THINGS["venues"], _THINGS["events"], _THINGS["days"]
PLACES = tuple(venue.en for venue in VENUES) + _texts("other_places")
CAME_IN = dict(_WORDS["came_in"])


def _cause(raw: dict) -> Cause:
    in_two_languages = {key: (raw[key]["en"], raw[key]["de"]) for key in ("wrong", "fix", "prevent")}
    return Cause(**raw | in_two_languages | {"things": _THINGS[raw["things"]], "titles": tuple(raw["titles"])})


CATEGORIES = tuple(
    Category(**raw | {"teams": tuple(raw["teams"]), "causes": tuple(map(_cause, raw["causes"])),
                      "slips": tuple(map(_cause, raw["slips"]))})
    for raw in _WORDS["categories"]
)

# -- the body ------------------------------------------------------------------------

# Sentences that fit any complaint; the *_ORDER ones only those about an order.
HAPPENED_ANY, HAPPENED_ORDER = _texts("happened_any"), _texts("happened_order")
FOUND_ANY, FOUND_ORDER = _texts("found_any"), _texts("found_order")
FAULT_LINES = dict(_WORDS["fault_lines"])
LINKS_ANY, LINKS_ORDER = _texts("links_any"), _texts("links_order")
QUOTES_DE, QUOTES_GENERIC = _texts("quotes_de"), _texts("quotes_generic")
LESSONS_GENERIC, OPEN_ITEMS = _texts("lessons_generic"), _texts("open_items")
RECOVERED_ENDINGS, LOST_ENDINGS = _texts("recovered_endings"), _texts("lost_endings")

# -- the front matter's smaller texts --------------------------------------------------

FIRST_NOTES, MIDDLE_NOTES, CLOSING_NOTES = _notes("first_notes"), _notes("middle_notes"), _notes("closing_notes")
LATER_NOTES = _notes("later_notes")
# Our own word after the resolved date: it does not hold the follow-ups.
CHECK_IN_NOTES = _notes("check_in_notes")
# Read by the customer, in brackets after what was given: "a refund of 12.50 EUR (for the delivery fee you paid)";
# a replacement's or a gesture's note names the thing itself, a reimbursement's what the cost was for.
ACCOMMODATION_NOTES, ACCOMMODATION_NOTES_DE = _by_key("accommodation_notes"), _by_key("accommodation_notes_de")
# "We are sorry about …": what happened, in the customer's terms, per category; each fits every cause of it.
ABOUT, ABOUT_DE = _by_key("about"), _texts("about_de")
# When nobody could find out where it went wrong: said plainly, and treated as ours.
UNCLEAR_WRONG = _texts("unclear_wrong")
# German-speaking customers read their texts in German (case texts are used as written); a cause's own
# texts carry both languages.
WRONG_DE_UNCLEAR = _texts("wrong_de_unclear")
PROMISE_GENERIC = _texts("promise_generic")
