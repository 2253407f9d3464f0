"""Read and validate a whole project: the one call every command starts with."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from . import workers
from .cache import NO_CACHE, Cache, digest
from .casefile import parse_case
from .config import CONFIG_NAME, Config, load_config
from .model import Case, Problem
from .validate import id_line, to_case, unique


@dataclass
class Project:
    root: Path
    config: Config
    cases: list[Case]
    problems: list[Problem] = field(default_factory=list)
    # How many case files were read, valid or not.
    files: int = 0
    # A digest of every input file's bytes, by its name in the project.
    digests: dict[str, str] = field(default_factory=dict)


def case_names(root: Path) -> list[str]:
    """The case files' names in the project ("cases/….md"), in a stable order."""
    try:
        names = sorted(entry.name for entry in os.scandir(root / "cases") if entry.name.endswith(".md") and entry.is_file())
    except OSError:
        return []
    return [f"cases/{name}" for name in names]


def check_file(data: bytes, name: str, config: Config, today: date) -> tuple[Case | None, int, list[Problem]]:
    """Read and validate one case file's bytes: the case (None if anything is wrong), its id's line, its problems."""
    raw, problems = parse_case(data, Path(name).stem, name)
    if raw is None:
        return None, 1, problems
    case, found = to_case(raw, config, today)
    return (case if not problems else None), id_line(raw), problems + found


# A file changed this recently (in ns) is read again next time, whatever its times say.
RACY_NS = 2_000_000_000
def load_project(root: Path, today: date | datetime, cache: Cache = NO_CACHE) -> Project:
    """Read amends.yaml and every case file; collect every problem.

    `today` may be a moment, which is then read in the business's time zone. A
    file whose bytes, settings and day are as last time is not parsed again,
    and one whose size, inode and change times are as last time is not even
    read (its ctime moves with any write, and nothing can set it back).
    """
    config, problems = load_config(root / CONFIG_NAME)
    if isinstance(today, datetime):
        today = today.astimezone(ZoneInfo(config.timezone)).date()
    config_file = root / CONFIG_NAME
    digests = {CONFIG_NAME: digest(config_file.read_bytes() if config_file.exists() else b"")}
    key = digest(digests[CONFIG_NAME], today.isoformat())
    known = cache.load_parts("cases", key)
    seen_before = cache.load("stats", "") or {}
    seen: dict[str, tuple] = {}
    checked: dict[str, tuple] = {}
    todo: list[tuple[bytes, str]] = []
    started = time.time_ns()
    names = case_names(root)
    for name in names:
        path = os.path.join(root, name)  # a string: pathlib costs a tenth of a second over ten thousand files
        try:
            stat = os.stat(path)
            times = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
            old, data = seen_before.get(name), None
            if old and old[0] == times:
                digests[name] = old[1]
            else:
                data = _read(path)
                digests[name] = digest(data)
            hit = known.get(name)
            reuse = hit is not None and hit[0] == digests[name]
            if not reuse and data is None:
                data = _read(path)
                digests[name] = digest(data)
        except OSError as error:
            problems.append(Problem(name, None, f"cannot read the file: {error.strerror}"))
            continue
        # File times tick coarsely: a file changed just now could change again without them moving.
        if max(stat.st_mtime_ns, stat.st_ctime_ns) < started - RACY_NS:
            seen[name] = (times, digests[name])
        if reuse:
            checked[name] = hit
        else:
            checked[name] = None  # keeps the files' order
            todo.append((data, name))
    for (_, name), result in zip(todo, workers.each(lambda t: check_file(*t, config, today), todo)):
        checked[name] = (digests[name], *result)
    cache.save_parts("cases", key, checked)
    if seen != seen_before:
        cache.save("stats", "", seen)

    cases, found = unique([(case, line) for _, case, line, _ in checked.values() if case is not None])
    problems += [p for _, _, _, mine in checked.values() for p in mine] + found
    problems.sort(key=lambda p: (p.path != CONFIG_NAME, p.path, p.line or 0))
    return Project(root, config, cases, problems, len(names), digests)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
