"""`new` writes only what `check` accepts: the text is read by the same readers before it is written."""
from __future__ import annotations

import pytest

from amends.cases.project import load_project
from amends.cli import main

from conftest import TODAY


@pytest.mark.parametrize("args", [
    ["--title", "Cake\u2028late", "--name", "Ann"],
    ["--title", "Cake\x7f", "--name", "Ann"],
    ["--title", "Cake", "--name", "   "],
    ["--title", "x" * 70_000, "--name", "Ann"],
], ids=["line-separator-in-title", "delete-in-title", "blank-name", "title-over-64-kib"])
def test_new_refuses_what_check_would_refuse(capsys, root, args):
    """Values `check` would refuse make `new` exit 2 with the problem, and write nothing."""
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "new", *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert "nothing was written" in err
    assert "cases/2026-11-22-" in err
    assert list((root / "cases").iterdir()) == []


def test_new_writes_quoted_null_words_as_text(capsys, root):
    """A customer called "Null" is written, and read back as that name."""
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "new", "--title", "Cake", "--name", "Null"])
    assert code == 0, capsys.readouterr().err
    project = load_project(root, TODAY)
    assert [str(p) for p in project.problems] == []
    assert [c.customer.name for c in project.cases] == ["Null"]
