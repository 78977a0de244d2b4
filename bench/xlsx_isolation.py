"""What reading a workbook in a limited child process (engine.batch.isolated) costs over reading it in-process.

    python bench/xlsx_isolation.py [--rows 20000] [--rounds 5] [--quick]

Writes ROWS synthetic applicants with Chinese headers as .xlsx (what an officer uploads), then reads
them ROUNDS times each way with the service's read options (its limits; `isolate` off, then on), every
chunk's cells as the screening gets them, alternating the two so machine load hits both alike.
Prints the median CPU time (this process and the reading child: what load inflates least) and the
wall-clock time of each, the overhead per read and its ratio to the in-process read, the floor the
isolation is measured against. --quick: 5,000 rows, 3 rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.limits import Limits
from engine.batch.generate import generate_arrow, write_table
from engine.batch.tabular import ReadOptions, read_chunks


def read_all(path: Path, isolate: bool) -> tuple[float, float, int]:
    """Wall-clock and CPU seconds (this process and the reading child) to read every chunk, and the rows read."""
    options = ReadOptions(limits=Limits().sheet, isolate=isolate)
    wall, cpu = time.perf_counter(), time.process_time()
    rows = sum(table.num_rows for _, table in read_chunks(path, options=options))
    return time.perf_counter() - wall, time.process_time() - cpu + options.child_cpu_seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="5,000 rows, 3 rounds")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.rounds = 5_000, 3
    with tempfile.TemporaryDirectory(prefix="ipcheck-bench-") as tmp:
        path = Path(tmp) / "applicants.xlsx"
        write_table(generate_arrow(args.rows, seed=0), path, headers="zh")
        read_all(path, True)  # the forkserver starts once per process: not part of any read
        wall: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for isolate in (False, True):
                seconds, used, rows = read_all(path, isolate)
                assert rows == args.rows, rows
                wall[isolate].append(seconds)
                cpu[isolate].append(used)
        size = path.stat().st_size / 1e6
    print(
        f"reading {args.rows:,} rows of xlsx ({size:.1f} MB), {args.rounds} rounds each, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for isolate, name in ((False, "in-process    "), (True, "child, limited")):
        print(
            f"  {name}  CPU median {statistics.median(cpu[isolate]) * 1000:,.0f} ms   "
            f"wall median {statistics.median(wall[isolate]) * 1000:,.0f} ms, best {min(wall[isolate]) * 1000:,.0f} ms"
        )
    here, there = statistics.median(cpu[False]), statistics.median(cpu[True])
    print(f"  overhead {(there - here) * 1000:+,.0f} ms CPU per read ({there / here:.2f}x the in-process read's CPU)")


if __name__ == "__main__":
    main()
