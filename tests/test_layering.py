"""Each module imports only the stages before it (the design's one-way data flow)."""
from __future__ import annotations

import ast

from conftest import REPO

# Pipeline order: a module may import only modules listed before it.
ORDER = [
    "model", "workers", "demo", "cache", "yamlfile", "fields", "casefile", "config", "validate", "project",
    "views", "figures", "charts", "markup", "templating", "ledger", "plan", "messages", "exports",
    "transports", "send",
    "search", "site", "newcase", "serve", "scheduler", "cli",
]


def local_imports(module: str) -> set[str]:
    tree = ast.parse((REPO / "amends" / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update([node.module] if node.module else [a.name for a in node.names])
    return found


def test_every_module_is_placed():
    modules = {p.stem for p in (REPO / "amends").glob("*.py")} - {"__init__", "__main__"}
    assert modules == set(ORDER)


def test_modules_import_only_earlier_stages():
    for index, module in enumerate(ORDER):
        later = local_imports(module) - set(ORDER[:index])
        assert not later, f"{module} imports {sorted(later)}, which come after it"
