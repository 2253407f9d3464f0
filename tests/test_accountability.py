"""Accountability: per team and per owner, all time and over the last 12 months, in the built pages.

A handful of cases written for this file; what each row should say is worked out here from their front
matter, by the rules the README states, never with amends.report; then read from the built HTML.
"""
from __future__ import annotations

import shutil
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from amends import cli
from amends.report import build as report_build
from amends.report.accountability import last_12_months
from conftest import REPO, link_target, shown_text, write_case
from test_browser import browser  # noqa: F401  (the same headless Chromium, as a fixture)
from test_print import print_to_pdf, words

TODAY = date(2026, 11, 22)
# The last 12 months as of TODAY: 23 Nov 2025 to 22 Nov 2026.
WINDOW = (date(2025, 11, 23), TODAY)
CURRENCY = "EUR"  # amends.yaml's


def case(title: str, opened: str, status: str, **more) -> dict:
    return {"title": title, "customer": {"name": f"Customer of {title}", "email": f"{title.replace(' ', '.')}@example.com"},
            "channel": "email", "opened": date.fromisoformat(opened), "status": status, **more}


def us(day: str) -> dict:
    return {"at": date.fromisoformat(day), "by": "us", "channel": "phone"}


def them(day: str) -> dict:
    return {"at": date.fromisoformat(day), "by": "customer", "channel": "email"}


CASES = {
    # Opened before the last 12 months, lost in them. Written "priya nair" and "kitchen": later cases name the groups.
    "k3": case("k three", "2025-10-01", "lost", resolved=date(2025, 11, 30), owner="priya nair", team="kitchen",
               category="Food quality", tags=["soup"], customer_value=400, prevention="The oven is checked every morning.",
               accommodation=[{"kind": "refund", "amount": 50}], contacts=[them("2025-10-02")],
               promises=[{"what": "Call back", "due": date(2025, 10, 3), "kept": False}]),
    # Opened before the 12 months, settled in them: it counts there as recovered, with its cost and days to resolve;
    # its promise was due in them. Linked by hand to k3, it is a repeat failure of all time only.
    "k4": case("k four", "2025-11-10", "recovered", resolved=date(2025, 12, 1), owner="Priya Nair", team="Kitchen",
               category="Service", customer_value=300, repeat_of="k3", accommodation=[{"kind": "replacement", "amount": 15}],
               contacts=[them("2025-11-10")], promises=[{"what": "Send a new one", "due": date(2025, 11, 25), "kept": True}]),
    "k1": case("k one", "2026-03-02", "recovered", resolved=date(2026, 3, 6), owner="Priya Nair", team="Kitchen",
               category="Food quality", tags=["oven"], customer_value=800, prevention="A second oven thermometer.",
               accommodation=[{"kind": "refund", "amount": "30.00"}, {"kind": "reimbursement", "amount": "12.50"}],
               contacts=[us("2026-03-04"), them("2026-03-05")],
               promises=[{"what": "Call back", "due": date(2026, 3, 4), "kept": True},
                         {"what": "Send the report", "due": date(2026, 3, 5), "kept": False}]),
    # The oven again, in the same team and category, after k1 promised a prevention: a repeat failure.
    "k2": case("k two", "2026-06-10", "lost", resolved=date(2026, 6, 20), owner="Tom Becker", team="Kitchen",
               category="food quality", tags=["oven"], customer_value="1500.50",
               accommodation=[{"kind": "credit", "amount": 20, "currency": "USD"}], contacts=[us("2026-06-13")],
               promises=[{"what": "Call back", "due": date(2026, 6, 12), "kept": True}]),
    # Lost with no resolved date: settled on the day it was opened. Priya's latest case: her group's name.
    "d2": case("d two", "2026-10-05", "lost", owner="Priya Nair", team="Delivery", category="Delivery problem",
               customer_value=90, contacts=[us("2026-10-09")]),
    # Linked by hand to k3: a repeat failure of Delivery and of Tom, though k3 was neither's.
    "d1": case("d one", "2026-11-01", "open", owner="Tom Becker", team="Delivery", category="Delivery problem",
               customer_value=250, repeat_of="k3",
               accommodation=[{"kind": "discount", "amount": 10}, {"kind": "credit", "amount": 5, "currency": "USD"}],
               promises=[{"what": "Deliver again", "due": date(2026, 11, 30)}]),
    # Still open, a year on.
    "d3": case("d three", "2025-11-20", "open", team="Delivery", category="Delivery problem", contacts=[them("2025-11-21")]),
    # Neither a team nor an owner; its promise has no due date, so counts on the day the case was opened.
    "n1": case("n one", "2026-09-01", "resolved", resolved=date(2026, 9, 3), accommodation=[{"kind": "refund", "amount": 5}],
               contacts=[them("2026-09-01"), us("2026-09-02")], promises=[{"what": "Refund the fee", "kept": True}]),
}
# By construction above: k2 repeats k1's oven, k4 and d1 repeat k3 by hand.
REPEATS = {"k2", "k4", "d1"}
NO_TEAM, NO_OWNER = "No team", "No owner"


