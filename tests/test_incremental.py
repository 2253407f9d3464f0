"""The build cache (.amends-cache/) can never make the site wrong.

Every test here works through the command line only: build once (which warms
the cache), change something, build again in place, and demand the very bytes
a build of a fresh copy of the project, with no cache at all, produces. How
the build skips unchanged work is none of these tests' business; that it never
skips work it needed to do is. The only internal thing touched is the cache's
store, whose entries and file are damaged in place to show that damage is noticed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import random
import re
import multiprocessing
import shutil
import signal
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from amends import cli
from amends.cases.config import load_config
from amends.cases.project import load_project
from amends.followups.review import review
from amends.incremental import workers
from amends.incremental.cache import STORE
from amends.incremental.output import Writer
from amends.report.build import build_site
from amends.report.pages import followup_digest
from amends.report.views import overdue
from conftest import REPO

DAY = "2026-11-22"
NEXT_DAY = "2026-11-23"
CACHE = ".amends-cache"
# The project's inputs; site/ and the cache are outputs.
INPUTS = ("cases", "templates", "amends.yaml", "outbox")

# Sample cases used by name (they are shipped in REPO/cases).
OPEN_CASE = "2026-11-18-short-vegan-catering-portions"  # open, listed on the home page
OTHER_CASE = "2026-11-19-step-at-entrance"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def build(root: Path, today: str = DAY, *extra: str) -> int:
    return cli.main(["--root", str(root), "--today", today, *extra])


def site_bytes(root: Path) -> dict[str, bytes]:
    """Every file under site/, by its path there."""
    site = root / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def inputs_digest(root: Path) -> str:
    """A digest of every input file, to recognise a project already built clean."""
    h = hashlib.sha256()
    for name in INPUTS:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for path in files:
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


_CLEAN: dict[tuple[str, str], tuple[int, dict[str, bytes]]] = {}


def clean_build(root: Path, today: str = DAY, expect: int = 0) -> dict[str, bytes]:
    """The site a fresh copy of the project's inputs builds with no cache; its exit status must be `expect`.

    Identical inputs give an identical clean build, so one is remembered per
    digest of the inputs (and day) to keep the suite quick.
    """
    memo = (inputs_digest(root), today)
    if memo not in _CLEAN:
        fresh = Path(tempfile.mkdtemp(prefix="clean-", dir=root.parent))
        for name in INPUTS:
            source = root / name
            if source.is_dir():
                shutil.copytree(source, fresh / name)
            elif source.is_file():
                shutil.copy2(source, fresh / name)
        assert not (fresh / CACHE).exists() and not (fresh / "site").exists()
        status = build(fresh, today)
        _CLEAN[memo] = (status, site_bytes(fresh))
        shutil.rmtree(fresh)
    status, files = _CLEAN[memo]
    assert status == expect, f"the clean build exited {status}, expected {expect}"
    return files


def differences(got: dict[str, bytes], want: dict[str, bytes]) -> str:
    extra = sorted(set(got) - set(want))
    missing = sorted(set(want) - set(got))
    changed = sorted(k for k in set(got) & set(want) if got[k] != want[k])
    def names(found: list[str]) -> str:
        return f"{len(found)} {found[:25]}{' …' if len(found) > 25 else ''}"
    return (f"files only in the incremental build: {names(extra)}; only in the clean build: {names(missing)}; "
            f"different: {names(changed)}")


def assert_same_site(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert got == want, differences(got, want)


def text(root: Path, page: str) -> str:
    return (root / "site" / page).read_text(encoding="utf-8")


def case_file(root: Path, case_id: str) -> Path:
    path = root / "cases" / f"{case_id}.md"
    assert path.is_file(), path
    return path


def group_links(root: Path, case_id: str) -> dict[str, list[str]]:
    """The group pages (categories/…, teams/…, tags/…, customers/…) a case's page links to, by section."""
    html = text(root, f"cases/{case_id}.html")
    out: dict[str, list[str]] = {}
    for section, slug in re.findall(r'href="\.\./(categories|teams|tags|customers)/([^"/]+)\.html"', html):
        if slug != "index":
            out.setdefault(section, [])
            if f"{section}/{slug}.html" not in out[section]:
                out[section].append(f"{section}/{slug}.html")
    return out


