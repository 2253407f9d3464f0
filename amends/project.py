"""Read and validate a whole project: the one call every command starts with."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path

from .casefile import read_case
from .config import CONFIG_NAME, Config, load_config
from .model import Case, Problem
from .validate import validate


@dataclass
class Project:
    root: Path
    config: Config
    cases: list[Case]
    problems: list[Problem] = field(default_factory=list)
    # How many case files were read, valid or not.
    files: int = 0


def case_paths(root: Path) -> list[Path]:
    """The case files, in a stable order."""
    return sorted((root / "cases").glob("*.md"))


def load_project(root: Path, today: date | datetime) -> Project:
    """Read amends.yaml and every case file; collect every problem.

    `today` may be a moment, which is then read in the business's time zone.
    """
    config, problems = load_config(root / CONFIG_NAME)
    if isinstance(today, datetime):
        today = today.astimezone(ZoneInfo(config.timezone)).date()
    raws = []
    paths = case_paths(root)
    for path in paths:
        raw, found = read_case(path, path.relative_to(root).as_posix())
        problems += found
        if raw is not None:
            raws.append(raw)
    cases, found = validate(raws, config, today)
    problems += found
    # A case with any problem at all is left out of the report, not half shown.
    invalid = {problem.path for problem in problems}
    problems.sort(key=lambda p: (p.path != CONFIG_NAME, p.path, p.line or 0))
    return Project(root, config, [c for c in cases if c.path not in invalid], problems, len(paths))
