"""workers.each gives what a plain loop gives, in order, whether or not it forks."""
from __future__ import annotations

import functools
import os

import pytest

from amends.incremental import workers
def test_many_items_come_back_in_order_from_the_workers():
    """Enough items to fork: every result, in order, computed in other processes by a closure over local data."""
    table = {i: f"row {i}" for i in range(5000)}
    items = list(range(5000))
    got = list(workers.each(lambda i: (table[i], os.getpid()), items, at_least=100))
    assert [row for row, _ in got] == [table[i] for i in items]
    if (os.cpu_count() or 1) > 1:
        # The first item is done here (see the next test); the rest elsewhere.
        assert got[0][1] == os.getpid()
        assert os.getpid() not in {pid for _, pid in got[1:]}, "the work did not leave this process"


def test_workers_are_replaced_as_the_work_goes_on():
    """No worker does more than SLICES_PER_WORKER slices: what it copied of this process is given back early."""
    got = list(workers.each(lambda i: os.getpid(), list(range(5000)), at_least=100))
    cores = os.cpu_count() or 1
    if cores > 1:
        slices = -(-4999 // max(1, 5000 // (cores * 16)))
        assert len(set(got[1:])) >= -(-slices // workers.SLICES_PER_WORKER) > cores


def test_what_the_work_loads_lazily_is_loaded_once_here(tmp_path):
    """A cache filled on first use (as the notes' HTML is) is filled before the fork, not in each worker."""
    log = tmp_path / "loads"

    @functools.cache
    def table() -> dict[int, str]:
        with log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return {i: f"row {i}" for i in range(5000)}

    got = list(workers.each(lambda i: table()[i], list(range(5000)), at_least=100))
    assert got == [f"row {i}" for i in range(5000)]
    assert log.read_text().split() == [str(os.getpid())]


def test_few_items_are_done_here_alike():
    got = list(workers.each(lambda i: (i * i, os.getpid()), list(range(50)), at_least=100))
    assert [square for square, _ in got] == [i * i for i in range(50)]
    assert {pid for _, pid in got} == {os.getpid()}


def test_an_error_in_a_worker_reaches_the_caller():
    def fail_on_777(i: int) -> int:
        if i == 777:
            raise ValueError("item 777")
        return i

    with pytest.raises(ValueError, match="item 777"):
        list(workers.each(fail_on_777, list(range(2000)), at_least=100))