def cases_linked(root: Path, page: str) -> set[str]:
    """The ids of the case pages a page links to."""
    return {m for m in re.findall(r'href="(?:\.\./)?cases/([^"/]+)\.html"', text(root, page)) if m != "index"}


def html_pages(files: dict[str, bytes]) -> list[str]:
    """The pages amends renders itself (not the copied assets)."""
    return [k for k in files if k.endswith(".html") and k.split("/")[0] != "assets"]


def set_front_matter_line(path: Path, key: str, value: str) -> None:
    """Replace the top-level `key:` line of a case file's front matter."""
    old = path.read_text(encoding="utf-8")
    new, n = re.subn(rf"^{key}:.*$", f"{key}: {value}", old, count=1, flags=re.M)
    assert n == 1, f"no {key}: line in {path}"
    path.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------
# The project: 60 generated cases and the samples
# --------------------------------------------------------------------------
def make_project(out: Path) -> Path:
    assert cli.main(["--root", str(REPO), "--today", DAY, "demo", "--cases", "60", "--out", str(out), "--seed", "3"]) == 0
    for path in sorted((REPO / "cases").glob("*.md")):
        shutil.copy(path, out / "cases" / path.name)
    # The files two samples keep, beside those of the demo's cases.
    shutil.copytree(REPO / "cases" / "attachments", out / "cases" / "attachments", dirs_exist_ok=True)
    assert (out / "amends.yaml").is_file() and (out / "templates" / "site" / "case.html").is_file()
    assert len(list((out / "cases").glob("*.md"))) == 60 + len(list((REPO / "cases").glob("*.md")))
    return out


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> Path:
    """The project, built once for the whole module (a full build is the slow part)."""
    root = make_project(tmp_path_factory.mktemp("template") / "p")
    assert build(root) == 0
    return root


@pytest.fixture
def warm(built_once: Path, tmp_path: Path) -> Path:
    """A copy of the built project (site/ and cache too), built once more where it now is.

    That build warms the cache in this folder whatever the cache makes of
    having been moved, and must leave the site as a clean build makes it.
    """
    root = tmp_path / "p"
    shutil.copytree(built_once, root)
    assert build(root) == 0
    assert (root / CACHE).is_dir(), "the build left no cache"
    assert_same_site(site_bytes(root), clean_build(root))
    return root


# --------------------------------------------------------------------------
# 1. A case edited
# --------------------------------------------------------------------------
def test_edited_case_matches_clean_build(warm: Path):
    root = warm
    new_title = "Vegan headcount change lost in the general inbox QZ7"
    paragraph = "A paragraph appended by the test, marker KP4."
    path = case_file(root, OPEN_CASE)
    set_front_matter_line(path, "title", new_title)
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{paragraph}\n", encoding="utf-8")

    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))

    groups = group_links(root, OPEN_CASE)
    for section in ("categories", "teams", "customers"):
        assert len(groups.get(section, [])) == 1, f"the case page should link one {section} page: {groups}"
    pages = [f"cases/{OPEN_CASE}.html", "cases/index.html", "index.html",
             groups["categories"][0], groups["teams"][0], groups["customers"][0]]
    for page in pages:
        assert new_title in text(root, page), f"the edited title is missing from {page}"
    assert paragraph in text(root, f"cases/{OPEN_CASE}.html")


# --------------------------------------------------------------------------
# 2. A case added
# --------------------------------------------------------------------------
NEW_CASE_ID = "2026-11-12-test-added-case"
NEW_CASE = """\
---
title: Added case about stale rolls XN3
customer:
  name: Petra Addedcase
  email: petra.addedcase@example.com
channel: email
opened: 2026-11-12
resolved: 2026-11-17
status: resolved
category: Test category XN3
team: Test team XN3
tags: [test-tag-xn3, catering]
---
The rolls were stale. Added by the test.
"""


