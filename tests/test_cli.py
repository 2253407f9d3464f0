"""The command line, driven through amends.cli.main and, once, through build.py itself."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from amends.cases.project import load_project
from amends.cli import main

from conftest import CLASSIC_PLAN_YAML, MINIMAL_CASE, REPO, TODAY, write_case

# MINIMAL_CASE with a misspelled key added as line 10.
MISSPELLED_CASE = MINIMAL_CASE.replace("status: resolved\n", "status: resolved\nstatsu: resolved\n")
NEW_ARGS = ["new", "--title", "Wrong cake", "--name", "Zoë Müller", "--email", "zoe@example.com", "--channel", "phone"]


def run(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    """Run the command line in `root` as if today were TODAY; return (exit code, stdout, stderr)."""
    code = main(["--root", str(root), "--today", TODAY.isoformat(), *args])
    out, err = capsys.readouterr()
    return code, out, err


def case_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "cases").glob("*.md"))


# -- check ------------------------------------------------------------------------

def test_check_valid_cases(capsys, root):
    """`check` on valid cases exits 0, prints a summary and no problems."""
    write_case(root, "2026-03-01-cake.md", MINIMAL_CASE)
    write_case(root, "2026-03-02-bread.md", MINIMAL_CASE.replace("Cake delivered late", "Stale bread"))
    code, out, err = run(capsys, root, "check")
    assert code == 0
    assert out.strip() == "2 case files read, 2 valid. All good."
    assert err == ""


def test_check_reports_misspelled_key_on_its_line(capsys, root):
    """`check` prints `cases/FILE.md:LINE: message` for a misspelled key and exits 1."""
    write_case(root, "2026-03-01-cake.md", MINIMAL_CASE)
    write_case(root, "2026-03-02-typo.md", MISSPELLED_CASE)
    code, out, err = run(capsys, root, "check")
    assert code == 1
    assert err.splitlines() == ["cases/2026-03-02-typo.md:10: unknown key 'statsu'; did you mean 'status'?"]
    assert "2 case files read, 1 valid; 1 problem in 1 file" in out


# -- build ------------------------------------------------------------------------

def test_build_with_one_bad_case(capsys, root):
    """Building with a bad case exits 1 but still writes the good cases and lists the bad file."""
    write_case(root, "good-cake.md", MINIMAL_CASE)
    write_case(root, "good-bread.md", MINIMAL_CASE.replace("Cake delivered late", "Stale bread"))
    write_case(root, "bad-typo.md", MISSPELLED_CASE)
    code, out, err = run(capsys, root)
    assert code == 1
    pages = root / "site" / "cases"
    assert (pages / "good-cake.html").is_file()
    assert (pages / "good-bread.html").is_file()
    assert not (pages / "bad-typo.html").exists()
    problems_page = (root / "site" / "problems.html").read_text(encoding="utf-8")
    assert "cases/bad-typo.md" in problems_page
    assert "statsu" in problems_page
    assert "cases/bad-typo.md:10:" in err


# -- new --------------------------------------------------------------------------

def test_new_writes_a_valid_case(capsys, root):
    """`new` writes a dated file that `check` accepts as written."""
    code, out, err = run(capsys, root, *NEW_ARGS)
    assert code == 0, err
    path = root / "cases" / "2026-11-22-wrong-cake.md"
    assert path.is_file()
    assert "cases/2026-11-22-wrong-cake.md" in out
    code, out, err = run(capsys, root, "check")
    assert (code, err) == (0, "")
    [case] = load_project(root, TODAY).cases
    assert (case.title, case.customer.name, case.customer.email) == ("Wrong cake", "Zoë Müller", "zoe@example.com")
    assert (case.channel, case.status, case.opened) == ("phone", "open", TODAY)


def test_new_never_overwrites(capsys, root):
    """Running `new` twice with one title writes a second file and leaves the first alone."""
    assert run(capsys, root, *NEW_ARGS)[0] == 0
    first = root / "cases" / "2026-11-22-wrong-cake.md"
    with first.open("a", encoding="utf-8") as f:
        f.write("She called back twice.\n")  # the user has started filling it in
    before = first.read_bytes()
    assert run(capsys, root, *NEW_ARGS)[0] == 0
    assert first.read_bytes() == before
    assert case_files(root) == ["2026-11-22-wrong-cake-2.md", "2026-11-22-wrong-cake.md"]


def test_new_refuses_invalid_email(capsys, root):
    """`new` with a bad email exits 2 and writes nothing."""
    args = [a if a != "zoe@example.com" else "zoe@@example" for a in NEW_ARGS]
    code, out, err = run(capsys, root, *args)
    assert code == 2
    assert "not a valid email address" in err
    assert case_files(root) == []


def test_new_title_with_quotes_and_colon_round_trips(capsys, root):
    """A title with quotes, a colon and a hash reads back exactly as typed."""
    title = 'He said "late": it\'s #2 – again'
    code, out, err = run(capsys, root, "new", "--title", title, "--name", "O'Brien: Ann")
    assert code == 0, err
    project = load_project(root, TODAY)
    assert [str(p) for p in project.problems] == []
    [case] = project.cases
    assert case.title == title
    assert case.customer.name == "O'Brien: Ann"


# -- usage errors -----------------------------------------------------------------

@pytest.mark.parametrize("args", [["check"], [], NEW_ARGS], ids=["check", "build", "new"])
def test_folder_without_cases_is_a_clear_error(capsys, tmp_path, args):
    """Outside a project, every command exits 2 with a message, not a traceback."""
    code, out, err = run(capsys, tmp_path, *args)
    assert code == 2
    assert "no cases/ folder" in err
    assert "Traceback" not in out + err
    assert not (tmp_path / "cases").exists()
    assert not (tmp_path / "site").exists()


# -- build.py as a real program ---------------------------------------------------

def run_build_py(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--today", TODAY.isoformat(), *args],
                          cwd=root, capture_output=True, text=True, timeout=120)


def test_build_py_check_on_demo(demo_root):
    """`python build.py check` in the demo project exits 0."""
    result = run_build_py(demo_root, "check")
    assert result.returncode == 0, result.stderr
    assert "All good." in result.stdout
    # The samples' customers who write in a language without templates are pointed out; nothing else.
    assert all(": warning: no templates for " in line for line in result.stderr.splitlines()), result.stderr


def test_build_py_check_with_misspelled_key(demo_root):
    """`python build.py check` exits 1 and names the file and line of a misspelled key."""
    sample = sorted((demo_root / "cases").glob("*.md"))[0]
    text = sample.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    sample.write_text("---\nstatsu: open\n" + text[4:], encoding="utf-8")
    result = run_build_py(demo_root, "check")
    assert result.returncode == 1
    assert f"cases/{sample.name}:2: unknown key 'statsu'; did you mean 'status'?" in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


def test_demo_writes_a_project_that_builds_and_never_overwrites(root, tmp_path):
    """`demo` writes N valid cases plus settings and templates; a second run into the same folder is refused."""
    from amends.cli import main

    out = tmp_path / "demo"
    assert main(["--root", str(root), "--today", "2026-11-22", "demo", "--cases", "40", "--out", str(out)]) == 0
    files = sorted((out / "cases").glob("*.md"))
    assert len(files) == 40 and (out / "amends.yaml").is_file() and (out / "templates" / "site").is_dir()
    before = {f: f.read_bytes() for f in files}
    assert main(["--root", str(root), "--today", "2026-11-22", "demo", "--cases", "5", "--out", str(out)]) == 2
    assert {f: f.read_bytes() for f in sorted((out / "cases").glob("*.md"))} == before
    assert main(["--root", str(out), "--today", "2026-11-22", "check"]) == 0


def test_output_cut_short_by_its_reader_is_no_error(tmp_path):
    """`build.py followups --all | head -1`: the reader stops early; no traceback, and the command's work is done."""
    project = tmp_path / "many"
    assert main(["--root", str(REPO), "demo", "--cases", "400", "--out", str(project)]) == 0
    # More lines than a pipe holds, so the writer is still writing when the reader goes.
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(project), "--today", TODAY.isoformat(),
                             "followups", "--all"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does once it has its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert first.startswith(b"STATE")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert any((project / "outbox" / "preview").glob("*.eml")), "the previews were not written"


