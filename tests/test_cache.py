"""Dicts kept in parts (Cache.save_parts / load_parts): an edit rewrites one part, damage loses only one."""
from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from amends.incremental.cache import Cache


def items(n: int, edited: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """n items as the build keeps them: a key, the digest it was made from, the value."""
    made = {f"cases/case-{i:05}.md": (f"digest-{i}", f"value {i} " * 20) for i in range(n)}
    made.update((k, ("edited", v)) for k, v in (edited or {}).items())
    return made


def parts(folder: Path) -> dict[str, tuple[int, int]]:
    """Each part file of the "cases" dict: its name → (inode, mtime). A rewritten file is a new one."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted((folder / "cases").glob("*.pickle"))}


def saved(folder: Path, value: dict, key: str = "k") -> None:
    cache = Cache(folder)
    cache.load_parts("cases", key)
    cache.save_parts("cases", key, value)


def test_parts_give_back_the_dict(tmp_path: Path):
    value = items(1000)
    saved(tmp_path, value)
    assert len(parts(tmp_path)) == 4  # 1,000 items at most 256 a part
    assert Cache(tmp_path).load_parts("cases", "k") == value
    assert Cache(tmp_path).load_parts("cases", "another key") == {}


def test_an_edit_rewrites_one_part_and_no_edit_none(tmp_path: Path):
    saved(tmp_path, items(1000))
    before = parts(tmp_path)
    saved(tmp_path, items(1000))
    assert parts(tmp_path) == before, "an unchanged dict was written again"

    edited = items(1000, {"cases/case-00500.md": "new words"})
    saved(tmp_path, edited)
    after = parts(tmp_path)
    assert sorted(after) == sorted(before)
    assert len([name for name in after if after[name] != before[name]]) == 1
    assert Cache(tmp_path).load_parts("cases", "k") == edited


def test_a_damaged_part_loses_only_its_own_items(tmp_path: Path):
    value = items(1000)
    saved(tmp_path, value)
    damaged = sorted((tmp_path / "cases").glob("*.pickle"))[1]
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])

    found = Cache(tmp_path).load_parts("cases", "k")
    lost = value.keys() - found.keys()
    assert 0 < len(lost) < len(value) // 2  # one part of four, give or take the spread of the hash
    assert all(found[k] == value[k] for k in found)
    # Saving what the work made again mends that part, and only it.
    before = parts(tmp_path)
    saved(tmp_path, value)
    after = parts(tmp_path)
    assert [name for name in after if after[name] != before[name]] == [damaged.name]
    assert Cache(tmp_path).load_parts("cases", "k") == value


@pytest.mark.parametrize("start, end", [(100, 1000), (1000, 100)], ids=["grown", "shrunk"])
def test_a_dict_that_grows_or_shrinks_leaves_no_old_part(tmp_path: Path, start: int, end: int):
    saved(tmp_path, items(start))
    saved(tmp_path, items(end))
    assert len(parts(tmp_path)) == (4 if end == 1000 else 1)
    assert Cache(tmp_path).load_parts("cases", "k") == items(end)


def test_a_whole_entry_left_by_an_older_amends_is_removed(tmp_path: Path):
    Cache(tmp_path).save("cases", "k", items(10))
    assert (tmp_path / "cases.pickle").exists()
    saved(tmp_path, items(10))
    assert not (tmp_path / "cases.pickle").exists()
    assert Cache(tmp_path).load_parts("cases", "k") == items(10)


class Item:
    """A value that can be watched for being freed (a tuple cannot be weakly referenced)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Item) and other.n == self.n


def test_what_was_loaded_and_saved_is_not_kept_once_saved(tmp_path: Path):
    saved(tmp_path, {f"case-{i}": Item(i) for i in range(600)})
    cache = Cache(tmp_path)
    loaded = cache.load_parts("cases", "k")
    watched = [weakref.ref(v) for v in loaded.values()]
    cache.save_parts("cases", "k", loaded)
    del loaded
    gc.collect()
    # A build saves each dict once, and ten thousand cases' downloads are 58 MB: kept, they would stay to its end.
    assert not [ref for ref in watched if ref() is not None]
    # Without a load_parts since, nothing is known of what is on disk: every part is written again.
    before = parts(tmp_path)
    cache.save_parts("cases", "k", {f"case-{i}": Item(i) for i in range(600)})
    after = parts(tmp_path)
    assert before.keys() == after.keys() and all(before[name] != after[name] for name in before)
