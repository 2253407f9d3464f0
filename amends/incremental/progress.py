"""What a long command is doing, shown on a terminal: the phase of the work, with counts where known.

Shown on stderr, only when it is a terminal, and only once the command has run AFTER_SECONDS:
a quick command never flickers, and a pipe, a log file, cron or a test gets nothing extra.
Each phase replaces the last on one line, and the line is cleared when the work is done, so what
the command prints after it starts on a clean line.

Everything is drawn from the main thread, as the work reports its steps: no thread of its own
refreshes the line, since the work forks its workers (see workers.py), and a fork must not copy
a thread in the middle of a write.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")

AFTER_SECONDS = 2.0
# The seconds to wait instead, for the tests: they run build.py on a terminal of their own, where
# only the environment reaches it, and a project slow enough to pass two seconds would make them slow.
AFTER_VARIABLE = "AMENDS_PROGRESS_AFTER"

COUNTED = "{desc} {n:,}/{total:,} {bar} {elapsed}<{remaining}"
UNCOUNTED = "{desc}…"


class _Line(tqdm):
    monitor_interval = 0  # no refreshing thread of tqdm's: see the module's docstring


class Progress:
    """The phases of one command's work, drawn on `stream` once the command has run `after` seconds.

    Without a stream it draws nothing and costs nothing: count() hands back the items themselves.
    As a context manager, it clears the line on leaving, however the work ended.
    """

    def __init__(self, stream: TextIO | None, after: float = AFTER_SECONDS) -> None:
        self.stream, self.after = stream, after
        self.began = time.monotonic()
        self.line: tqdm | None = None

    def phase(self, name: str, total: int | None = None) -> None:
        """The work is now `name`, of `total` steps if known; it replaces the phase before it."""
        self.close()
        if self.stream is None:
            return
        wait = max(0.0, self.began + self.after - time.monotonic())
        self.line = _Line(total=total, desc=name, file=self.stream, leave=False, delay=wait,
                          bar_format=UNCOUNTED if total is None else COUNTED)

    def count(self, items: Iterable[T], name: str, total: int | None = None) -> Iterable[T]:
        """The items as they come, counted as the phase `name` of `total` steps (len(items) unless given)."""
        if self.stream is None:
            return items
        return self._counted(items, name, len(items) if total is None else total)

    def _counted(self, items: Iterable[T], name: str, total: int) -> Iterator[T]:
        self.phase(name, total)
        # Told a thousandth of the way at a time: a call to tqdm costs about a microsecond, as much as
        # the work on one item in the quickest phases (a file's times looked at).
        line, step = self.line, max(1, total // 1000)
        for done, item in enumerate(items, 1):
            # Counted as it is handed on: a reader that stops at the last item (zip) still sees it counted.
            if done % step == 0 or done == total:
                line.update(done - line.n)
            yield item

    def close(self) -> None:
        """Clear the line, if it was ever drawn."""
        if self.line is not None:
            self.line.close()
            self.line = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


NO_PROGRESS = Progress(None)


def on_terminal(quiet: bool = False) -> Progress:
    """Progress on stderr if it is a terminal and not `quiet`; else none."""
    if quiet or not sys.stderr.isatty():
        return NO_PROGRESS
    try:
        after = float(os.environ.get(AFTER_VARIABLE, AFTER_SECONDS))
    except ValueError:
        after = AFTER_SECONDS
    return Progress(sys.stderr, after)
