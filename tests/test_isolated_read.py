"""The second wall (engine.batch.isolated): a workbook read in a child process with a memory and a CPU limit,
so a reader that blows up fails there, as the same bilingual LimitError (413 in the service), and the
server keeps answering even when the guard (engine.batch.xlsxguard) lets a dangerous workbook through."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from hostile import HEADER, ROW, far_cell, sheet_xml, two_sheets, write_xlsx  # tests/hostile.py

from api.app import create_app
from api.limits import Limits
from engine.batch.isolated import isolated_chunks
from engine.batch.tabular import LimitError, ReadOptions, TableError, read_chunks
from engine.batch.xlsxguard import EXCEL_COLUMNS, EXCEL_ROWS, SheetChoice, SheetLimits

ROOT = Path(__file__).resolve().parent.parent

# What a guard that missed everything would let through: the whole Excel grid, any size.
BLIND = SheetLimits(
    rows=EXCEL_ROWS,
    columns=EXCEL_COLUMNS,
    cells=1 << 62,
    unzipped_bytes=1 << 40,
    ratio=1 << 30,
    memory_bytes=512 << 20,
    cpu_seconds=60,
)


def spin(path: Path, chunk_rows: int, options: ReadOptions):  # a reader stuck in a loop
    while True:
        pass
    yield  # pragma: no cover


def hog(path: Path, chunk_rows: int, options: ReadOptions):  # a reader that wants far too much memory
    held = [bytearray(64 << 20) for _ in range(1000)]
    yield [], pa.table({"c0": [str(len(held))]})


class Panic(BaseException):
    """As pyo3's PanicException: what the Rust reader raises when it panics on a broken file."""


def panics(path: Path, chunk_rows: int, options: ReadOptions):
    raise Panic("index out of bounds")
    yield  # pragma: no cover


def exits(path: Path, chunk_rows: int, options: ReadOptions):  # a child that cannot carry on, without a word
    os._exit(3)
    yield  # pragma: no cover


def test_a_reader_that_fails_or_exits_is_not_blamed_on_the_memory_limit(tmp_path: Path) -> None:
    """A panic in the reader, or a child exiting by itself, was reported as "needed more than 4096 MB of
    memory": wrong, and it sent the officer looking for a smaller file."""
    with pytest.raises(TableError) as panicked:
        list(isolated_chunks(panics, tmp_path / "x.xlsx", 100, ReadOptions(), BLIND))
    assert not isinstance(panicked.value, LimitError)
    assert "cannot be read (Panic)" in panicked.value.en and "无法读取该工作簿（Panic）" in panicked.value.zh
    with pytest.raises(TableError) as exited:
        list(isolated_chunks(exits, tmp_path / "x.xlsx", 100, ReadOptions(), BLIND))
    assert not isinstance(exited.value, LimitError) and "exit code 3" in exited.value.en
    assert "MB" not in exited.value.zh and "意外退出" in exited.value.zh


def test_a_far_cell_the_guard_missed_fails_in_the_child_not_here(tmp_path: Path) -> None:
    """Read in this process, calamine would ask for 549 GB and abort the test run (SIGABRT)."""
    path = far_cell(tmp_path / "far.xlsx")
    with pytest.raises(LimitError) as caught:
        list(read_chunks(path, options=ReadOptions(limits=BLIND, isolate=True)))
    assert "512 MB" in caught.value.en and "512 MB" in caught.value.zh and "far.xlsx" in caught.value.en


def test_the_guard_s_verdict_wins_over_the_read_it_runs_beside(tmp_path: Path) -> None:
    """In the child the reader starts while the guard scans; a far cell the guard refuses must still be refused
    with the guard's words (the cell and the limit), not as a reader that ran out of memory — whichever of the
    two finishes first, and also when the read kills the child before the guard answers (the parent asks the
    guard again)."""
    path = far_cell(tmp_path / "far.xlsx")
    limits = SheetLimits(memory_bytes=512 << 20)
    with pytest.raises(LimitError) as here:
        list(read_chunks(path, options=ReadOptions(limits=limits)))
    with pytest.raises(LimitError) as there:
        list(read_chunks(path, options=ReadOptions(limits=limits, isolate=True)))
    assert there.value.en == here.value.en and there.value.zh == here.value.zh
    assert "last column" in there.value.en and "512 MB" not in there.value.en


