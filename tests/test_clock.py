"""One clock per command: given or real at its start, running on in real time for `serve` and `schedule`."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from amends import cli
from amends.cli.clock import start_clock
from amends.followups import scheduler
from conftest import CLASSIC_PLAN_YAML, MINIMAL_CASE, REPO, write_case

BERLIN = ZoneInfo("Europe/Berlin")


class Wall:
    """A real clock that moves only when told."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_a_given_day_goes_on_in_real_time():
    wall = Wall(datetime(2026, 12, 7, 2, 30, tzinfo=timezone.utc))
    clock = start_clock(date(2026, 11, 27), None, BERLIN, wall)
    assert clock.start == clock.now() == datetime(2026, 11, 27, 12, 0, tzinfo=BERLIN)
    wall.at += timedelta(hours=13, minutes=5)
    assert clock.now() == datetime(2026, 11, 28, 1, 5, tzinfo=BERLIN)  # the day after, once that much real time has passed
    assert clock.start == datetime(2026, 11, 27, 12, 0, tzinfo=BERLIN)  # what a one-shot command acts at never moves


def test_the_real_clock_is_read_in_the_business_time_zone():
    wall = Wall(datetime(2026, 12, 7, 2, 30, tzinfo=timezone.utc))
    clock = start_clock(None, None, BERLIN, wall)
    assert (clock.start, clock.given) == (datetime(2026, 12, 7, 3, 30, tzinfo=BERLIN), None)
    wall.at += timedelta(minutes=15)
    assert clock.now() == wall.at


def test_an_hour_on_across_the_change_to_summer_time_is_an_hour_later():
    """At 02:00 on 29 March 2026 Berlin's clocks jump to 03:00: 01:30 and a real hour is 03:30, not 02:30."""
    wall = Wall(datetime(2026, 12, 7, tzinfo=timezone.utc))
    clock = start_clock(None, datetime(2026, 3, 29, 1, 30), BERLIN, wall)
    assert clock.given == "--now 2026-03-29T01:30:00"
    wall.at += timedelta(hours=1)
    now = clock.now()
    assert (now.hour, now.minute, now.utcoffset()) == (3, 30, timedelta(hours=2))
    assert now.astimezone(timezone.utc) - clock.start.astimezone(timezone.utc) == timedelta(hours=1)


def test_only_the_command_line_reads_the_wall_clock():
    """Everything else is given its `now` (file stamps, which are not the business's now, are another matter)."""
    readers = re.compile(r"\b(datetime\.now|datetime\.today|datetime\.utcnow|date\.today)\(")
    found = [path.relative_to(REPO).as_posix() for path in sorted((REPO / "amends").rglob("*.py"))
             for line in path.read_text(encoding="utf-8").splitlines() if readers.search(line)]
    assert found == ["amends/cli/clock.py"]


# Resolved on Mon 16 Nov: the apology is due on Wed 18 Nov, and missed after three business days.
SENDING_CASE = MINIMAL_CASE.replace("resolved: 2026-03-04", "resolved: 2026-11-16")
SETTINGS = "business: {name: Test Shop, email: care@shop.example.com}\ntimezone: Europe/Berlin\nfollowups:\n" + CLASSIC_PLAN_YAML


@pytest.fixture
def ticks(root, monkeypatch) -> list:
    """The ticks `schedule` would run, caught instead of run every few minutes."""
    (root / "amends.yaml").write_text(SETTINGS, encoding="utf-8")
    write_case(root, "cake.md", SENDING_CASE)
    caught = []
    monkeypatch.setattr(scheduler, "run_forever", lambda tick, every, stop: caught.append(tick))
    monkeypatch.setattr(scheduler.Builds, "start", lambda self, build, as_of: None)  # the sending is what is looked at
    return caught


def ledger_events(root: Path) -> list[dict]:
    path = root / "outbox" / "ledger.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_schedule_sends_as_of_the_given_moment_and_says_so(root, ticks, capsys):
    assert cli.main(["--root", str(root), "--now", "2026-11-18T10:00", "schedule"]) == 0
    assert capsys.readouterr().err.startswith("warning: --now 2026-11-18T10:00:00: acting as of 2026-11-18 10:00, not now (")
    [tick] = ticks
    tick()
    sent = [e for e in ledger_events(root) if e["ev"] == "sent"]
    assert [e["key"] for e in sent] == ["cake/apology/2026-11-16"]
    # A moment or two after the given one: the real time since the command began.
    at = datetime.fromisoformat(sent[0]["ts"])
    assert timedelta(0) <= at - datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN) < timedelta(minutes=5)


def test_schedule_refuses_a_moment_later_than_the_real_clock(root, ticks, capsys):
    assert cli.main(["--root", str(root), "--today", "2199-12-04", "schedule"]) == 2
    err = capsys.readouterr().err
    assert "later than the real clock" in err and "'schedule' records what happens" in err
    assert ticks == [] and ledger_events(root) == []
