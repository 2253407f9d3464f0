"""Read and validate a whole project: the one call every command starts with."""
from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from amends.cases import attachments
from amends.cases.casefile import BUNDLE_FILE, parse_case, stem_of
from amends.cases.config import CONFIG_NAME, Config, load_config, parse_config
from amends.cases import chances
from amends.cases.validate import copies, id_line, to_case, unique, unknown_links
from amends.incremental import workers
from amends.incremental.cache import NO_CACHE, Cache, digest
from amends.incremental.files import RACY_NS, read_regular
from amends.incremental.progress import NO_PROGRESS, Progress
from amends.model import Case, Problem


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
    # Worth a look, stop nothing: entries of cases/ that are not read, cases that look copied.
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    """amends.yaml as a command read it: the settings, their problems, and a digest of the bytes they came from."""

    config: Config
    problems: tuple[Problem, ...]
    digest: str


def read_settings(root: Path) -> Settings:
    """Read amends.yaml once, for everything one command does with it."""
    path = root / CONFIG_NAME
    try:
        data = path.read_bytes()
    except OSError:  # missing (all defaults) or unreadable (a problem): load_config says which
        config, problems = load_config(path)
        return Settings(config, tuple(problems), digest(b""))
    config, problems = parse_config(data)
    return Settings(config, tuple(problems), digest(data))


CASE_SUFFIX = ".md"


def case_names(root: Path) -> tuple[list[str], list[Problem]]:
    """The case files' names in the project ("cases/….md", and "cases/<id>/index.md" for a case folder), in a
    stable order, and a word about every other entry of cases/: a warning for what is not read, an error for
    a link out of the project.

    Dotfiles (.gitkeep) and editor backups (x.md~, #x.md#) are passed over in silence. The warning about
    a folder that is no case folder has the field "folder": it is taken back when the folder holds
    attachments (see load_project). An unreadable cases/ raises OSError: with no case known, nothing may
    be built or sent.
    """
    names, problems = [], []
    inside = os.path.realpath(root) + os.sep
    for entry in sorted(os.scandir(root / "cases"), key=lambda e: e.name):
        if entry.name.startswith((".", "#")) or entry.name.endswith("~"):
            continue
        name = f"cases/{entry.name}"
        why, out = not_regular(entry, inside)
        if out:
            problems.append(Problem(name, None, f"{why}: not read; move the case file into cases/"))
        elif entry.is_dir() and entry.name.lower().endswith(CASE_SUFFIX):
            problems.append(Problem(name, None, "a folder named like a case file; not read", warning=True))
        elif entry.is_dir() and not entry.is_symlink() and (index := _bundle_file(entry)) is not None:
            # A case folder, as Hugo's page bundles: its index.md is the case, the files beside it its attachments.
            why, out = not_regular(index, inside)
            if why:
                problems.append(Problem(f"{name}/{BUNDLE_FILE}", None, f"{why}: not read" + (
                    "; move the case file into its folder" if out else ""), warning=not out))
            else:
                names.append(f"{name}/{BUNDLE_FILE}")
        elif entry.is_dir():
            problems.append(Problem(name, None, "a folder: case files in subfolders are not read; move them into "
                                                f"cases/, or name one {BUNDLE_FILE} for a case folder; not read",
                                    "folder", warning=True))
        elif why or not entry.name.endswith(CASE_SUFFIX):
            why = why or f"not a case file: case files end in '{CASE_SUFFIX}' (lower case)"
            problems.append(Problem(name, None, f"{why}; not read", warning=True))
        else:
            names.append(name)
    return names, problems


def _bundle_file(folder: os.DirEntry) -> os.DirEntry | None:
    """The entry of a folder's index.md, if it has one (whatever it is: not_regular judges it)."""
    try:
        return next((e for e in os.scandir(folder.path) if e.name == BUNDLE_FILE), None)
    except OSError:
        return None


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def not_regular(entry: os.DirEntry, inside: str) -> tuple[str | None, bool]:
    """Why an entry of a folder amends reads is not a regular file it may open, or None if it is one; and
    whether it is a link out of the project (`inside`: the project's real path and a separator).

    A link is judged by where it leads, and never opened here: a FIFO or a device is refused,
    not waited on or read. The folder listing tells a plain file or folder without another
    system call: ten thousand files cost nothing more; only links and special files are looked at again.
    """
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        if not target.startswith(inside):
            return f"a symbolic link to {target}, outside the project", True
    else:
        target = entry.path
    if entry.is_dir():
        return "a folder", False
    if entry.is_file():
        return None, False
    try:
        mode = entry.stat().st_mode
    except FileNotFoundError:
        return f"a symbolic link to {target}, which does not exist", False
    except OSError as error:
        return f"cannot be looked at: {error.strerror}", False
    return f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'a special file')})", False


# The days a check of a case file holds for: from the first (None: any before) up to the second (None: any after).
Valid = tuple[date | None, date | None]


