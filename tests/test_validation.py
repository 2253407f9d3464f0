"""Validation of case files and amends.yaml: every problem names the file, line and key.

Case files here are built from numbered lines so that every expected line
number can be read straight off the test: `case_text()` gives a valid case
whose front matter lines are the keys of BASE, `changes` replaces whole lines
(keeping the numbering) and `extra` lines are appended from line 10 on.
"""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from amends.cases.casefile import split_case
from amends.cases.config import Config, load_config
from amends.cases.project import load_project
from amends.cases.yamlfile import parse_mapping
from amends.incremental.cache import Cache
from amends.model import ACCOMMODATION_KINDS, CHANNELS, FAULTS, STATUSES, FollowupOverrides, Problem

from conftest import REPO, TODAY, write_case

NAME = "2026-03-01-cake.md"
PATH = f"cases/{NAME}"

# Line number -> text. Line 1 is the opening '---'; extra lines start at 10.
BASE = {
    2: "title: Cake delivered late",
    3: "customer:",
    4: "  name: Ann Example",
    5: "  email: ann@example.com",
    6: "channel: email",
    7: "opened: 2026-03-01",
    8: "resolved: 2026-03-04",
    9: "status: resolved",
}
EXTRA = 10


def case_text(changes: dict[int, str] | None = None, extra: tuple[str, ...] | list[str] = (),
              body: str = "The cake was late.") -> str:
    """A case file: BASE with some lines replaced, then extra lines from line 10."""
    lines = {**BASE, **(changes or {})}
    front = [lines[n] for n in sorted(lines)] + list(extra)
    return "---\n" + "\n".join(front) + "\n---\n" + body + "\n"


def load(root: Path):
    return load_project(root, TODAY)


def problems_of(root: Path, text: str | bytes, name: str = NAME) -> list[Problem]:
    """Write one case file and return the problems the project reports."""
    write_case(root, name, text)
    return load(root).problems


def only_problem(root: Path, text: str | bytes, name: str = NAME) -> Problem:
    """Write one case file that must have exactly one problem, and return it."""
    problems = problems_of(root, text, name)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def only_case(root: Path, text: str | bytes, name: str = NAME):
    """Write one case file that must be valid, and return the loaded case."""
    write_case(root, name, text)
    project = load(root)
    assert project.problems == [], [str(p) for p in project.problems]
    assert len(project.cases) == 1
    return project.cases[0]


def assert_at(problem: Problem, line: int, *words: str, path: str = PATH, field: str | None = None) -> None:
    """The problem is in `path` on `line`, names `field`, and says each of `words`."""
    assert (problem.path, problem.line) == (path, line), str(problem)
    if field is not None:
        assert problem.field == field, str(problem)
    for word in words:
        assert word in problem.message, str(problem)
    assert str(problem) == f"{path}:{line}: {problem.message}"


# -- the helper itself ------------------------------------------------------------

def test_base_case_is_valid(root):
    """The unchanged test case loads, so every problem below comes from the change made."""
    case = only_case(root, case_text())
    assert (case.id, case.title, case.status) == ("2026-03-01-cake", "Cake delivered late", "resolved")


# -- YAML syntax ------------------------------------------------------------------

@pytest.mark.parametrize("line_text", [
    'title: "Cake delivered late',
    "title: Cake: delivered late",
], ids=["unclosed-quote", "unquoted-colon"])
def test_yaml_syntax_error_points_at_its_line(root, line_text):
    """A typo that breaks the YAML is reported on the line that has it, not elsewhere."""
    problem = only_problem(root, case_text({2: line_text}))
    assert_at(problem, 2, "YAML syntax error")


def test_unquoted_colon_hint(root):
    """A value with ': ' in it gets the hint to put quotes around it."""
    problem = only_problem(root, case_text({2: "title: Cake: delivered late"}))
    assert "put quotes around" in problem.message


# -- misspelled keys --------------------------------------------------------------

@pytest.mark.parametrize("changes, extra, line, field, suggestion", [
    ({}, ["statsu: resolved"], 10, "statsu", "status"),
    ({5: "  emial: ann@example.com"}, [], 5, "customer.emial", "email"),
    ({}, ["accommodation:", "  - kind: refund", "    amout: 12.50"], 12, "accommodation[1].amout", "amount"),
], ids=["top-level", "nested", "list-item"])
def test_misspelled_key_is_named_with_a_suggestion(root, changes, extra, line, field, suggestion):
    """A misspelled key is reported on its line, by name, with the key it probably meant."""
    problem = only_problem(root, case_text(changes, extra))
    assert_at(problem, line, f"unknown key '{field}'", f"did you mean '{suggestion}'?", field=field)


