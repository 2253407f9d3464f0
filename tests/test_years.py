"""What grows with every case is split by year, so that one edit rewrites a bounded amount.

A generated project spanning four years (2023 to 2026), built through the command line: every case is
on exactly one year's table and in exactly one year's downloads; the downloads page lists every file
there is; an edit of an old case rewrites its own year's files and no other year's, and the result is
what a build from nothing makes; the overview's lists stop at a bound and link to the rest.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from amends import cli
from amends.cases.project import load_project
from amends.followups.review import review
from amends.report import build as report_build, contexts, exports
from amends.report.pages import size_text
from conftest import REPO, TODAY, link_target, nu_check, write_case

DAY = TODAY.isoformat()
NOON = datetime.combine(TODAY, time(12), ZoneInfo("Europe/Berlin"))  # the demo's time zone
INPUTS = ("cases", "templates", "amends.yaml")
SETTLED = {"sent": "sent", "done": "done", "skipped": "not sent"}  # as followups.html counts them

# A prevention that did not hold three times over, the later cases still open: the overview's list of
# repeats then has more than the bound the tests set.
PROMISED = """\
---
title: Rye loaves sliced too thin for the deli
customer:
  name: Dora Repeat
  email: dora.repeat@example.com
channel: email
opened: 2026-02-02
resolved: 2026-02-04
status: resolved
team: Slicing
category: Product quality
tags: [slicer-setting]
prevention: The slicer is set to 12 mm every morning and checked with the gauge.
---
"""
REPEAT = """\
---
title: Rye loaves sliced too thin again ({n})
customer:
  name: Dora Repeat
  email: dora.repeat@example.com
channel: email
opened: 2026-0{month}-10
status: open
team: Slicing
category: Product quality
tags: [slicer-setting]
---
"""


def build(root: Path) -> int:
    return cli.main(["--root", str(root), "--today", DAY])


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def site_bytes(root: Path) -> dict[str, bytes]:
    site = root / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def clean_build(root: Path) -> dict[str, bytes]:
    """The site a copy of the project's inputs builds with no cache at all."""
    fresh = Path(tempfile.mkdtemp(prefix="clean-", dir=root.parent))
    for name in INPUTS:
        (shutil.copytree if (root / name).is_dir() else shutil.copy2)(root / name, fresh / name)
    assert build(fresh) == 0
    files = site_bytes(fresh)
    shutil.rmtree(fresh)
    return files


def table_ids(page: Path) -> list[str]:
    """The ids of the cases in the rows of a page's table of cases, in order."""
    rows = soup_of(page).select("table.cases tbody tr")
    return [link_target(page, row.select_one("td.card-head a")["href"]).stem for row in rows]


def year_files(year: int) -> set[str]:
    """The files of a year, by their paths in the site: its downloads, its table, its follow-ups that are over."""
    return {f"cases-{year}.csv", f"cases-{year}.json", f"years/{year}.html", f"followups-{year}.html"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """120 generated cases opened from November 2023 on, and a prevention that did not hold three times; built once."""
    root = tmp_path_factory.mktemp("years") / "p"
    assert cli.main(["--root", str(REPO), "--today", DAY, "demo", "--cases", "120", "--out", str(root), "--seed", "7"]) == 0
    write_case(root, "2026-02-02-rye-sliced-thin.md", PROMISED)
    for n, month in enumerate((5, 7, 9)):
        write_case(root, f"2026-0{month}-10-rye-sliced-thin-again.md", REPEAT.format(n=n, month=month))
    assert build(root) == 0
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of the built project (its site and cache too), built once more where it now is: to change."""
    root = tmp_path / "p"
    shutil.copytree(built, root)
    assert build(root) == 0
    return root


def cases_by_year(root: Path) -> dict[int, list]:
    """The project's cases by the year they were opened, each year's in the project's order (by id)."""
    found: dict[int, list] = {}
    for case in load_project(root, TODAY).cases:
        found.setdefault(case.opened.year, []).append(case)
    return found


def test_the_project_spans_years(built: Path):
    assert sorted(cases_by_year(built)) == [2023, 2024, 2025, 2026]


def test_every_case_is_on_exactly_one_year_table_and_the_index_holds_what_is_in_hand(built: Path):
    site, by_year = built / "site", cases_by_year(built)
    assert sorted(p.name for p in (site / "years").iterdir()) == [f"{year}.html" for year in sorted(by_year)]
    seen: dict[str, list[int]] = {}
    for year, cases in by_year.items():
        page = site / "years" / f"{year}.html"
        ids = table_ids(page)
        newest_first = [c.id for c in sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)]
        assert ids == newest_first, page
        for case_id in ids:
            seen.setdefault(case_id, []).append(year)
        # Its filters offer only what its own cases have.
        teams = {o.get_text() for o in soup_of(page).select("select[name=team] option")} - {"all"}
        assert teams == {c.team for c in cases if c.team}, page
    assert seen == {c.id: [year] for year, cases in by_year.items() for c in cases}

    every = [c for cases in by_year.values() for c in cases]
    in_hand = {c.id for c in every if c.is_open or c.opened.year == TODAY.year}
    assert {c.id for c in every if c.is_open and c.opened.year < TODAY.year}, "no open case of an earlier year to show"
    index = site / "cases" / "index.html"
    assert sorted(table_ids(index)) == sorted(in_hand)
    # The index links every year's table, with its count.
    years = {a.get_text(): link_target(index, a["href"]) for a in soup_of(index).select("nav[aria-label='Cases by year'] a")}
    for year, cases in by_year.items():
        assert years[f"{year} ({len(cases)})"] == (site / "years" / f"{year}.html").resolve()


