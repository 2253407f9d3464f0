"""Progress on a terminal (issue 22, point 6): build.py run on a real pseudo-terminal, and through pipes.

The two seconds a command waits before it shows progress are shortened through the environment
variable AMENDS_PROGRESS_AFTER (amends/incremental/progress.py): build.py runs in a process of its
own, on a terminal of its own, which only the environment reaches; and a project slow enough to pass
two seconds would make these tests slow, and their outcome hang on the load of the machine.
"""
from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from amends import demo
from amends.incremental.progress import AFTER_VARIABLE, Progress

from conftest import REPO, TODAY

PHASES = {
    "build": ["reading case files", "checking case files", "planning follow-ups", "rendering follow-ups",
              "preparing the pages", "writing pages"],
    "check": ["reading case files", "checking case files", "planning follow-ups", "rendering follow-ups"],
    "followups": ["reading case files", "checking case files", "planning follow-ups", "rendering follow-ups",
                  "writing previews"],
}
EVERY_PHASE = {phase for phases in PHASES.values() for phase in phases}
WIDTH = 200
# Long enough for any run of these tests, however loaded the machine: a run has no time to show progress.
NEVER = "600"


def project(folder: Path, cases: int) -> Path:
    folder.mkdir()
    shutil.copytree(REPO / "templates", folder / "templates")
    shutil.copy(REPO / "amends.yaml", folder / "amends.yaml")
    (folder / "cases").mkdir()
    for name, text in demo.generate(cases, 1, TODAY):
        (folder / "cases" / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return project(tmp_path_factory.mktemp("progress") / "small", 40)


def afresh(root: Path) -> Path:
    """The project as before its first command: no site, no cache, no previews."""
    for made in ("site", ".amends-cache", "outbox"):
        shutil.rmtree(root / made, ignore_errors=True)
    return root


def command(*args: str) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--today", TODAY.isoformat(), *args]


def piped(root: Path, *args: str) -> tuple[str, str]:
    """What the command prints to stdout and to stderr when both are pipes."""
    result = subprocess.run(command(*args), cwd=afresh(root), capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout, result.stderr


def on_terminal(root: Path, *args: str, after: str) -> str:
    """Everything the command sends to its terminal (stdout and stderr both), as the terminal received it."""
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 50, WIDTH, 0, 0))
    env = {**os.environ, AFTER_VARIABLE: after}
    proc = subprocess.Popen(command(*args), cwd=afresh(root), stdin=side, stdout=side, stderr=side, env=env)
    os.close(side)
    received, deadline = b"", time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            if select.select([main], [], [], 1)[0]:
                try:
                    data = os.read(main, 65536)
                except OSError:  # EIO: every process that had the terminal open has closed it
                    break
                if not data:
                    break
                received += data
    finally:
        os.close(main)
    assert proc.wait(timeout=600) in (0, 1), received.decode(errors="replace")
    return received.decode("utf-8")


def screen(received: str) -> list[str]:
    """The lines left on the terminal at the end: each carriage return goes back to the start of the line,
    and what is written there covers what was; the terminal's own \\r before each \\n changes nothing."""
    lines = []
    for line in received.split("\n"):
        shown = ""
        for part in line.split("\r"):
            shown = part + shown[len(part):]
        lines.append(shown.rstrip(" "))
    return lines[:-1] if lines and lines[-1] == "" else lines


def same(lines: list[str]) -> list[str]:
    """The lines, but for the time a build took."""
    return [re.sub(r" in \d+\.\d+s ", " in …s ", line) for line in lines]


def drawn(received: str) -> list[str]:
    """The phases drawn on the terminal, in order, each once."""
    names = [re.sub(r"( [\d,]+/[\d,]+ .*|…)$", "", part) for part in re.split(r"[\r\n]", received) if part.strip()]
    seen = []
    for name in names:
        if name in EVERY_PHASE and name not in seen:
            seen.append(name)
    return seen


@pytest.mark.parametrize("name", ["build", "check", "followups"])
def test_a_long_command_shows_its_phases_on_a_terminal_and_leaves_what_a_pipe_gets(small, name):
    out, err = piped(small, name)
    assert "\r" not in out + err and not any(phase in out + err for phase in PHASES[name]), err
    received = on_terminal(small, name, after="0")
    assert drawn(received) == PHASES[name]
    # Counted where the count is known.
    assert re.search(r"\rreading case files \d+/40 ", received), received
    if name == "build":
        pages = len(list((small / "site").rglob("*.html")))
        assert re.search(rf"\rwriting pages \d+/{pages} ", received), received
    # The line is cleared at the end: the terminal is left with what a pipe gets, stderr first as printed.
    assert same(screen(received)) == same(err.splitlines() + out.splitlines())


def test_a_command_on_many_cases_draws_its_phases_while_the_work_is_on_every_core(tmp_path):
    """Four hundred cases: the case files are checked and the pages written by forked workers."""
    root = project(tmp_path / "many", 400)
    out, err = piped(root, "build")
    received = on_terminal(root, "build", after="0")
    assert drawn(received) == PHASES["build"]
    assert re.search(r"\rchecking case files \d+/400 ", received), received
    assert same(screen(received)) == same(err.splitlines() + out.splitlines())


def test_quiet_shows_no_progress_on_a_terminal(small):
    out, err = piped(small, "build")
    received = on_terminal(small, "--quiet", "build", after="0")
    assert "\r" not in received.replace("\r\n", "\n") and drawn(received) == [], received
    assert same(screen(received)) == same(err.splitlines() + out.splitlines())


@pytest.mark.parametrize("name", ["build", "followups"])
def test_a_command_quicker_than_the_wait_shows_nothing_more_on_a_terminal(small, name):
    out, err = piped(small, name)
    received = on_terminal(small, name, after=NEVER)
    assert "\r" not in received.replace("\r\n", "\n") and drawn(received) == [], received
    assert same(screen(received)) == same(err.splitlines() + out.splitlines())


def test_counts_are_written_with_the_thousands_marked():
    stream = io.StringIO()
    with Progress(stream, after=0) as progress:
        for _ in progress.count(range(12_345), "writing pages"):
            pass
    assert "writing pages 0/12,345 " in stream.getvalue()
