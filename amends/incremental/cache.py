"""A cache of work already done, in .amends-cache/, that can never make a site wrong.

Every entry carries the key it was made for (which includes the version of
amends' own code) and a checksum of its contents. An entry whose key differs,
whose checksum fails, or that cannot be read at all is treated as absent, so
the work is simply done again. The folder is local and git-ignored; delete it
(or build with --clean) at any time.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import zlib
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = ".amends-cache"
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
    """Named entries, each a pickled value stored with its key and checksum.

    With `memory` (a dict the caller keeps), a long-running command such as
    `serve` or `schedule` also keeps each entry it loaded or saved as the value
    itself, and uses that instead of reading the file again as long as the file
    is the one it saw (same size, change time and inode): no unpickling of ten
    thousand cases on every rebuild. Values handed out are shared, so callers
    never change one without saving it.
    """

    def __init__(self, folder: Path | None, memory: dict | None = None) -> None:
        self.folder, self.memory = folder, memory
        # The parts each load_parts found, by name: save_parts writes only the parts that differ.
        self.parts: dict[str, dict[str, dict]] = {}

    def _seen(self, path: Path) -> tuple[int, int, int] | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return stat.st_size, stat.st_ctime_ns, stat.st_ino

    def load(self, name: str, key: str):
        """The value stored under `name` for exactly `key`, or None."""
        if self.folder is None:
            return None
        path = self._path(name)
        if self.memory is not None and name in self.memory:
            kept_key, seen, value = self.memory[name]
            if seen is not None and seen == self._seen(path):
                return value if kept_key == key else None
        value = self._read(path, key)
        if value is not None and self.memory is not None:
            self.memory[name] = (key, self._seen(path), value)
        return value

    def _read(self, path: Path, key: str):
        try:
            with path.open("rb") as f:
                stored_key = f.readline().decode("ascii").strip()
                checksum = f.readline().decode("ascii").strip()
                payload = f.read()
        except (OSError, UnicodeDecodeError):
            return None
        if stored_key != digest(CODE_VERSION, key):
            return None
        if checksum != digest(payload):
            log.warning("the cache entry %s is damaged; doing the work again", path)
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # any damage that passed the checksum: rebuild rather than guess
            log.warning("the cache entry %s cannot be read; doing the work again", path)
            return None

    def save(self, name: str, key: str, value) -> None:
        """Store value under `name` for `key`; a crash mid-write leaves the old entry or none."""
        if self.folder is None:
            return
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            f.write(f"{digest(CODE_VERSION, key)}\n{digest(payload)}\n".encode("ascii"))
            f.write(payload)
        os.replace(tmp, path)
        if self.memory is not None:
            self.memory[name] = (key, self._seen(path), value)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.pickle"

    def load_parts(self, name: str, key: str) -> dict:
        """A dict saved with save_parts for exactly `key`: the union of the parts still good (any may be lost).

        Only for dicts whose items each stand alone, with what they were made
        from inside them: a lost or older part then costs work, never a wrong result.
        """
        found: dict[str, dict] = {}
        if self.folder is not None and (self.folder / name).is_dir():
            for entry in sorted(os.scandir(self.folder / name), key=lambda e: e.name):
                if entry.name.endswith(".pickle"):
                    part = f"{name}/{entry.name.removesuffix('.pickle')}"
                    value = self.load(part, key)
                    found[part] = value if isinstance(value, dict) else {}
        self.parts[name] = found
        return {k: v for part in found.values() for k, v in part.items()}

    def save_parts(self, name: str, key: str, value: dict) -> None:
        """Store `value` (keyed by text) in parts by a hash of its keys, writing only parts unlike those the last
        load_parts of `name` found (all of them when there was none since the last save)."""
        if self.folder is None:
            return
        count = 1
        while len(value) > count * PART_SIZE:
            count *= 2
        parts: dict[str, dict] = {f"{name}/{count}.{i}": {} for i in range(count)}
        for k, v in value.items():
            parts[f"{name}/{count}.{zlib.crc32(k.encode('utf-8')) % count}"][k] = v
        # Forgotten once saved: holding on to every item to the end of a build would keep them all in memory.
        before = self.parts.pop(name, {})
        for part, items in parts.items():
            if before.get(part) != items:
                self.save(part, key, items)
        # Parts of another count (the dict grew or shrank past a power of two) are gone, and so is a
        # whole entry of the same name that an older amends left.
        self._path(name).unlink(missing_ok=True)
        for part in before.keys() - parts.keys():
            self._path(part).unlink(missing_ok=True)
            if self.memory is not None:
                self.memory.pop(part, None)


NO_CACHE = Cache(None)
