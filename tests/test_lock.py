"""The environment the tests run in holds exactly what uv.lock lists, at the locked versions.

`make test` installs from the lock with `uv sync --locked --extra test`; this
checks the result from the inside, so a package installed by hand, or a lock
that the install did not follow, fails the run instead of hiding a difference.
"""
from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

from packaging.markers import Marker

REPO = Path(__file__).resolve().parent.parent
EXTRAS = ("test",)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def applies(entry: dict) -> bool:
    return "marker" not in entry or Marker(entry["marker"]).evaluate()


def locked_for_this_machine(lock: dict) -> dict[str, str]:
    """Walk the lock from amends and its extras, keeping the dependencies whose markers hold here."""
    packages: dict[str, list[dict]] = {}
    for package in lock["package"]:
        packages.setdefault(package["name"], []).append(package)

    def entry(name: str, version: str | None) -> dict:
        candidates = [p for p in packages[name] if version in (None, p["version"])]
        assert len(candidates) == 1, f"uv.lock: {name} {version or ''} is not one package"
        return candidates[0]

    wanted: dict[str, str] = {}
    seen: set[tuple[str, str | None]] = set()   # a package, or one extra of it, walked once
    todo = [("amends", None, EXTRAS)]
    while todo:
        name, version, extras = todo.pop()
        package = entry(name, version)
        wanted[name] = package["version"]
        edges = []
        for extra in (None, *extras):
            if (name, extra) not in seen:
                seen.add((name, extra))
                edges += package.get("dependencies", []) if extra is None else \
                    package.get("optional-dependencies", {}).get(extra, [])
        todo += [(dep["name"], dep.get("version"), tuple(dep.get("extra", ())))
                 for dep in edges if applies(dep)]
    return wanted


def test_installed_packages_are_exactly_the_locked_ones():
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    wanted = locked_for_this_machine(lock)
    installed = {normalized(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    assert "pyyaml" in wanted and "pytest" in wanted, "the walk of uv.lock found too little"
    differ = {name: (wanted.get(name), installed.get(name))
              for name in wanted.keys() | installed.keys() if wanted.get(name) != installed.get(name)}
    assert not differ, ("(locked, installed) differ; `make test` syncs .venv with uv.lock: "
                        f"{dict(sorted(differ.items()))}")
