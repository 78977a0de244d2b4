"""The screening's background threads (reading ahead, writing behind) run at a lower CPU priority than the
caller, and leave no thread of the process at that priority once they end (engine/batch/background.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.batch.background import NICENESS, Behind, prefetch
from engine.batch.generate import generate, write_table

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")


def niceness() -> int:
    """The calling thread's nice value."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def expected_background() -> int:
    return min(niceness() + NICENESS, 19)


def threads_niceness() -> dict[int, int]:
    """Nice value of every live thread of this process (field 19 of /proc/self/task/<tid>/stat)."""
    out = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        out[int(task.name)] = int(stat.rsplit(")", 1)[1].split()[16])
    return out


def test_prefetch_produces_at_background_priority() -> None:
    before = niceness()

    def items() -> Iterator[int]:
        for _ in range(3):
            yield niceness()

    # the first in the caller's thread (a reader starting its library's pools there), the rest in the background
    assert list(prefetch(items(), depth=1)) == [before, expected_background(), expected_background()]
    assert niceness() == before  # the caller keeps its priority


def test_behind_writes_at_background_priority() -> None:
    before = niceness()
    seen: list[int] = []
    with Behind(lambda piece: seen.append(niceness())) as behind:
        for piece in range(3):
            behind.write(piece)
    assert seen == [expected_background()] * 3
    assert niceness() == before


# In a fresh process, so that Arrow's pools start their threads during the screenings (in this one, earlier tests
# may have started them already): every output, the ranked one staged first, a CSV read in many chunks.
SCREENINGS = """
import sys
from datetime import date
from pathlib import Path
from engine.batch.screen import Allocation, Screening
from engine.language.loader import load_pack

source, out = Path(sys.argv[1]), Path(sys.argv[2])
pack = load_pack(Path("rules"))
first = sorted(pack.policies)[0]
for name, allocations in (("a.parquet", []), ("b.csv", []), ("c.xlsx", []), ("d.parquet", [Allocation(first, quota=5)])):
    Screening(pack, date(2025, 6, 30), allocations=allocations, chunk_rows=200).run(source, out / name)
tasks = Path("/proc/self/task")
print(sorted({int((t / "stat").read_text().rsplit(")", 1)[1].split()[16]) for t in tasks.iterdir()}))
"""


def test_screenings_leave_no_thread_at_background_priority(tmp_path: Path) -> None:
    """Threads a background thread starts inherit its priority (Arrow starts its pools' threads on first use):
    after screenings to every output, each thread still alive runs at the priority the process started with."""
    source = tmp_path / "applicants.csv"
    write_table(generate(2_000, seed=1), source)
    done = subprocess.run(
        [sys.executable, "-c", SCREENINGS, str(source), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    assert done.stdout.strip() == f"[{niceness()}]"


def test_prefetch_reads_the_second_item_while_the_caller_holds_the_first() -> None:
    """The reading thread starts as soon as the first item is handed over, not when the second is asked for:
    the screening of the first chunk and the reading of the next overlap."""
    second_read = threading.Event()

    def items() -> Iterator[int]:
        yield 1
        second_read.set()
        yield 2

    chunks = prefetch(items(), depth=1)
    assert next(chunks) == 1
    assert second_read.wait(timeout=10)  # while the caller still holds the first item
    assert list(chunks) == [2]