def test_added_case_matches_clean_build(warm: Path):
    root = warm
    (root / "cases" / f"{NEW_CASE_ID}.md").write_text(NEW_CASE, encoding="utf-8")

    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))

    assert "Added case about stale rolls XN3" in text(root, f"cases/{NEW_CASE_ID}.html")
    assert NEW_CASE_ID in cases_linked(root, "cases/index.html")
    groups = group_links(root, NEW_CASE_ID)
    for section in ("categories", "teams", "tags", "customers"):
        assert groups.get(section), f"the new case's page links no {section} page: {groups}"
        for page in groups[section]:
            assert NEW_CASE_ID in cases_linked(root, page), f"{page} does not list the new case"
    # Resolved on 17 November: it has follow-ups.
    assert NEW_CASE_ID in cases_linked(root, "followups.html"), "the new case's follow-ups are not listed"


# --------------------------------------------------------------------------
# 3. A case deleted
# --------------------------------------------------------------------------
def test_deleted_case_and_its_own_groups_are_gone(warm: Path):
    root = warm
    path = case_file(root, OPEN_CASE)
    source = path.read_text(encoding="utf-8")
    new, n = re.subn(r"^tags: \[", "tags: [only-here-tag-w9, ", source, count=1, flags=re.M)
    assert n == 1
    path.write_text(new, encoding="utf-8")
    assert build(root) == 0  # warms the cache with the unique tag

    groups = group_links(root, OPEN_CASE)
    assert "tags/only-here-tag-w9.html" in groups.get("tags", []), groups
    pages = [page for section in groups.values() for page in section]
    only_mine = [page for page in pages if cases_linked(root, page) == {OPEN_CASE}]
    shared = [page for page in pages if page not in only_mine]
    assert "tags/only-here-tag-w9.html" in only_mine
    assert shared, "the case should share some group with another case"

    path.unlink()
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))

    files = site_bytes(root)
    assert f"cases/{OPEN_CASE}.html" not in files
    for page in only_mine:
        assert page not in files, f"{page} was used only by the deleted case and should be gone"
    for page in shared:
        assert page in files and OPEN_CASE not in cases_linked(root, page), page
    for page in html_pages(files):
        assert OPEN_CASE not in cases_linked(root, page), f"{page} still links the deleted case"


def test_case_file_renamed_as_it_is_matches_clean_build(warm: Path):
    """Same bytes, another name: another id, whose page every table, group and the overview link instead."""
    root = warm
    renamed = f"{OPEN_CASE}-renamed"
    case_file(root, OPEN_CASE).rename(root / "cases" / f"{renamed}.md")
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))
    files = site_bytes(root)
    assert not [page for page in html_pages(files) if OPEN_CASE in cases_linked(root, page)]
    assert renamed in cases_linked(root, "cases/index.html") and renamed in cases_linked(root, "index.html")


# --------------------------------------------------------------------------
# 4. A case made invalid
# --------------------------------------------------------------------------
def test_case_made_invalid_matches_clean_build(warm: Path):
    root = warm
    path = case_file(root, OTHER_CASE)
    source = path.read_text(encoding="utf-8")
    new, n = re.subn(r"^title:", "titel:", source, count=1, flags=re.M)
    assert n == 1
    path.write_text(new, encoding="utf-8")

    assert build(root) == 1
    assert_same_site(site_bytes(root), clean_build(root, expect=1))

    problems = text(root, "problems.html")
    assert f"cases/{OTHER_CASE}.md" in problems, "problems.html does not name the broken case file"
    assert "titel" in problems, "problems.html does not name the misspelled key"
    assert f"cases/{OTHER_CASE}.html" not in site_bytes(root)
    assert OTHER_CASE not in cases_linked(root, "cases/index.html")


