"""The site's offline full-text search: a static index of words, split into small files.

Pagefind did this before, but it indexes the whole site again for any change
and needed gigabytes at ten thousand cases. This index is a list of the cases
(what a result shows) and, for every two-letter start of a word, a shard
mapping each word to the cases that contain it. The search page loads only the
shards of the words typed, and a word matches every indexed word it starts, so
results appear while typing. Words are compared without case, accents or other
marks on both sides: `templates/site/assets/search.js` splits and folds queries
exactly as `words()` does here.

Each file is a script that hands its JSON to search.js (see `script()`), not a
JSON file: Chromium lets a page opened from disk (file://) load scripts from its
folder but refuses it `fetch`, and search must work the same opened from disk
as through `serve`.
"""
from __future__ import annotations

import bisect
import functools
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from amends.model import Case
from amends.report.views import status_label

FOLDER = "search"
LISTING = "cases"  # the file of the list of cases and shards, search/cases.js; a shard's name is hex, never this
# A word is a run of letters and digits; JavaScript's /[\p{L}\p{N}]+/gu says the same.
_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.cache
def _unmarked(char: str) -> str:
    """A character, or nothing for a combining mark (Unicode category M, JavaScript's \\p{M})."""
    return "" if unicodedata.category(char)[0] == "M" else char


def fold(text: str) -> str:
    """Lower case, accents and other marks dropped: "Søren Müller" → "søren muller", "प्रिया" → "परय".

    Marks go in every script, not only Latin accents: a vowel sign inside a
    Hindi or Thai word is not a letter, and left in place it would cut the
    word in two. search.js folds queries the same way.
    """
    if text.isascii():
        return text.lower()
    return _NON_ASCII.sub(lambda m: _unmarked(m.group()), unicodedata.normalize("NFKD", text)).lower()


def words(text: str) -> set[str]:
    """The distinct folded words of a text."""
    return set(_WORD.findall(fold(text)))


def case_words(case: Case, body_html: str) -> str:
    """Every word a person might search a case by: its title, customer, labels, what went wrong, notes, attachments."""
    c = case.customer
    fields = [case.id, case.title, c.name, c.company, c.email, c.phone, case.category, case.team, case.owner,
              case.channel, status_label(case), case.fault, case.severity, *case.tags,
              case.what_went_wrong, case.how_resolved, case.prevention,
              *(a.note for a in case.accommodation), *(p.what for p in case.promises),
              *(contact.note for contact in case.contacts), *(part for a in case.attachments for part in (a.name, a.note)),
              html.unescape(_TAG.sub(" ", body_html))]
    return " ".join(sorted(words(" ".join(f for f in fields if f))))


def shard_name(word: str) -> str:
    """The file holding a word: the hex of the UTF-8 of its first two letters (code points), safe on every file system."""
    return word[:2].encode("utf-8").hex()


def document(case: Case) -> list[str]:
    """What a search result shows of a case, in the order search.js reads it."""
    return [case.id, case.title, case.customer.name, status_label(case), case.opened.isoformat()]


@dataclass
class Index:
    """The index as built: the files by name below search/, and what they were made from."""

    order: list[str]  # case ids, newest first: a posting is a position in this list
    # case id → (a digest of what its words were read from, its words joined by spaces)
    words: dict[str, tuple[str, str]]
    files: dict[str, bytes]


def index(cases: list[Case], found: dict[str, tuple[str, str]], before: Index | None = None) -> Index:
    """The index files of `cases`: cases.js (the cases, the shards) and one shard per two-letter start of a word.

    `found` holds each case's words as `Index.words` does. Cases are listed
    newest first, so results come in that order without sorting in the
    browser. Given the index `before` of the same cases in the same order,
    only the shards of words that came or went are made again; the files are
    the same as those built from nothing.
    """
    ordered = sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)
    order = [c.id for c in ordered]
    files = {}
    if before is None or before.order != order:
        shards: dict[str, dict[str, list[int]]] = {}
        for number, case_id in enumerate(order):
            for word in found[case_id][1].split():
                shards.setdefault(shard_name(word), {}).setdefault(word, []).append(number)
    else:
        files.update((name, data) for name, data in before.files.items() if name != f"{LISTING}.js")
        shards = _changes(before, order, found)
    for name, shard in shards.items():
        if shard:
            files[f"{name}.js"] = script(name, dict(sorted(shard.items())))
        else:
            files.pop(f"{name}.js", None)
    # The list of shards spares the browser asking for files that do not exist.
    names = sorted(name.removesuffix(".js") for name in files if name != f"{LISTING}.js")
    files[f"{LISTING}.js"] = script(LISTING, {"shards": names, "cases": [document(c) for c in ordered]})
    return Index(order, found, files)


def _changes(before: Index, order: list[str], found: dict[str, tuple[str, str]]) -> dict[str, dict[str, list[int]]]:
    """The shards touched by cases whose words changed, with those words added and removed."""
    shards: dict[str, dict[str, list[int]]] = {}

    def shard(word: str) -> dict[str, list[int]]:
        name = shard_name(word)
        if name not in shards:
            data = before.files.get(f"{name}.js")
            shards[name] = value_of(data) if data else {}
        return shards[name]

    for number, case_id in enumerate(order):
        key, now = found[case_id]
        old_key, old = before.words[case_id]
        if key == old_key:
            continue
        now_set, old_set = set(now.split()), set(old.split())
        for word in now_set - old_set:
            bisect.insort(shard(word).setdefault(word, []), number)
        for word in old_set - now_set:
            postings = shard(word)[word]
            postings.remove(number)
            if not postings:
                del shard(word)[word]
    return shards


def script(name: str, value: Any) -> bytes:
    """A file of the index: `amendsSearch.add("<name>",<value as JSON>);`, which search.js defines.

    A title can hold anything, "</script>" too. A file loaded by src is never
    read as HTML, but its text stays safe to place inside a page all the same:
    every "<" is written \\u003c. U+2028 and U+2029 end a line in JavaScript
    engines before ES2019, even inside a string, so they are escaped too. A word
    has no underscore, so no key is "__proto__", the one key a JavaScript object
    literal reads otherwise than JSON does.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'amendsSearch.add("{name}",{text});\n'.encode("utf-8")


def value_of(data: bytes) -> Any:
    """What a file of the index hands to search.js: the value `script()` was given."""
    text = data.decode("utf-8")
    return json.loads(text[text.index(",") + 1:text.rindex(")")])
