"""Every entry of cases/ is read or reported: nothing is skipped in silence, and reading never hangs."""
from __future__ import annotations

import os
import signal

import pytest

from amends.cases.project import load_project

from conftest import MINIMAL_CASE, TODAY, write_case


@pytest.fixture
def alarm():
    """Fail instead of hanging: a read that blocks (on a FIFO) is interrupted after 20 seconds."""
    def hung(*_):
        raise TimeoutError("reading cases/ blocked")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def by_path(problems) -> dict[str, str]:
    return {p.path: str(p) for p in problems}


def test_every_entry_that_is_not_a_case_file_gets_a_warning(root, alarm):
    write_case(root, "good.md", MINIMAL_CASE)
    for name in ("upper.MD", "long.markdown", "notes.txt"):
        write_case(root, name, MINIMAL_CASE.replace("Cake delivered late", name))
    (root / "cases" / "2025").mkdir()
    write_case(root, "2025/old.md", MINIMAL_CASE.replace("Cake delivered late", "Old case"))
    (root / "cases" / "folder.md").mkdir()
    os.symlink(root / "cases" / "gone.md", root / "cases" / "dangling.md")
    os.mkfifo(root / "cases" / "pipe.md")
    # Silent on purpose: dotfiles and editor backups.
    for quiet in (".gitkeep", "good.md~", "#good.md#", ".good.md.swp"):
        (root / "cases" / quiet).write_text("x")

    project = load_project(root, TODAY)

    assert [c.id for c in project.cases] == ["good"]
    assert project.files == 1
    assert project.problems == []
    warned = by_path(project.warnings)
    assert sorted(warned) == ["cases/2025", "cases/dangling.md", "cases/folder.md", "cases/long.markdown",
                              "cases/notes.txt", "cases/pipe.md", "cases/upper.MD"]
    assert all(p.warning and p.line is None for p in project.warnings)
    assert warned["cases/upper.MD"].startswith("cases/upper.MD: warning: not a case file: case files end in '.md'")
    assert "not a case file" in warned["cases/long.markdown"] and "not a case file" in warned["cases/notes.txt"]
    assert "a folder: case files in subfolders are not read" in warned["cases/2025"]
    assert "a folder named like a case file" in warned["cases/folder.md"]
    assert "a symbolic link to" in warned["cases/dangling.md"] and "does not exist" in warned["cases/dangling.md"]
    assert "not a regular file (a FIFO)" in warned["cases/pipe.md"]


def test_a_link_out_of_the_project_is_refused_and_one_inside_is_read(root, tmp_path_factory, alarm):
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.md"
    outside.write_text(MINIMAL_CASE.replace("Cake delivered late", "Secret"), encoding="utf-8")
    os.symlink(outside, root / "cases" / "outside.md")
    (root / "drafts").mkdir()
    (root / "drafts" / "inside.md").write_text(MINIMAL_CASE, encoding="utf-8")
    os.symlink(root / "drafts" / "inside.md", root / "cases" / "inside.md")

    project = load_project(root, TODAY)

    assert [c.id for c in project.cases] == ["inside"]
    [problem] = project.problems
    assert not problem.warning and problem.path == "cases/outside.md"
    assert str(problem).startswith(f"cases/outside.md: a symbolic link to {outside.resolve()}, outside the project")
    assert "Secret" not in repr(project.cases)
