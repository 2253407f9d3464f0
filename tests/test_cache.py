"""The cache's store (.amends-cache/state.sqlite): dicts kept in parts, writes grouped, damage never trusted,
and only the process that made a Cache touching it."""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import sqlite3
import weakref
from contextlib import closing
from pathlib import Path

import pytest

from amends.incremental import cache as cache_module, workers
from amends.incremental.cache import STORE, Cache


def items(n: int, edited: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """n items as the build keeps them: a key, the digest it was made from, the value."""
    made = {f"cases/case-{i:05}.md": (f"digest-{i}", f"value {i} " * 20) for i in range(n)}
    made.update((k, ("edited", v)) for k, v in (edited or {}).items())
    return made


def sql(folder: Path, statement: str, args: tuple = ()) -> list[tuple]:
    """A statement run on the store from outside, as another program would, committed."""
    with closing(sqlite3.connect(folder / STORE)) as db, db:
        return db.execute(statement, args).fetchall()


def parts(folder: Path) -> list[str]:
    """The names of the parts of the "cases" dict in the store."""
    return [name for (name,) in sql(folder, "SELECT name FROM entries WHERE name LIKE 'cases/%' ORDER BY name")]


def watch_writes(folder: Path) -> None:
    """From now on the store itself lists, in a table of its own, each entry written or removed."""
    sql(folder, "CREATE TABLE writes (name TEXT)")
    for event, row in (("INSERT", "new"), ("DELETE", "old")):
        sql(folder, f"CREATE TRIGGER watch_{event} AFTER {event} ON entries BEGIN INSERT INTO writes VALUES ({row}.name); END")


def written(folder: Path) -> list[str]:
    """The entries written or removed since watch_writes or the last call, each once; then forgotten."""
    names = sorted({name for (name,) in sql(folder, "SELECT name FROM writes")})
    sql(folder, "DELETE FROM writes")
    return names


def saved(folder: Path, value: dict, key: str = "k") -> None:
    with Cache(folder) as cache:
        cache.load_parts("cases", key)
        cache.save_parts("cases", key, value)


# --------------------------------------------------------------------------
# Dicts in parts: an edit rewrites one part, damage loses only one
# --------------------------------------------------------------------------
def test_parts_give_back_the_dict(tmp_path: Path):
    value = items(1000)
    saved(tmp_path, value)
    assert len(parts(tmp_path)) == 4  # 1,000 items at most 256 a part
    assert Cache(tmp_path).load_parts("cases", "k") == value
    assert Cache(tmp_path).load_parts("cases", "another key") == {}


def test_an_edit_rewrites_one_part_and_no_edit_none(tmp_path: Path):
    saved(tmp_path, items(1000))
    watch_writes(tmp_path)
    saved(tmp_path, items(1000))
    assert written(tmp_path) == [], "an unchanged dict was written again"

    edited = items(1000, {"cases/case-00500.md": "new words"})
    saved(tmp_path, edited)
    assert len(written(tmp_path)) == 1
    assert len(parts(tmp_path)) == 4
    assert Cache(tmp_path).load_parts("cases", "k") == edited


def test_a_damaged_part_loses_only_its_own_items(tmp_path: Path, caplog):
    value = items(1000)
    saved(tmp_path, value)
    damaged = parts(tmp_path)[1]
    sql(tmp_path, "UPDATE entries SET value = substr(value, 1, length(value) / 2) WHERE name = ?", (damaged,))

    with caplog.at_level(logging.WARNING):
        found = Cache(tmp_path).load_parts("cases", "k")
    assert [r.getMessage() for r in caplog.records] == [
        f"the cache entry {damaged} in {tmp_path / STORE} is damaged; doing the work again"]
    lost = value.keys() - found.keys()
    assert 0 < len(lost) < len(value) // 2  # one part of four, give or take the spread of the hash
    assert all(found[k] == value[k] for k in found)
    # Saving what the work made again mends that part, and only it.
    watch_writes(tmp_path)
    saved(tmp_path, value)
    assert written(tmp_path) == [damaged]
    assert Cache(tmp_path).load_parts("cases", "k") == value


@pytest.mark.parametrize("start, end", [(100, 1000), (1000, 100)], ids=["grown", "shrunk"])
def test_a_dict_that_grows_or_shrinks_leaves_no_old_part(tmp_path: Path, start: int, end: int):
    saved(tmp_path, items(start))
    saved(tmp_path, items(end))
    assert len(parts(tmp_path)) == (4 if end == 1000 else 1)
    assert Cache(tmp_path).load_parts("cases", "k") == items(end)


class Item:
    """A value that can be watched for being freed (a tuple cannot be weakly referenced)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Item) and other.n == self.n


def test_what_was_loaded_and_saved_is_not_kept_once_saved(tmp_path: Path):
    saved(tmp_path, {f"case-{i}": Item(i) for i in range(600)})
    with Cache(tmp_path) as cache:
        loaded = cache.load_parts("cases", "k")
        watched = [weakref.ref(v) for v in loaded.values()]
        cache.save_parts("cases", "k", loaded)
        del loaded
        gc.collect()
        # A build saves each dict once, and ten thousand cases' downloads are 58 MB: kept, they would stay to its end.
        assert not [ref for ref in watched if ref() is not None]
        # Without a load_parts since, nothing is known of what is stored: every part is written again.
        watch_writes(tmp_path)
        cache.save_parts("cases", "k", {f"case-{i}": Item(i) for i in range(600)})
    assert written(tmp_path) == parts(tmp_path) and len(parts(tmp_path)) == 4


# --------------------------------------------------------------------------
# Writes grouped: a run cut short leaves the last commit
# --------------------------------------------------------------------------
def test_saves_are_seen_elsewhere_only_once_committed(tmp_path: Path):
    with Cache(tmp_path) as cache:
        cache.save("pages", "k", {"a": 1})
        assert cache.load("pages", "k") == {"a": 1}  # its own saves, at once
        assert Cache(tmp_path).load("pages", "k") is None
        cache.commit()
        assert Cache(tmp_path).load("pages", "k") == {"a": 1}
        cache.save("pages", "k", {"a": 2})
    assert Cache(tmp_path).load("pages", "k") == {"a": 2}  # the end of the block commits


def test_a_run_that_fails_leaves_the_last_commit(tmp_path: Path):
    with Cache(tmp_path) as cache:
        cache.save("pages", "k", {"a": 1})
    with pytest.raises(KeyboardInterrupt), Cache(tmp_path) as cache:
        cache.save("pages", "k", {})
        cache.save("rows", "k", {"b": 2})
        raise KeyboardInterrupt
    assert Cache(tmp_path).load("pages", "k") == {"a": 1}
    assert Cache(tmp_path).load("rows", "k") is None


def killed_while_saving(folder: Path) -> None:
    """In a process of its own: save, commit, save more, and be killed before the next commit."""
    cache = Cache(folder)
    cache.save("pages", "k", {})
    cache.commit()
    cache.save("pages", "k", {"half": "done"})
    cache.save("rows", "k", {"b": 2})
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_run_killed_between_saves_leaves_the_last_commit(tmp_path: Path):
    with Cache(tmp_path) as cache:
        cache.save("pages", "k", {"a": 1})
        cache.save("rows", "k", {"b": 1})
    process = multiprocessing.get_context("fork").Process(target=killed_while_saving, args=(tmp_path,))
    process.start()
    process.join()
    assert process.exitcode == -signal.SIGKILL
    with Cache(tmp_path) as cache:
        assert cache.load("pages", "k") == {}  # what was committed before the kill holds
        assert cache.load("rows", "k") == {"b": 1}  # what was not, is as it was
        cache.save("rows", "k", {"b": 3})  # and the store is writable again at once
    assert Cache(tmp_path).load("rows", "k") == {"b": 3}


# --------------------------------------------------------------------------
# Only the process that made a Cache touches its store
# --------------------------------------------------------------------------
@pytest.mark.parametrize("opened", [True, False], ids=["opened-before-the-fork", "never-opened"])
def test_a_forked_worker_may_not_touch_the_store(tmp_path: Path, monkeypatch, opened: bool):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # forks whatever this machine has
    with Cache(tmp_path) as cache:
        cache.save("rows", "k", {"b": 1})
    cache = Cache(tmp_path)
    if opened:
        assert cache.load("rows", "k") == {"b": 1}
    parent = os.getpid()

    def use(i: int) -> None:
        if os.getpid() != parent:  # the first item is done here, before the fork
            cache.save("rows", "k", {"from": "worker"})
    with pytest.raises(RuntimeError, match=f"belongs to process {parent}"):
        list(workers.each(use, [0, 1], at_least=1))
    # The process that made it goes on using it.
    with cache:
        cache.save("rows", "k", {"b": 2})
    assert Cache(tmp_path).load("rows", "k") == {"b": 2}


# --------------------------------------------------------------------------
# memory: what a long-running command keeps between builds
# --------------------------------------------------------------------------
def test_memory_hands_back_the_value_itself_until_another_process_rewrites_it(tmp_path: Path):
    memory: dict = {}
    with Cache(tmp_path, memory) as cache:
        cache.save("rows", "k", {"b": [1]})
        value = cache.load("rows", "k")
    with Cache(tmp_path, memory) as cache:
        assert cache.load("rows", "k") is value, "unpickled again although unchanged"
        assert cache.load("rows", "another key") is None
    with Cache(tmp_path) as other:  # another process, with no memory
        other.save("rows", "k", {"b": [2]})
    with Cache(tmp_path, memory) as cache:
        assert cache.load("rows", "k") == {"b": [2]}


def test_memory_forgets_parts_that_are_gone(tmp_path: Path):
    memory: dict = {}
    with Cache(tmp_path, memory) as cache:
        cache.load_parts("cases", "k")
        cache.save_parts("cases", "k", items(1000))
    assert sorted(name for name in memory if name.startswith("cases/")) == parts(tmp_path)
    with Cache(tmp_path, memory) as cache:
        cache.load_parts("cases", "k")
        cache.save_parts("cases", "k", items(10))
    assert sorted(name for name in memory if name.startswith("cases/")) == parts(tmp_path) == ["cases/1.0"]


# --------------------------------------------------------------------------
# A store that cannot be used: done without, never a traceback
# --------------------------------------------------------------------------
def cache_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == cache_module.__name__]


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(os.urandom(64 * 1024)),
    lambda path: path.write_bytes(path.read_bytes()[:100]),
], ids=["random-bytes", "truncated-header"])
def test_a_damaged_store_is_done_without_once_and_made_anew(tmp_path: Path, caplog, damage):
    with Cache(tmp_path) as cache:
        cache.save("rows", "k", {"b": 1})
    damage(tmp_path / STORE)
    with caplog.at_level(logging.WARNING), Cache(tmp_path) as cache:
        assert cache.load("rows", "k") is None
        assert cache.load_parts("cases", "k") == {}
        cache.save("rows", "k", {"b": 2})
        cache.commit()
    assert len(cache_warnings(caplog)) == 1, cache_warnings(caplog)
    assert "cannot be used" in cache_warnings(caplog)[0]
    # The damaged store is gone: the next run makes a new one.
    caplog.clear()
    with caplog.at_level(logging.WARNING), Cache(tmp_path) as cache:
        assert cache.load("rows", "k") is None
        cache.save("rows", "k", {"b": 3})
    assert Cache(tmp_path).load("rows", "k") == {"b": 3}
    assert cache_warnings(caplog) == []


def test_a_store_of_another_layout_is_started_afresh(tmp_path: Path, caplog):
    sql(tmp_path, "CREATE TABLE entries (name TEXT, value TEXT)")
    sql(tmp_path, "INSERT INTO entries VALUES ('rows', 'not ours')")
    with caplog.at_level(logging.WARNING), Cache(tmp_path) as cache:
        assert cache.load("rows", "k") is None
        cache.save("rows", "k", {"b": 1})
    assert Cache(tmp_path).load("rows", "k") == {"b": 1}
    assert cache_warnings(caplog) == []


def test_a_store_another_process_is_writing_is_waited_for_then_done_without(tmp_path: Path, caplog, monkeypatch):
    monkeypatch.setattr(cache_module, "BUSY_MS", 50)
    with Cache(tmp_path) as cache:
        cache.save("rows", "k", {"b": 1})
    with closing(sqlite3.connect(tmp_path / STORE, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        with caplog.at_level(logging.WARNING), Cache(tmp_path) as cache:
            assert cache.load("rows", "k") == {"b": 1}  # reading is not held up by a writer yet to write
            cache.save("rows", "k", {"b": 2})
            assert cache.load("rows", "k") is None  # done without from then on
        writer.execute("ROLLBACK")
    assert len(cache_warnings(caplog)) == 1 and "database is locked" in cache_warnings(caplog)[0]
    # Not removed: it was only busy.
    assert Cache(tmp_path).load("rows", "k") == {"b": 1}


def test_a_folder_that_cannot_hold_a_store_is_done_without(tmp_path: Path, caplog):
    (tmp_path / "cache").write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING), Cache(tmp_path / "cache") as cache:
        assert cache.load("rows", "k") is None
        cache.save("rows", "k", {"b": 1})
        assert cache.load_parts("cases", "k") == {}
    assert len(cache_warnings(caplog)) == 1


def test_the_files_of_an_amends_before_the_store_are_removed_once(tmp_path: Path):
    old = [tmp_path / "build.pickle", tmp_path / "cases" / "4.0.pickle", tmp_path / "rows" / "1.0.pickle"]
    kept = tmp_path / "site" / "ab" / ("ab" + "0" * 62)  # a built file of the content store
    for path in [*old, kept]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"old")
    with Cache(tmp_path) as cache:
        assert cache.load("build", "k") is None
    assert not [path for path in old if path.exists()]
    assert not (tmp_path / "cases").exists() and not (tmp_path / "rows").exists()
    assert kept.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", STORE]
