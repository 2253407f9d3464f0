"""Time the aggregates of the report: today's functions over every case, against the folds kept by difference.

    .venv/bin/python bench/folds.py [--cases 10000] [--project DIR]

Writes a demo project of that many cases (or reads DIR), reviews it once, then times:
- the recompute: each of today's whole-collection functions once (views, figures, the follow-up lists);
- the folds made from nothing (a clean build), and their kept state pickled and read back;
- one edited case taken in (Aggregates.update), then every accessor read as the pages would.
Times are CPU times (time.process_time), which other work on a shared machine moves less than the
clock on the wall. Asserts nothing about time; it checks that the folds equal the recompute after the edit.
"""
from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from amends import cli  # noqa: E402
from amends.followups.plan import STATES  # noqa: E402
from amends.followups.review import review  # noqa: E402
from amends.report import figures, views  # noqa: E402
from amends.report.aggregates import Aggregates  # noqa: E402
from amends.report.contexts import ATTENTION_STATES  # noqa: E402

DAY = date(2026, 11, 22)
GROUPINGS = {"categories": views.by_category, "teams": views.by_team, "tags": views.by_tag, "customers": views.by_customer}


def periods() -> list[figures.Period]:
    return [p for key in figures.PERIODS for p in (figures.period(key, DAY), figures.previous(figures.period(key, DAY))) if p]


def recompute(cases: list, prepared: list) -> dict:
    """Every aggregate, by today's functions, each once."""
    repeats = views.repeat_failures(cases)
    counts = figures.customer_counts(cases)
    out = {section: grouping(cases) for section, grouping in GROUPINGS.items()}
    out |= {"repeats": repeats, "statuses": views.status_counts(cases), "open": views.open_cases_by_age(cases, DAY),
            "promises": views.promises_to_watch(cases, DAY),
            "newest": sorted(cases, key=lambda c: (c.opened, c.id), reverse=True),
            "lessons": [views.lessons(out[s], repeats) for s in ("categories", "teams")],
            "figures": [figures.figures(cases, p, counts) for p in periods()],
            "by state": {s: [i for i in prepared if i.followup.state == s] for s in STATES},
            "attention": [i for i in prepared if not i.followup.is_task and i.followup.state in ATTENTION_STATES
                          and (i.followup.state != "due" or i.followup.due_at.date() <= DAY)]}
    for key in figures.PERIODS:
        p = figures.period(key, DAY)
        firsts = figures.months(cases, p, DAY)
        inside = [c for c in cases if p.holds(c.opened)]
        out[f"charts {key}"] = (firsts, figures.per_month(cases, firsts, "EUR"), views.by_category(inside),
                                views.by_team(inside), sorted(c.days_to_resolve for c in cases
                                                              if c.days_to_resolve is not None and p.holds(c.resolved)))
    return out


def read_all(agg: Aggregates) -> dict:
    """Every aggregate, from the folds, in the shape recompute() gives it."""
    out = {section: agg.groups(section) for section in GROUPINGS}
    out |= {"repeats": agg.repeat_failures(), "statuses": agg.status_counts(), "open": agg.open_cases_by_age(DAY),
            "promises": agg.promises_to_watch(DAY), "newest": agg.newest(),
            "lessons": [agg.lessons(s) for s in ("categories", "teams")],
            "figures": [agg.figures(p) for p in periods()],
            "by state": {s: agg.followups_in([s]) for s in STATES}, "attention": agg.attention(ATTENTION_STATES, DAY)}
    for key in figures.PERIODS:
        p = figures.period(key, DAY)
        firsts = agg.months(p, DAY)
        out[f"charts {key}"] = (firsts, agg.per_month(firsts, "EUR"), agg.groups("categories", p),
                                agg.groups("teams", p), agg.days_to_resolve(p))
    return out


def timed(what: str, func, runs: int = 5):
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = func()
        times.append(time.process_time() - start)
    print(f"{what:<58} {1000 * statistics.median(times):9.1f} ms CPU  (median of {runs})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--project", type=Path, help="an existing project to read instead of a new demo")
    args = parser.parse_args()
    root = args.project
    if root is None:
        root = Path(tempfile.mkdtemp()) / "demo"
        cli.main(["--root", str(REPO), "--today", DAY.isoformat(), "demo", "--cases", str(args.cases), "--out", str(root)])
    print("reviewing the project once (not timed) …", flush=True)
    state = review(root, datetime.combine(DAY, clock(12, 0), ZoneInfo("Europe/Berlin")))
    cases, prepared, config = state.project.cases, state.prepared, state.project.config
    followups: dict[str, list] = {}
    for item in prepared:
        followups.setdefault(item.followup.case.id, []).append(item)
    print(f"{len(cases)} cases, {len(prepared)} follow-ups")

    timed("recompute: today's functions, each once", lambda: recompute(cases, prepared), 3)

    def fresh() -> Aggregates:
        agg = Aggregates(config)
        agg.update(cases, (), followups)
        return agg

    agg = timed("folds made from nothing (a clean build)", fresh, 3)
    kept = timed("kept state pickled", lambda: pickle.dumps(agg.kept), 3)
    print(f"{'kept state':<58} {len(kept) / 1e6:9.1f} MB")
    timed("kept state read back (pickle.loads + restore)",
          lambda: Aggregates.restore(config, pickle.loads(kept), cases, followups), 3)

    # One edit: a case with a prevention moves to another category, customer and day, and is lost.
    old = next(c for c in reversed(cases) if c.prevention and c.team and c.category and c.tags)
    edited = replace(old, category="Billing", status="lost", resolved=old.opened, opened=old.opened.replace(day=1),
                     customer=replace(old.customer, email="someone.new@example.com"))
    mine = {old.id: followups.get(old.id, [])}
    timed("one edit taken in, then taken back (two updates)",
          lambda: (agg.update([edited], (), mine), agg.update([old], (), mine)), 20)
    agg.update([edited], (), mine)
    now = [edited if c.id == old.id else c for c in cases]
    timed("update after one edit, then read every aggregate", lambda: (agg.update([edited], (), mine), read_all(agg)), 3)
    assert read_all(agg) == recompute(now, prepared), "the folds differ from the recompute"
    print("after the edit, every aggregate equals the recompute")


if __name__ == "__main__":
    main()
