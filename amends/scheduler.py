"""Run send passes forever on a timer (`python build.py schedule`).

The `schedule` package is only the trigger: it never catches up after
downtime and lets one exception escape run_pending(). What is due comes from
the case files and the ledger on every pass, so a pass that was skipped costs
nothing, and each pass is wrapped so that one failure is logged and the loop
goes on.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import schedule

log = logging.getLogger(__name__)


def stamp(moment: datetime) -> str:
    """A moment as a log line gives it, with its zone: 2026-11-21 10:15:03 CET (or -03 where a
    zone has no abbreviation)."""
    return f"{moment:%Y-%m-%d %H:%M:%S %Z}"


class BusinessClock(logging.Formatter):
    """Log lines stamped with the business's clock, not the machine's (a server often runs on UTC)."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__("%(asctime)s %(message)s")
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return stamp(datetime.fromtimestamp(record.created, self.zone))


@contextmanager
def business_clock(zone: ZoneInfo) -> Iterator[None]:
    """While it lasts, log lines are stamped with the business's clock. The handlers belong to whoever
    set up logging (cli.main, or a test), so they get their own format back afterwards."""
    handlers = list(logging.getLogger().handlers)
    formats = [handler.formatter for handler in handlers]
    for handler in handlers:
        handler.setFormatter(BusinessClock(zone))
    try:
        yield
    finally:
        for handler, own in zip(handlers, formats):
            handler.setFormatter(own)


def guarded(tick: Callable[[], None]) -> Callable[[], None]:
    """The tick, with any exception logged instead of ending the loop."""
    def run() -> None:
        try:
            tick()
        except Exception:
            log.exception("the pass failed; the next one runs as scheduled")
    return run


def run_forever(tick: Callable[[], None], every_seconds: float, stop: threading.Event, poll: float = 1.0) -> None:
    """Run tick now and then every `every_seconds`, until `stop` is set."""
    scheduler = schedule.Scheduler()
    job = guarded(tick)
    scheduler.every(every_seconds).seconds.do(job)
    job()  # at start-up too: schedule itself would first wait a whole interval
    while not stop.is_set():
        scheduler.run_pending()
        stop.wait(poll)