# --------------------------------------------------------------------------
# 5. A template edited
# --------------------------------------------------------------------------
def test_edited_template_matches_clean_build(warm: Path):
    root = warm
    sentence = "This sentence was added to the case template by the test."
    template = root / "templates" / "site" / "case.html"
    source = template.read_text(encoding="utf-8")
    assert source.count("{% block main %}") == 1
    template.write_text(source.replace("{% block main %}", "{% block main %}\n<p>" + sentence + "</p>"), encoding="utf-8")

    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))

    case_pages = [k for k in site_bytes(root) if k.startswith("cases/") and k != "cases/index.html"]
    assert len(case_pages) == len(list((root / "cases").glob("*.md")))
    for page in case_pages:
        assert sentence in text(root, page), f"{page} does not show the edited template"
    assert sentence not in text(root, "cases/index.html")


# --------------------------------------------------------------------------
# 6. amends.yaml edited
# --------------------------------------------------------------------------
def test_business_name_changed_is_on_every_page(warm: Path):
    root = warm
    settings = root / "amends.yaml"
    old = settings.read_text(encoding="utf-8")
    new, n = re.subn(r"^(  name:) .*$", r"\1 Quayside Test Bakery YV8", old, count=1, flags=re.M)
    assert n == 1
    settings.write_text(new, encoding="utf-8")

    assert build(root) == 0
    files = site_bytes(root)
    assert_same_site(files, clean_build(root))

    pages = html_pages(files)
    assert len(pages) > 100
    missing = [page for page in pages if "Quayside Test Bakery YV8" not in text(root, page)]
    assert not missing, f"the new business name is missing from {missing}"


def test_attention_days_changed_matches_clean_build(warm: Path):
    root = warm
    before = text(root, "index.html")
    settings = root / "amends.yaml"
    old = settings.read_text(encoding="utf-8")
    new, n = re.subn(r"^attention_days: \d+", "attention_days: 2", old, count=1, flags=re.M)
    assert n == 1
    settings.write_text(new, encoding="utf-8")

    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))
    after = text(root, "index.html")
    assert after != before, "changing attention_days changed nothing on the home page"
    assert "over 2 days" in after


def test_currency_changed_matches_clean_build(warm: Path):
    """The settings also shape the cases themselves (an amount with no currency is in the default one)."""
    root = warm
    settings = root / "amends.yaml"
    old = settings.read_text(encoding="utf-8")
    new, n = re.subn(r"^currency: EUR$", "currency: GBP", old, count=1, flags=re.M)
    assert n == 1
    settings.write_text(new, encoding="utf-8")
    before = site_bytes(root)

    assert build(root) == 0
    files = site_bytes(root)
    assert_same_site(files, clean_build(root))
    changed_cases = [k for k in files if k.startswith("cases/") and k != "cases/index.html" and files[k] != before.get(k)]
    assert changed_cases, "no case page changed with the currency"


# --------------------------------------------------------------------------
# 7. The ledger changed
# --------------------------------------------------------------------------
def sent_pages(root: Path) -> list[str]:
    """The pages of follow-ups over (sent, done, not sent), one per year they were due."""
    return sorted(p.name for p in (root / "site").glob("followups-*.html"))


def sent_count(root: Path) -> int:
    found = [re.search(r'id="sent">Sent \((\d+)\)', text(root, page)) for page in sent_pages(root)]
    return sum(int(m.group(1)) for m in found if m)


