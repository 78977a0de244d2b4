"""`ipcheck screen --engine dask`: the same chunk evaluator on each chunk, on a Dask cluster.

The input is read here by the engine's one table reader (engine.batch.tabular.read_chunks: for CSV
engine.batch.csvread's encoding, delimiter, title-row and bad-record handling; for a workbook the
guard, the sheet choice and the limits), so a table reads the same under either engine. Each chunk
is screened by `screen.screen_part`, unchanged, on the cluster (a local one by default, or the
scheduler at --scheduler), a bounded number of chunks in flight so memory stays that of a few
chunks. The screening hands in itself and its chunk screener (this module does not import
engine.batch.screen, which imports it). Parts come back in input order with their final row
numbers; the caller flags duplicates, ranks and writes, exactly as for the local engine.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from engine.batch.tabular import ReadOptions, TableError, read_chunks

ScreenTable = Callable[[Any, pa.Table, int], Any]  # (plan, cells, first row number) -> a screened part


class Screener(Protocol):
    """What the Dask engine needs of a screening run (engine.batch.screen.Screening)."""

    chunk_rows: int
    scheduler: str | None
    read: ReadOptions

    def plan(self, headers: list[str]) -> Any: ...


@contextmanager
def client(scheduler: str | None) -> Iterator[Any]:
    """A client of the given scheduler, or of a local cluster with one single-threaded worker per core."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as c:
            yield c
        return
    with (
        LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as c,
    ):
        yield c


def dask_parts(screening: Screener, source: Path, screen_table: ScreenTable) -> Iterator[tuple[list[str], Any]]:
    """(headers, screened part) per chunk, in input order, rows numbered as the spreadsheet numbers them."""
    try:
        from dask.distributed import Client  # noqa: F401 — only to refuse early without dask
    except ImportError:
        raise TableError(
            "--engine dask needs dask: pip install 'ipcheck[dask]'",
            "--engine dask 需要安装 dask：pip install 'ipcheck[dask]'",
        ) from None
    chunks = read_chunks(source, screening.chunk_rows, screening.read)
    first = next(chunks, None)
    if first is None:
        return
    headers = first[0]
    plan = screening.plan(headers)
    row = screening.read.first_row  # known once the reader has found the header row
    with client(screening.scheduler) as c:
        window = max(2, 2 * len(c.scheduler_info().get("workers", {}) or [0]))
        pending: deque[Any] = deque()
        for _, table in chain([first], chunks):
            pending.append(c.submit(screen_table, plan, table, row, pure=False))
            row += table.num_rows
            if len(pending) >= window:
                yield headers, pending.popleft().result()
        while pending:
            yield headers, pending.popleft().result()