def check_file(data: bytes, name: str, config: Config, today: date) -> tuple[Case | None, int, list[Problem], Valid]:
    """Read and validate one case file's bytes: the case (None if anything is wrong), its id's line, its problems,
    and the days for which checking it again says the same (see to_case)."""
    raw, problems = parse_case(data, stem_of(name), name)
    if raw is None:
        return None, 1, problems, (None, None)
    case, found, valid = to_case(raw, config, today)
    return (case if not problems else None), id_line(raw), problems + found, valid


def holds_on(valid: Valid, today: date) -> bool:
    """Whether a check valid for these days (see to_case) says the same today."""
    return (valid[0] is None or valid[0] <= today) and (valid[1] is None or today < valid[1])


def load_project(root: Path, today: date | datetime, cache: Cache = NO_CACHE,
                 settings: Settings | None = None, progress: Progress = NO_PROGRESS) -> Project:
    """Read every case file, and amends.yaml unless its `settings` are given; collect every problem.

    `today` may be a moment, which is then read in the business's time zone. A
    file whose bytes and settings are as last time is not parsed again on a day
    its check still holds for (most hold for every day: only a date in the
    future, or one about to be long past, makes the day matter), and one whose size, inode and
    change times are as last time is not even read (its ctime moves with any
    write, and nothing can set it back).
    """
    settings = settings or read_settings(root)
    config, problems = settings.config, list(settings.problems)
    if isinstance(today, datetime):
        today = today.astimezone(ZoneInfo(config.timezone)).date()
    digests = {CONFIG_NAME: settings.digest}
    key = digest(digests[CONFIG_NAME])
    known = cache.load_parts("cases", key)
    seen_before = cache.load("stats", "") or {}
    seen: dict[str, tuple] = {}
    checked: dict[str, tuple] = {}
    todo: list[tuple[bytes, str]] = []
    started = time.time_ns()
    names, listed = case_names(root)
    warnings = [p for p in listed if p.warning]
    problems += [p for p in listed if not p.warning]
    for name in progress.count(names, "reading case files"):
        path = os.path.join(root, name)  # a string: pathlib costs a tenth of a second over ten thousand files
        try:
            info = os.stat(path)
            times = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
            old, data = seen_before.get(name), None
            if old and old[0] == times:
                digests[name] = old[1]
            else:
                data = read_regular(path)
                digests[name] = digest(data)
            hit = known.get(name)
            reuse = hit is not None and hit[0] == digests[name] and holds_on(hit[-1], today)
            if not reuse and data is None:
                data = read_regular(path)
                digests[name] = digest(data)
        except OSError as error:
            problems.append(Problem(name, None, f"cannot read the file: {error.strerror}"))
            continue
        # File times tick coarsely: a file changed just now could change again without them moving.
        if max(info.st_mtime_ns, info.st_ctime_ns) < started - RACY_NS:
            seen[name] = (times, digests[name])
        if reuse:
            checked[name] = hit
        else:
            checked[name] = None  # keeps the files' order
            todo.append((data, name))
    checks = workers.each(lambda t: check_file(*t, config, today), todo)
    for (_, name), result in zip(todo, progress.count(checks, "checking case files", len(todo))):
        checked[name] = (digests[name], *result)
    cache.save_parts("cases", key, checked)
    if seen != seen_before:
        cache.save("stats", "", seen)

    cases, found = unique([(case, line) for _, case, line, _, _ in checked.values() if case is not None])
    # repeat_of / not_a_repeat_of must name a case: any file's id or name (a broken one reports itself).
    cases, unknown = unknown_links(cases, [case.id for _, case, _, _, _ in checked.values() if case is not None]
                           + [stem_of(name) for name in names])
    found += unknown
    cases = chances.second_chances(cases, config.second_chance_days)
    cases, kept = _with_attachments(root, cases, warnings, cache, started)
    problems += [p for _, _, _, mine, _ in checked.values() for p in mine] + found
    problems.sort(key=lambda p: (p.path != CONFIG_NAME, p.path, p.line or 0))
    return Project(root, config, cases, problems, len(names), digests,
                   warnings + copies(cases) + chances.guideline_warnings(cases, config) + kept)


def _with_attachments(root: Path, cases: list[Case], warnings: list[Problem], cache: Cache,
                      started: int) -> tuple[list[Case], list[Problem]]:
    """The cases with the files kept with them (see attachments.resolve), and the warnings about those files.

    A folder of cases/ that holds files cases list is read, not passed over: its warning in `warnings`
    gives way to one for each file in it that no case lists.
    """
    known = cache.load("attachment-files", "") or {}
    found = attachments.resolve(root, cases, known, started)
    if found.seen != known:
        cache.save("attachment-files", "", found.seen)
    used = {source.split("/")[1] for source in found.named if source.count("/") > 1}
    for warning in [w for w in warnings if w.field == "folder" and w.path.split("/")[1] in used]:
        warnings.remove(warning)
        found.warnings.extend(attachments.unlisted(root, warning.path, found.named))
    return found.cases, found.warnings


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(project: Project) -> str:
    text = f"{plural(project.files, 'case file')} read, {len(project.cases)} valid"
    errors = [p for p in project.problems if not p.warning]
    if errors:
        files = len({p.path for p in errors})
        text += f"; {plural(len(errors), 'problem')} in {plural(files, 'file')}"
    return text
