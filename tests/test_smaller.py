"""The smaller points of issue 21: each one a way a user could be misled or a case lost without a word."""
from __future__ import annotations

from amends.cli import main
from amends.project import load_project

from conftest import MINIMAL_CASE, TODAY, write_case


def test_new_skips_an_id_another_case_claims(capsys, root):
    """`new` never names its file after an id that another case holds with `id:`, in any case of letters."""
    held = MINIMAL_CASE.replace("title: Cake delivered late", "id: 2026-11-22-Cake-late\ntitle: Cake delivered late")
    write_case(root, "2026-03-01-old-cake.md", held)
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "new", "--title", "Cake late", "--name", "Bo"])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (root / "cases").iterdir()) == ["2026-03-01-old-cake.md", "2026-11-22-cake-late-2.md"]
    project = load_project(root, TODAY)
    assert [str(p) for p in project.problems] == []
    assert sorted(c.id for c in project.cases) == ["2026-11-22-Cake-late", "2026-11-22-cake-late-2"]