def written(fm: dict) -> str:
    return "---\n" + yaml.safe_dump(fm, allow_unicode=True, sort_keys=False) + "---\nWhat happened.\n"


def build(root: Path, today: date, expect: int = 0) -> None:
    assert cli.main(["--root", str(root), "--today", today.isoformat(), "--quiet"]) == expect


def project(root: Path) -> Path:
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    (root / "cases").mkdir()
    for case_id, fm in CASES.items():
        write_case(root, f"{case_id}.md", written(fm))
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = project(tmp_path_factory.mktemp("accountability"))
    build(root, TODAY)
    return root / "site"


# --------------------------------------------------------------------------
# The oracle: each figure from the front matter, as the README defines it
# --------------------------------------------------------------------------
def money(amount, currency: str) -> str:
    return f"{Decimal(str(amount)):,.2f} {currency}"


def days(values: list[int]) -> str:
    return "—" if not values else f"{statistics.median(values):g}"


def expected(cases: list[dict], window: tuple[date, date] | None) -> dict[str, str]:
    """What a row shows of `cases`, for all time (None) or a window: each figure by the day it is about."""
    def within(day: date | None) -> bool:
        return day is not None and (window is None or window[0] <= day <= window[1])

    opened = [c for c in cases if within(c["opened"])]
    settled = [c for c in cases if within(c.get("resolved") or c["opened"])]
    recovered = sum(c["status"] == "recovered" for c in settled)
    lost = [c for c in settled if c["status"] == "lost"]
    value = [Decimal(str(c["customer_value"])) for c in lost if "customer_value" in c]
    given: dict[str, Decimal] = defaultdict(Decimal)
    for c in settled:
        for item in c.get("accommodation", []):
            given[item.get("currency", CURRENCY)] += Decimal(str(item["amount"]))
    first = [(c["contacts"][0]["at"] - c["opened"]).days for c in opened if c.get("contacts")]
    resolve = [(c["resolved"] - c["opened"]).days for c in cases if c["status"] != "open" and within(c.get("resolved"))]
    promised = [p["kept"] for c in cases for p in c.get("promises", []) if "kept" in p and within(p.get("due") or c["opened"])]
    decided = recovered + len(lost)
    return {
        "cases": str(len(opened)),
        "open": str(sum(c["status"] == "open" for c in opened)),
        "recovered": f"{round(100 * recovered / decided)}% ({recovered} of {decided})" if decided else "—",
        "lost": str(len(lost)),
        "value-lost": money(sum(value), CURRENCY) if value else "—",
        "compensation": " ".join(money(total, cur) for cur, total in sorted(given.items())) or "—",
        "first-contact": days(first),
        "resolve": days(resolve),
        "promises": f"{promised.count(True)} of {len(promised)}" if promised else "—",
        "repeats": str(sum(cid in REPEATS for cid, c in CASES.items() if c in opened)),
    }


def groups(field: str, none: str) -> dict[str, list[dict]]:
    """The cases by team or owner (upper and lower case alike), named as the latest case writes it; `none` for those without."""
    found: dict[str, list[dict]] = defaultdict(list)
    for c in CASES.values():
        found[str(c.get(field, "")).casefold()].append(c)
    named = {}
    for key, cases in found.items():
        latest = max(cases, key=lambda c: c["opened"])
        named[latest[field] if key else none] = cases
    return named


