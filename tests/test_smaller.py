"""The smaller points of issue 21: each one a way a user could be misled or a case lost without a word."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from bs4 import BeautifulSoup

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


GIFT_CARD_CASE = """\
---
title: Cake delivered late
customer:
  name: Ann Example
  email: ann@example.com
channel: email
opened: 2026-11-16
resolved: 2026-11-16
status: resolved
fault: ours
about: the late delivery of your cake
what_went_wrong: The van broke down (the second time this month).
how_resolved: We refunded the delivery fee (see https://shop.example.com/refunds).
prevention: A second van is now on standby every Saturday.
accommodation:
  - kind: gift-card
    amount: 25
    url: https://shop.example.com/gift/(7Q4Z)
---
The cake arrived two hours late.
"""


def html_links(eml: Path) -> list[str]:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    return [a["href"] for a in BeautifulSoup(html, "html5lib").find_all("a")]


def test_a_url_keeps_its_own_closing_bracket(capsys, root):
    """The gift card's link keeps the ")" it ends with; a URL in brackets does not take the bracket."""
    write_case(root, "cake.md", GIFT_CARD_CASE)
    code = main(["--root", str(root), "--today", TODAY.isoformat(), "followups"])
    assert code == 0, capsys.readouterr()
    links = [link for eml in sorted((root / "outbox" / "preview").rglob("*.eml")) for link in html_links(eml)]
    assert "https://shop.example.com/gift/(7Q4Z)" in links
    assert "https://shop.example.com/refunds" in links
    assert not any(link.startswith("https://shop.example.com/gift/(7Q4Z") and link != "https://shop.example.com/gift/(7Q4Z)"
                   for link in links)
