"""Work beside the caller's thread: reading ahead (`prefetch`) and writing behind (`Behind`).

A screening's main thread (typing, evaluating, wording) is the slowest part of a run; reading the next
chunk and writing the last one run in threads of their own, and pyarrow and zlib do most of that work
off the GIL. On a two-core machine the three threads contend for two cores, and the kernel shares them
out evenly unless told otherwise: the main thread then waits while runnable (1,000,000 rows: 1.4-1.5 s
of its 12 s). So the background threads lower their own CPU priority (`yield_cpu`): they run when a core
is free, and they are never far behind, since each is only one chunk ahead or behind.

A thread inherits the priority of the thread that starts it, and Arrow starts its pools' threads on first
use, from whichever thread uses them: those pools serve the whole process for its lifetime, so no pool
may be started from a background thread (prefetch produces its first item in the caller's thread; the
writers given to Behind do not use Arrow's thread pool). tests/test_background.py checks every output.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, Queue
from typing import Any

_END = object()  # prefetch: the items ended before the first
NICENESS = 10  # added to a background thread's nice value (Linux: per thread; weight 110 against the caller's 1024)


def yield_cpu() -> None:
    """Lower the calling thread's CPU priority by NICENESS (Linux only; elsewhere, or if refused, nothing).

    Only for threads this module starts: a thread keeps its niceness until it ends, and threads it starts
    inherit it. Linux gives each thread its own nice value; other systems would renice the whole process."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(now + NICENESS, 19))
    except OSError:  # a sandbox may refuse: the work is the same, only scheduled evenly
        pass


def prefetch(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Produce items in a background thread, `depth` ahead (file reading releases the GIL).

    The first item is produced in the calling thread, which would wait for it anyway: readers start their
    libraries' worker threads (Arrow's I/O pool) on first use, and those must not inherit the background
    thread's lower priority, since they outlive it and serve the whole process."""
    first = next(items, _END)
    if first is _END:
        return
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        yield_cpu()
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put((True, item))
            queue.put((False, None))
        except BaseException as e:  # handed to the consumer, raised there
            queue.put((False, e))

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()  # reading the next items while the caller works on the first
    try:
        yield first
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get_nowait()
            except Empty:
                worker.join(0.01)


class Behind:
    """Calls `write` in a worker thread, one piece behind the caller: zlib (a zip entry) or pyarrow (a Parquet or
    CSV writer) works on one piece off the GIL while the caller builds the next, so both cores are busy.
    `write` must not start a thread pool (see the module's docstring)."""

    def __init__(self, write: Callable[[Any], Any]) -> None:
        self.write_now = write
        self.pool = ThreadPoolExecutor(max_workers=1, initializer=yield_cpu)
        self.pending: Future[Any] | None = None

    def write(self, piece: Any) -> None:
        if self.pending is not None:
            self.pending.result()
        self.pending = self.pool.submit(self.write_now, piece)

    def close(self) -> None:
        """Wait for the last piece (its error, if any, is raised here)."""
        try:
            if self.pending is not None:
                self.pending.result()
        finally:
            self.pool.shutdown()

    def __enter__(self) -> Behind:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
