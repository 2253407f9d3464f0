"""Fuzzing: thousands of case files mutated from the samples, through `check` and a build.

A seeded generator deletes, duplicates and swaps lines and characters, inserts tabs,
control characters, long values and odd numbers and dates. Whatever comes out, no
command may print a traceback or run past a timeout, and every file is either a valid
case or reported by its file name.
"""
from __future__ import annotations

import random
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from amends.cases.project import load_project

from conftest import REPO, TODAY

SEED = 15
FILES = 3000
BATCHES = 6  # one project each, so that every command's timeout covers a few hundred files
ODD = ("1E+26", "1E+99999999999", "1E-999999999", "NaN", "-Infinity", "-0", "0x1F", "1_0.5", "12,50", "0001-01-01",
       "9999-12-31", "2026-02-30", "2026-13-01", "1899-12-31 25:61", "~", "null", '"Null"', "''", "[]", "{}", "&a x",
       "*a", "!!python/object:os.system", "- x", "? x", "|", ">", "'", '"', "#", ":", "x: y: z", "\t", "yes", "no")
CONTROL = ("\t", "\x00", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\r", "\ufeff", "\x0c")


def mutate(rng: random.Random, text: str) -> str:
    """One to four random changes to a case file's text."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        line = lines[i]
        change = rng.randrange(10)
        if change == 0:
            del lines[i]
        elif change == 1:
            lines.insert(i, line)
        elif change == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], line
        elif change == 3 and line:
            k = rng.randrange(len(line))
            lines[i] = line[:k] + line[k + 1:]
        elif change == 4 and len(line) > 1:
            k = rng.randrange(len(line) - 1)
            lines[i] = line[:k] + line[k + 1] + line[k] + line[k + 2:]
        elif change == 5:
            lines[i] = "\t" + line if rng.random() < 0.5 else line.replace("  ", "\t", 1)
        elif change == 6:
            k = rng.randrange(len(line) + 1)
            lines[i] = line[:k] + rng.choice(CONTROL) + line[k:]
        elif change == 7 and ":" in line:
            lines[i] = line.split(":", 1)[0] + ": " + rng.choice(ODD)
        elif change == 8 and ":" in line:
            lines[i] = line.split(":", 1)[0] + ": " + rng.choice("x9é'\" ") * rng.choice((100, 5_000, 70_000))
        else:
            lines.insert(i, " " * rng.randrange(8) + line.strip())
    return "\n".join(lines)


def write_projects(root: Path) -> list[Path]:
    rng = random.Random(SEED)
    samples = [p.read_text(encoding="utf-8") for p in sorted((REPO / "cases").glob("*.md"))]
    projects = []
    for batch in range(BATCHES):
        project = root / f"p{batch}"
        (project / "cases").mkdir(parents=True)
        shutil.copytree(REPO / "templates", project / "templates")
        shutil.copy(REPO / "amends.yaml", project / "amends.yaml")
        for n in range(FILES // BATCHES):
            (project / "cases" / f"f{batch}-{n:04d}.md").write_text(mutate(rng, rng.choice(samples)), encoding="utf-8",
                                                                      errors="surrogatepass")
        projects.append(project)
    return projects


def test_fuzzed_case_files(tmp_path):
    """Every mutated file is a valid case or reported by name; check and build never crash or hang."""
    files = valid = with_problems = 0
    for project in write_projects(tmp_path):
        loaded = load_project(project, TODAY)
        named = {p.path for p in loaded.problems}
        paths = {c.path for c in loaded.cases}
        names = [f"cases/{p.name}" for p in sorted((project / "cases").glob("*.md"))]
        assert [n for n in names if n not in paths and n not in named] == []
        files, valid, with_problems = files + len(names), valid + len(paths), with_problems + len(named - {"amends.yaml"})
        for command in (["check"], ["build"]):
            result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(project), "--today",
                                     TODAY.isoformat(), *command], cwd=REPO, capture_output=True, text=True, timeout=10)
            assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
            assert result.returncode in (0, 1), result.stderr[-3000:]
            reported = {line.split(":", 1)[0] for line in result.stderr.splitlines()}
            assert [n for n in names if n not in paths and n not in reported] == [], command
    print(f"\nfuzz: {files} files, {valid} valid, {with_problems} with problems")
    assert files == FILES
