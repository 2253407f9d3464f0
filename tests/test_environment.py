"""When the machine fails (read-only or full disk, a file where a folder belongs, an unreadable cases/,
absurd settings), every command says where in one line and exits 2: no traceback, nothing half written.

Read-only folders and a full disk are real: each command runs in a mount namespace of its own
(`unshare -m`) with a read-only bind mount or a tiny tmpfs over the folder. The tests run as root, which
chmod cannot stop, so an unreadable cases/ belongs to a user outside a user namespace (`unshare --user`),
where root's override does not reach it while the project's code, wherever it is cloned, stays readable.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLASSIC_PLAN_YAML, MINIMAL_CASE, REPO, write_case

NOBODY = 65534
DUE = "2026-03-09T10:00"  # MINIMAL_CASE's apology is due by then


def run(root: Path, *args: str, mount: str = "", namespace: bool = False) -> subprocess.CompletedProcess:
    """build.py in a child process; `mount` runs first in a mount namespace of its own; `namespace`:
    in a user namespace, where files of users outside it are checked like any user's."""
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), *args]
    if mount:
        command = ["unshare", "-m", "sh", "-ec", f"{mount}; exec {shlex.join(command)}"]
    if namespace:
        command = ["unshare", "--user", "--map-root-user", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def can_unshare_user() -> bool:
    return bool(shutil.which("unshare")) and subprocess.run(
        ["unshare", "--user", "--map-root-user", "true"], capture_output=True).returncode == 0


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", "/mnt"],
                          capture_output=True).returncode == 0


needs_mounts = pytest.mark.skipif(not can_mount(), reason="needs root and mount namespaces (unshare -m)")


def read_only(folder: Path) -> str:
    return f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))}; " \
           f"mount -o remount,bind,ro {shlex.quote(str(folder))}"


def one_error_line(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def no_temporary_files(folder: Path) -> None:
    assert [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")] == []


@pytest.fixture
def project(root: Path) -> Path:
    write_case(root, "late-cake.md", MINIMAL_CASE)
    (root / "amends.yaml").write_text("business: {name: Test Shop, email: care@shop.example.com}\n"
                                      "timezone: Europe/Berlin\n", encoding="utf-8")
    return root


@needs_mounts
def test_read_only_site(project):
    assert run(project, "--now", DUE).returncode == 0
    before = snapshot(project / "site")
    write_case(project, "second.md", MINIMAL_CASE.replace("Cake delivered late", "Second case"))
    result = run(project, "--now", DUE, mount=read_only(project / "site"))
    one_error_line(result, "site/", "Read-only file system")
    assert snapshot(project / "site") == before
    no_temporary_files(project / "site")


@needs_mounts
def test_read_only_outbox(project):
    (project / "outbox").mkdir()
    result = run(project, "--now", DUE, "send", mount=read_only(project / "outbox"))
    one_error_line(result, "outbox/", "Read-only file system")
    assert list((project / "outbox").iterdir()) == []


@needs_mounts
def test_full_disk(demo_root):
    """A site/ on a disk with room for a few pages: the build stops at the first page that does not fit."""
    site = demo_root / "site"
    site.mkdir()
    # What the full disk holds afterwards is looked at inside the namespace, before the tmpfs goes with it.
    look = f"{sys.executable} -c {shlex.quote(CHECK_WHOLE)} {shlex.quote(str(site))}"
    command = [sys.executable, str(REPO / "build.py"), "--root", str(demo_root), "--now", DUE]
    result = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=48k tmpfs {shlex.quote(str(site))}; "
                             f"{shlex.join(command)}; status=$?; {look} >&2; exit $status"],
                            capture_output=True, text=True, timeout=300)
    one_error_line(result, "site/", "No space left on device")
    assert "whole: True" in result.stderr


# Every page left on the full disk is whole, and no temporary file is left.
CHECK_WHOLE = """
import pathlib, sys
files = [p for p in pathlib.Path(sys.argv[1]).rglob("*") if p.is_file()]
whole = all(not p.name.endswith(".tmp") and (p.suffix != ".html" or p.read_bytes().rstrip().endswith(b"</html>"))
            for p in files)
print(f"whole: {whole} ({len(files)} files)")
"""


def test_a_file_where_a_folder_belongs(project):
    (project / "site").write_text("not a folder")
    one_error_line(run(project, "--now", DUE), "site")
    assert (project / "site").read_text() == "not a folder"
    (project / "outbox").write_text("not a folder")
    one_error_line(run(project, "--now", DUE, "send"), "outbox")
    assert (project / "outbox").read_text() == "not a folder"


@pytest.mark.parametrize("delay", ["99999999 days", "999999999999 business days", "99999999999999999999 days"])
def test_huge_delays(project, delay):
    """A delay too large for a date is a settings problem on its line: shown by every command, and
    sending refuses (exit 2) until it is fixed."""
    (project / "amends.yaml").write_text(
        "business: {name: Test Shop, email: care@shop.example.com}\n"
        f"followups:\n  plan:\n    - kind: apology\n      after: {delay}\n", encoding="utf-8")
    line = f"amends.yaml:5: '{delay}' is too long a delay; at most 366 days"
    for command, code in (("check", 1), ("build", 1), ("followups", 0), ("send", 2)):
        result = run(project, "--now", DUE, command)
        assert result.returncode == code and "Traceback" not in result.stderr, (command, result.stderr)
        assert result.stderr.splitlines().count(line) == 1, (command, result.stderr)


@pytest.mark.skipif(os.geteuid() == 0 and not can_unshare_user(), reason="needs user namespaces (unshare --user) to take away root's override")
def test_unreadable_cases_folder_is_an_error_and_the_site_is_left_alone(demo_root):
    root, as_root = demo_root, os.geteuid() == 0
    assert run(root, "--now", DUE).returncode in (0, 1)
    before = snapshot(root / "site")
    assert any(name.startswith("cases/") for name in before)
    cases = root / "cases"
    if as_root:
        os.chown(cases, NOBODY, NOBODY)  # a user outside the namespace: root's override does not reach it
    cases.chmod(0)
    try:
        for command in ("build", "check"):
            result = run(root, "--now", DUE, command, namespace=as_root)
            one_error_line(result, "cases", "Permission denied")
            assert "All good" not in result.stdout
    finally:
        cases.chmod(0o755)
    assert snapshot(root / "site") == before


@needs_mounts
def test_a_full_outbox_names_the_file_it_could_not_write(project):
    """A full disk names no file by itself: amends says which one it was writing."""
    (project / "amends.yaml").write_text("business: {name: Test Shop, email: care@shop.example.com}\n"
                                         "timezone: Europe/Berlin\nfollowups:\n" + CLASSIC_PLAN_YAML, encoding="utf-8")
    outbox = project / "outbox"
    outbox.mkdir()
    # One page of room: the lock and the first ledger line fit, the message does not.
    result = run(project, "--now", DUE, "send", mount=f"mount -t tmpfs -o size=4k tmpfs {shlex.quote(str(outbox))}")
    line = one_error_line(result, "No space left on device")
    assert line.startswith("error: outbox/"), line
