"""A cache of work already done, in .amends-cache/state.sqlite, that can never make a site wrong.

Every entry carries the key it was made for (which includes the version of
amends' own code) and a checksum of its contents. An entry whose key differs,
whose checksum fails, or that cannot be read at all is treated as absent, so
the work is simply done again; a store that cannot be used at all is done
without, and removed. The folder is local and git-ignored; delete it (or build
with --clean) at any time.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sqlite3
import zlib
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

FOLDER = ".amends-cache"
STORE = "state.sqlite"
# The layout of the store's table: a store of another layout (or another program's file) is started afresh.
SCHEMA = 1
# How long to wait for another amends that is writing the store (`serve` building, say) before doing without it.
BUSY_MS = 10_000
# A dict saved in parts has about this many items per part, at most: an edit rewrites one part.
PART_SIZE = 256


def digest(*parts: bytes | str) -> str:
    """A hex SHA-256 over the parts, kept apart so that ("ab", "c") differs from ("a", "bc")."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _code_version() -> str:
    """A digest of the source of the package this folder is in: new code never trusts what old code cached."""
    package = Path(__file__).resolve().parent.parent
    return digest(*(part for p in sorted(package.rglob("*.py")) for part in (p.relative_to(package).as_posix(), p.read_bytes())))


CODE_VERSION = _code_version()