def test_a_reader_over_the_memory_limit_is_a_limit_error(tmp_path: Path) -> None:
    with pytest.raises(LimitError, match="memory"):
        list(isolated_chunks(hog, tmp_path / "x.xlsx", 100, ReadOptions(), BLIND))


def test_a_reader_over_the_cpu_limit_is_a_limit_error(tmp_path: Path) -> None:
    started = time.monotonic()
    limits = SheetLimits(cpu_seconds=1)
    with pytest.raises(LimitError) as caught:
        list(isolated_chunks(spin, tmp_path / "x.xlsx", 100, ReadOptions(), limits))
    assert "1 s of CPU time" in caught.value.en and "CPU 时间超过 1 秒" in caught.value.zh
    assert time.monotonic() - started < 60


def test_isolated_reading_gives_the_same_chunks_notes_and_rows(tmp_path: Path) -> None:
    rows = [["2025年申报汇总表"], HEADER] + [[*ROW[:1], f"企业{i}", *ROW[2:]] for i in range(7)]
    path = write_xlsx(tmp_path / "t.xlsx", [("申报企业", sheet_xml(rows), False), ("说明", sheet_xml([]), True)])
    here, there = ReadOptions(), ReadOptions(isolate=True)
    local = list(read_chunks(path, 3, here))
    child = list(read_chunks(path, 3, there))
    assert [h for h, _ in child] == [h for h, _ in local] and len(child) == 3
    assert all(a.equals(b) for (_, a), (_, b) in zip(local, child))
    assert there.first_row == here.first_row == 3 and there.notes == here.notes and there.notes


def test_whole_file_errors_come_back_as_their_own_kind(tmp_path: Path) -> None:
    path = two_sheets(tmp_path / "two.xlsx")
    with pytest.raises(SheetChoice) as here:
        list(read_chunks(path))
    with pytest.raises(SheetChoice) as there:
        list(read_chunks(path, options=ReadOptions(isolate=True)))
    assert there.value.sheets == here.value.sheets and there.value.zh == here.value.zh
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TableError):
        list(read_chunks(broken, options=ReadOptions(isolate=True)))


def test_the_service_survives_a_workbook_its_guard_lets_through(tmp_path: Path) -> None:
    limits = Limits(sheet=BLIND)
    app = create_app(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", officer_tokens={"a": "t"}, limits=limits)
    client = TestClient(app)
    far = far_cell(tmp_path / "far.xlsx").read_bytes()
    r = client.post("/v1/screens", headers={"Authorization": "Bearer t"}, files={"file": ("far.xlsx", far)})
    assert r.status_code == 413, r.text
    body = r.json()
    assert body["error"] == "too_large" and "内存" in body["message_zh"] and "memory" in body["message_en"]
    assert client.get("/healthz").status_code == 200


def test_the_service_prepares_for_uploads_and_settles_its_heap_at_startup(tmp_path: Path) -> None:
    """The first upload after a start must not wait for the process server the readers are forked from (it
    imports the batch modules: 1–2.5 s on the project machine), and what the server holds for its lifetime is
    frozen out of the garbage collector's walks (api.heap: a full collection paused every request ≈ 100 ms).
    A fresh interpreter, so no earlier test has started or frozen anything."""
    script = f"""
import gc, multiprocessing.forkserver as fs, time
from fastapi.testclient import TestClient
from api.app import create_app
assert fs._forkserver._forkserver_pid is None and gc.get_freeze_count() == 0
with TestClient(create_app(database_url="sqlite:///{tmp_path}/db.sqlite3", officer_tokens={{}}, poll_seconds=0)):
    deadline = time.monotonic() + 30
    while (fs._forkserver._forkserver_pid is None or gc.get_freeze_count() == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("reader server", fs._forkserver._forkserver_pid is not None, "frozen", gc.get_freeze_count() > 10_000)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.stdout.strip() == "reader server True frozen True", done.stderr[-2000:]