def test_unknown_key_with_no_close_match_lists_known_keys(root):
    """A key nothing like a known one is reported with the list of keys allowed there."""
    problem = only_problem(root, case_text({}, ["accommodation:", "  - kind: refund", "    zzzzz: 1"]))
    assert_at(problem, 12, "unknown key 'accommodation[1].zzzzz'", "known keys here: kind, amount, currency, note")


# -- wrong types ------------------------------------------------------------------

@pytest.mark.parametrize("extra, field, expected", [
    (["tags:", "  wedding: yes"], "tags", "should be a list"),
    (["accommodation: a refund of 10 euros"], "accommodation", "should be a list"),
], ids=["tags-as-mapping", "accommodation-as-string"])
def test_wrong_type_is_reported(root, extra, field, expected):
    """A list given as a mapping or as plain text is reported on its line."""
    problem = only_problem(root, case_text({}, extra))
    assert_at(problem, EXTRA, f"'{field}'", expected, field=field)


def test_customer_given_as_a_string(root):
    """`customer: Ann` instead of a name/email block is reported on the customer line."""
    problems = problems_of(root, case_text({3: "customer: Ann Example", 4: "# name moved", 5: "# email moved"}))
    assert problems, "a customer given as text must be refused"
    assert all((p.path, p.line) == (PATH, 3) for p in problems), [str(p) for p in problems]
    [problem] = [p for p in problems if p.field == "customer"]
    assert "should be a set of 'key: value' lines" in problem.message
    assert load(root).cases == []


# -- enumerations -----------------------------------------------------------------

@pytest.mark.parametrize("changes, extra, line, field, bad, suggestion", [
    ({9: "status: opne"}, [], 9, "status", "opne", "open"),
    ({6: "channel: emial"}, [], 6, "channel", "emial", "email"),
    ({}, ["fault: our"], 10, "fault", "our", "ours"),
    ({}, ["severity: hihg"], 10, "severity", "hihg", "high"),
    ({}, ["severity: catastrophic"], 10, "severity", "catastrophic", None),
    ({}, ["accommodation:", "  - kind: refnud", "    amount: 5"], 11, "accommodation[1].kind", "refnud", "refund"),
    ({}, ["contacts:", "  - at: 2026-03-02", "    channel: phnoe"], 12, "contacts[1].channel", "phnoe", "phone"),
], ids=["status", "channel", "fault", "severity", "severity-far-off", "accommodation-kind", "contact-channel"])
def test_bad_choice_is_reported_with_suggestion(root, changes, extra, line, field, bad, suggestion):
    """A value outside the allowed list is reported with the one it probably meant, and the choices."""
    problem = only_problem(root, case_text(changes, extra))
    assert_at(problem, line, f"'{bad}' is not a valid {field}", "choose one of:", field=field)
    if suggestion:
        assert f"did you mean '{suggestion}'?" in problem.message
    else:
        assert "did you mean" not in problem.message


def test_choice_in_other_case_is_accepted(root):
    """`status: Resolved` is read as resolved rather than refused."""
    assert only_case(root, case_text({9: "status: Resolved"})).status == "resolved"


# -- dates ------------------------------------------------------------------------

@pytest.mark.parametrize("changes, extra, line, field, expected", [
    ({7: "opened: 2026-02-30"}, [], 7, "opened", "not a real date"),
    ({8: "resolved: 2026-02-27"}, [], 8, "resolved", "is before 'opened'"),
    ({7: "opened: 2026-11-23", 8: "# not resolved", 9: "status: open"}, [], 7, "opened", "in the future"),
    ({8: "resolved: 2026-11-23"}, [], 8, "resolved", "in the future"),
    ({}, ["contacts:", "  - at: 2026-11-23 09:00", "    channel: phone"], 11, "contacts[1].at", "in the future"),
    ({8: "# resolved: some day"}, [], 9, "status", "no 'resolved' date"),
    ({8: "# resolved: some day", 9: "status: recovered"}, [], 9, "status", "no 'resolved' date"),
    ({7: "opened: 1 March"}, [], 7, "opened", "should be a date like 2026-03-14"),
], ids=["feb-30", "resolved-before-opened", "opened-future", "resolved-future", "contact-future",
        "resolved-without-date", "recovered-without-date", "not-a-date"])
