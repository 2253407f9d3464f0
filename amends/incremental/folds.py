"""Aggregates kept by difference: each key (one case, say) contributes to buckets, and adding or removing
one key costs work in proportion to what it contributes, never to the size of the collection.

Three kinds are enough:
- Count: sums per group and item (cases per status; money per month and currency);
- Index: the keys in each bucket (the cases that name another one);
- Order: sort keys per bucket, kept sorted (a group's cases, oldest first), read by range with bisect.

Each fold remembers what every key contributed, so that remove(key) needs only the key; add(key, …)
replaces what the key contributed before. Each gives a digest per bucket that depends on what the
bucket holds, not on the order it came in, so that it can stand in a page's key. A fold holds only
plain values: it pickles as it is.
"""
from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any


class _Digests:
    """Each bucket's digest, made when asked for and kept until the bucket changes: a fold changed by one
    key makes again only the digests of the buckets that key touched, each at the cost of its size."""

    def __init__(self) -> None:
        self.made: dict[Hashable, str] = {}

    def changed(self, bucket: Hashable) -> None:
        self.made.pop(bucket, None)

    def get(self, bucket: Hashable, holds: Callable[[], Any]) -> str:
        if bucket not in self.made:
            self.made[bucket] = hashlib.blake2b(repr(holds()).encode("utf-8"), digest_size=16).hexdigest()
        return self.made[bucket]


class Count:
    """Sums per group and item of the numbers each key contributes: add(key, {group: {item: n}}).

    An item lasts while some key contributes to it, even with a sum of zero, as a sum over the
    contributing keys would have it. With `rollup`, each group also adds into the coarser group
    rollup(group) (days into months), which costs no more memory per key.
    """

    def __init__(self, rollup: Callable[[Hashable], Hashable] | None = None) -> None:
        self.rollup = rollup  # a function of a module, so that the fold pickles
        self.parts: dict[Hashable, dict[Hashable, dict[Hashable, Any]]] = {}
        self.sums: dict[Hashable, dict[Hashable, Any]] = {}
        self.tallies: dict[Hashable, dict[Hashable, int]] = {}  # how many contributions each item has
        # One object for each name of a group or item ever seen, shared by every part that holds it, so that
        # memory and a pickle hold it once (reading the kept state back takes a third of the time).
        self.names: dict[Hashable, Hashable] = {}
        self.digests = _Digests()

    def add(self, key: Hashable, contribution: Mapping[Hashable, Mapping[Hashable, Any]]) -> None:
        self.remove(key)
        same = self.names.setdefault
        part = {same(group, group): {same(item, item): n for item, n in items.items()}
                for group, items in contribution.items() if items}
        self._move(part, 1)
        if part:
            self.parts[key] = part

    def remove(self, key: Hashable) -> None:
        self._move(self.parts.pop(key, {}), -1)

    def _move(self, part: dict[Hashable, dict[Hashable, Any]], sign: int) -> None:
        for group, items in part.items():
            for into in (group, self.rollup(group)) if self.rollup else (group,):
                sums, tallies = self.sums.setdefault(into, {}), self.tallies.setdefault(into, {})
                for item, n in items.items():
                    tallies[item] = tallies.get(item, 0) + sign
                    if not tallies[item]:
                        del sums[item], tallies[item]
                    elif sign > 0 and tallies[item] == 1:
                        sums[item] = n
                    else:
                        sums[item] += sign * n
                self.digests.changed(into)
                if not sums:
                    del self.sums[into], self.tallies[into]

    def totals(self, group: Hashable) -> Mapping[Hashable, Any]:
        """The sum of each item of the group (read only)."""
        return self.sums.get(group, {})

    def groups(self) -> Iterable[Hashable]:
        return self.sums.keys()

    def digest(self, group: Hashable) -> str:
        """A digest of the group's sums, and of how many contributions each has. A sum is taken by its value
        alone: one that has had 1.50 taken from it may be written 2.00 where a fresh one is 2."""
        return self.digests.get(group, lambda: sorted((repr(item), self.tallies[group][item], str(Decimal(n).normalize()))
                                                      for item, n in self.totals(group).items()))