def check_the_cases_have_something_to_show() -> None:
    """The cases tell all time from the last 12 months, and every figure has something to show somewhere."""
    rows = {(field, name, window): expected(cases, window) for field, none in (("team", NO_TEAM), ("owner", NO_OWNER))
            for name, cases in groups(field, none).items() for window in (None, WINDOW)}
    for field in ("team", "owner"):
        assert any(rows[field, name, None] != rows[field, name, WINDOW] for f, name, _ in rows if f == field), field
    for figure in rows["team", "Kitchen", None]:
        assert any(row[figure] not in ("—", "0") for row in rows.values()), figure
    assert any("EUR" in row["compensation"] and "USD" in row["compensation"] for row in rows.values())
    assert any(row["first-contact"].endswith(".5") or row["resolve"].endswith(".5") for row in rows.values())


# --------------------------------------------------------------------------
# Reading the pages
# --------------------------------------------------------------------------
def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def index_rows(page: Path, table_id: str) -> dict[str, dict[str, str]]:
    """A table of an index: each row's name → each figure's text, and its link (`href`, None without)."""
    rows = {}
    for tr in soup_of(page).find(id=table_id).find("tbody").find_all("tr"):
        head, *cells = tr.find_all("td")
        a = head.find("a")
        rows[text(head)] = {"href": a["href"] if a else None, **{td["data-figure"]: text(td) for td in cells}}
    return rows


def own_rows(page: Path) -> list[dict[str, str]]:
    """A team's or owner's own table: each period's column, figure → text."""
    columns: list[dict[str, str]] = [{}, {}]
    for tr in soup_of(page).find(id="accountability").find("tbody").find_all("tr"):
        for column, td in zip(columns, tr.find_all("td")):
            column[td["data-figure"]] = text(td)
    return columns


SECTIONS = [("teams", "team", NO_TEAM), ("owners", "owner", NO_OWNER)]


# --------------------------------------------------------------------------
# 1. The figures
# --------------------------------------------------------------------------
@pytest.mark.parametrize("section, field, none", SECTIONS, ids=["teams", "owners"])
def test_each_index_shows_every_figure_of_every_group_for_both_periods(site, section, field, none):
    """Every team (owner) and the cases with none, all time and over the last 12 months, as worked out here."""
    check_the_cases_have_something_to_show()
    index = site / section / "index.html"
    for table_id, window in (("accountability-all", None), ("accountability-12-months", WINDOW)):
        shown = index_rows(index, table_id)
        want = {name: expected(cases, window) for name, cases in groups(field, none).items()}
        assert {name: {k: v for k, v in row.items() if k != "href"} for name, row in shown.items()} == want, table_id


@pytest.mark.parametrize("section, field, none", SECTIONS, ids=["teams", "owners"])
def test_each_group_page_shows_its_own_row_on_top_and_lists_exactly_its_cases(site, section, field, none):
    index = site / section / "index.html"
    for name, row in index_rows(index, "accountability-all").items():
        cases = groups(field, none)[name]
        if name == none:
            assert row["href"] is None  # the cases with none have no page of their own
            continue
        page = link_target(index, row["href"])
        soup = soup_of(page)
        assert text(soup.find("h1")) == f"{section[:-1].capitalize()}: {name}"
        main = soup.find("main")
        # On top: the figures, before the table of cases.
        assert main.find("table")["id"] == "accountability"
        assert own_rows(page) == [expected(cases, None), expected(cases, WINDOW)], name
        linked = {link_target(page, a["href"]).stem for a in main.find_all("a", href=True)
                  if "/cases/" in link_target(page, a["href"]).as_posix()}
        assert linked == {cid for cid, c in CASES.items() if c in cases}, name


def test_the_captions_say_which_period(site):
    """All time, and the last 12 months to the report's day (which status.css writes)."""
    for page in (site / "owners" / "index.html", site / "teams" / "index.html"):
        captions = [shown_text(page, soup_of(page).find(id=i).find("caption"))
                    for i in ("accountability-all", "accountability-12-months")]
        assert captions == ["All time", "Last 12 months as of 22 Nov 2026"]
    page = site / "owners" / "tom-becker.html"
    heads = [shown_text(page, th) for th in soup_of(page).find(id="accountability").find("thead").find_all("th")]
    assert heads == ["Figure", "All time", "Last 12 months as of 22 Nov 2026"]