def test_each_years_downloads_hold_that_year_alone(built: Path):
    site, by_year = built / "site", cases_by_year(built)
    assert not (site / "cases.csv").exists() and not (site / "cases.json").exists()
    for year, cases in by_year.items():
        # The same columns and format as a file of these cases alone: each file is whole on its own.
        assert (site / f"cases-{year}.csv").read_bytes() == exports.cases_csv(cases), year
        assert (site / f"cases-{year}.json").read_bytes() == exports.cases_json(cases), year
        page = site / "years" / f"{year}.html"
        hrefs = {link_target(page, a["href"]) for a in soup_of(page).select("p.hint a[download]")}
        assert hrefs == {(site / f"cases-{year}.csv").resolve(), (site / f"cases-{year}.json").resolve()}


def check_downloads_page(site: Path) -> list[str]:
    """The downloads page lists exactly the downloads there are, each with its year, true size and count."""
    page = site / "downloads.html"
    there = sorted(p.name for p in site.iterdir() if p.suffix in (".csv", ".json", ".ics"))
    listed = []
    for row in soup_of(page).select("table.downloads tbody tr"):
        name, year, size, holds = (cell.get_text(" ", strip=True) for cell in row.find_all("td"))
        target = link_target(page, row.find("a")["href"])
        assert target == (site / name).resolve() and target.is_file(), name
        assert size == size_text(target.stat().st_size), name
        if name == "followups.ics":
            assert year == "—" and "still to go" in holds
        else:
            assert re.fullmatch(r"cases-(\d{4})\.(csv|json)", name).group(1) == year
            count = len(json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))["cases"])
            assert f"The {count} case{'s' if count != 1 else ''} opened in {year}" in holds, name
        listed.append(name)
    assert sorted(listed) == there
    return listed


def test_the_downloads_page_lists_every_file_there_is(built: Path):
    listed = check_downloads_page(built / "site")
    assert len(listed) == 1 + 2 * 4
    # It is linked from every page's footer, and from the index's hint.
    for page in ("index.html", "cases/index.html", "years/2024.html", "followups.html"):
        links = {link_target(built / "site" / page, a["href"]) for a in soup_of(built / "site" / page).select("footer a")}
        assert (built / "site" / "downloads.html").resolve() in links, page
    hint = built / "site" / "cases" / "index.html"
    assert (built / "site" / "downloads.html").resolve() in {link_target(hint, a["href"]) for a in soup_of(hint).select("p.hint a")}


def test_an_old_cases_edit_rewrites_its_years_files_and_no_other_years(project: Path, monkeypatch):
    by_year = cases_by_year(project)
    case = next(c for c in by_year[2024] if not c.is_open)
    before = site_bytes(project)
    path = project / case.path
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^title: .*$", 'title: "Edited in its own year VY4"', text, count=1, flags=re.M), encoding="utf-8")
    # What the build makes (a few dozen cases a year: all of it in this process, none in workers).
    made, rendered = [], []
    for name in ("csv_line", "cases_csv", "cases_json"):
        real = getattr(exports, name)
        monkeypatch.setattr(exports, name, lambda *args, real=real, name=name: made.append((name, args[0])) or real(*args))
    render = report_build.render
    monkeypatch.setattr(report_build, "render", lambda todo, *rest: rendered.extend(p.path for p in todo) or render(todo, *rest))

    assert build(project) == 0
    after = site_bytes(project)
    # Only the edited case's row is made again, and only its year's files are joined from the rows.
    assert [(name, arg.id) for name, arg in made if name == "csv_line"] == [("csv_line", case.id)]
    assert [(name, {c.opened.year for c in arg}) for name, arg in made if name != "csv_line"] == \
        [("cases_csv", {2024}), ("cases_json", {2024})]
    assert "years/2024.html" in rendered
    for year in (2023, 2025, 2026):
        assert not set(rendered) & year_files(year), year
    assert "cases/index.html" not in rendered

    assert after == clean_build(project)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert {"cases-2024.csv", "cases-2024.json", "years/2024.html"} <= changed
    for year in (2023, 2025, 2026):
        assert not changed & year_files(year), year
    # Neither open nor of this year, and none of its follow-ups still to go: the index and followups.html stay.
    assert "cases/index.html" not in changed and "followups.html" not in changed
    assert "Edited in its own year VY4" in after["years/2024.html"].decode()
    check_downloads_page(project / "site")