def test_ledger_changed_matches_clean_build(warm: Path, capsys):
    root = warm
    before = sent_count(root)
    capsys.readouterr()
    # 22 November 2026 is a Sunday, outside the send window: send on the Friday before.
    # Exit 1: the samples also have a letter to post and a post to answer, which need a person.
    assert cli.main(["--root", str(root), "--now", "2026-11-20T16:00", "send"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^  due\s+\S+ (letter|social):", out, flags=re.M), out
    sent = re.findall(r"^sent\s+(\S+)\s+(\S+)", out, flags=re.M)
    assert sent, "the send pass sent nothing, so this test would test nothing"
    assert (root / "outbox" / "ledger.jsonl").is_file()

    assert build(root) == 0
    files = site_bytes(root)
    assert_same_site(files, clean_build(root))

    assert sent_count(root) == before + len(sent)
    # Sent on 20 November 2026: over, so on the page of 2026, and no longer among those to act on or still to go.
    assert 'id="sent"' not in text(root, "followups.html")
    page = text(root, "followups-2026.html")
    section = page[page.index('id="sent"'):page.index("</section>", page.index('id="sent"'))]
    for case_id, kind in sent:
        assert f"cases/{case_id}.html" in section, f"{case_id} {kind} is not shown as sent"
    assert sum(k.startswith("messages/") and k.endswith(".eml") for k in files) >= len(sent)


# --------------------------------------------------------------------------
# 8. The day changed
# --------------------------------------------------------------------------
def test_next_day_matches_clean_build_for_that_day(warm: Path):
    root = warm
    first = site_bytes(root)
    assert build(root, NEXT_DAY) == 0
    files = site_bytes(root)
    assert_same_site(files, clean_build(root, NEXT_DAY))
    assert files != first, "the site did not change with the day"


def test_case_dated_tomorrow_becomes_valid_the_next_day(warm: Path):
    """Whether a case is valid depends on the day: a case opened tomorrow is a problem today only."""
    root = warm
    case_id = "2026-11-23-opened-tomorrow"
    source = NEW_CASE.replace("Added case about stale rolls XN3", "Opened on the next day LM2") \
        .replace("opened: 2026-11-12\nresolved: 2026-11-17\nstatus: resolved", "opened: 2026-11-23\nstatus: open")
    assert "opened: 2026-11-23" in source
    (root / "cases" / f"{case_id}.md").write_text(source, encoding="utf-8")

    assert build(root) == 1
    assert_same_site(site_bytes(root), clean_build(root, expect=1))
    assert f"cases/{case_id}.md" in text(root, "problems.html")
    assert f"cases/{case_id}.html" not in site_bytes(root)

    assert build(root, NEXT_DAY) == 0
    assert_same_site(site_bytes(root), clean_build(root, NEXT_DAY))
    assert "Opened on the next day LM2" in text(root, f"cases/{case_id}.html")


def followups_as_of(root: Path, day: str) -> dict[str, list[str]]:
    """What each case page shows of its follow-ups as of noon on `day`, by case id."""
    zone = ZoneInfo(load_config(root / "amends.yaml")[0].timezone)
    state = review(root, datetime.combine(date.fromisoformat(day), time(12), zone))
    out: dict[str, list[str]] = {}
    for item in state.prepared:
        out.setdefault(item.followup.case.id, []).append(followup_digest(item))
    return out


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def test_a_new_day_rewrites_only_the_pages_that_show_the_day(warm: Path, capsys):
    """The day is no input of a page that does not show it: a case whose follow-ups and promises read the
    same tomorrow keeps its page, and so does every group's page; the day itself is in assets/status.css."""
    root = warm
    before, shown = site_bytes(root), {day: followups_as_of(root, day) for day in (DAY, NEXT_DAY)}
    capsys.readouterr()
    assert build(root, NEXT_DAY) == 0
    after = site_bytes(root)
    changed = changed_files(before, after)
    assert f"({len(changed)} files changed)" in capsys.readouterr().out

    project = load_project(root, date.fromisoformat(DAY))
    the_day = date.fromisoformat(DAY), date.fromisoformat(NEXT_DAY)
    steady = [c.id for c in project.cases if shown[DAY].get(c.id) == shown[NEXT_DAY].get(c.id)
              and [overdue(p, c, the_day[0]) for p in c.promises] == [overdue(p, c, the_day[1]) for p in c.promises]]
    assert len(steady) > len(project.cases) // 2, "too few cases read the same on both days for this test to say much"
    assert sorted(changed & {f"cases/{case_id}.html" for case_id in steady}) == []
    assert sorted(p for p in changed if p.split("/")[0] in ("categories", "teams", "tags", "customers")
                  and not p.endswith("/index.html")) == []
    assert "assets/status.css" in changed and "23 Nov 2026" in after["assets/status.css"].decode()
    assert "index.html" in changed  # the overview shows ages


def test_a_case_for_a_new_customer_rewrites_no_other_case_or_group_page(warm: Path):
    """A new customer, team, category and tag: their pages are new, and no page of another case or group
    is rewritten, though every page links to the group indexes."""
    root = warm
    before = site_bytes(root)
    (root / "cases" / f"{NEW_CASE_ID}.md").write_text(NEW_CASE, encoding="utf-8")
    assert build(root) == 0
    after = site_bytes(root)
    assert_same_site(after, clean_build(root))

    changed = changed_files(before, after)
    joined = {page for pages in group_links(root, NEW_CASE_ID).values() for page in pages}
    assert {"customers", "teams", "categories", "tags"} <= {page.split("/")[0] for page in joined}
    assert sorted(p for p in changed if p.startswith("cases/") and p != "cases/index.html") == [f"cases/{NEW_CASE_ID}.html"]
    assert sorted(p for p in changed if p.split("/")[0] in ("categories", "teams", "tags", "customers")
                  and not p.endswith("/index.html") and p not in joined) == []


# --------------------------------------------------------------------------
# 9. A damaged cache
# --------------------------------------------------------------------------
def truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flip_byte(data: bytes) -> bytes:
    at = len(data) // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def random_bytes(data: bytes) -> bytes:
    return random.Random(len(data)).randbytes(max(len(data), 64))


def wrong_structure(data: bytes) -> bytes:
    return pickle.dumps({"x": 1})


def store(root: Path) -> Path:
    return root / CACHE / STORE


def entries(root: Path) -> list[str]:
    """The names of the cache's entries, as the store lists them."""
    with closing(sqlite3.connect(store(root))) as db:
        return [name for (name,) in db.execute("SELECT name FROM entries ORDER BY name")]


def damage_entry(root: Path, name: str, damage) -> None:
    """Damage the stored value of one entry in place, leaving its key and checksum as they were."""
    with closing(sqlite3.connect(store(root))) as db, db:
        (value,) = db.execute("SELECT value FROM entries WHERE name = ?", (name,)).fetchone()
        damaged = damage(value)
        assert damaged != value
        db.execute("UPDATE entries SET value = ? WHERE name = ?", (damaged, name))


@pytest.mark.parametrize("damage", [truncate, flip_byte, random_bytes, wrong_structure],
                         ids=["truncated", "flipped-byte", "random-bytes", "wrong-structure"])
def test_damaged_cache_entry_is_never_trusted(warm: Path, damage):
    root = warm
    want = clean_build(root)
    names = entries(root)
    assert names, "the warm build left no entry in the cache"
    for name in names:
        damage_entry(root, name, damage)
        status = build(root)
        assert status == 0, f"with {name} damaged the build exited {status}"
        assert_same_site(site_bytes(root), want)
        # And the build after that, whatever it made of the damaged entry, is right too.
        assert build(root) == 0
        assert_same_site(site_bytes(root), want)


def test_damaged_cache_entry_with_a_change_to_build(warm: Path):
    """Damage every entry, then edit a case: the new work must not lean on the damaged entries."""
    root = warm
    for name in entries(root):
        damage_entry(root, name, wrong_structure)
    path = case_file(root, OTHER_CASE)
    set_front_matter_line(path, "title", "Step at the entrance, edited with a damaged cache")
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))
    assert "Step at the entrance, edited with a damaged cache" in text(root, f"cases/{OTHER_CASE}.html")


