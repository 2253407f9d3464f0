"""`schedule` sends whatever a build does (hangs, fails), and a killed build leaves nothing behind it."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from amends.followups import scheduler
from conftest import CLASSIC_PLAN_YAML, MINIMAL_CASE, REPO, wait_for, write_case


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


def children() -> set[int]:
    """This process's children still running (those that ended are collected on the way)."""
    return {p.pid for p in multiprocessing.active_children()}


def hang_on(fifo: Path):
    """A build that waits forever: it reads a FIFO nobody writes to."""
    os.mkfifo(fifo)
    return lambda: fifo.read_bytes()


def test_sends_go_on_while_a_build_hangs_and_every_tick_says_so(tmp_path, caplog):
    """The loop's passes go on, one every interval, while the build they started never ends; only one build runs."""
    others = children()  # of tests before this one
    builds = scheduler.Builds(limit=3600)
    build = hang_on(tmp_path / "fifo")
    sends = []
    stop = threading.Event()

    def tick():
        sends.append(len(children() - others))
        builds.start(build, f"pass {len(sends)}")
        if len(sends) == 4:
            stop.set()

    runner = threading.Thread(target=scheduler.run_forever, args=(tick, 0.1, stop, 0.02))
    runner.start()
    runner.join(timeout=60)
    try:
        assert not runner.is_alive()
        assert sends == [0, 1, 1, 1]  # every pass ran, beside the one build still hanging
        assert caplog.text.count("the site build as of pass 1 is still running") == 3
    finally:
        builds.stop()
    assert not children() - others


def test_a_build_over_its_time_limit_is_stopped_and_a_failed_one_is_logged(tmp_path, caplog):
    others = children()
    hanging = hang_on(tmp_path / "fifo")
    builds = scheduler.Builds(limit=0)
    builds.start(hanging, "10:00")
    [first] = children() - others
    builds.start(hanging, "10:15")
    assert "the site build as of 10:00 did not finish in 0 min and was stopped" in caplog.text
    assert first not in children()
    builds.stop()

    def failing():
        raise OSError("disk on fire")

    builds = scheduler.Builds(limit=3600)
    builds.start(failing, "10:30")
    assert wait_for(lambda: not children() - others)
    caplog.clear()
    builds.start(lambda: None, "10:45")
    assert "the site build as of 10:30 failed (exit 1)" in caplog.text
    assert wait_for(lambda: not children() - others)
    caplog.clear()
    builds.start(lambda: None, "11:00")
    assert "10:45" not in caplog.text  # a build that ended well is not mentioned
    builds.stop()


SETTINGS = ("business: {name: Test Shop, email: care@shop.example.com}\n"
            "followups:\n" + CLASSIC_PLAN_YAML + "  catch_up_days: 10000\n"
            "  send_window: {from: '00:00', to: '23:59', days: [mon, tue, wed, thu, fri, sat, sun]}\n")


def test_schedule_sends_on_while_its_real_build_hangs_on_a_fifo_template(root, monkeypatch, caplog):
    """A site template replaced by a FIFO hangs `build`; `schedule` sends a case added meanwhile, and stops the build."""
    from amends import cli
    write_case(root, "a.md", MINIMAL_CASE)
    (root / "amends.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "templates" / "site" / "search.html").unlink()
    os.mkfifo(root / "templates" / "site" / "search.html")
    ledger = root / "outbox" / "ledger.jsonl"
    others = children()
    seen = []

    def loop(tick, every, stop):
        tick()
        seen.append(ledger.read_text(encoding="utf-8").count('"ev": "sent"'))
        write_case(root, "b.md", MINIMAL_CASE.replace("Ann Example", "Bea Example").replace("ann@", "bea@"))
        tick()
        seen.append(ledger.read_text(encoding="utf-8").count('"ev": "sent"'))
        seen.append(children() - others)

    monkeypatch.setattr(scheduler, "run_forever", loop)
    # Apart, in case the build holds up the loop: then this test fails instead of hanging.
    done = []
    runner = threading.Thread(target=lambda: done.append(cli.main(["--root", str(root), "schedule"])), daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert done == [0], "schedule hung on its build"
    first, second, building = seen
    assert len(building) == 1  # one build at a time
    assert 0 < first < second  # b's follow-ups went out while the build hung
    assert "is still running" in caplog.text
    assert not (root / "site" / "index.html").exists()
    assert not children() - others  # stopped when the schedule ended
