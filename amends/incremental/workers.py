"""Spread work over every core: forked workers that start with the work already in memory.

Forking means the function and the items need not be pickled on the way in
(a lambda over the whole model is fine); only the results come back pickled.
Below a few hundred items, starting processes costs more than it saves, and
the work is done here, in order, exactly as the workers would do it.
"""
from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 400
# A worker reads the model it inherited, and in CPython reading an object writes its reference
# count, so every page it reads is copied. Replaced after half its share of the slices, a worker gives
# those copies back: at ten thousand cases the processes hold about 100 MB less together, for a few more forks.
SLICES_PER_WORKER = 8
_work: tuple[Callable, Sequence, int] | None = None


def each(func: Callable[[T], R], items: Sequence[T], at_least: int = PARALLEL_FROM) -> Iterator[R]:
    """func(item) for each item, in the items' order; on every core when there are at least `at_least` items."""
    global _work
    workers = os.cpu_count() or 1
    if len(items) < max(at_least, 1) or workers < 2:
        yield from map(func, items)
        return
    # The first item is done here, before forking: whatever func loads lazily on first use (every
    # case's notes, say) is then loaded once and shared, not loaded again in each worker.
    yield func(items[0])
    _work = (func, items, os.getpid())
    # A collection in a worker would write to every object it inherited, copying the pages
    # it shares with this process; frozen objects are left out of collections (see gc.freeze).
    gc.freeze()
    try:
        step = max(1, len(items) // (workers * 16))
        with multiprocessing.get_context("fork").Pool(workers, die_with_parent, (os.getpid(),),
                                                      maxtasksperchild=SLICES_PER_WORKER) as pool:
            for part in pool.imap(_slice, [(i, i + step) for i in range(1, len(items), step)]):
                yield from part
    finally:
        _work = None
        gc.unfreeze()


def die_with_parent(parent: int) -> None:
    """In a process just forked from `parent`: end as soon as `parent` is gone.

    A killed build (Ctrl-C, `schedule` stopping one that hangs, kill -9) must not leave its
    workers writing pages into site/ after it, nor printing tracebacks when they find it gone.
    Linux signals the child when the thread that forked it ends, not the process: a Pool forks
    its replacement workers from a thread that ends when the pool is closed, while the worker may
    hold the pool's lock. So the signal is one that can be caught, and ends the worker only
    when its parent is really gone; the next Python step after it comes is no write.
    """
    if sys.platform == "linux":
        signal.signal(signal.SIGUSR1, lambda *_: _orphaned(parent))
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGUSR1), 0, 0, 0)
    _orphaned(parent)  # gone already, before the request above was made


def _orphaned(parent: int) -> None:
    if os.getppid() != parent:
        os._exit(1)


def _slice(bounds: tuple[int, int]) -> list:
    func, items, parent = _work
    done = []
    for item in items[bounds[0]:bounds[1]]:
        _orphaned(parent)  # where no signal comes (not Linux), the worker looks before each item
        done.append(func(item))
    return done
