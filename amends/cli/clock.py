"""The one clock of a command. The wall clock is read here, and nowhere else in amends."""
from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from amends.cli.args import ExitStatus


def wall() -> datetime:
    """The real time, now."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Clock:
    """The moment a command acts at, and the time it goes on in.

    A one-shot command acts at `start` exactly: the moment given with --today or
    --now, or the real one when the command began. A long-running one (serve,
    schedule) asks now(): `start` plus the real time elapsed since, so that one
    started as of a past day goes on from that day as the real clock goes on.
    """

    start: datetime
    began: datetime  # the real time when the command began
    given: str | None = None  # how the moment was given ("--today 2026-11-27"), if it was
    real: Callable[[], datetime] = wall

    def now(self) -> datetime:
        # Added up in UTC: across a change to or from summer time, a local time an hour on is not always an hour later.
        moment = self.start.astimezone(timezone.utc) + (self.real() - self.began)
        return moment.astimezone(self.start.tzinfo)


def start_clock(today: date | None, moment: datetime | None, zone: ZoneInfo,
                real: Callable[[], datetime] = wall) -> Clock:
    """The clock of a command given --today (noon that day), --now (in the business's time zone unless it
    names its own) or neither (the real clock), read in `zone`."""
    began = real()
    if today is not None:
        return Clock(datetime.combine(today, time(12, 0), zone), began, f"--today {today}", real)
    if moment is not None:
        start = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        return Clock(start, began, f"--now {moment.isoformat()}", real)
    return Clock(began.astimezone(zone), began, None, real)


def time_travel(clock: Clock, command: str) -> ExitStatus | None:
    """For a command that records what happens: refuse a moment later than the real clock, and say so
    when acting as of a past one. None when the command may go on."""
    if clock.given is None:
        return None
    now, real = clock.start, clock.began.astimezone(clock.start.tzinfo)
    if now > real:
        print(f"error: {clock.given} means {now:%Y-%m-%d %H:%M}, later than the real clock ({real:%Y-%m-%d %H:%M}); "
              f"'{command}' records what happens and cannot act in the future (use 'followups' to look ahead)",
              file=sys.stderr)
        return ExitStatus.USAGE
    print(f"warning: {clock.given}: acting as of {now:%Y-%m-%d %H:%M}, not now ({real:%Y-%m-%d %H:%M}); "
          "what is recorded is dated then", file=sys.stderr)
    return None