def test_a_year_left_without_cases_leaves_no_files(project: Path):
    by_year = cases_by_year(project)
    for case in by_year[2023]:
        (project / case.path).unlink()
    assert build(project) == 0
    site = project / "site"
    assert site_bytes(project) == clean_build(project)
    assert not any((site / name).exists() for name in year_files(2023))
    assert [name for name in check_downloads_page(site) if "2023" in name] == []
    index = site / "cases" / "index.html"
    assert "2023" not in soup_of(index).select_one("nav[aria-label='Cases by year']").get_text()


def attention(page: Path, list_id: str) -> tuple[int, int, BeautifulSoup | None]:
    """A list of the overview: the count in its heading, the items it shows, and its "and N more" line."""
    soup = soup_of(page)
    items = soup.find("ul", id=list_id)
    heading = items.find_previous("h3")
    count = int(re.search(r"\((\d+)\)$", heading.get_text()).group(1))
    more = items.find_next_sibling("p", class_="more")
    return count, len(items.find_all("li", recursive=False)), more


def test_the_overviews_lists_stop_at_a_bound_and_link_to_the_rest(project: Path, monkeypatch):
    monkeypatch.setattr(contexts, "OVERVIEW_ROWS", 1)
    # From nothing: the bound is no input of a page's key, the code that sets it is.
    assert cli.main(["--root", str(project), "--today", DAY, "build", "--clean"]) == 0
    site = project / "site"
    home = site / "index.html"
    state = review(project, NOON)
    targets = {}
    for list_id in ("attention-open", "attention-promises", "attention-followups", "attention-tasks", "attention-repeats"):
        count, shown, more = attention(home, list_id)
        assert count > 1, f"{list_id} has too few items for this test to say much"
        assert shown == 1, list_id
        assert more is not None and more.get_text(" ", strip=True).startswith(f"and {count - 1} more "), list_id
        targets[list_id] = link_target(home, more.find("a")["href"])
        assert targets[list_id].is_file(), list_id

    # Each link leads to a page with the whole list.
    open_ids = {c.id for c in state.project.cases if c.is_open}
    assert open_ids <= set(table_ids(targets["attention-open"]))
    count, _, _ = attention(home, "attention-promises")
    assert len(soup_of(targets["attention-promises"]).select("main ul.attention > li")) == count
    followups = soup_of(targets["attention-followups"]).find("main")
    for item in state.prepared:
        f = item.followup
        if not f.is_task and f.state in contexts.ATTENTION_STATES and (f.state != "due" or f.due_at.date() <= TODAY):
            assert followups.find("section", attrs={"aria-labelledby": f.state}).find(
                "a", href=f"cases/{f.case.id}.html"), f.key
    count, _, _ = attention(home, "attention-tasks")
    assert len(soup_of(targets["attention-tasks"]).select("section[aria-labelledby=due] ul.tasks > li")) == count
    repeats = soup_of(targets["attention-repeats"]).select("#repeats-h ~ ul.repeats > li")
    count, _, _ = attention(home, "attention-repeats")
    assert len(repeats) >= count

    result = nu_check(home, targets["attention-promises"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_settled_follow_ups_are_on_their_years_page(built: Path):
    """followups.html holds what needs a person and what is still to go; what is over is on the page of the
    year it was due, counted on followups.html."""
    site = built / "site"
    state = review(built, NOON)
    main = soup_of(site / "followups.html").find("main")
    for state_name in SETTLED:
        assert main.find("section", attrs={"aria-labelledby": state_name}) is None
    years: dict[int, dict[str, int]] = {}
    for item in state.prepared:
        f = item.followup
        if f.state in SETTLED:
            counts = years.setdefault(f.due_at.astimezone(NOON.tzinfo).year, {})
            counts[f.state] = counts.get(f.state, 0) + 1
    assert len(years) > 1
    assert sorted(p.name for p in site.glob("followups-*.html")) == sorted(f"followups-{y}.html" for y in years)
    links = {a.get_text().split(":")[0]: a.get_text() for a in main.select("nav[aria-label='Follow-ups over, by year'] a")}
    for year, counts in years.items():
        page = soup_of(site / f"followups-{year}.html").find("main")
        for state_name, count in counts.items():
            heading = page.find("h2", id=state_name)
            assert heading is not None and heading.get_text().endswith(f"({count})"), (year, state_name)
            assert f"{count} {SETTLED[state_name]}" in links[str(year)], (year, state_name)


def test_the_year_pages_are_valid_html(built: Path):
    site = built / "site"
    result = nu_check(site / "downloads.html", site / "cases" / "index.html", *(site / "years").glob("*.html"),
                      site / "followups.html", *site.glob("followups-*.html"), site / "promises.html")
    assert result.returncode == 0, result.stdout + result.stderr