def test_the_last_12_months_end_on_the_day_and_begin_the_day_after_it_a_year_before():
    assert (last_12_months(TODAY).start, last_12_months(TODAY).end) == WINDOW
    leap = last_12_months(date(2028, 2, 29))
    assert (leap.start, leap.end) == (date(2027, 3, 1), date(2028, 2, 29))


# --------------------------------------------------------------------------
# 2. Owners in the site
# --------------------------------------------------------------------------
def test_owners_are_in_the_navigation_and_linked_from_their_cases(site):
    for page in (site / "index.html", site / "cases" / "k1.html", site / "owners" / "priya-nair.html"):
        nav = soup_of(page).find("nav")
        assert [link_target(page, a["href"]) for a in nav.find_all("a") if text(a) == "Owners"] \
            == [(site / "owners" / "index.html").resolve()]
    for cid, c in CASES.items():
        page = site / "cases" / f"{cid}.html"
        owner = soup_of(page).find("dt", string="Owner").find_next_sibling("dd")
        a = owner.find("a")
        if "owner" not in c:
            assert a is None and text(owner) == "—"
            continue
        target = link_target(page, a["href"])
        assert target.parent == (site / "owners").resolve()
        # The case says the owner as its file writes it; the page is named as the owner's latest case writes it.
        assert text(a) == c["owner"]
        assert text(soup_of(target).find("h1")).casefold() == f"owner: {c['owner']}".casefold()
    # In a table of cases, the owner's cell links to the owner's page too.
    table = site / "cases" / "index.html"
    row = next(tr for tr in soup_of(table).find("tbody").find_all("tr") if tr.find("a", href="../cases/k1.html"))
    cell = row.find("td", attrs={"data-label": "Owner"})
    assert link_target(table, cell.find("a")["href"]) == (site / "owners" / "priya-nair.html").resolve()


# --------------------------------------------------------------------------
# 3. The pages' keys: a new day rewrites a team's or owner's page only when its last 12 months change
# --------------------------------------------------------------------------
def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_new_day_renders_the_pages_whose_last_12_months_change_and_only_those(tmp_path, monkeypatch):
    """The day is in no team's or owner's page key (status.css shows it), their figures are: a day on which a
    case leaves the last 12 months renders its team's and owner's pages and indexes again, as a clean build has them."""
    rendered: list[str] = []

    def recording(site_pages, *args, **kwargs):
        rendered.extend(page.path for page in site_pages)
        return render(site_pages, *args, **kwargs)

    render = report_build.render
    monkeypatch.setattr(report_build, "render", recording)
    root = project(tmp_path / "p")
    build(root, TODAY)
    held = [p for p in rendered if p.split("/")[0] in ("teams", "owners")]
    assert len(held) == 6
    # Nothing of the last 12 months changes tomorrow.
    rendered.clear()
    build(root, TODAY + timedelta(days=1))
    assert [p for p in rendered if p in held] == []

    # 1 Dec 2026: k3's loss (30 Nov 2025) and k4's recovery (1 Dec 2025) have left the last 12 months, and with them
    # figures of Kitchen and of Priya.
    day = date(2026, 12, 1)
    assert last_12_months(day).start == date(2025, 12, 2)
    rendered.clear()
    build(root, day)
    assert sorted(p for p in rendered if p in held) == ["owners/index.html", "owners/priya-nair.html",
                                                         "teams/index.html", "teams/kitchen.html"]
    clean = project(tmp_path / "clean")
    build(clean, day)
    assert site_files(root / "site") == site_files(clean / "site")
    kitchen = own_rows(root / "site" / "teams" / "kitchen.html")[1]
    assert kitchen == expected(groups("team", NO_TEAM)["Kitchen"], (last_12_months(day).start, day))


# --------------------------------------------------------------------------
# 4. On paper
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["teams/index.html", "owners/index.html", "owners/priya-nair.html"])
def test_the_tables_print_whole_on_a4(site, browser, tmp_path, name):  # noqa: F811
    """Every column lands on the paper, inside its right margin (20 mm), the last one's heading too."""
    text, _, boxes = print_to_pdf(browser, site / name, tmp_path / "page.pdf")
    assert "Repeat failures" in text and "Last 12 months as of 22 Nov 2026" in text
    outside = [w for w, _, _, right, _ in words(boxes) if right > 190.5]
    assert outside == []
