"""The README's examples must be true: what it shows is valid and what it lists exists."""
from __future__ import annotations

import re

from amends.cases.config import load_config
from amends.cases.project import load_project
from amends.cli.args import parser

from conftest import REPO, TODAY, write_case

README = (REPO / "README.md").read_text(encoding="utf-8")


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_case_example_is_valid(root):
    """The complete example case in the README passes check."""
    (example,) = fenced("markdown")
    write_case(root, "2026-03-14-late-wedding-cake.md", example)
    project = load_project(root, TODAY)
    assert [str(p) for p in project.problems] == []
    case = project.cases[0]
    assert case.customer.name == "Zoë Müller"
    assert case.followups.skip == ("checkin",)


def test_readme_yaml_examples_are_valid_settings(tmp_path):
    """Every amends.yaml snippet in the README loads without a problem; a block that names another file
    on its first line (a CI workflow, say) is that file."""
    blocks = [b for b in fenced("yaml") if not re.match(r"# [\w./-]+\.ya?ml\n", b)]
    assert len(blocks) >= 3
    configs = {}
    for block in blocks:
        (tmp_path / "amends.yaml").write_text(block, encoding="utf-8")
        config, problems = load_config(tmp_path / "amends.yaml")
        assert [str(p) for p in problems] == [], block
        configs[block] = config
    smtp = next(config for block, config in configs.items() if "transport: smtp" in block)
    assert smtp.transport == "smtp" and smtp.smtp.security == "starttls"


def test_every_command_is_in_the_readme():
    """Each subcommand of build.py is documented."""
    sub = next(a for a in parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"python build.py {name}" in README or (name == "build" and "python build.py`" in README), name