class Cache:
    """Named entries in one SQLite file, each a pickled value stored with its key and checksum.

    The saves of a run are one transaction, made permanent by `commit()` and at
    the end of a `with` block left without an error; a run cut short (killed,
    interrupted, failed) leaves the store as its last commit left it: SQLite's
    rollback journal, left behind by a killed run, is played back by the next,
    and a commit is on disk before the run goes on (the one before a build
    changes site/ matters). That journal rather than the write-ahead log, since
    the log writes every page twice (into the log, then back): 230 MB of entries,
    all new (a clean build of ten thousand cases), take about 0.5 s rather than
    1.2 to 2.5 s, and an edit's few changed entries cost the same either way. The
    price: while a run writes more than SQLite keeps in memory, another that reads
    the store (`check` while `serve` builds) waits for its commit, up to BUSY_MS,
    and then does without.

    Only the process that made a Cache opens its store, when first needed; a
    forked worker that touches it is refused, since an SQLite connection must
    not be used on both sides of a fork.

    With `memory` (a dict the caller keeps), a long-running command such as
    `serve` or `schedule` also keeps each entry it loaded or saved as the value
    itself, and uses that instead of unpickling it again as long as the store
    still holds the same bytes (same checksum): no unpickling of ten thousand
    cases on every rebuild, yet an entry another process rewrote is read again.
    Values handed out are shared, so callers never change one without saving it.
    """

    def __init__(self, folder: Path | None, memory: dict | None = None) -> None:
        self.folder, self.memory = folder, memory
        # The parts each load_parts found, by name: save_parts writes only the parts that differ.
        self.parts: dict[str, dict[str, dict]] = {}
        self.pid = os.getpid()
        self.connection: sqlite3.Connection | None = None
        # Set once the store failed: the rest of this run does without it.
        self.failed = False

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, error_type: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if error_type is None:
            self.commit()
        if self.connection is not None:
            self.connection.close()  # an unfinished transaction is rolled back
            self.connection = None

    def commit(self) -> None:
        """Make every save so far permanent: a run cut short after this point leaves them in the store."""
        if self.connection is None:  # never opened, or done without: nothing was saved
            return
        db = self._db()
        if db.in_transaction:
            try:
                db.execute("COMMIT")
            except sqlite3.Error as error:
                self._fail(error)

    def _db(self) -> sqlite3.Connection | None:
        """The connection to the store, opened on first use; None without a store."""
        if self.folder is None:
            return None
        if os.getpid() != self.pid:
            raise RuntimeError(f"the cache in {self.folder} belongs to process {self.pid}: a worker may not use it")
        if self.failed:
            return None
        if self.connection is None:
            try:
                self.connection = _open(self.folder / STORE)
            except (sqlite3.Error, OSError) as error:
                self._fail(error)
        return self.connection

    def _fail(self, error: Exception) -> None:
        """Do without the store from now on; remove it unless another process is using it, so that the
        next run starts a new one and no record this run could not bring up to date outlives it."""
        path = self.folder / STORE
        log.warning("the cache %s cannot be used (%s); doing this run's work without it", path, error)
        if self.connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self.connection.close()
            self.connection = None
        self.failed = True
        if not getattr(error, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            _remove(path)

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        db = self._db()
        if db is None:
            return []
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.Error as error:
            self._fail(error)
            return []

    def _write(self, sql: str, args: tuple) -> bool:
        """Run one change inside this run's transaction (begun by the first); whether it was made."""
        db = self._db()
        if db is None:
            return False
        try:
            if not db.in_transaction:
                # Taking the write lock now, not at the first write after a read, lets SQLite wait for another writer.
                db.execute("BEGIN IMMEDIATE")
            db.execute(sql, args)
            return True
        except sqlite3.Error as error:
            self._fail(error)
            return False

    def load(self, name: str, key: str):
        """The value stored under `name` for exactly `key`, or None."""
        found = self._query("SELECT key, checksum FROM entries WHERE name = ?", (name,))
        return self._value(name, key, *found[0]) if found else None

    def _value(self, name: str, key: str, stored_key: str, checksum: str):
        """The entry `name`, whose row holds `stored_key` and `checksum`, if it was made for `key`."""
        if stored_key != digest(CODE_VERSION, key):
            return None
        if self.memory is not None and name in self.memory:
            kept_checksum, value = self.memory[name]
            if kept_checksum == checksum:
                return value
        value = self._read(name, checksum)
        if value is not None and self.memory is not None:
            self.memory[name] = (checksum, value)
        return value

    def _read(self, name: str, checksum: str):
        # Asked by checksum too: a row another process replaced since its checksum was read is absent, not damaged.
        found = self._query("SELECT value FROM entries WHERE name = ? AND checksum = ?", (name, checksum))
        if not found:
            return None
        payload = found[0][0]
        if checksum != digest(payload):
            log.warning("the cache entry %s in %s is damaged; doing the work again", name, self.folder / STORE)
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # any damage that passed the checksum: rebuild rather than guess
            log.warning("the cache entry %s in %s cannot be read; doing the work again", name, self.folder / STORE)
            return None

    def save(self, name: str, key: str, value) -> None:
        """Store value under `name` for `key`, in this run's transaction."""
        if self._db() is None:
            return
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        checksum = digest(payload)
        saved = self._write("INSERT OR REPLACE INTO entries (name, key, checksum, value) VALUES (?, ?, ?, ?)",
                            (name, digest(CODE_VERSION, key), checksum, payload))
        if saved and self.memory is not None:
            self.memory[name] = (checksum, value)

    def load_parts(self, name: str, key: str) -> dict:
        """A dict saved with save_parts for exactly `key`: the union of the parts still good (any may be lost).

        Only for dicts whose items each stand alone, with what they were made
        from inside them: a lost or older part then costs work, never a wrong result.
        """
        found: dict[str, dict] = {}
        for part, stored_key, checksum in self._query(
                "SELECT name, key, checksum FROM entries WHERE name GLOB ? ORDER BY name", (f"{name}/*",)):
            value = self._value(part, key, stored_key, checksum)
            found[part] = value if isinstance(value, dict) else {}
        self.parts[name] = found
        return {k: v for part in found.values() for k, v in part.items()}

    def save_parts(self, name: str, key: str, value: dict) -> None:
        """Store `value` (keyed by text) in parts by a hash of its keys, writing only parts unlike those the last
        load_parts of `name` found (all of them when there was none since the last save)."""
        if self._db() is None:
            return
        count = 1
        while len(value) > count * PART_SIZE:
            count *= 2
        parts: dict[str, dict] = {f"{name}/{count}.{i}": {} for i in range(count)}
        for k, v in value.items():
            parts[f"{name}/{count}.{zlib.crc32(k.encode('utf-8')) % count}"][k] = v
        # Forgotten once saved: holding on to every item to the end of a build would keep them all in memory.
        before = self.parts.pop(name, None)
        for part, items in parts.items():
            if before is None or before.get(part) != items:
                self.save(part, key, items)
        # Parts of another count (the dict grew or shrank past a power of two) are gone.
        if before is None or before.keys() - parts.keys():
            self._write("DELETE FROM entries WHERE name GLOB ? AND name NOT GLOB ?", (f"{name}/*", f"{name}/{count}.*"))
            if self.memory is not None:
                for part in [p for p in self.memory if p.startswith(f"{name}/") and p not in parts]:
                    del self.memory[part]


def _open(path: Path) -> sqlite3.Connection:
    """A connection to the store at `path`, made (or made again, when of another layout) as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    # Transactions are begun and ended by this module, explicitly, not by the sqlite3 module.
    db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_MS / 1000)
    try:
        # For a new store: most values are large, and their bytes are read and written faster in fewer, larger pages.
        db.execute("PRAGMA page_size = 65536")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DROP TABLE IF EXISTS entries")
            # The value last: reading the key and checksum of a row does not read its value.
            db.execute("CREATE TABLE entries (name TEXT PRIMARY KEY, key TEXT NOT NULL,"
                       " checksum TEXT NOT NULL, value BLOB NOT NULL)")
            db.execute(f"PRAGMA user_version = {SCHEMA}")
            db.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    if new:
        _forget_pickles(path.parent)
    return db


def _remove(path: Path) -> None:
    """The store and its journal: a journal left beside a new store would be played back into it."""
    for name in (f"{path.name}-journal", path.name):
        with contextlib.suppress(OSError):
            (path.parent / name).unlink()


def _forget_pickles(folder: Path) -> None:
    """The files of an amends from before the store, one per entry, are never read again: not worth their disk."""
    for path in [*folder.glob("*.pickle"), *folder.glob("*/*.pickle")]:
        path.unlink(missing_ok=True)
        if path.parent != folder:
            with contextlib.suppress(OSError):  # not yet empty
                path.parent.rmdir()


NO_CACHE = Cache(None)
