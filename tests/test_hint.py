"""The command a build and `demo` print to run next works exactly as printed."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import REPO, TODAY

# The venv's Python as `make demo` runs it: relative to the checkout.
VENV_PYTHON = os.path.relpath(sys.executable, REPO) if Path(sys.executable).is_relative_to(REPO) else sys.executable


def run(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=120)


def printed(stdout: str, marker: str) -> list[str]:
    """The argv of the one command printed after `marker`."""
    lines = [line for line in stdout.splitlines() if marker in line]
    assert len(lines) == 1, stdout
    return shlex.split(lines[0].split(marker, 1)[1])


def check_instead(argv: list[str]) -> list[str]:
    """The printed command with `check` in place of `serve` (which would never return), on the tests' day."""
    assert argv[-1] == "serve", argv
    return [*argv[:-1], "--today", TODAY.isoformat(), "check"]


def test_build_hint_with_root_runs_as_printed(demo_root):
    result = run(REPO, VENV_PYTHON, "build.py", "--root", str(demo_root), "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    argv = printed(result.stdout, "or run: ")
    assert argv == [VENV_PYTHON, "build.py", "--root", str(demo_root), "serve"]
    assert (REPO / argv[0]).exists()
    again = run(REPO, *check_instead(argv))
    assert again.returncode == 0 and "All good." in again.stdout, again.stderr


def test_build_hint_without_root_runs_as_printed(demo_root):
    """Run inside the project folder with no --root: the hint gives none, and paths that work from there."""
    result = run(demo_root, sys.executable, str(REPO / "build.py"), "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    argv = printed(result.stdout, "or run: ")
    assert "--root" not in argv and argv[-1] == "serve"
    assert Path(argv[0]).is_absolute() and Path(argv[0]).exists() and Path(argv[1]) == REPO / "build.py"
    again = run(demo_root, *check_instead(argv))
    assert again.returncode == 0 and "All good." in again.stdout, again.stderr


def test_demo_hint_builds_the_new_project(tmp_path):
    out = tmp_path / "demo"
    result = run(REPO, VENV_PYTHON, "build.py", "--today", TODAY.isoformat(), "demo", "--cases", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    argv = printed(result.stdout, "build them with: ")
    assert argv == [VENV_PYTHON, "build.py", "--root", str(out)]
    again = run(REPO, *argv, "--today", TODAY.isoformat())
    assert again.returncode == 0, again.stderr
    assert (out / "site" / "index.html").exists()
    assert printed(again.stdout, "or run: ") == [*argv, "serve"]