@pytest.mark.parametrize("damage", [truncate, flip_byte, random_bytes],
                         ids=["truncated", "flipped-byte", "random-bytes"])
def test_damaged_cache_store_is_never_trusted(warm: Path, damage, caplog):
    """Damage the store's file as a whole, then edit a case: each build warns once at most, and is right."""
    root = warm
    store(root).write_bytes(damage(store(root).read_bytes()))
    path = case_file(root, OTHER_CASE)
    set_front_matter_line(path, "title", "Step at the entrance, edited with a damaged store")
    for attempt in (1, 2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert build(root) == 0
        assert_same_site(site_bytes(root), clean_build(root))
        unusable = [r.getMessage() for r in caplog.records if "cannot be used" in r.getMessage()]
        assert len(unusable) <= 1, unusable
        if damage is random_bytes:  # no part of it can be read as a store: the first build says so, the next does not
            assert len(unusable) == (1 if attempt == 1 else 0), unusable
    assert "Step at the entrance, edited with a damaged store" in text(root, f"cases/{OTHER_CASE}.html")


def test_a_build_killed_after_writing_leaves_no_record_to_trust(warm: Path, monkeypatch):
    """A build killed once its files are written but before it recorded them, its edit then undone: the next
    build must not take the killed build's pages for the ones recorded before it (same size, other words)."""
    root = warm
    path = case_file(root, OPEN_CASE)
    original, page = path.read_text(encoding="utf-8"), root / "site" / "cases" / f"{OPEN_CASE}.html"
    title = "Company lunch short of vegan portions"
    before = page.read_bytes()
    set_front_matter_line(path, "title", title[::-1])
    monkeypatch.setattr(Writer, "remove_rest", lambda self: os.kill(os.getpid(), signal.SIGKILL))
    killed = multiprocessing.get_context("fork").Process(target=build, args=(root,))
    killed.start()
    killed.join()
    assert killed.exitcode == -signal.SIGKILL
    monkeypatch.undo()
    after = page.read_bytes()
    assert title[::-1].encode() in after and title.encode() in before and len(after) == len(before)

    path.write_text(original, encoding="utf-8")
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))