# -- settings are all or nothing for sending (issue 15, item 8) ---------------------

# Apology due Wed 18 Nov, explanation Thu 19 Nov.
SENDING_CASE = MINIMAL_CASE.replace("resolved: 2026-03-04", "resolved: 2026-11-16").replace("---\nThe cake", (
    "what_went_wrong: The van broke down.\nhow_resolved: We refunded the fee.\n"
    "prevention: A spare van stands by.\n---\nThe cake"))


def sending_project(root: Path, settings: str) -> Path:
    plan = "" if "followups" in settings else "followups:\n" + CLASSIC_PLAN_YAML
    (root / "amends.yaml").write_text("business: {name: Test Shop, email: care@shop.example.com}\n"
                                      + (settings if settings.startswith("timezone") else "timezone: Europe/Berlin\n"
                                         + settings) + plan, encoding="utf-8")
    write_case(root, "cake.md", SENDING_CASE)
    return root / "outbox"


@pytest.mark.parametrize("settings, words", [
    ("transport: smpt\n", "amends.yaml:3: 'smpt' is not a valid transport"),
    ("timezone: Europe/Berln\n", "amends.yaml:2: 'Europe/Berln' is not a known time zone"),
    ("folowups: {since: 2026-11-01}\n", "amends.yaml:3: unknown key 'folowups'; did you mean 'followups'?"),
], ids=["transport", "timezone", "key"])
def test_a_problem_in_amends_yaml_stops_sending_and_recording(capsys, root, settings, words):
    outbox = sending_project(root, settings)
    for args in (["send"], ["approve", "cake", "apology"], ["release", "cake", "apology"], ["done", "cake", "apology"]):
        code, out, err = run(capsys, root, *args)
        assert code == 2, (args, out, err)
        assert words in err and "Traceback" not in out + err
        assert "fix amends.yaml first" in err
    assert not outbox.exists() or not any(outbox.rglob("*.jsonl")) and not any(outbox.rglob("*.eml"))


