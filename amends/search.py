"""The site's offline full-text search: a static index of words, split into small files.

Pagefind did this before, but it indexes the whole site again for any change
and needed gigabytes at ten thousand cases. This index is plain JSON: a list
of the cases (what a result shows) and, for every two-letter start of a word,
a shard mapping each word to the cases that contain it. The search page loads
only the shards of the words typed, and a word matches every indexed word it
starts, so results appear while typing. Words are compared without case,
accents or other marks on both sides: `templates/site/assets/search.js` splits and folds
queries exactly as `words()` does here.
"""
from __future__ import annotations

import bisect
import functools
import html
import json
import re
import unicodedata
from dataclasses import dataclass

from .model import Case
from .views import status_label

FOLDER = "search"
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
    """Every word a person might search a case by: its title, customer, labels, what went wrong, notes."""
    c = case.customer
    fields = [case.id, case.title, c.name, c.company, c.email, c.phone, case.category, case.team, case.owner,
              case.channel, status_label(case), case.fault, case.severity, *case.tags,
              case.what_went_wrong, case.how_resolved, case.prevention,
              *(a.note for a in case.accommodation), *(p.what for p in case.promises),
              *(contact.note for contact in case.contacts), html.unescape(_TAG.sub(" ", body_html))]
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
    """The index files of `cases`: cases.json (the cases, the shards) and one shard per two-letter start of a word.

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
        files.update((name, data) for name, data in before.files.items() if name != "cases.json")
        shards = _changes(before, order, found)
    for name, shard in shards.items():
        if shard:
            files[f"{name}.json"] = _json(dict(sorted(shard.items())))
        else:
            files.pop(f"{name}.json", None)
    # The list of shards spares the browser asking for files that do not exist.
    names = sorted(name.removesuffix(".json") for name in files if name != "cases.json")
    files["cases.json"] = _json({"shards": names, "cases": [document(c) for c in ordered]})
    return Index(order, found, files)


def _changes(before: Index, order: list[str], found: dict[str, tuple[str, str]]) -> dict[str, dict[str, list[int]]]:
    """The shards touched by cases whose words changed, with those words added and removed."""
    shards: dict[str, dict[str, list[int]]] = {}

    def shard(word: str) -> dict[str, list[int]]:
        name = shard_name(word)
        if name not in shards:
            data = before.files.get(f"{name}.json")
            shards[name] = json.loads(data) if data else {}
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


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
