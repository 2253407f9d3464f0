"""The synthetic-case generator: valid through the real loader, varied, reproducible."""
from __future__ import annotations

import random
import re
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from amends.cases.project import Project, load_project
from amends.demo import CATEGORIES, Cause, Thing, cause_tag, files, generate
from amends.demo.words import ABOUT, ACCOMMODATION_NOTES, ACCOMMODATION_NOTES_DE, CAME_IN, FAULT_LINES
from amends.followups.review import review
from amends.model import ACCOMMODATION_KINDS, CHANNELS, FAULTS, SEVERITIES, STATUSES
from amends.report.views import customer_key, repeat_failures

from conftest import REPO, TODAY

N = 300
SEED = 20261122
# What `build.py demo` writes when given no --cases or --seed.
DEFAULT_N, DEFAULT_SEED = 1000, 1
NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-[a-z0-9-]+-\d{5}\.md")


def write_demo(root: Path, n: int, seed: int) -> Path:
    """A project of n generated cases, with the shipped amends.yaml and templates."""
    (root / "cases").mkdir()
    for name, text in generate(n, seed, TODAY):
        (root / "cases" / name).write_text(text, encoding="utf-8")
    for name, data in files(n):
        (root / "cases" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "cases" / name).write_bytes(data)
    shutil.copy(REPO / "amends.yaml", root / "amends.yaml")
    shutil.copytree(REPO / "templates", root / "templates")
    return root


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo"), N, SEED)


@pytest.fixture(scope="module")
def project(generated: Path) -> Project:
    return load_project(generated, TODAY)


@pytest.fixture(scope="module")
def default_project(tmp_path_factory) -> Project:
    return load_project(write_demo(tmp_path_factory.mktemp("default-demo"), DEFAULT_N, DEFAULT_SEED), TODAY)


def test_every_case_loads_without_a_problem(project: Project):
    assert [str(p) for p in project.problems] == []
    assert project.files == N
    assert len(project.cases) == N


def test_file_names_are_unique_dated_and_usable_as_ids(generated: Path, project: Project):
    names = [p.name for p in (generated / "cases").glob("*.md")]
    assert len(set(names)) == N
    assert all(NAME.fullmatch(name) for name in names), [n for n in names if not NAME.fullmatch(n)][:3]
    # The date in the name is the day the case was opened.
    assert all(case.id[:10] == str(case.opened) for case in project.cases)


def test_every_listed_value_occurs(project: Project):
    cases = project.cases
    assert {c.status for c in cases} == set(STATUSES)
    assert {c.channel for c in cases} == set(CHANNELS)
    assert {c.fault for c in cases} == set(FAULTS)
    assert {c.severity for c in cases} == set(SEVERITIES)
    assert {a.kind for c in cases for a in c.accommodation} == set(ACCOMMODATION_KINDS)
    assert {a.currency for c in cases for a in c.accommodation} == {"EUR", "USD", "GBP"}
    assert {p.kept for c in cases for p in c.promises} == {True, False, None}
    assert {len(c.contacts) for c in cases} == set(range(6))


def test_statuses_come_in_roughly_the_intended_shares(project: Project):
    share = {status: count / N for status, count in Counter(c.status for c in project.cases).items()}
    assert 0.08 <= share["open"] <= 0.25
    assert 0.38 <= share["resolved"] <= 0.62
    assert 0.12 <= share["recovered"] <= 0.30
    assert 0.08 <= share["lost"] <= 0.25


def test_the_special_cases_occur(project: Project):
    cases = project.cases
    assert any(c.reopened for c in cases)
    per_customer = Counter(customer_key(c) for c in cases)
    repeat = [c for c in cases if per_customer[customer_key(c)] > 1]
    assert repeat
    # A repeat customer is the same person every time: one name for one address.
    assert all(len({c.customer.name for c in cases if customer_key(c) == customer_key(r)}) == 1 for r in repeat)
    assert any(not c.customer.name.isascii() for c in cases)
    assert any(c.customer.language == "de" for c in cases)
    assert any(c.do_not_contact for c in cases)
    assert any(c.followups.hold or c.followups.skip or c.followups.dates for c in cases)
    assert any(isinstance(contact.at, datetime) for c in cases for contact in c.contacts)
    assert any("\n| --- |" in c.body for c in cases)
    assert 6 <= len({c.team for c in cases}) <= 8
    assert 8 <= len({c.category for c in cases}) <= 10
    assert 5 <= len({c.owner for c in cases}) <= 6


def test_every_body_is_300_to_800_words_with_headings_a_list_and_a_link(project: Project):
    for case in project.cases:
        assert 300 <= len(case.body.split()) <= 800, (case.id, len(case.body.split()))
        assert "## What happened" in case.body and "\n> " in case.body, case.id
        assert re.search(r"^(- |1\. )", case.body, re.M), case.id
        assert re.search(r"\]\(https://example\.com/", case.body), case.id


def test_addresses_and_links_stay_on_example_domains(project: Project):
    domains = {c.customer.email.rsplit("@", 1)[1] for c in project.cases if c.customer.email}
    assert domains <= {"example.com", "example.org", "example.net"}
    # Besides a case's own attachments, which its notes show.
    links = [url for c in project.cases for url in re.findall(r"\]\(([^)]*)\)", c.body)
             if url not in {a.name for a in c.attachments}]
    assert links and all(url.startswith("https://example.com/") for url in links)


