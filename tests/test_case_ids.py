"""Case ids that work on every file system: unique without regard to case, never a name the site uses."""
from __future__ import annotations

import pytest

from amends.cases.project import load_project

from conftest import MINIMAL_CASE, TODAY, write_case


def other(title: str, email: str = "bea@example.com") -> str:
    return MINIMAL_CASE.replace("Cake delivered late", title).replace("ann@example.com", email)


def test_ids_differing_only_in_case_collide(root):
    """On macOS and Windows Foo.html and foo.html are one file: neither case may overwrite the other unseen."""
    write_case(root, "Foo.md", other("Upper"))
    write_case(root, "foo.md", other("Lower", "carl@example.com"))
    write_case(root, "bar.md", other("Bar", "dora@example.com"))
    project = load_project(root, TODAY)
    assert [c.id for c in project.cases] == ["bar"]
    problems = {p.path: str(p) for p in project.problems}
    assert sorted(problems) == ["cases/Foo.md", "cases/foo.md"]
    assert "cases/foo.md" in problems["cases/Foo.md"] and "cases/Foo.md" in problems["cases/foo.md"]
    assert "upper and lower case" in problems["cases/Foo.md"]


@pytest.mark.parametrize("name", ["INDEX", "Index", "iNdEx"])
def test_the_name_of_the_cases_list_is_reserved_in_any_case(root, name):
    write_case(root, f"{name}.md", other("Looks like the list"))
    write_case(root, "x.md", other("Set by id", "carl@example.com").replace("title:", f"id: {name}\ntitle:"))
    project = load_project(root, TODAY)
    assert project.cases == []
    assert sorted(p.path for p in project.problems) == [f"cases/{name}.md", "cases/x.md"]
    assert all(f"'{name}' cannot be a case id" in p.message for p in project.problems)


def test_the_file_named_after_the_id_keeps_it(root):
    """A second file claiming an id (a copy that kept `id:`) does not make the original disappear."""
    write_case(root, "cake-1.md", other("The original").replace("title:", "id: cake-1\ntitle:"))
    write_case(root, "copy.md", other("The copy", "carl@example.com").replace("title:", "id: cake-1\ntitle:"))
    write_case(root, "Cake-1x.md", other("Case differs", "dora@example.com").replace("title:", "id: CAKE-1\ntitle:"))
    project = load_project(root, TODAY)
    assert [(c.id, c.title) for c in project.cases] == [("cake-1", "The original")]
    [copy, upper] = sorted((p for p in project.problems), key=lambda p: p.path != "cases/copy.md")
    assert copy.path == "cases/copy.md" and copy.line == 2 and not copy.warning
    assert "cases/cake-1.md" in copy.message and "keeps it" in copy.message
    assert upper.path == "cases/Cake-1x.md" and "cases/cake-1.md" in upper.message


def test_a_copied_case_gets_a_warning_naming_both_files(root):
    write_case(root, "a.md", MINIMAL_CASE)
    write_case(root, "b.md", MINIMAL_CASE.replace("ann@example.com", "ANN@example.com"))
    write_case(root, "c.md", MINIMAL_CASE.replace("opened: 2026-03-01", "opened: 2026-03-02"))
    project = load_project(root, TODAY)
    assert [c.id for c in project.cases] == ["a", "b", "c"]
    assert project.problems == []
    warned = {p.path: str(p) for p in project.warnings}
    assert sorted(warned) == ["cases/a.md", "cases/b.md"]
    assert warned["cases/a.md"].startswith("cases/a.md: warning: same customer address, opened date and title as cases/b.md")
    assert "cases/a.md" in warned["cases/b.md"]