# --------------------------------------------------------------------------
# 10. build --clean
# --------------------------------------------------------------------------
def test_clean_build_command_gives_the_incremental_site(warm: Path):
    root = warm
    path = case_file(root, OPEN_CASE)
    set_front_matter_line(path, "title", "Edited before a clean build RT5")
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more paragraph RT5.\n", encoding="utf-8")
    assert build(root) == 0
    incremental = site_bytes(root)
    assert "Edited before a clean build RT5" in text(root, f"cases/{OPEN_CASE}.html")

    assert build(root, DAY, "build", "--clean") == 0
    assert_same_site(site_bytes(root), incremental)
    assert_same_site(incremental, clean_build(root))


# --------------------------------------------------------------------------
# 11. Nothing changed
# --------------------------------------------------------------------------
def test_unchanged_project_rebuild_writes_no_file(warm: Path):
    root = warm
    site = root / "site"
    old = 1_000_000_000 * 10**9  # 2001: any write now shows
    for path in site.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(old, old))
    before = {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    assert len(before) > 300

    assert build(root) == 0
    after = {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    assert sorted(after) == sorted(before), differences(dict.fromkeys(after, b""), dict.fromkeys(before, b""))
    rewritten = sorted(name for name in before if after[name] != before[name])
    assert not rewritten, f"an unchanged project's build rewrote {len(rewritten)} files: {rewritten[:25]}"
    assert_same_site(site_bytes(root), clean_build(root))


# --------------------------------------------------------------------------
# 12. serve and schedule: the cache kept in memory between builds
# --------------------------------------------------------------------------
def test_builds_sharing_memory_reuse_it_and_match_clean_builds(warm: Path, monkeypatch):
    """Builds of one long-running command unpickle nothing they saved themselves, yet see every change.

    The second build after an edit takes every cache entry from memory; a
    build by another process in between (which rewrites the store's entries)
    makes the next one read them again rather than trust what it remembers.
    """
    from datetime import date, datetime, time as clock
    from amends.incremental import cache as cache_module
    root, memory = warm, {}
    now = datetime.combine(date.fromisoformat(DAY), clock(12))
    build_site(root, now, memory)
    assert memory, "the build kept nothing in memory"

    kept = set(memory)
    assert "pages" in kept and any(name.startswith("cases/") for name in kept), sorted(kept)
    read = []
    real_read = cache_module.Cache._read

    def reading(self, name, checksum):
        # An entry's name: "pages", or "cases/1.0" for a part of one kept in parts.
        read.append(name)
        return real_read(self, name, checksum)
    monkeypatch.setattr(cache_module.Cache, "_read", reading)
    path = case_file(root, OPEN_CASE)
    set_front_matter_line(path, "title", "Edited while serving MS1")
    build_site(root, now, memory)
    assert not kept & set(read), f"read from disk although in memory: {sorted(kept & set(read))}"
    assert_same_site(site_bytes(root), clean_build(root))
    assert "Edited while serving MS1" in text(root, f"cases/{OPEN_CASE}.html")

    set_front_matter_line(path, "title", "Edited by another process MS2")
    assert build(root) == 0  # its own cache, not this memory: it rewrites the entries
    set_front_matter_line(case_file(root, OTHER_CASE), "title", "Edited after the other process MS3")
    read.clear()
    build_site(root, now, memory)
    assert any(name.startswith("cases/") for name in read), "the cases, rewritten by another process, were not read again"
    assert_same_site(site_bytes(root), clean_build(root))
    assert "Edited after the other process MS3" in text(root, f"cases/{OTHER_CASE}.html")


# --------------------------------------------------------------------------
# 13. site/ deleted or changed by hand: the store of built files
# --------------------------------------------------------------------------
def stored_files(root: Path) -> list[Path]:
    """The built files the cache keeps (named by the digest of their bytes), whatever folder holds them."""
    found = [p for p in (root / CACHE).rglob("*") if p.is_file() and re.fullmatch(r"[0-9a-f]{64}", p.name)]
    assert found, "the cache keeps no built files"
    return found


def test_deleted_site_comes_back_from_the_store(warm: Path):
    root = warm
    shutil.rmtree(root / "site")
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))
    # Brought back, not rendered again: each page is the stored copy itself, not a second one on disk.
    stored = {(p.stat().st_dev, p.stat().st_ino) for p in stored_files(root)}
    pages = [p for p in (root / "site" / "cases").glob("*.html")]
    assert len(pages) > 70
    assert all((p.stat().st_dev, p.stat().st_ino) in stored for p in pages)


