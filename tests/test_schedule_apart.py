"""`schedule` sends whatever a build does (hangs, fails), and a killed build leaves nothing behind it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO


def processes_of(folder: Path) -> set[int]:
    """The processes whose command line names `folder`: a build of it and every worker it forked."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            # A zombie has ended; it waits only for whoever adopted it to collect it.
            zombie = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if str(folder).encode() in cmdline and not zombie:
            found.add(int(entry.name))
    return found


def files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its inode and modification time: a write of any kind changes one."""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_killed_build_leaves_no_worker_behind_and_nothing_written_after_it(tmp_path):
    """kill -9 of a build in the middle of writing 3000 case pages: its workers end with it, and site/ stays still."""
    demo = tmp_path / "demo"
    subprocess.run([sys.executable, str(REPO / "build.py"), "demo", "--cases", "3000", "--out", str(demo)],
                   check=True, capture_output=True)
    err = tmp_path / "stderr"
    # A file, not a pipe: waiting for a pipe to close would wait for the workers too.
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(demo), "build"],
                             stdout=subprocess.DEVNULL, stderr=err.open("wb"))
    try:
        pages = demo / "site" / "cases"
        # In the middle: the workers are writing the case pages, and most are still to come.
        assert wait_for(lambda: pages.is_dir() and len(os.listdir(pages)) > 100, seconds=180)
        assert len(processes_of(demo)) > 1, "the build forked no workers"
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
    finally:
        build.kill()
    before = files_of(demo / "site")  # as the build left it when it was gone
    assert len(os.listdir(pages)) < 2900, "the build finished before it was killed"
    assert wait_for(lambda: not processes_of(demo), seconds=30), f"workers outlived the build: {processes_of(demo)}"
    time.sleep(1)
    assert files_of(demo / "site") == before, "pages were written after the build was gone"
    assert "Traceback" not in err.read_text(encoding="utf-8")
