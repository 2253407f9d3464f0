"""Read and validate a whole project: the one call every command starts with."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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


def case_paths(root: Path) -> list[Path]:
    """The case files, in a stable order."""
    return sorted((root / "cases").glob("*.md"))


def check_file(data: bytes, path: Path, name: str, config: Config, today: date) -> tuple[Case | None, int, list[Problem]]:
    """Read and validate one case file's bytes: the case (None if anything is wrong), its id's line, its problems."""
    raw, problems = parse_case(data, path.stem, name)
    if raw is None:
        return None, 1, problems
    case, found = to_case(raw, config, today)
    return (case if not problems else None), id_line(raw), problems + found


def load_project(root: Path, today: date | datetime, cache: Cache = NO_CACHE) -> Project:
    """Read amends.yaml and every case file; collect every problem.

    `today` may be a moment, which is then read in the business's time zone. A
    file whose bytes, settings and day are as last time is not parsed again.
    """
    config, problems = load_config(root / CONFIG_NAME)
    if isinstance(today, datetime):
        today = today.astimezone(ZoneInfo(config.timezone)).date()
    config_file = root / CONFIG_NAME
    digests = {CONFIG_NAME: digest(config_file.read_bytes() if config_file.exists() else b"")}
    key = digest(digests[CONFIG_NAME], today.isoformat())
    known = cache.load("cases", key) or {}
    checked: dict[str, tuple] = {}
    reused = 0
    paths = case_paths(root)
    for path in paths:
        name = path.relative_to(root).as_posix()
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(Problem(name, None, f"cannot read the file: {error.strerror}"))
            continue
        digests[name] = digest(data)
        hit = known.get(name)
        if hit and hit[0] == digests[name]:
            checked[name], reused = hit, reused + 1
        else:
            checked[name] = (digests[name], *check_file(data, path, name, config, today))
    if reused != len(checked) or len(known) != len(checked):
        cache.save("cases", key, checked)

    cases, found = unique([(case, line) for _, case, line, _ in checked.values() if case is not None])
    problems += [p for _, _, _, mine in checked.values() for p in mine] + found
    problems.sort(key=lambda p: (p.path != CONFIG_NAME, p.path, p.line or 0))
    return Project(root, config, cases, problems, len(paths), digests)
