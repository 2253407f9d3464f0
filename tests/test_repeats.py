"""Preventions that did not hold: only real repeats are flagged, a person can link or unlink one by hand.

The expected pairs are written out here from the rules, never computed with amends.views.
"""
from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from amends import cli
from conftest import TODAY, write_case

EARLIER = "2026-03-01-stale-bread"


def case(title: str, opened: str, *, team="Kitchen", category="Product quality", tags=(), email="other@example.com",
         status="resolved", extra="") -> str:
    resolved = f"resolved: {opened}\n" if status != "open" else ""
    return (f"---\ntitle: {title}\ncustomer:\n  name: Some One\n  email: {email}\nchannel: email\nopened: {opened}\n"
            f"{resolved}status: {status}\nteam: {team}\ncategory: {category}\ntags: [{', '.join(tags)}]\n{extra}---\nStory.\n")


CASES = {
    EARLIER: case("Stale bread", "2026-03-01", tags=("bread", "wholesale"), email="ann@example.com",
                  extra="prevention: Bread is baked the same morning.\n"),
    # Same team and category only: a broad link, not a failed prevention.
    "2026-04-01-team-and-category-only": case("Hair in a croissant", "2026-04-01", tags=("hygiene",)),
    # ... and a shared tag (in any case): the bread fix did not hold.
    "2026-04-02-shared-tag": case("Stale bread again", "2026-04-02", tags=("Bread",), status="open"),
    # ... and the same customer.
    "2026-04-03-same-customer": case("Burnt loaf for Ann", "2026-04-03", tags=("burnt",), email="ANN@example.com"),
    # Linked by hand across teams.
    "2026-04-04-linked-by-hand": case("Old bread on the counter", "2026-04-04", team="Front of house",
                                      category="Service", extra=f"repeat_of: {EARLIER.upper()}\n", status="open"),
    # A shared tag, but a person said no.
    "2026-04-05-unlinked-by-hand": case("Bread order too small", "2026-04-05", tags=("bread",),
                                        extra=f"not_a_repeat_of: [{EARLIER}]\n"),
    # A shared tag with a case opened the same day: it could not have learned from it.
    "2026-03-01-same-day": case("Stale rolls", "2026-03-01", tags=("bread",)),
}
REAL = {("2026-04-02-shared-tag", EARLIER), ("2026-04-03-same-customer", EARLIER),
        ("2026-04-04-linked-by-hand", EARLIER)}
OPEN_REAL = [("2026-04-04-linked-by-hand", EARLIER), ("2026-04-02-shared-tag", EARLIER)]  # newest first


def build(root: Path) -> Path:
    for name, text in CASES.items():
        write_case(root, f"{name}.md", text)
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat()]) == 0
    return root / "site"


def pairs(ul) -> list[tuple[str, str]]:
    out = []
    for li in ul.find_all("li", recursive=False):
        ids = [a["href"].split("/")[-1].removesuffix(".html") for a in li.find_all("a")]
        assert len(ids) == 2, li.get_text()
        out.append(tuple(ids))
    return out


def test_only_real_repeats_are_flagged(root):
    site = build(root)
    soup = BeautifulSoup((site / "lessons.html").read_text(encoding="utf-8"), "html.parser")
    shown = pairs(soup.find("ul", class_="repeats"))
    assert len(shown) == len(set(shown))
    shown = set(shown)
    assert ("2026-04-01-team-and-category-only", EARLIER) not in shown, "same team and category alone is no repeat"
    assert ("2026-04-05-unlinked-by-hand", EARLIER) not in shown, "not_a_repeat_of drops the flag"
    assert not any(later == "2026-03-01-same-day" for later, _ in shown)
    assert shown == REAL
    heading = soup.find("h2", id="repeats-h").get_text(" ", strip=True)
    assert heading == f"Preventions that did not hold ({len(REAL)})"


def test_overview_lists_the_open_real_repeats_under_needs_attention(root):
    site = build(root)
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    section = soup.find("h2", id="attention-h").find_parent("section")
    ul = section.find("ul", id="attention-repeats")
    assert ul is not None
    assert pairs(ul) == OPEN_REAL
    assert section.find("h3", id="repeats-h").get_text(" ", strip=True).endswith(f"({len(OPEN_REAL)})")


def test_unknown_ids_are_problems_on_their_lines(root, capsys):
    write_case(root, "2026-03-01-stale-bread.md", CASES[EARLIER])
    text = case("Later", "2026-04-01", extra=f"repeat_of: no-such-case\nnot_a_repeat_of: [{EARLIER}, gone-case]\n")
    write_case(root, "2026-04-01-later.md", text)
    lines = text.split("\n")
    repeat_line = next(i for i, line in enumerate(lines, 1) if line.startswith("repeat_of:"))
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat(), "check"]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert f"cases/2026-04-01-later.md:{repeat_line}: 'repeat_of' names 'no-such-case'" in out
    assert f"cases/2026-04-01-later.md:{repeat_line + 1}: 'not_a_repeat_of[2]' names 'gone-case'" in out
    assert f"'{EARLIER}'" not in out.replace(f"cases/{EARLIER}.md", "")