def test_impossible_dates_are_reported(root, changes, extra, line, field, expected):
    """A date that cannot be right is reported on the line of the date (or the status)."""
    problem = only_problem(root, case_text(changes, extra))
    assert_at(problem, line, expected, field=field)


def test_dates_on_today_are_not_in_the_future(root):
    """A case opened, resolved and contacted today is fine: only tomorrow is the future."""
    case = only_case(root, case_text({7: "opened: 2026-11-22", 8: "resolved: 2026-11-22"},
                                     ["contacts:", "  - at: 2026-11-22 23:59", "    channel: phone"]))
    assert case.opened == case.resolved == TODAY


def test_lost_case_needs_no_resolved_date(root):
    """A lost customer has no day it was put right, and that is valid."""
    case = only_case(root, case_text({8: "# never resolved", 9: "status: lost"}))
    assert (case.status, case.resolved) == ("lost", None)


def test_open_case_with_resolved_date_is_reopened(root):
    """A case set back to open but keeping its resolved date is valid and shown as reopened."""
    case = only_case(root, case_text({9: "status: open"}))
    assert case.status == "open"
    assert case.resolved == date(2026, 3, 4)
    assert case.reopened is True


# -- email ------------------------------------------------------------------------

def test_invalid_email_is_reported(root):
    """A mistyped email address is reported on its line."""
    problem = only_problem(root, case_text({5: "  email: ann@@example.com"}))
    assert_at(problem, 5, "'ann@@example.com' is not a valid email address", field="customer.email")


def test_internationalised_email_is_accepted(root):
    """An address with non-ASCII letters in the name and domain is accepted as written."""
    case = only_case(root, case_text({5: "  email: zoë@bücher.example"}))
    assert case.customer.email == "zoë@bücher.example"


# -- ids --------------------------------------------------------------------------

def test_duplicate_explicit_ids_are_reported_in_both_files(root):
    """Two files claiming one id are both reported on their id line and both left out."""
    write_case(root, "a.md", case_text({}, ["id: cake-1"]))
    write_case(root, "b.md", case_text({}, ["id: cake-1"]))
    write_case(root, "c.md", case_text())
    project = load(root)
    assert [c.id for c in project.cases] == ["c"]
    by_path = {p.path: p for p in project.problems}
    assert sorted(by_path) == ["cases/a.md", "cases/b.md"], [str(p) for p in project.problems]
    assert_at(by_path["cases/a.md"], EXTRA, "'cake-1'", "cases/b.md", path="cases/a.md", field="id")
    assert_at(by_path["cases/b.md"], EXTRA, "'cake-1'", "cases/a.md", path="cases/b.md", field="id")


@pytest.mark.parametrize("bad_id", ["cake 1", "cakes/1"])
def test_id_with_space_or_slash_is_refused(root, bad_id):
    """An id that cannot name a web page is refused on the id line."""
    problem = only_problem(root, case_text({}, [f"id: {bad_id}"]))
    assert_at(problem, EXTRA, f"'{bad_id}' cannot be a case id", field="id")


# -- encodings and line endings ---------------------------------------------------

def test_file_not_in_utf8_is_reported_on_the_line(root):
    """A file saved as Latin-1 is reported on the line with the first bad byte."""
    text = case_text({3: "customer:   # Café regular"})
    data = text.encode("utf-8").replace("é".encode("utf-8"), b"\xe9")
    problem = only_problem(root, data)
    assert_at(problem, 3, "not UTF-8", "0xe9")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["crlf", "bom+crlf"])
def test_bom_and_crlf_are_accepted(root, bom):
    """A file saved by a Windows editor (BOM, CRLF) loads with clean values."""
    case = only_case(root, bom + case_text().replace("\n", "\r\n").encode("utf-8"))
    assert case.title == "Cake delivered late"
    assert case.body == "The cake was late."


def test_bom_and_crlf_keep_line_numbers(root):
    """In a Windows-saved file, problems still point at the right line."""
    data = b"\xef\xbb\xbf" + case_text({}, ["statsu: open"]).replace("\n", "\r\n").encode("utf-8")
    assert_at(only_problem(root, data), EXTRA, "unknown key 'statsu'")


