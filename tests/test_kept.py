"""What a build keeps from one run to the next equals what it would work out afresh.

Checked cases are kept until the day a check of them could say something else, and a case's
planned follow-ups while they are all settled (sent, done, skipped). A random sequence of
edits, new cases, removals, renames, send passes, a person's decisions and moves of the
clock (forward by hours or days, and back) runs against one project; after each step, a
review with the cache must give exactly what a review without it gives: every follow-up's
state, reason and times, every problem and every warning.

Seeded: a failure names its seed and step, and the seed reproduces it.
"""
from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from amends import cli
from amends.followups import send
from amends.followups.review import review
from amends.incremental.cache import FOLDER, NO_CACHE, Cache

from conftest import REPO

DAY = "2026-11-22"
START = datetime(2026, 11, 16, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
STEPS = 40


def seen(root: Path, now: datetime, cache: Cache) -> dict:
    """Everything a review says, in plain values."""
    state = review(root, now, "outbox", cache=cache)
    return {
        "followups": [(p.followup.key, p.followup.state, p.followup.reason, p.followup.detail, p.followup.due_at,
                       p.followup.when, p.followup.earlier, p.rendered and p.rendered.digest) for p in state.prepared],
        "problems": [str(p) for p in state.problems],
        "warnings": [str(p) for p in state.warnings],
        "cases": [case.id for case in state.project.cases],
    }


def edit(rng: random.Random, path: Path) -> str:
    """Change one fact of a case file the way a person would."""
    text = path.read_text(encoding="utf-8")
    resolved = re.search(r"^resolved: (\d{4}-\d\d-\d\d)$", text, re.M)
    choices = {
        "title": lambda t: re.sub(r"^title: (.*)$", lambda m: f"title: {m.group(1)} (edited)", t, count=1, flags=re.M),
        "reopen": lambda t: re.sub(r"^status: \w+$", "status: open", t, count=1, flags=re.M),
        "lost": lambda t: re.sub(r"^status: \w+$", "status: lost", t, count=1, flags=re.M),
        "severity": lambda t: re.sub(r"^severity: \w+$", "severity: critical", t, count=1, flags=re.M),
        "body": lambda t: t.rstrip("\n") + "\n\nOne more line, added later.\n",
    }
    if resolved:
        later = (datetime.fromisoformat(resolved.group(1)) + timedelta(days=rng.choice((-2, 1, 3)))).date()
        choices["resolved"] = lambda t: t.replace(resolved.group(0), f"resolved: {later}")
        # A date in the future is a problem until that day comes.
        choices["tomorrow"] = lambda t: t.replace(resolved.group(0), "resolved: 2026-11-24")
    what = rng.choice(sorted(choices))
    path.write_text(choices[what](text), encoding="utf-8")
    return f"edit {what} {path.name}"


def step(rng: random.Random, root: Path, now: datetime) -> tuple[datetime, str]:
    """One random thing that happens to a project; the new moment and what it was."""
    cases = sorted((root / "cases").glob("*.md"))
    roll = rng.random()
    if roll < 0.25:
        return now + timedelta(hours=rng.choice((1, 3, 7, 24, 49))), "time passes"
    if roll < 0.3:
        return now - timedelta(hours=rng.choice((2, 30))), "back in time"
    if roll < 0.45:
        report = send.send_pass(root, now, "outbox")
        return now, f"send pass ({len(report.results)} sent)"
    if roll < 0.55:
        state = review(root, now, "outbox")
        open_ones = [p.followup for p in state.prepared if p.followup.state not in ("sent", "done", "skipped")]
        if open_ones:
            f = rng.choice(open_ones)
            try:
                send.record(root, now, f.case.id, f.kind, rng.choice(("done", "release", "approve")))
            except (LookupError, send.Refused):
                pass
            return now, f"decision on {f.key}"
        return now, "no decision to make"
    if roll < 0.8:
        return now, edit(rng, rng.choice(cases))
    if roll < 0.88:
        source = rng.choice(cases)
        new = source.with_name(f"2026-11-1{rng.randint(0, 9)}-copy-{rng.randint(0, 10**6)}.md")
        new.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: Copy of ", 1), encoding="utf-8")
        return now, f"add {new.name}"
    if roll < 0.94:
        gone = rng.choice(cases)
        gone.unlink()
        return now, f"remove {gone.name}"
    source = rng.choice(cases)
    source.rename(source.with_name(f"renamed-{source.name}"))
    return now, f"rename {source.name}"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kept") / "p"
    assert cli.main(["--root", str(REPO), "--today", DAY, "demo", "--cases", "40", "--out", str(root), "--seed", "5"]) == 0
    return root


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_work_equals_work_done_afresh(base, tmp_path, seed):
    import shutil

    root = tmp_path / "p"
    shutil.copytree(base, root)
    rng, now = random.Random(seed), START
    cache = Cache(root / FOLDER)
    history = []
    settled_before = 0
    for n in range(STEPS):
        now, what = step(rng, root, now)
        history.append(f"{now:%a %d %b %H:%M} {what}")
        kept, fresh = seen(root, now, cache), seen(root, now, NO_CACHE)
        for part in fresh:
            assert kept[part] == fresh[part], f"seed {seed}, step {n}, {part} differ after:\n" + "\n".join(history)
        settled_before = max(settled_before, sum(f[1] in ("sent", "done", "skipped") for f in fresh["followups"]))
    # The run must have kept something worth keeping: settled follow-ups, planned once and then reused.
    assert settled_before > 0, "no follow-up was ever settled: the test kept nothing"
