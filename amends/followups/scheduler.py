"""Run send passes forever on a timer (`python build.py schedule`).

The `schedule` package is only the trigger: it never catches up after
downtime and lets one exception escape run_pending(). What is due comes from
the case files and the ledger on every pass, so a pass that was skipped costs
nothing, and each pass is wrapped so that one failure is logged and the loop
goes on. The site is built apart (see Builds): a build that hangs or fails
never holds up the sending.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import schedule

from amends.incremental.workers import die_with_parent

# A cold build of ten thousand cases takes well under a minute; one that runs this long waits on
# something that will not come (a FIFO in place of a template, say) and is stopped.
BUILD_LIMIT_SECONDS = 30 * 60

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


class Builds:
    """Site builds in a process of their own, one at a time, beside the send passes.

    A build that hangs cannot be stopped from inside the process it hangs in, and
    would stop the sending with it. Apart, it is stopped once it has run for `limit`
    seconds, and the workers it forked end with it (workers.die_with_parent).
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.running: tuple[multiprocessing.Process, float, str] | None = None  # with when it started, and as of when

    def start(self, build: Callable[[], object], as_of: str) -> None:
        """Start `build` apart, after saying what became of the last one; while that one still runs, say so instead."""
        if self.running is not None:
            process, started, last = self.running
            ran = time.monotonic() - started
            minutes = ran // 60
            if process.is_alive() and ran < self.limit:
                log.warning("the site build as of %s is still running (%d min); no other is started beside it", last, minutes)
                return
            if process.is_alive():
                self.stop()
                log.error("the site build as of %s did not finish in %d min and was stopped; a new one starts", last, minutes)
            elif process.exitcode != 0:
                log.error("the site build as of %s failed (%s); site/ may be out of date, a new one starts",
                          last, _ending(process.exitcode))
        process = multiprocessing.get_context("fork").Process(target=_apart, args=(build, os.getpid()), name="site build")
        process.start()
        self.running = process, time.monotonic(), as_of

    def stop(self) -> None:
        """Stop the build under way, if any (it replaces each page whole, so no page is left half written)."""
        if self.running is not None:
            self.running[0].kill()
            self.running[0].join()
        self.running = None


def _apart(build: Callable[[], object], parent: int) -> None:
    die_with_parent(parent)
    # Ctrl-C is for the scheduler, which stops the build itself: here it would only add a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        build()
    except Exception:
        log.exception("the site build failed")
        sys.exit(1)


def _ending(exitcode: int) -> str:
    return f"killed by signal {-exitcode}" if exitcode < 0 else f"exit {exitcode}"
