"""Compensation guidelines: what staff may give on their own by severity (amends.yaml guidelines:), `check`'s
warning for a case that gives more with nobody named who agreed, the verdict on the case page, and the
sheet for the counter, printed by Chromium to one A4 page in each shipped language.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.cases.config import Guideline, parse_config
from conftest import MINIMAL_CASE, write_case
from test_print import print_to_pdf
from test_browser import browser  # noqa: F401  (the same headless Chromium, as a fixture)

GUIDELINES = """
guidelines:
  low: {max: 15, kinds: [discount, gift-card]}
  medium: {max: 40}
  high: {max: 150}
"""


def case(severity: str = "low", given: str = "  - kind: discount\n    amount: 10\n", approved: str = "") -> str:
    text = MINIMAL_CASE.replace("status: resolved", f"status: resolved\nseverity: {severity}{approved}")
    return text.replace("\n---\n", f"\naccommodation:\n{given}---\n", 1)


def settings(root: Path, guidelines: str) -> None:
    """The sample amends.yaml with these guidelines in place of its own."""
    path = root / "amends.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("guidelines:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    path.write_text("".join(lines[:start] + lines[end:]) + guidelines, encoding="utf-8")


@pytest.fixture
def project(root: Path) -> Path:
    settings(root, GUIDELINES)
    return root


def check(root: Path, capsys) -> str:
    cli.main(["--root", str(root), "--today", "2026-12-01", "check"])
    out = capsys.readouterr()
    return out.out + out.err


def test_the_guidelines_are_read_by_severity_and_their_mistakes_named_by_line():
    config, problems = parse_config(GUIDELINES.encode())
    assert problems == []
    assert config.guideline("low") == Guideline(Decimal("15"), ("discount", "gift-card"))
    assert config.guideline("high") == Guideline(Decimal("150"), ())
    assert config.guideline("critical") is None
    _, problems = parse_config(b"guidelines:\n  low:\n    max: 15,00\n  urgent: {max: 5}\n  medium: {kinds: [cash]}\n")
    said = {(p.line, p.message.split(";")[0]) for p in problems}
    assert (3, "'guidelines.low.max' should be a number like 12.50, not '15,00'") in said
    assert any(line == 4 and "unknown key 'guidelines.urgent'" in message for line, message in said)
    assert any(line == 5 and "'cash'" in message for line, message in said)


def test_more_than_the_guideline_is_a_warning_at_the_accommodation_line_until_someone_approves(project: Path, capsys):
    write_case(project, "2026-03-01-cake-late.md", case(given="  - kind: refund\n    amount: 80\n"))
    said = check(project, capsys)
    line = (project / "cases" / "2026-03-01-cake-late.md").read_text().splitlines().index("accommodation:") + 1
    assert (f"cases/2026-03-01-cake-late.md:{line}: warning: gives 80.00 EUR, more than the 15.00 EUR a low case may "
            "get; gives a refund, which a low case may not get (discount or gift-card only)") in said
    assert "add approved_by: with their name" in said and "1 valid" in said  # a warning: the case is still built
    write_case(project, "2026-03-01-cake-late.md", case(given="  - kind: refund\n    amount: 80\n",
                                                        approved="\napproved_by: Priya Nair"))
    assert "guidelines" not in check(project, capsys)


@pytest.mark.parametrize("given, over", [
    ("  - kind: discount\n    amount: 10\n  - kind: reimbursement\n    amount: 45\n    note: your taxi\n", False),
    ("  - kind: discount\n    amount: 10\n  - kind: gift-card\n    amount: 6\n    expires: 2027-06-01\n", True),
    ("  - kind: discount\n    amount: 5\n    currency: USD\n", True),
])
def test_what_counts_against_the_guideline(project: Path, capsys, given: str, over: bool):
    """A reimbursed cost is owed, not given; the amounts add up; another currency cannot be weighed."""
    write_case(project, "2026-03-01-cake-late.md", case(given=given))
    assert ("(amends.yaml guidelines)" in check(project, capsys)) == over


def build(root: Path) -> Path:
    assert cli.main(["--root", str(root), "--today", "2026-12-01", "--quiet", "build"]) in (0, 1)
    return root / "site"


def verdict(site: Path) -> BeautifulSoup:
    page = BeautifulSoup((site / "cases" / "2026-03-01-cake-late.html").read_text(encoding="utf-8"), "html5lib")
    return page.find(id="guideline")


def test_the_case_page_says_within_or_above_and_who_approved(project: Path):
    write_case(project, "2026-03-01-cake-late.md", case())
    shown = verdict(build(project))
    assert shown.text.startswith("within the guideline for a low case: at most 15.00 EUR; discount or gift-card only.")
    assert shown.find("a")["href"] == "../guidelines/en.html"
    write_case(project, "2026-03-01-cake-late.md", case(severity="medium", given="  - kind: refund\n    amount: 55\n"))
    shown = verdict(build(project))
    assert "above the guideline" in shown.text and "gives 55.00 EUR, more than the 40.00 EUR" in shown.text
    assert "alert" in shown["class"] and "Nobody is named who agreed" in shown.text
    write_case(project, "2026-03-01-cake-late.md", case(severity="medium", given="  - kind: refund\n    amount: 55\n",
                                                        approved="\napproved_by: Priya Nair"))
    shown = verdict(build(project))
    assert "Approved by Priya Nair." in shown.text and "alert" not in shown.get("class", [])


def test_without_guidelines_there_is_no_verdict_and_no_sheet(root: Path):
    settings(root, "")
    write_case(root, "2026-03-01-cake-late.md", case(given="  - kind: refund\n    amount: 500\n"))
    site = build(root)
    assert verdict(site) is None and not (site / "guidelines").exists()


@pytest.mark.parametrize("language, title, row", [
    ("en", "What you may give", "low a small inconvenience, put right at once €15.00 a discount, a gift card"),
    ("de", "Was Sie geben dürfen", "gering (low) eine kleine Unannehmlichkeit, sofort behoben 15,00 € einen Rabatt, einen Gutschein"),
])
def test_the_sheet_prints_on_one_page_in_each_language(project: Path, browser, tmp_path: Path,  # noqa: F811
                                                       language: str, title: str, row: str):
    write_case(project, "2026-03-01-cake-late.md", case())
    site = build(project)
    html = BeautifulSoup((site / "guidelines" / f"{language}.html").read_text(encoding="utf-8"), "html5lib")
    assert html.html["lang"] == language
    text, pages, _ = print_to_pdf(browser, site / "guidelines" / f"{language}.html", tmp_path / "sheet.pdf")
    assert pages == 1, text
    assert text.startswith(f"{title} · ") and row in text
    assert "critical" not in text  # amends.yaml sets no guideline for it
    assert "Overview" not in text and "Search" not in text  # the site's bar is not printed
