"""`ipcheck screen --engine dask`: the same chunk evaluator on each partition of a Dask DataFrame.

The input becomes a Dask DataFrame of cell texts (CSV and Parquet read by Dask itself, a
workbook read here and split); every partition is screened by `screen.screen_part`, unchanged,
on the cluster (a local one by default, or the scheduler at --scheduler). The screening hands
in itself and its chunk screener (this module does not import engine.batch.screen, which imports it). Parts come back in
input order and the caller numbers their rows, flags duplicates, ranks and writes, exactly as
for the local engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from engine.batch.tabular import TableError, detect_encoding, read_chunks

ScreenTable = Callable[[Any, pa.Table], Any]  # (plan, cells) -> a screened part, rows numbered from the first


class Screener(Protocol):
    """What the Dask engine needs of a screening run (engine.batch.screen.Screening)."""

    chunk_rows: int
    scheduler: str | None

    def plan(self, headers: list[str]) -> Any: ...


def screen_frame(screen_table: ScreenTable, plan: Any, frame: pd.DataFrame) -> Any:
    """Screen one partition (its rows numbered from the first data row; the caller moves them into place)."""
    return screen_table(plan, pa.Table.from_pandas(frame, preserve_index=False))


def read_frame(source: Path, chunk_rows: int) -> tuple[Any, list[str]]:
    """(Dask DataFrame of the input's cells, the header row): one partition per block or chunk."""
    import dask.dataframe as dd

    suffix = source.suffix.lower()
    if suffix == ".xlsx":
        chunks = list(read_chunks(source, chunk_rows))
        headers = chunks[0][0] if chunks else []
        frame = pd.concat([t.to_pandas() for _, t in chunks], ignore_index=True) if chunks else pd.DataFrame()
        return dd.from_pandas(frame, chunksize=chunk_rows), headers
    headers = next(iter(read_chunks(source, 1)), ([], None))[0]
    names = [f"c{i}" for i in range(len(headers))]
    if suffix == ".csv":
        frame = dd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=detect_encoding(source),
            header=0,
            names=names,
            blocksize=max(1 << 14, chunk_rows * 200),
        )
    else:
        frame = dd.read_parquet(source)
    return frame, headers


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
    """(headers, screened part) per partition, in input order, rows numbered in place."""
    try:
        import dask
    except ImportError:
        raise TableError(
            "--engine dask needs dask: pip install 'ipcheck[dask]'",
            "--engine dask 需要安装 dask：pip install 'ipcheck[dask]'",
        ) from None
    frame, headers = read_frame(source, screening.chunk_rows)
    plan = screening.plan(headers)
    tasks = [dask.delayed(screen_frame)(screen_table, plan, partition) for partition in frame.to_delayed()]
    with client(screening.scheduler) as c:
        futures = c.compute(tasks)
        offset = 0
        for future in futures:
            part = future.result().shifted(offset)
            offset += part.table.num_rows
            yield headers, part