class Index:
    """The keys in each bucket: add(key, [bucket, …])."""

    def __init__(self) -> None:
        self.parts: dict[Hashable, frozenset] = {}
        self.members: dict[Hashable, set] = {}
        self.digests = _Digests()

    def add(self, key: Hashable, buckets: Iterable[Hashable]) -> None:
        self.remove(key)
        part = frozenset(buckets)
        for bucket in part:
            self.members.setdefault(bucket, set()).add(key)
            self.digests.changed(bucket)
        if part:
            self.parts[key] = part

    def remove(self, key: Hashable) -> None:
        for bucket in self.parts.pop(key, ()):
            self.members[bucket].discard(key)
            if not self.members[bucket]:
                del self.members[bucket]
            self.digests.changed(bucket)

    def keys(self, bucket: Hashable) -> frozenset:
        return frozenset(self.members.get(bucket, ()))

    def digest(self, bucket: Hashable) -> str:
        return self.digests.get(bucket, lambda: sorted(map(repr, self.members.get(bucket, ()))))


class Order:
    """Sort keys per bucket, kept sorted: add(key, [(bucket, sort key), …]).

    A sort key says what the entry is (a case's (opened, id), say), so it must be unique in its
    bucket. Sort keys are tuples; a bound is a tuple too, and a shorter one is a prefix: (day,)
    comes before every (day, id).
    """

    def __init__(self) -> None:
        self.parts: dict[Hashable, tuple[tuple[Hashable, tuple], ...]] = {}
        self.entries: dict[Hashable, list[tuple]] = {}
        self.names: dict[Hashable, Hashable] = {}  # one object per bucket name, as in Count
        self.digests = _Digests()

    def add(self, key: Hashable, entries: Iterable[tuple[Hashable, tuple]]) -> None:
        self.remove(key)
        part = tuple((self.names.setdefault(bucket, bucket), sort_key) for bucket, sort_key in entries)
        for bucket, sort_key in part:
            bisect.insort(self.entries.setdefault(bucket, []), sort_key)
            self.digests.changed(bucket)
        if part:
            self.parts[key] = part

    def remove(self, key: Hashable) -> None:
        for bucket, sort_key in self.parts.pop(key, ()):
            found = self.entries[bucket]
            del found[bisect.bisect_left(found, sort_key)]
            if not found:
                del self.entries[bucket], self.names[bucket]
            self.digests.changed(bucket)

    def between(self, bucket: Hashable, low: tuple | None = None, high: tuple | None = None) -> list[tuple]:
        """The sort keys from `low` (included) up to `high` (left out), in order."""
        found = self.entries.get(bucket, [])
        return found[self._at(found, low, 0):self._at(found, high, len(found))]

    def count(self, bucket: Hashable, low: tuple | None = None, high: tuple | None = None) -> int:
        found = self.entries.get(bucket, [])
        return max(0, self._at(found, high, len(found)) - self._at(found, low, 0))

    def first(self, bucket: Hashable) -> tuple | None:
        found = self.entries.get(bucket)
        return found[0] if found else None

    def before(self, bucket: Hashable, high: tuple | None = None) -> Iterator[tuple]:
        """The sort keys below `high`, the greatest first: stop reading when one will do."""
        found = self.entries.get(bucket, [])
        for i in range(self._at(found, high, len(found)) - 1, -1, -1):
            yield found[i]

    def buckets(self) -> Iterable[Hashable]:
        return self.entries.keys()

    def digest(self, bucket: Hashable) -> str:
        return self.digests.get(bucket, lambda: self.entries.get(bucket, []))

    @staticmethod
    def _at(found: list[tuple], bound: tuple | None, default: int) -> int:
        return default if bound is None else bisect.bisect_left(found, bound)