def flip_middle_byte(data: bytes) -> bytes:
    at = len(data) // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


@pytest.mark.parametrize("damage", [flip_middle_byte, truncate], ids=["flipped-byte", "truncated"])
def test_damaged_stored_file_is_never_trusted(warm: Path, damage):
    root = warm
    shutil.rmtree(root / "site")
    for path in stored_files(root):
        path.write_bytes(damage(path.read_bytes()))
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))


def test_site_file_changed_by_hand_is_made_again(warm: Path):
    """A page edited in place (which also changes its stored copy) is rebuilt, and the copy is not trusted later."""
    root = warm
    shutil.rmtree(root / "site")
    assert build(root) == 0  # now every page is a link to its stored copy
    page = root / "site" / "cases" / f"{OPEN_CASE}.html"
    with page.open("a", encoding="utf-8") as f:
        f.write("<p>Added by hand</p>\n")
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))
    shutil.rmtree(root / "site")
    assert build(root) == 0
    assert_same_site(site_bytes(root), clean_build(root))


def test_a_build_on_every_core_is_byte_for_byte_a_one_core_build(tmp_path, monkeypatch):
    """Enough cases (450) that parsing, notes, rows, downloads and pages all go to worker processes,
    which also write the pages: the site is exactly what one process alone makes."""
    if (os.cpu_count() or 1) < 2:
        pytest.fail("this machine has one core: nothing here would run in parallel")
    many = tmp_path / "many"
    assert cli.main(["--root", str(REPO), "--today", DAY, "demo", "--cases", "450", "--out", str(many), "--seed", "5"]) == 0
    alone = tmp_path / "alone"
    shutil.copytree(many, alone)
    spread = []  # the sizes of the batches of work given to workers.each that it spreads over the cores
    each = workers.each

    def watched(func, items, at_least=workers.PARALLEL_FROM):
        if len(items) >= at_least:
            spread.append(len(items))
        return each(func, items, at_least)

    monkeypatch.setattr(workers, "each", watched)
    assert build(many) == 0
    # Reading the cases, their notes, rows, downloads and search words, and the pages (more than the cases).
    assert len(spread) >= 5 and max(spread) > 450, spread
    monkeypatch.setattr(workers, "each", each)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert build(alone) == 0
    assert site_bytes(alone) == site_bytes(many)
