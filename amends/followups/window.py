"""When things may happen: business days, the send window on the business's clock and the
customer's, and the moments a follow-up falls due, is called, or is too late to send."""
from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from amends.cases.config import Config, Step
from amends.model import Case


def fixed_day(case: Case, kind: str) -> date | None:
    return dict(case.followups.dates).get(kind) if case.followups.dates else None


def send_zone(case: Case, config: Config) -> str:
    """The time zone the send window applies in: the customer's own, if the case gives it."""
    return case.customer.timezone or config.timezone


def due_time(case: Case, step: Step, config: Config, zone: str | None = None) -> datetime:
    """The first moment in the send window (in `zone`, else send_zone's) on or after resolution + delay,
    in the business's time zone."""
    day, zone = fixed_day(case, step.kind), zone or send_zone(case, config)
    due = _due_after(case.resolved, step, config, zone) if day is None else opening(day, config, zone)
    return due.astimezone(ZoneInfo(config.timezone))


def call_time(case: Case, step: Step, config: Config) -> datetime:
    """When a person makes a call: the first quarter hour, on or after the planned day, inside the send
    window both on the business's clock and on the customer's (if the case gives their zone), within a
    week; else the business's opening that day, and the page shows both clocks."""
    opening = due_time(case, step, config, config.timezone)
    zone = case.customer.timezone
    if not zone or zone == config.timezone:
        return opening
    return _both_open(opening, zone, config)


# Thousands of calls share a few hundred openings and a few zones: each pair is worked out once.
@functools.lru_cache(maxsize=4096)
def _both_open(opening: datetime, zone: str, config: Config) -> datetime:
    moment = opening
    while moment < opening + timedelta(days=7):
        if next_slot(moment, config, zone) == moment:
            return moment
        moment = next_slot(moment + timedelta(minutes=15), config)
    return opening


# Thousands of cases share a few hundred days of resolution: each day's answer is worked out once.
@functools.lru_cache(maxsize=4096)
def _due_after(resolved: date, step: Step, config: Config, zone: str) -> datetime:
    return opening(planned_day(resolved, step, config), config, zone)


def planned_day(resolved: date, step: Step, config: Config) -> date:
    return add_business_days(resolved, step.days, config) if step.business_days else resolved + timedelta(days=step.days)


@functools.lru_cache(maxsize=4096)
def distance(earlier: Step, later: Step, resolved: date, config: Config) -> tuple[int, bool]:
    """How far after `earlier` the plan puts `later`: a number of business days, or of days, as `later` counts.

    Counted between their planned days for this resolution, so that "3 business days"
    and "7 days" can be compared; never less than 0.
    """
    first, second = planned_day(resolved, earlier, config), planned_day(resolved, later, config)
    if not later.business_days:
        return max(0, (second - first).days), False
    n = 0
    while first < second:
        first += timedelta(days=1)
        n += is_business_day(first, config)
    return n, True


def days_after(moment: datetime, n: int, business: bool, config: Config, zone: str) -> datetime:
    """The same clock time n (business) days after `moment`, or the window's next opening after that."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    day = add_business_days(local.date(), n, config) if business else local.date() + timedelta(days=n)
    return next_slot(datetime.combine(day, local.time(), tz), config, zone)


def opening(day: date, config: Config, zone: str) -> datetime:
    return next_slot(datetime.combine(day, config.window_start, ZoneInfo(zone)), config, zone)


def is_business_day(day: date, config: Config) -> bool:
    """A weekday of the send window that is not one of the business's holidays."""
    return day.weekday() in config.window_days and day not in config.holidays


def add_business_days(day: date, n: int, config: Config) -> date:
    while n > 0:
        day += timedelta(days=1)
        n -= is_business_day(day, config)
    return day


def catch_up_deadline(due_at: datetime, config: Config, zone: str | None = None) -> datetime:
    """When a late follow-up is missed: the window's close, catch_up_days business days after the day it was due.

    Business days, because a sender that was down over a weekend has lost no sending days;
    the window's close, so that what was shown as due at 09:00 is still sent at 09:01.
    """
    tz = ZoneInfo(zone or config.timezone)
    day = add_business_days(due_at.astimezone(tz).date(), config.catch_up_days, config)
    return datetime.combine(day, config.window_end, tz)


def next_slot(moment: datetime, config: Config, zone: str | None = None) -> datetime:
    """`moment` itself if it is inside the send window (in `zone`, else the business's), else the window's next opening."""
    tz = ZoneInfo(zone or config.timezone)
    local = moment.astimezone(tz)
    day = local.date()
    for _ in range(366):
        if is_business_day(day, config):
            start = datetime.combine(day, config.window_start, tz)
            if local < start:
                return start
            if local < datetime.combine(day, config.window_end, tz):
                return local
        day += timedelta(days=1)
        local = datetime.combine(day, datetime.min.time(), tz)
    return local  # a window that never opens; config validation prevents it
