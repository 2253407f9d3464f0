"""The wings and the one-way flow between them, read from the imports of every module.

A wing is a folder of amends/ with one concern. What a module may import:
- the base modules (model, templating) only each other;
- incremental/, the rebuild machinery, nothing of amends at all;
- cases/ the base and the machinery;
- followups/ those and cases/;
- report/ those and the follow-ups as planned and rendered, never the send pass, the transports,
  the scheduler or the previews;
- the demo only the base, and each of its modules those listed before it; serve only the machinery;
- the command line anything, and nothing imports it.
Inside a wing, a module imports only the modules listed before it.
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "amends"
BASE = ["model", "text", "templating"]
WINGS = {
    "incremental": ["cache", "files", "output", "workers", "progress", "folds"],
    "cases": ["yamlfile", "fields", "casefile", "config", "guidelines", "briefed", "attachments", "validate", "chances",
              "project", "newcase", "casebook"],
    "followups": ["ledger", "window", "rounds", "guards", "plan", "mail", "messages", "transports", "incoming",
                  "hearing", "mailbox", "review", "previews", "send", "scheduler"],
    "report": ["views", "figures", "accountability", "risk", "aggregates", "charts", "markup", "attachments", "exports",
               "search", "contexts", "briefings", "pages", "build"],
}
WHOLE_WINGS = {
    "incremental": [],
    "cases": ["incremental"],
    "followups": ["incremental", "cases"],
    "report": ["incremental", "cases"],
}
# What the report may read of the follow-ups: the plan and the messages, never what sends them.
REPORT_READS = ["followups.ledger", "followups.plan", "followups.mail", "followups.messages", "followups.hearing",
                "followups.review"]
# The demo's modules in their order; the package itself comes last.
DEMO = ["demo.words", "demo.people", "demo.case", "demo.files", "demo"]
OTHERS = {**{m: BASE + DEMO[:i] for i, m in enumerate(DEMO)}, "serve": ["incremental.workers"], "cli": None}


def module_name(path: Path) -> str:
    """'report.pages' for amends/report/pages.py, 'demo' for amends/demo/__init__.py."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The modules of amends that a file imports, by their names below amends."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "amends":
            assert node.level == 0, f"{path}: imports of amends are absolute"
            below = node.module.removeprefix("amends").lstrip(".")
            found.update(f"{below}.{a.name}".lstrip(".") if f"{below}.{a.name}".lstrip(".") in MODULES else below
                         for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add(f"relative import in {path.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("amends.") for a in node.names if a.name.split(".")[0] == "amends")
    return found


FILES = {module_name(p): p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py" and module_name(p)}
MODULES = set(FILES)


def allowed(module: str) -> set[str]:
    """The modules `module` may import."""
    if module in BASE:
        return set(BASE[:BASE.index(module)])
    wing, _, name = module.partition(".")
    if wing in WINGS:
        inside = WINGS[wing]
        ours = {f"{wing}.{m}" for m in inside[:inside.index(name)]}
        theirs = {m for w in WHOLE_WINGS[wing] for m in MODULES if m.startswith(f"{w}.")}
        extra = set(REPORT_READS) if wing == "report" else set()
        base = set() if wing == "incremental" else set(BASE)
        return base | ours | theirs | extra
    rule = OTHERS[module] if module in OTHERS else OTHERS[wing]
    return MODULES if rule is None else set(rule)


def test_every_module_has_a_place():
    placed = set(BASE) | {f"{w}.{m}" for w, ms in WINGS.items() for m in ms} | set(OTHERS)
    assert {m.split(".")[0] if m.startswith("cli.") else m for m in MODULES - set(WINGS)} == placed, "a new module needs a place in WINGS (and an order in its wing)"


def test_each_module_imports_only_what_comes_before_it():
    wrong = {m: sorted(imports(FILES[m]) - allowed(m)) for m in sorted(MODULES - set(WINGS))}
    assert {m: found for m, found in wrong.items() if found} == {}


def test_nothing_imports_the_command_line():
    users = [m for m in MODULES if m.split(".")[0] != "cli" and any(i == "cli" or i.startswith("cli.") for i in imports(FILES[m]))]
    assert users == []


def test_the_report_never_reaches_the_send_pass():
    # Spelled out, so that the rule cannot drift with WINGS above.
    for m in MODULES:
        if m.startswith("report."):
            assert not imports(FILES[m]) & {"followups.send", "followups.transports", "followups.scheduler",
                                             "followups.previews"}, m


def test_the_rule_above_can_fail(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from amends.followups.send import send_pass\nfrom amends import cli\n", encoding="utf-8")
    assert imports(bad) == {"followups.send", "cli"}
    assert not {"followups.send", "cli"} <= allowed("report.views")
