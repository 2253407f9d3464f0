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
from collections.abc import Callable

import schedule

log = logging.getLogger(__name__)


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