def test_check_shows_a_settings_problem_once_not_per_follow_up(capsys, root):
    (root / "amends.yaml").write_text("business: {name: Test Shop, email: care@@shop}\n", encoding="utf-8")
    for n in range(5):  # five customers, so that no case looks like a copy of another
        write_case(root, f"cake-{n}.md", SENDING_CASE.replace("ann@example.com", f"ann{n}@example.com"))
    code, out, err = run(capsys, root, "check")
    assert code == 1
    assert err.splitlines() == ["amends.yaml:1: 'care@@shop' is not a valid email address: "
                                "The part after the @-sign contains invalid characters: '@'."]
    assert "follow-ups not checked until amends.yaml is fixed" in out


def test_a_misspelled_plan_kind_is_one_line_not_one_per_case(capsys, root):
    """A kind with no template blocks every case's follow-up: check says so once, not per case."""
    (root / "amends.yaml").write_text("business: {name: Test Shop, email: care@shop.example.com}\n"
                                      "followups:\n  plan:\n    - kind: apology\n      after: 2 business days\n"
                                      "    - kind: explanaton\n      after: 3 business days\n", encoding="utf-8")
    for n in range(5):
        write_case(root, f"cake-{n}.md", SENDING_CASE.replace("ann@example.com", f"ann{n}@example.com"))
    code, out, err = run(capsys, root, "check")
    assert code == 1
    assert err.splitlines() == ["templates/email: there is no template templates/email/explanaton.subject.txt "
                                "(5 follow-ups blocked)"]


# -- time travel is safe (issue 15, item 10) ----------------------------------------

def cli_at(capsys, root: Path, when: list[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *when, *args])
    out, err = capsys.readouterr()
    return code, out, err


def ledger_lines(root: Path) -> list[str]:
    path = root / "outbox" / "ledger.jsonl"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.mark.parametrize("args", [["send"], ["approve", "cake", "apology"], ["release", "cake", "apology"],
                                  ["done", "cake", "apology"]], ids=["send", "approve", "release", "done"])
@pytest.mark.parametrize("when", [["--today", "2199-12-04"], ["--now", "2199-12-04T09:30"]], ids=["today", "now"])
def test_nothing_is_sent_or_recorded_in_the_future(capsys, root, args, when):
    sending_project(root, "")
    code, out, err = cli_at(capsys, root, when, *args)
    assert code == 2
    assert "later than the real clock" in err and "cannot act in the future" in err
    assert ledger_lines(root) == []


def test_a_past_moment_is_allowed_with_a_warning(capsys, root):
    sending_project(root, "")
    code, out, err = cli_at(capsys, root, ["--now", "2026-11-18T10:00"], "send")
    assert code == 0, err
    assert err.splitlines()[0].startswith("warning: --now 2026-11-18T10:00:00: acting as of 2026-11-18 10:00, not now (")
    assert "1 sent" in out


def test_release_done_and_approve_say_when_there_is_nothing_to_record(capsys, root):
    sending_project(root, "")
    when = ["--now", "2026-11-18T10:00"]
    assert cli_at(capsys, root, when, "send")[0] == 0
    code, out, err = cli_at(capsys, root, when, "release", "cake", "apology")
    assert code == 2 and "cake apology was already sent on 2026-11-18 10:00" in err
    code, out, err = cli_at(capsys, root, when, "approve", "cake", "explanation")
    assert code == 2 and "needs no approval" in err
    assert cli_at(capsys, root, when, "done", "cake", "explanation")[0] == 0
    code, out, err = cli_at(capsys, root, when, "done", "cake", "explanation")
    assert code == 2 and "cake explanation was already marked done on 2026-11-18 10:00" in err
    assert [json.loads(line)["ev"] for line in ledger_lines(root)] == ["attempt", "sent", "done"]


# -- one table of commands, one read of amends.yaml (issue 22) ---------------------

def test_every_command_the_parser_knows_is_in_the_table():
    from amends import cli
    from amends.cli.args import parser

    sub = next(a for a in parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(cli.COMMANDS) | set(cli.WITHOUT_PROJECT)
    assert not set(cli.COMMANDS) & set(cli.WITHOUT_PROJECT)


@pytest.mark.parametrize("before, args", [([], ["build"]), (["build"], ["build"]), ([], ["check"]), ([], ["followups"]),
                                          ([], ["send"]), ([], ["done", "cake", "apology"])],
                         ids=["build", "build-unchanged", "check", "followups", "send", "done"])
def test_amends_yaml_is_read_once_per_command(capsys, root, monkeypatch, before, args):
    """Counted where every read of a file starts: opening it."""
    sending_project(root, "")
    if before:
        assert run(capsys, root, *before)[0] == 0
    reads = []
    opened = Path.open

    def counted(self, mode="r", *rest, **options):
        if self.name == "amends.yaml" and "r" in mode:
            reads.append(self)
        return opened(self, mode, *rest, **options)

    monkeypatch.setattr(Path, "open", counted)
    code, out, err = run(capsys, root, *args)
    assert code in (0, 1), err
    assert len(reads) == 1
