"""`serve` rebuilds when an input changes, told by the system, and with the command's clock: real files, real builds."""
from __future__ import annotations

import contextlib
import http.client
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from amends import serve
from amends.cli.commands import build
from amends.followups import ledger
from conftest import MINIMAL_CASE, REPO, wait_for, write_case

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
SETTINGS = "business: {name: Test Shop, email: care@shop.example.com}\ntimezone: Europe/Berlin\n"


def inputs(root: Path) -> list[Path]:
    """What `serve` watches."""
    return [root / "cases", root / "templates", root / "amends.yaml", root / "outbox" / "ledger.jsonl"]


class Builds:
    """A real build of the project as of NOON, counted."""

    def __init__(self, root: Path, fail: Callable[[int], None] = lambda n: None) -> None:
        self.root, self.fail, self.count = root, fail, 0

    def __call__(self) -> None:
        self.count += 1
        self.fail(self.count)
        build(self.root, NOON)


@contextlib.contextmanager
def watching(root: Path, rebuild: Callable[[], None]) -> Iterator[None]:
    """serve.watch on the project's inputs, in a thread, for the duration."""
    stop = threading.Event()
    watcher = threading.Thread(target=serve.watch, args=(inputs(root), rebuild, stop), daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=15)
    assert not watcher.is_alive(), "the watch did not stop when told to"


def change_until(change: Callable[[int], None], done: Callable[[], bool], seconds: float = 30) -> bool:
    """Make the change again (the nth time with n) until it is done: the first may come before the watch is in place."""
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += 1
        change(n)
        if wait_for(done, 1.5):
            return True
    return False


def page(root: Path, name: str) -> str:
    path = root / "site" / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def project(root: Path) -> Path:
    (root / "amends.yaml").write_text(SETTINGS, encoding="utf-8")
    write_case(root, "cake.md", MINIMAL_CASE)
    assert build(root, NOON) == 0
    return root


def test_a_changed_case_is_in_the_site_and_the_build_itself_changes_nothing(root):
    project(root)
    builds = Builds(root)
    with watching(root, builds):
        assert change_until(lambda n: write_case(root, "cake.md", MINIMAL_CASE.replace("Cake delivered late", f"Bread {n}")),
                            lambda: re.search(r"Bread \d+", page(root, "cases/cake.html")) is not None)
        # The build wrote site/ and the cache beside the watched files: neither is an input.
        settled = builds.count
        time.sleep(2)
        assert builds.count == settled
        # Nor is an editor's swap file.
        (root / "cases" / ".cake.md.swp").write_bytes(b"vim")
        time.sleep(2)
        assert builds.count == settled


def test_amends_yaml_saved_by_replacing_it_is_seen_every_time(root):
    """Editors save by writing a new file and putting it in the old one's place: a watch on the file itself would
    see that once, and then nothing more."""
    project(root)
    # With outbox/ledger.jsonl there, the project's folder is watched for amends.yaml alone.
    (root / "outbox").mkdir()
    (root / "outbox" / "ledger.jsonl").write_text("", encoding="utf-8")
    with watching(root, Builds(root)):
        for name in ("Corner Bakery", "Bakery on the Corner"):
            def replace(n: int, name: str = name) -> None:
                (root / "amends.yaml.new").write_text(SETTINGS.replace("Test Shop", f"{name} {n}"), encoding="utf-8")
                os.replace(root / "amends.yaml.new", root / "amends.yaml")
            assert change_until(replace, lambda name=name: f"{name} " in page(root, "index.html")), name


def test_the_ledger_is_watched_once_the_first_send_makes_outbox(root):
    project(root)
    assert not (root / "outbox").exists()
    builds = Builds(root)
    book = root / "outbox" / "ledger.jsonl"
    with watching(root, builds):
        time.sleep(0.5)  # outbox/ is made once, so it cannot be made again until the watch sees it
        # As the first send does: outbox/ made, and the ledger's first line written in it.
        ledger.append(book, ledger.event("cake/followup/2026-03-04", "done", NOON))
        assert wait_for(lambda: builds.count >= 1)
        before = builds.count
        assert change_until(lambda n: ledger.append(book, ledger.event(f"cake/call{n}/2026-03-04", "done", NOON)),
                            lambda: builds.count > before), "a line added to the new ledger was not seen"


def test_a_failing_rebuild_is_one_line_and_the_next_change_builds_again(root, caplog):
    """A rebuild that cannot write site/ (a file stands in its place) is logged in one line, and the watch goes on."""
    project(root)
    builds = Builds(root)
    (root / "site").rename(root / "site.old")
    (root / "site").write_text("not a folder")
    caplog.set_level(logging.ERROR)
    with watching(root, builds):
        assert change_until(lambda n: write_case(root, "cake.md", MINIMAL_CASE + f"Call {n}.\n"),
                            lambda: "rebuild failed" in caplog.text)
        [record] = [r for r in caplog.records if "rebuild failed" in r.getMessage()]
        assert record.exc_info is None and "\n" not in record.getMessage()
        assert "site" in record.getMessage() and "the site was left as it was" in record.getMessage()
        (root / "site").unlink()
        assert change_until(lambda n: write_case(root, "cake.md", MINIMAL_CASE.replace("Cake delivered late", f"Pie {n}")),
                            lambda: "Pie " in page(root, "cases/cake.html"))


def get(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        return conn.getresponse().read().decode("utf-8")
    finally:
        conn.close()


def test_serve_rebuilds_as_of_the_given_day_and_stops_on_ctrl_c(root):
    """`--today 2026-11-27 serve`: the first build and every rebuild are as of that day, not the real one."""
    project(root)
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root), "--today", "2026-11-27",
                             "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stdout:
            found = re.search(r"Serving .* at http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "serve did not say where it serves"
        assert "as of 27 Nov 2026" in get(port, "/assets/status.css")
        assert change_until(lambda n: write_case(root, "cake.md", MINIMAL_CASE.replace("Cake delivered late", f"Tart {n}")),
                            lambda: "Tart " in get(port, "/cases/cake.html"))
        assert "as of 27 Nov 2026" in get(port, "/assets/status.css")  # the rebuild kept the day
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
