"""Shared fixtures: a fresh project folder per test, with the real templates."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from amends.cases.config import Step

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)

# The plan amends shipped before the practice's round: four kinds at three spacings. The tests of
# planning, order and sending use it, since it has the most to go wrong; the default round is tested too.
CLASSIC_PLAN = (
    Step("apology", 2, True, "apology"),
    Step("gift-card", 2, True, "gift-card", only_if_given="gift-card"),
    Step("explanation", 3, True, "explanation"),
    Step("thanks", 7, False, "thanks"),
)
CLASSIC_PLAN_YAML = """\
  plan:
    - {kind: apology, after: 2 business days}
    - {kind: gift-card, after: 2 business days, only_if_given: gift-card}
    - {kind: explanation, after: 3 business days}
    - {kind: thanks, after: 7 days}
"""

MINIMAL_CASE = """\
---
title: Cake delivered late
customer:
  name: Ann Example
  email: ann@example.com
channel: email
opened: 2026-03-01
resolved: 2026-03-04
status: resolved
---
The cake was late.
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty amends project: templates and amends.yaml, no cases."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copy(REPO / "amends.yaml", tmp_path / "amends.yaml")
    (tmp_path / "cases").mkdir()
    return tmp_path


@pytest.fixture
def demo_root(root: Path) -> Path:
    """A project holding the shipped sample cases."""
    shutil.rmtree(root / "cases")
    shutil.copytree(REPO / "cases", root / "cases")
    return root


def sample_project(root: Path, *also: str) -> Path:
    """The shipped sample project copied into `root`: templates, amends.yaml and cases, and any other folder
    named in `also` (such as "outbox")."""
    for folder in ("templates", "cases", *also):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    return root


def write_case(root: Path, name: str, text: str | bytes) -> Path:
    """Write cases/<name> and return its path."""
    path = root / "cases" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_check(*paths: Path, css: bool = False):
    """Run the Nu HTML Checker (vnu.jar from npm's vnu-jar) on files; errors only."""
    import subprocess

    command = ["java", "-jar", str(VNU), "--errors-only"] + (["--css"] if css else []) + [str(p) for p in paths]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def link_target(page: Path, url: str) -> Path | None:
    """The file a relative URL on `page` points at; None for an absolute URL."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme or parts.netloc or url.strip().startswith("//"):
        return None
    if not parts.path:
        return page
    return (page.parent / unquote(parts.path)).resolve()


def status_texts(page: Path) -> dict[str, str | None]:
    """What the page's status.css (made at each build) adds after each class: its text, or None when hidden."""
    import re

    from bs4 import BeautifulSoup

    links = BeautifulSoup(page.read_text(encoding="utf-8"), "html5lib").find_all("link", rel="stylesheet")
    sheet = next(link_target(page, link["href"]) for link in links if link["href"].endswith("status.css"))
    found: dict[str, str | None] = {}
    for name, rule in re.findall(r"\.([\w-]+)(?:::after)? \{ ([^}]*) \}", sheet.read_text(encoding="utf-8")):
        shown = re.fullmatch(r'content: "([^"]*)";', rule)
        found[name] = shown.group(1) if shown else None if rule == "display: none;" else rule
    return found


def shown_text(page: Path, element) -> str:
    """An element's text as a browser shows it: with what status.css adds after each element of its classes."""
    status = status_texts(page)
    for part in element.find_all(class_=lambda c: c in status):
        added = next(status[c] for c in part["class"] if c in status)
        if added is None:
            part.decompose()
        else:
            part.append(added)
    return " ".join(element.get_text(" ").split())


def wait_for(condition, seconds: float = 60) -> bool:
    """Whether `condition()` comes true within `seconds`, asking every 50 ms."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