def test_a_few_cases_keep_a_photo_and_a_scan_that_the_site_can_copy(project: Project):
    kept = [c for c in project.cases if c.attachments]
    assert 2 <= len(kept) <= len(project.cases) // 50
    assert {a.kind for c in kept for a in c.attachments} == {"image", "pdf"}
    assert [str(w) for w in project.warnings if w.field in ("attachments", "body")] == []
    # Each shows its photo in the notes, and the photo carries what a phone writes: the site's copy must not.
    for case in kept:
        assert [src for src, _, _ in case.images] == [a.name for a in case.attachments if a.kind == "image"]
    photo = next(a for c in kept for a in c.attachments if a.kind == "image")
    with Image.open(project.root / photo.source) as image:
        assert image.getexif().get_ifd(0x8825), "the demo's photo has no GPS to strip"


def test_dates_are_plausible(project: Project):
    for case in project.cases:
        assert TODAY - timedelta(days=3 * 365) <= case.opened <= TODAY, case.id
        if case.resolved is not None:
            assert 0 <= (case.resolved - case.opened).days <= 40, case.id
        assert all(case.opened <= contact.day <= TODAY for contact in case.contacts), case.id


def test_settled_cases_say_what_went_wrong_how_it_was_resolved_and_the_prevention(project: Project):
    settled = [c for c in project.cases if c.status in ("resolved", "recovered")]
    assert settled
    assert all(c.what_went_wrong and c.how_resolved and c.prevention for c in settled)


def test_the_same_seed_gives_the_same_files_and_another_seed_others():
    # Disturbing the global generator must change nothing: only the seed counts.
    random.seed(1)
    first = list(generate(40, 5, TODAY))
    random.seed(2)
    second = list(generate(40, 5, TODAY))
    assert first == second
    other = list(generate(40, 6, TODAY))
    assert other != first
    assert {name for name, _ in other} != {name for name, _ in first}


def test_no_follow_up_is_blocked_by_a_missing_template_field(generated: Path):
    now = datetime(2026, 11, 22, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    state = review(generated, now)
    rendered = [p for p in state.prepared if p.rendered is not None]
    # The check only means something if the set has follow-ups still to go, explanations among them.
    assert len(rendered) >= 5
    assert any(p.followup.kind == "followup" for p in rendered)
    blocked = [(p.followup.case.id, p.followup.reason) for p in state.prepared if p.followup.state == "blocked"]
    assert [b for b in blocked if "template" in b[1]] == []


@pytest.mark.parametrize("demo", ["project", "default_project"])
def test_every_flagged_repeat_is_one_cause_come_back(request, demo):
    """A flag says an earlier case's prevention did not hold; in the demo each joins two cases of one cause,
    which its one tag names, whether they are of one customer or not."""
    cases = request.getfixturevalue(demo).cases
    repeats = repeat_failures(cases)
    assert repeats, "the lessons page has no preventions that did not hold to show"
    assert any(customer_key(later) != customer_key(earlier) for later, earlier in repeats)
    other = [(later.id, later.tags, earlier.id, earlier.tags) for later, earlier in repeats
             if len(later.tags) != 1 or later.tags != earlier.tags]
    assert other == []


def test_the_default_demo_has_repeats_to_attend_to_and_not_too_many(default_project):
    cases = default_project.cases
    repeats = repeat_failures(cases)
    # The overview lists those whose later case is still open.
    assert any(later.is_open for later, _ in repeats)
    # A business that learns: a prevention mostly holds.
    assert len(repeats) < len(cases) / 10


def _template(text: str, cause: Cause, thing: Thing) -> re.Pattern:
    """A cause's text as a pattern: its thing where the text names it, anything in the other blanks."""
    known = {"thing": thing.en, "thing_de": thing.de}
    if cause.slot:
        known |= {cause.slot: thing.en, cause.slot.capitalize(): thing.en[:1].upper() + thing.en[1:]}
    parts = re.split(r"\{(\w+)\}", text)
    # re.split keeps the names of the blanks at the odd places.
    return re.compile("".join((re.escape(known[p]) if p in known else ".+") if i % 2 else re.escape(p)
                              for i, p in enumerate(parts)))


def test_each_case_tells_the_story_of_the_one_cause_its_tag_names(project: Project):
    causes = {cause_tag(cause, thing): (category.name, cause, thing)
              for category in CATEGORIES for cause in category.causes + category.slips for thing in cause.things}
    assert len(causes) == sum(len(c.things) for category in CATEGORIES for c in category.causes + category.slips), \
        "two causes share a tag"
    for case in project.cases:
        assert len(case.tags) == 1 and case.tags[0] in causes, (case.id, case.tags)
        category, cause, thing = causes[case.tags[0]]
        assert case.category == category, case.id
        texts = {"title": cause.titles, "how_resolved": cause.fix, "prevention": cause.prevent}
        if case.fault != "unclear":  # which says it could not be told
            texts["what_went_wrong"] = cause.wrong
        for field, templates in texts.items():
            value = getattr(case, field)
            fits = value is None or any(_template(t, cause, thing).fullmatch(value) for t in templates)
            assert fits, (case.id, field, value)


def test_the_word_file_has_texts_for_every_category_kind_fault_and_channel():
    """words.json is edited by hand, and a key missing there fails only when a case happens to draw it."""
    assert set(ABOUT) == {category.name for category in CATEGORIES}
    assert set(ACCOMMODATION_NOTES) == set(ACCOMMODATION_NOTES_DE) == set(ACCOMMODATION_KINDS)
    assert set(FAULT_LINES) == set(FAULTS)
    assert set(CAME_IN) == set(CHANNELS)
