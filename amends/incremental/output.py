"""Writing a generated folder: only the files whose bytes changed, each kept once in a content store."""
from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from amends.incremental.files import name_error


class Writer:
    """Puts files into a folder, touching only those whose content changed; then removes the rest.

    With a `store` (a folder in the cache), each file's bytes are kept there
    once, named by their digest, and the site's file is a hard link to that
    copy: no more disk is used, and a site/ deleted by hand comes back from the
    store without rendering a page. A file that exists is never written into
    but replaced by a new one, so a page can never change under its stored
    name; a stored copy is trusted only when its bytes still match that name.
    """

    def __init__(self, folder: Path, store: Path | None = None) -> None:
        # Paths as strings: pathlib's overhead is a second over twenty thousand files.
        self.folder, self.store, self.written = str(folder), store and str(store), 0
        # name → (digest of its bytes, size) of every file this build keeps
        self.kept: dict[str, tuple[str, int]] = {}

    def _claim(self, name: str, content: str, size: int) -> None:
        if name in self.kept:
            raise ValueError(f"two pages would be written to {name}")
        self.kept[name] = content, size

    def _stored(self, content: str) -> str:
        return os.path.join(self.store, content[:2], content)

    def put(self, name: str, data: bytes) -> None:
        """Write a file, unless it already holds `data`. No two files may share a name."""
        self.record(name, *self.write(name, data))

    def write(self, name: str, data: bytes) -> tuple[str, int, bool]:
        """Put `data` in the file `name` unless it holds it already: (digest of the bytes, size, whether written).

        It touches only that file and its stored copy, so worker processes may
        write different files at once; the process that holds this Writer then `record`s each.
        """
        content = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.folder, name)
        if self.store is not None and not _holds(self._stored(content), data):
            _create(self._stored(content), data)
        if _holds(path, data):
            return content, len(data), False
        try:
            if self.store is not None:
                _link(self._stored(content), path)
            else:
                _replace(path, data)
        except OSError:  # another file system, or one without hard links
            _replace(path, data)
        return content, len(data), True

    def record(self, name: str, content: str, size: int, written: bool) -> None:
        """Count a file `write` put in place. No two files may share a name."""
        self._claim(name, content, size)
        self.written += written

    def keep(self, files: dict[str, tuple[str, int]]) -> set[str]:
        """Which of `files` (name → digest of its bytes and its size, as last written) are in place or now back from the store."""
        kept = set()
        for name, (content, size) in files.items():
            if self._in_place(name, size) or self._restore(name, content):
                self._claim(name, content, size)
                kept.add(name)
        return kept

    def _in_place(self, name: str, size: int) -> bool:
        try:
            return os.stat(os.path.join(self.folder, name)).st_size == size
        except OSError:
            return False

    def _restore(self, name: str, content: str) -> bool:
        """Link the file again from the store, if the stored copy still holds the bytes it is named for."""
        if self.store is None or not _matches(self._stored(content), content):
            return False
        try:
            _link(self._stored(content), os.path.join(self.folder, name))
        except OSError:
            return False
        self.written += 1
        return True

    def remove_rest(self) -> None:
        """Files and folders put there by no one this time: pages of deleted cases or groups must not linger.

        The store keeps only what the site holds now.
        """
        _remove_unlisted(self.folder, lambda where, name: (name if where == "." else f"{where}/{name}") in self.kept)
        if self.store is not None and os.path.isdir(self.store):
            contents = {content for content, _ in self.kept.values()}
            _remove_unlisted(self.store, lambda where, name: name in contents)


def _holds(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def _matches(path: str, content: str) -> bool:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest() == content
    except OSError:
        return False


def _replace(path: str, new: bytes | str) -> None:
    """Put `new` (bytes, or the path of a stored file to link) at `path` as a new file: other names of the old file keep theirs.

    Not files.write_atomic: this one also links, and takes plain strings, as Writer does for speed.
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        if isinstance(new, bytes):
            with open(tmp, "wb") as f:
                f.write(new)
        else:
            os.link(new, tmp)
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        name_error(error, path, tmp)
        raise


def _create(path: str, data: bytes) -> None:
    """A stored copy, written in place when it is new: one file created instead of a temporary one renamed.

    Safe because a stored copy is trusted only when its bytes match its name:
    one left half-written by a crash is never linked, and is replaced.
    """
    try:
        f = open(path, "xb")
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        f = open(path, "xb")
    except FileExistsError:
        _replace(path, data)
        return
    try:
        with f:
            f.write(data)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(path)
        name_error(error, path)
        raise


def _link(source: str, path: str) -> None:
    """A hard link to `source` at `path`: in one call when nothing is there, as when site/ was deleted."""
    try:
        os.link(source, path)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.link(source, path)
    except FileExistsError:
        _replace(path, source)


def _remove_unlisted(top: str, listed: Callable[[str, str], bool]) -> None:
    """Remove every file below `top` that `listed(folder relative to top, name)` rejects, then empty folders."""
    for folder, dirs, files in os.walk(top, topdown=False):
        where = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in files:
            if not listed(where, name):
                os.unlink(os.path.join(folder, name))
        if folder != top and not os.listdir(folder):
            os.rmdir(folder)