# -- front matter fences ----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Just some notes about a cake.\n", "must start with a line '---'"),
    ("title: Cake\n---\nBody\n", "must start with a line '---'"),
    ("---\ntitle: Cake delivered late\nstatus: open\n", "no closing '---'"),
], ids=["no-front-matter", "no-opening-fence", "no-closing-fence"])
def test_missing_front_matter_fences(root, text, expected):
    """A file without its '---' lines is reported, on line 1."""
    assert_at(only_problem(root, text), 1, expected)


def test_split_case_finds_body_line():
    """The body starts after the closing '---', and its line is known."""
    raw, problems = split_case(case_text(), "x", "cases/x.md")
    assert problems == []
    assert raw.body == "The cake was late."
    assert raw.body_line == 11
    assert raw.doc.lines[("customer", "email")] == 5


# -- YAML guards ------------------------------------------------------------------

def billion_laughs() -> list[str]:
    lines = ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, 10):
        lines.append(f"lol{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return lines


def test_billion_laughs_is_refused_quickly(root):
    """An alias bomb is refused at once instead of eating all memory."""
    write_case(root, NAME, case_text({}, billion_laughs()))
    started = time.perf_counter()
    problems = load(root).problems
    assert time.perf_counter() - started < 2
    assert len(problems) == 1, [str(p) for p in problems]
    assert_at(problems[0], EXTRA, "anchors")


def test_alias_is_refused():
    """A bare alias (*name) is refused with a message about aliases."""
    doc, problems = parse_mapping("title: Cake\nowner: *someone\n", "cases/x.md", first_line=2)
    assert doc is None
    [problem] = problems
    assert (problem.line, "aliases" in problem.message) == (3, True)


DEEP_SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from amends.cases.project import load_project
project = load_project(Path(sys.argv[1]), date(2026, 11, 22))
for problem in project.problems:
    print(problem)
print("cases:", len(project.cases))
"""


@pytest.mark.parametrize("extra, line", [
    (["tags: " + "[" * 50_000], EXTRA),                       # unclosed, far past libyaml's own limit
    (["tags: " + "[" * 1_000 + "]" * 1_000], EXTRA),          # closed, at libyaml's own limit
    (["tags: " + "[" * 12 + "]" * 12], EXTRA),                # just past amends' limit
    (["tags: " + "{a: " * 3_000], EXTRA),
    (["tags:", "  " + "- " * 2_000 + "x"], EXTRA + 1),        # block lists, all on one line
    (["tags:"] + [" " * depth + "a:" for depth in range(1, 14)], EXTRA + 12),
], ids=["flow-50000", "flow-1000-closed", "flow-13", "mappings-3000", "dashes-2000", "indented-13"])
def test_deep_nesting_is_refused_in_amends_own_words(root, extra, line):
    """Nesting past 12 levels is refused with amends' message, file and line, whichever
    PyYAML (and libyaml) is installed; the process does not crash."""
    write_case(root, NAME, case_text({}, extra))
    result = subprocess.run([sys.executable, "-c", DEEP_SCRIPT, str(root)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == [f"{PATH}:{line}: nested too deep (more than 12 levels)", "cases: 0"]


def test_twelve_levels_are_allowed(root):
    """The limit is amends' own: twelve levels (the front matter's mapping and eleven more) are read."""
    problems = problems_of(root, case_text({}, ["tags: " + "[" * 11 + "x" + "]" * 11]))
    assert [p for p in problems if "nested" in p.message] == []


@pytest.mark.parametrize("changes, extra, line, first, key", [
    ({}, ["title: Another title"], 10, 2, "title"),
    ({5: "  name: Ann Again"}, [], 5, 4, "customer.name"),
], ids=["top-level", "nested"])
def test_duplicate_keys_are_reported_with_both_lines(root, changes, extra, line, first, key):
    """A key given twice is reported on the second line, naming the first."""
    problem = only_problem(root, case_text(changes, extra))
    assert_at(problem, line, f"duplicate key '{key}'", f"first given on line {first}")


def test_front_matter_over_64_kib_is_refused(root):
    """Front matter bigger than 64 KiB (usually a lost closing '---') is refused."""
    problem = only_problem(root, case_text({}, ["what_went_wrong: " + "x" * 70_000]))
    assert_at(problem, 2, "64 KiB")


def test_yaml_tags_are_refused_and_never_run(root):
    """A `!!python/object/apply` tag is refused and its command never runs."""
    marker = root / "pwned"
    problem = only_problem(root, case_text({}, [f'owner: !!python/object/apply:os.system ["touch {marker}"]']))
    assert_at(problem, EXTRA, "YAML tags", "not allowed")
    assert not marker.exists()


# -- YAML 1.1 surprises -----------------------------------------------------------

@pytest.mark.parametrize("changes, extra, get, expected", [
    ({5: "  language: no"}, [], lambda c: c.customer.language, "no"),
    ({5: "  phone: 01234"}, [], lambda c: c.customer.phone, "01234"),
    ({}, ["promises:", "  - what: Call back", "    kept: no"], lambda c: c.promises[0].kept, False),
    ({2: "title: yes"}, [], lambda c: c.title, "yes"),
    ({}, ["accommodation:", "  - kind: refund", "    amount: 012"], lambda c: c.accommodation[0].amount, Decimal(12)),
    ({}, ["customer_value: 1_000"], lambda c: c.customer_value, Decimal(1000)),
], ids=["language-no", "phone-leading-zero", "kept-no", "title-yes", "amount-012", "underscores"])
def test_yaml_11_surprises_are_avoided(root, changes, extra, get, expected):
    """Values mean what a person typed: 'no' is Norwegian, 01234 keeps its zero, 012 is twelve."""
    value = get(only_case(root, case_text(changes, extra)))
    assert value == expected
    assert type(value) is type(expected)


def test_amount_with_decimal_comma_gets_a_hint(root):
    """`12,50` is refused with a hint to use a decimal point."""
    problem = only_problem(root, case_text({}, ["accommodation:", "  - kind: refund", "    amount: 12,50"]))
    assert_at(problem, 12, "'12,50'", "use a dot for decimals", field="accommodation[1].amount")


# -- many problems, many files ----------------------------------------------------

def test_every_problem_in_a_file_is_reported(root):
    """All mistakes in one file are listed at once, not one per run."""
    text = case_text({6: "channel: emial", 7: "opened: 2026-02-30"}, ["fault: our", "statsu: open"])
    problems = problems_of(root, text)
    assert {p.path for p in problems} == {PATH}
    assert {(p.line, p.field) for p in problems} >= {(6, "channel"), (7, "opened"), (10, "fault"), (11, "statsu")}


@pytest.mark.parametrize("bad_text", [
    case_text({9: "status: opne"}),
    case_text({2: "title: Cake: late"}),
    b"\xff\xfe not text",
], ids=["invalid-value", "yaml-syntax", "binary"])
def test_one_bad_file_does_not_stop_the_others(root, bad_text):
    """Good cases still load when another file is broken."""
    write_case(root, "good-1.md", case_text())
    write_case(root, "good-2.md", case_text({2: "title: Bread stale"}))
    write_case(root, "bad.md", bad_text)
    project = load(root)
    assert [c.id for c in project.cases] == ["good-1", "good-2"]
    assert {p.path for p in project.problems} == {"cases/bad.md"}
    assert project.files == 3


# -- amends.yaml ------------------------------------------------------------------

def write_config(root: Path, text: str) -> Path:
    path = root / "amends.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_unknown_key_is_reported_with_suggestion(root):
    """A misspelled setting in amends.yaml is reported as amends.yaml:LINE with a suggestion."""
    write_config(root, "business:\n  name: Corner Bakery\ncurency: USD\n")
    problems = load(root).problems
    assert [str(p) for p in problems] == ["amends.yaml:3: unknown key 'curency'; did you mean 'currency'?"]


def test_config_nested_unknown_key(root):
    """A misspelled business setting is reported on its line."""
    config, problems = load_config(write_config(root, "business:\n  name: Corner Bakery\n  emial: a@example.com\n"))
    [problem] = problems
    assert_at(problem, 3, "unknown key 'business.emial'", "did you mean 'email'?", path="amends.yaml")
    assert config.business_name == "Corner Bakery"


def test_config_bad_timezone(root):
    """An unknown time zone is reported and the default is used."""
    config, problems = load_config(write_config(root, "currency: USD\ntimezone: Europe/Berlinn\n"))
    [problem] = problems
    assert_at(problem, 2, "'Europe/Berlinn' is not a known time zone", path="amends.yaml", field="timezone")
    assert (config.timezone, config.currency) == ("UTC", "USD")


def test_an_empty_list_item_is_reported_not_dropped(root):
    """`tags: [cake, ~]`: the empty item is named, not silently left out."""
    problem = only_problem(root, case_text({}, ["tags: [cake, ~]"]))
    assert_at(problem, EXTRA, "'tags[2]' is empty; give it a value or remove it", field="tags[2]")


@pytest.mark.parametrize("after, expected", [
    ("367 days", "'367 days' is too long a delay; at most 366 days"),
    ("99999999999 business days", "'99999999999 business days' is too long a delay; at most 366 days"),
])
def test_config_plan_delay_is_bounded(root, after, expected):
    """A plan delay that could overflow a date is refused on its line, not carried into the plan."""
    config, problems = load_config(write_config(root, f"followups:\n  plan:\n    - kind: apology\n      after: {after}\n"))
    [problem] = problems
    assert_at(problem, 4, expected, path="amends.yaml")


def test_missing_config_means_defaults(root):
    """Without amends.yaml every setting has its default and nothing is reported."""
    (root / "amends.yaml").unlink()
    write_case(root, NAME, case_text())
    project = load(root)
    assert project.config == Config()
    assert project.problems == []
    assert len(project.cases) == 1


def test_config_problem_does_not_drop_cases(root):
    """A bad amends.yaml is reported but the cases still load."""
    write_config(root, "attention_days: soon\n")
    write_case(root, NAME, case_text())
    project = load(root)
    assert [str(p) for p in project.problems] == [
        "amends.yaml:1: 'attention_days' should be a whole number of at least 1, not 'soon'"]
    assert len(project.cases) == 1


# -- follow-up overrides ----------------------------------------------------------

def test_followup_overrides_are_read(root):
    """hold, skip and dates under `followups` reach the case."""
    case = only_case(root, case_text({}, [
        "followups:", "  hold: true", "  skip: [checkin]", "  dates:", "    followup: 2026-03-10"]))
    assert case.followups == FollowupOverrides(hold=True, skip=("checkin",), dates=(("followup", date(2026, 3, 10)),))


@pytest.mark.parametrize("extra, line, field, expected", [
    (["followups:", "  skip: [checkin, hug]"], 11, "followups.skip[2]", "'hug' is not a follow-up kind"),
    (["followups:", "  dates:", "    folowup: 2026-03-10"], 12, "followups.dates.folowup",
     "did you mean 'followup'?"),
    (["followups:", "  hodl: true"], 11, "followups.hodl", "did you mean 'hold'?"),
], ids=["skip", "dates", "misspelled-hold"])
def test_unknown_followup_kind_is_reported(root, extra, line, field, expected):
    """A follow-up kind that does not exist is reported on its line."""
    problem = only_problem(root, case_text({}, extra))
    assert_at(problem, line, expected, field=field)


# -- the shipped samples ----------------------------------------------------------

def test_sample_cases_are_valid_and_cover_every_value(demo_root):
    """Every sample case loads cleanly, and together they show every status, channel, fault and kind."""
    project = load(demo_root)
    assert [str(p) for p in project.problems] == []
    assert project.files == len(list((REPO / "cases").glob("*.md")))
    assert len(project.cases) == project.files >= 12
    cases = project.cases
    assert {c.status for c in cases} == set(STATUSES)
    assert {c.channel for c in cases} == set(CHANNELS)
    assert {c.fault for c in cases} == set(FAULTS)
    assert {a.kind for c in cases for a in c.accommodation} == set(ACCOMMODATION_KINDS)
    assert any(c.reopened for c in cases)


# -- values within bounds ---------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("1E+26", "without an exponent"),
    ("1E+99999999999", "without an exponent"),
    ("1E-999999999", "without an exponent"),
    ("NaN", "should be a number like 12.50"),
    ("Infinity", "should be a number like 12.50"),
    ("-0", "without a sign"),
    ("-5", "without a sign"),
    ("1234567890123", "at most 12 digits before the point and 4 after"),
    ("1.23456", "at most 12 digits before the point and 4 after"),
], ids=["1E+26", "huge-exponent", "tiny-exponent", "nan", "infinity", "minus-zero", "negative", "13-digits", "5-decimals"])
@pytest.mark.parametrize("field", ["amount", "customer_value"])
def test_amounts_are_plain_decimals(root, field, value, expected):
    """An amount or customer_value must be a plain decimal: no exponent, sign or NaN, 12 digits and 4 decimals at most."""
    extra = ["accommodation:", "  - kind: refund", f"    amount: {value}"] if field == "amount" else [f"customer_value: {value}"]
    line, name = (12, "accommodation[1].amount") if field == "amount" else (10, "customer_value")
    problem = only_problem(root, case_text({}, extra))
    assert_at(problem, line, f"'{name}'", expected, field=name)


def test_largest_plain_amount_is_accepted(root):
    """Twelve digits before the point and four after are read exactly."""
    case = only_case(root, case_text({}, ["customer_value: 999999999999.9999", "accommodation:", "  - kind: refund",
                                          "    amount: 0.5"]))
    assert (case.customer_value, case.accommodation[0].amount) == (Decimal("999999999999.9999"), Decimal("0.5"))


@pytest.mark.parametrize("changes, extra, line, field", [
    ({7: "opened: 0001-01-01"}, [], 7, "opened"),
    ({7: "opened: 1899-12-31"}, [], 7, "opened"),
    ({}, ["promises:", "  - what: Call back", "    due: 9999-12-31"], 12, "promises[1].due"),
    ({}, ["promises:", "  - what: Call back", "    due: 2200-01-01"], 12, "promises[1].due"),
    ({}, ["followups:", "  dates:", "    followup: 9999-12-31"], 12, "followups.dates.followup"),
    ({}, ["contacts:", "  - at: 0001-01-01 09:00"], 11, "contacts[1].at"),
], ids=["opened-year-1", "opened-1899", "promise-9999", "promise-2200", "fixed-followup-9999", "contact-year-1"])
def test_dates_outside_1900_to_2199_are_refused(root, changes, extra, line, field):
    """A date before 1900 or after 2199 is a typo, reported on its line."""
    problem = only_problem(root, case_text(changes, extra))
    assert_at(problem, line, "should be a date between 1900 and 2199", field=field)


def test_date_over_30_years_ago_is_a_warning(root):
    """A date more than 30 years before today is kept, with a warning that does not make the case invalid."""
    write_case(root, NAME, case_text({}, ["promises:", "  - what: Call back", "    due: 1990-03-04"]))
    project = load(root)
    assert [c.promises[0].due for c in project.cases] == [date(1990, 3, 4)]
    [warning] = project.problems
    assert warning.warning
    assert str(warning) == (f"{PATH}:12: warning: 'promises[1].due' is 1990-03-04, more than 30 years ago; "
                            "a typo in the year?")


# -- messages that help -----------------------------------------------------------

def test_key_without_colon_is_reported_on_its_own_line(root):
    """A key with no ':' is reported on its line, not on the line YAML noticed it."""
    problem = only_problem(root, case_text({}, ["owner Priya", "team: Delivery"]))
    assert_at(problem, EXTRA, "YAML syntax error", "no ':' after its key")


@pytest.mark.parametrize("extra, line", [
    (["tags:", "\t- wedding"], EXTRA + 1),
    (["\towner: Priya"], EXTRA),
], ids=["tab-before-item", "tab-before-key"])
def test_tab_indentation_is_named(root, extra, line):
    """A tab used to indent is named as such."""
    problem = only_problem(root, case_text({}, extra))
    assert_at(problem, line, "tabs cannot indent YAML; use spaces")


@pytest.mark.parametrize("changes, line", [
    ({5: "    email: ann@example.com"}, 5),
    ({7: "  opened: 2026-03-01"}, 7),
], ids=["nested", "top-level"])
def test_over_indentation_is_named(root, changes, line):
    """A key indented further than the one before is told it is indentation, not to add quotes."""
    problem = only_problem(root, case_text(changes))
    assert_at(problem, line, "indented more than the line before")
    assert "quotes" not in problem.message


@pytest.mark.parametrize("word, meant", [
    ("closed", "resolved"), ("done", "resolved"), ("fixed", "resolved"), ("won back", "recovered"), ("Gone", "lost"),
])
def test_status_words_people_use_suggest_the_right_status(root, word, meant):
    """Everyday words for a status suggest the status they mean, and each status says what it means."""
    problem = only_problem(root, case_text({9: f"status: {word}"}))
    assert_at(problem, 9, f"did you mean '{meant}'?", "resolved (put right)", "lost (the customer left", field="status")


@pytest.mark.parametrize("changes, extra, line", [
    ({8: "resolved: 2026-02-30"}, [], 8),
    ({}, ["accommodation:", "  - kind: gift-crad", "    code: CAKE-1"], 11),
    ({3: "customer: Ann Example", 4: "# name moved", 5: "# email moved"}, [], 3),
], ids=["bad-resolved-date", "misspelled-gift-card", "customer-as-text"])
def test_one_mistake_gives_one_line(root, changes, extra, line):
    """One typo is one problem, not a second one that follows from it."""
    assert only_problem(root, case_text(changes, extra)).line == line


@pytest.mark.parametrize("line, line_text, raw", [
    (6, 'channel: "\\e[31mphone"', "\x1b"),
    (6, 'channel: "phone\\ncases/other.md:1: all good"', "\n"),
    (EXTRA, '"\\e[2J": 1', "\x1b"),
    (6, 'channel: "phone\\u2028\\u202e"', "\u2028"),
], ids=["escape-code", "newline", "escape-in-key", "separators"])
def test_values_in_messages_are_safe_to_print(root, line, line_text, raw):
    """Control characters in a quoted value or key are escaped in the message, so they cannot drive the terminal."""
    text = case_text({line: line_text}) if line != EXTRA else case_text({}, [line_text])
    problem = only_problem(root, text)
    assert problem.line == line
    assert raw not in str(problem)
    assert str(problem).isprintable()


def test_long_values_in_messages_are_shortened(root):
    """A long wrong value is quoted shortened, not whole."""
    problem = only_problem(root, case_text({6: "channel: " + "x" * 5000}))
    assert_at(problem, 6, "xxx…'", field="channel")
    assert len(problem.message) < 400


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r"], ids=["LS", "PS", "NEL", "CR"])
def test_unicode_line_separators_do_not_shift_line_numbers(root, separator):
    """Only LF ends a line, as in an editor: a separator inside a value leaves later line numbers alone."""
    problems = problems_of(root, case_text({2: f'title: "Cake{separator} late"'}, ["statsu: open"]))
    assert_at(problems[-1], EXTRA, "unknown key 'statsu'")
    assert [p.line for p in problems[:-1]] in ([], [2]), [str(p) for p in problems]


def test_bom_does_not_shift_byte_offsets(root):
    """In a file with a BOM, a bad byte is named as it is, on its own line."""
    data = b"\xef\xbb\xbf" + case_text({}, ["owner: Zo\xe9"]).encode("latin-1")
    assert_at(only_problem(root, data), EXTRA, "not UTF-8", "byte 0xe9")


@pytest.mark.parametrize("text", ['"Null"', "'~'", '"null"'])
def test_quoted_null_words_are_text(root, text):
    """A quoted null word is text; only an unquoted one means missing."""
    case = only_case(root, case_text({2: f"title: {text}", 4: f"  name: {text}"}))
    assert case.title == case.customer.name == text.strip("'\"")


def test_unquoted_null_word_is_missing(root):
    """`title: Null` (unquoted) leaves the title out."""
    assert_at(only_problem(root, case_text({2: "title: Null"})), 2, "'title' is required")


def test_time_zone_too_long_for_a_file_name_is_refused(root):
    """A time zone name longer than any file name is reported, not a crash (found by tests/test_fuzz.py)."""
    problem = only_problem(root, case_text({5: "  timezone: " + "x" * 300}))
    assert_at(problem, 5, "is not a known time zone", field="customer.timezone")


@pytest.mark.parametrize("changes, first_day, message, said_on", [
    # 30 years (10,958 days) after 2 March 1996, the date is long past: warned about from the day after.
    ({7: "opened: 1996-03-02", 8: "resolved: 1996-03-04"}, date(2026, 3, 2), "more than 30 years ago",
     [False, False, True, True]),
    # A case resolved in the future is a problem until that day, and each day's message names the day.
    ({8: "resolved: 2026-11-24"}, date(2026, 11, 22), "'resolved' is in the future", [True, True, False, False]),
])
def test_a_checked_case_is_checked_again_on_the_day_its_answer_changes(root, changes, first_day, message, said_on):
    """A checked case is kept from one day to the next (no day in its key) until the day that a check of
    it could say something else: every day, the problems are those of a check without the cache."""
    write_case(root, NAME, case_text(changes))
    cache = Cache(root / ".amends-cache")
    said = []
    for n in range(4):
        day = first_day + timedelta(days=n)
        kept, fresh = load_project(root, day, cache), load_project(root, day)
        assert [str(p) for p in kept.problems + kept.warnings] == [str(p) for p in fresh.problems + fresh.warnings], day
        assert [c.id for c in kept.cases] == [c.id for c in fresh.cases], day
        said.append(any(message in str(p) for p in fresh.problems + fresh.warnings))
    assert said == said_on
