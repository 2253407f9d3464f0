"""What would make it right: `asked_for` in a case, beside what was given on its page, in the exports, and
in the figures, by severity (item 3 of the practice: ask the customer, and compare the ask with the gift).
"""
from __future__ import annotations

import csv
from pathlib import Path

from bs4 import BeautifulSoup

from amends import cli
from conftest import MINIMAL_CASE, write_case


def case(day: str, severity: str, asked: str, given: str = "") -> str:
    """A case resolved on `day`, asking for `asked` (YAML after the key), giving `given` (accommodation items)."""
    text = MINIMAL_CASE.replace("resolved: 2026-03-04", f"resolved: {day}").replace(
        "status: resolved", f"status: resolved\nseverity: {severity}\nasked_for: {asked}")
    return text.replace("\n---\n", f"\naccommodation:\n{given}---\n", 1) if given else text


def check(root: Path, capsys) -> str:
    cli.main(["--root", str(root), "--today", "2026-12-01", "check"])
    out = capsys.readouterr()
    return out.out + out.err


def test_asked_for_is_words_or_words_with_an_amount_and_its_mistakes_are_named_by_line(root: Path, capsys):
    write_case(root, "2026-03-01-a.md", case("2026-03-04", "low", "a new cake, today"))
    write_case(root, "2026-03-01-b.md", case("2026-03-04", "low", "\n  what: the fee back\n  amount: 4,50\n  colour: red"))
    said = check(root, capsys)
    line = (root / "cases" / "2026-03-01-b.md").read_text(encoding="utf-8").splitlines().index("  amount: 4,50") + 1
    assert f"cases/2026-03-01-b.md:{line}: 'asked_for.amount' should be a number like 12.50, not '4,50'" in said
    assert f"cases/2026-03-01-b.md:{line + 1}: unknown key 'asked_for.colour'" in said
    assert "2 case files read, 1 valid" in said


def build(root: Path) -> Path:
    assert cli.main(["--root", str(root), "--today", "2026-12-01", "--quiet", "build"]) in (0, 1)
    return root / "site"


def test_the_ask_shows_beside_what_was_given_and_in_the_exports(root: Path):
    write_case(root, "2026-03-01-cake-late.md", case(
        "2026-03-04", "medium", "\n  what: the delivery fee back\n  amount: 12", "  - kind: refund\n    amount: 12\n"))
    site = build(root)
    page = BeautifulSoup((site / "cases" / "2026-03-01-cake-late.html").read_text(encoding="utf-8"), "html5lib")
    given = page.find(id="given-h").parent
    assert given.find(id="asked-for").text == "They asked for: the delivery fee back (12.00 EUR)"
    with open(site / "cases-2026.csv", encoding="utf-8-sig", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert row["asked_for"] == "the delivery fee back (12 EUR)"


def test_the_figures_set_what_was_asked_beside_what_was_given_by_severity(root: Path):
    """Low: asked 10 and got 15 (enough), asked 20 and got 5 plus a 30 reimbursement (enough), asked 40 and got
    nothing; one low case asks in words only; medium asks 50 in USD (no amount to weigh); one more low case
    was resolved last year and is not in this year's figures."""
    cases = {
        "a": ("2026-11-02", "low", "\n  what: a refund\n  amount: 10", "  - kind: refund\n    amount: 15\n"),
        "b": ("2026-11-03", "low", "\n  what: the taxi and a refund\n  amount: 20",
              "  - kind: refund\n    amount: 5\n  - kind: reimbursement\n    amount: 30\n    note: your taxi\n"),
        "c": ("2026-10-04", "low", "\n  what: a refund\n  amount: 40", ""),
        "d": ("2026-10-05", "low", "just an apology", ""),
        "e": ("2026-09-06", "medium", "\n  what: a refund\n  amount: 50\n  currency: USD", "  - kind: refund\n    amount: 50\n"),
        "f": ("2025-12-30", "low", "\n  what: a refund\n  amount: 99", ""),
    }
    for name, (day, severity, asked, given) in cases.items():
        write_case(root, f"2026-03-01-{name}.md", case(day, severity, asked, given).replace("2026-03-01", day))
    site = build(root)
    year = BeautifulSoup((site / "figures" / "year.html").read_text(encoding="utf-8"), "html5lib")
    rows = {tr.th.text: [td.text for td in tr.find_all("td")] for tr in year.find(id="asked-year").tbody.find_all("tr")}
    assert rows == {"low": ["4", "70.00 EUR", "50.00 EUR", "2 of 3"], "medium": ["1", "—", "—", "—"]}
    month = BeautifulSoup((site / "figures" / "month.html").read_text(encoding="utf-8"), "html5lib")
    assert month.find(id="asked-month") is None and "No case resolved in December 2026" in month.find(id="asked-h").find_next("p").text
