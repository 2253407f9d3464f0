"""What a case page and a customer page show of the customer's other cases, and the calendar note.

Expectations come from the case files' front matter (read with yaml.safe_load),
never from amends.views: the pages are read with BeautifulSoup.
"""
from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from amends import cli
from conftest import REPO, TODAY, link_target, nu_check, write_case

CURRENCY = (yaml.safe_load((REPO / "amends.yaml").read_text(encoding="utf-8")) or {}).get("currency") or "EUR"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def case_text(title: str, name: str, email: str | None, opened: str, status: str, resolved: str | None = None,
              value: str | None = None, given: str = "") -> str:
    lines = ["---", f"title: {title}", "customer:", f"  name: {name}"]
    lines += [f"  email: {email}"] if email else []
    lines += ["channel: email", f"opened: {opened}", f"status: {status}"]
    lines += [f"resolved: {resolved}"] if resolved else []
    lines += [f"customer_value: {value}"] if value else []
    lines += ["accommodation:", given.rstrip("\n")] if given else []
    return "\n".join(lines + ["---", "What happened.", ""])


# Mia has four cases (one written with her email in capitals); another Mia, with her own email, has one.
CASES = {
    "2026-01-10-mia-bread": case_text("Stale bread", "Mia Kern", "mia@example.com", "2026-01-10", "recovered",
                                      "2026-01-12", "500", "  - kind: credit\n    amount: 10\n"),
    "2026-06-03-mia-cake": case_text("Cake dropped", "Mia Kern", "MIA@Example.com", "2026-06-03", "lost",
                                     "2026-06-09", "1200.50",
                                     "  - kind: refund\n    amount: 1025.5\n  - kind: gift-card\n"
                                     "    amount: 5\n    currency: USD\n"),
    "2026-06-03-mia-cups": case_text("Cups missing", "Mia K.", "mia@example.com", "2026-06-03", "resolved",
                                     "2026-06-04"),
    "2026-10-20-mia-late": case_text("Order late", "Mia Kern", "mia@example.com", "2026-10-20", "open"),
    "2026-09-01-other-mia": case_text("Wrong name on cake", "Mia Kern", "mia.kern@example.org", "2026-09-01",
                                      "open", value="90"),
}


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def key(fm: dict) -> str:
    return str(fm["customer"].get("email") or fm["customer"]["name"]).casefold()


def human_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def soup_of(path: Path) -> BeautifulSoup:
    assert path.is_file(), f"{path} was not built"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    root = tmp_path_factory.mktemp("context")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    (root / "cases").mkdir()
    for case_id, body in CASES.items():
        write_case(root, f"{case_id}.md", body)
    assert cli.main(["--root", str(root), "--today", TODAY.isoformat()]) == 0
    return root, {p.stem: front_matter(p) for p in sorted((root / "cases").glob("*.md"))}


def expected_others(cases: dict[str, dict], case_id: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Earlier and later cases of the same customer: (id, title, opened, status), oldest first."""
    mine = cases[case_id]
    order = lambda item: (item[1]["opened"], item[0])  # noqa: E731
    same = sorted(((i, fm) for i, fm in cases.items() if i != case_id and key(fm) == key(mine)), key=order)
    row = lambda item: (item[0], item[1]["title"], human_date(item[1]["opened"]), item[1]["status"])  # noqa: E731
    return {"Earlier": [row(x) for x in same if order(x) < order((case_id, mine))],
            "Later": [row(x) for x in same if order(x) > order((case_id, mine))]}


def shown_others(site: Path, case_id: str) -> dict[str, list[tuple[str, str, str, str]]]:
    page = site / "cases" / f"{case_id}.html"
    section = soup_of(page).find("section", id="other-cases")
    shown: dict[str, list] = {"Earlier": [], "Later": []}
    if section is None:
        return shown
    for h3 in section.find_all("h3"):
        for li in h3.find_next_sibling("ul").find_all("li"):
            a = li.find("a")
            target = link_target(page, a["href"])
            assert target is not None and target.is_file(), a["href"]
            status = li.find(class_="status")
            shown[text(h3)].append((target.stem, text(a), text(li.find("time")), text(status)))
    return shown


def test_case_page_lists_the_customers_other_cases(project):
    root, cases = project
    mia = [i for i in cases if key(cases[i]) == "mia@example.com"]
    assert len(mia) == 4
    for case_id in cases:
        assert shown_others(root / "site", case_id) == expected_others(cases, case_id), case_id
    # The middle case sees both sides; the other Mia (another email) sees none of these.
    assert shown_others(root / "site", "2026-06-03-mia-cake") == {
        "Earlier": [("2026-01-10-mia-bread", "Stale bread", "10 Jan 2026", "recovered")],
        "Later": [("2026-06-03-mia-cups", "Cups missing", "3 Jun 2026", "resolved"),
                  ("2026-10-20-mia-late", "Order late", "20 Oct 2026", "open")],
    }
    assert soup_of(root / "site" / "cases" / "2026-09-01-other-mia.html").find("section", id="other-cases") is None


def customer_page(site: Path, case_id: str) -> Path:
    page = site / "cases" / f"{case_id}.html"
    soup = soup_of(page)
    dt = next(dt for dt in soup.find_all("dt") if text(dt) == "Name")
    return link_target(page, dt.find_next_sibling("dd").find("a")["href"])


def test_customer_page_shows_total_compensation_and_value(project):
    root, cases = project
    for case_id, fm in cases.items():
        theirs = [c for c in cases.values() if key(c) == key(fm)]
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for c in theirs:
            for item in c.get("accommodation") or []:
                totals[(item.get("currency") or CURRENCY).upper()] += Decimal(str(item["amount"]))
        valued = sorted((c for c in theirs if c.get("customer_value") is not None),
                        key=lambda c: c["opened"])
        soup = soup_of(customer_page(root / "site", case_id))
        given = text(soup.find("dd", id="customer-compensation"))
        value = text(soup.find("dd", id="customer-value"))
        assert given == (" ".join(f"{totals[cur]:,.2f} {cur}" for cur in sorted(totals)) or "—")
        assert value == (f"{Decimal(str(valued[-1]['customer_value'])):,.2f} {CURRENCY}" if valued else "—")
    soup = soup_of(customer_page(root / "site", "2026-01-10-mia-bread"))
    assert text(soup.find("dd", id="customer-compensation")) == f"1,035.50 {CURRENCY} 5.00 USD"
    assert text(soup.find("dd", id="customer-value")) == f"1,200.50 {CURRENCY}"


def test_calendar_note_says_how_to_use_the_calendar(project):
    root, _ = project
    page = root / "site" / "followups.html"
    link = soup_of(page).find("a", href="followups.ics")
    assert link is not None and link_target(page, link["href"]).is_file()
    note = text(link.parent)
    assert "while python build.py serve runs" not in note
    assert "import" in note and "download" in note.lower()
    assert "where the site is hosted" in note


def test_context_pages_are_valid_html(project):
    root, _ = project
    site = root / "site"
    result = nu_check(*(site / "cases").glob("*.html"), *(site / "customers").glob("*.html"), site / "followups.html")
    assert result.returncode == 0, result.stderr + result.stdout
