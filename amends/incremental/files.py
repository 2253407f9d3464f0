"""Files written whole or not at all, and how a file is known unchanged without reading it."""
from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

from amends.incremental.cache import digest

# A file changed this recently (in ns) is read again next time, whatever its times say: times tick coarsely.
RACY_NS = 2_000_000_000


def name_error(error: BaseException, path: str | Path, tmp: str | Path | None = None) -> None:
    """Make an OSError name the file being written: a full disk names no file, and the temporary one means nothing to anyone."""
    if isinstance(error, OSError) and error.filename in (None, tmp, str(tmp) if tmp else None):
        error.filename = str(path)


def write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a file so that it is either whole or absent; `durable` also makes it survive a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as error:
        name_error(error, path, tmp)
        raise
    if not durable:
        return
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def file_key(path: str) -> str:
    """A file's size, times and inode: any write moves its ctime, so a file whose key is unchanged is unchanged.

    A file changed just now could change again without its times moving, so its key never matches;
    nor does that of one gone since its folder was listed (its page then says it cannot be read).
    """
    try:
        stat = os.stat(path)
    except OSError:
        return f"gone {time.time_ns()}"
    if max(stat.st_mtime_ns, stat.st_ctime_ns) >= time.time_ns() - RACY_NS:
        return f"racy {time.time_ns()}"
    return digest(str((stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)))


def _files(folder: Path, prefix: str = "") -> dict[str, tuple[int, int, int]]:
    """Every file below folder: relative name → (size, mtime, ctime), from one directory scan each."""
    found: dict[str, tuple[int, int, int]] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            found.update(_files(Path(entry.path), f"{prefix}{entry.name}/"))
        else:
            stat = entry.stat(follow_symlinks=False)
            found[prefix + entry.name] = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return found


def manifest(out_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every file of the built site with its size and change times: enough to notice any change to it."""
    return _files(out_dir)





def read_regular(path: str, limit: int | None = None) -> bytes:
    """The file's bytes; a file swapped for a FIFO since the folder was listed is refused, not waited on.

    A file of more than `limit` bytes is not read: OSError with errno.EFBIG.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        data = f.read() if limit is None else f.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes")
    return data
