"""Batch screening benchmark: N synthetic applicants, CSV in, Parquet out, against the whole pack.

    python bench/batch.py [--n 1000000] [--seed 0] [--sample 2000] [--chunk-rows 50000] [--rules DIR]
                          [--policies a,b] [--quick] [--repeat 1]

Prints the end-to-end rate (reading, validating, evaluating, rationale, writing), the peak
resident memory of the screening process, the I/O floor measured in the same run (pyarrow reading
the same CSV as the screener reads it, every column as text, and writing the same output table
with the same writer) and the ratio to it (target ≤ 2.0), and, on a sample of the same rows, the
rate of the single-profile path (parse_profile + evaluate) and the ratio between the two.
The screening runs in a child process so that its peak memory is its own. --quick: 50,000 rows.
--repeat N: the screening and the floor are each run N times, in turn, and the minimum of each is compared
(on a shared machine one run of either can read 1.5x slow; the minima are the figures to compare).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.batch.tabular import CHUNK_ROWS, raw_cell  # noqa: E402
from engine.evaluate.evaluator import evaluate  # noqa: E402
from engine.language.loader import load_pack  # noqa: E402
from engine.model.profile import parse_profile  # noqa: E402

AS_OF = "2025-06-30"
# The process tree's memory is sampled from /proc by this process, on the cores the screening uses: about 1.3 ms
# of CPU a sample here, 2.6 % of a core at 50 ms; the screening's own peak (VmHWM) is exact whatever the interval.
SAMPLE_SECONDS = 0.25
# Run `ipcheck` and record the process's own peak resident memory (VmHWM, kB) in the file named first.
SCREEN = """
import sys
from engine.cli.main import main
out = sys.argv.pop(1)
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    status = open("/proc/self/status").read()
    open(out, "w").write(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM")))
"""


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        grew, family = bool(more), family | more
    return sum(rss.get(pid, 0) for pid in family)


def single_profile_rate(source: Path, sample: int, rules: Path) -> tuple[float, float]:
    """Profiles per second (wall clock, CPU time) of parse_profile + evaluate on the first `sample` rows."""
    pack = load_pack(rules)
    with source.open(encoding="utf-8") as handle:
        rows = [row for _, row in zip(range(sample), csv.DictReader(handle))]
    rows = [{k: raw_cell(k, v or None) for k, v in row.items() if v} for row in rows]
    day = date.fromisoformat(AS_OF)
    started, cpu = time.perf_counter(), time.process_time()
    for row in rows:
        try:
            evaluate(parse_profile(row), pack, day)
        except ValueError:
            continue
    return len(rows) / (time.perf_counter() - started), len(rows) / (time.process_time() - cpu)


def io_floor(source: Path, screened: Path, chunk_rows: int) -> tuple[float, float]:
    """(wall, CPU) seconds to read `source` as the screener does and write the screened table again."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    output = pq.read_table(screened)  # in memory first: only the writing is timed
    with source.open(encoding="utf-8") as handle:
        names = next(csv.reader(handle))
    started, cpu = time.perf_counter(), time.process_time()
    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=max(1 << 20, chunk_rows * 200)),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    for _ in reader:
        pass
    with (
        tempfile.TemporaryDirectory(prefix="ipcheck-floor-") as tmp,
        pq.ParquetWriter(Path(tmp) / "again.parquet", output.schema) as writer,
    ):
        for batch in output.to_batches(max_chunksize=chunk_rows):
            writer.write_table(pa.Table.from_batches([batch]))
    return time.perf_counter() - started, time.process_time() - cpu


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float
    peak_mb: float  # the screening process's own peak resident memory (VmHWM)
    peak_tree: int  # bytes, the whole process tree sampled every SAMPLE_SECONDS


def screen_once(command: list[str], env: dict[str, str], hwm: Path) -> Run:
    """One screening in a child process, timed and its memory watched."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak_total = 0
    while child.poll() is None:
        peak_total = max(peak_total, tree_rss(child.pid))
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    if child.returncode:
        sys.exit(f"screening failed with exit code {child.returncode}")
    return Run(seconds, _children_cpu() - cpu_before, int(hwm.read_text()) / 1024, peak_total)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help="default: the screener's own")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules", help="rule folder (default: the pack)")
    parser.add_argument("--policies", help="screen only these policies (comma-separated ids)")
    parser.add_argument("--quick", action="store_true", help="50,000 rows, 300 sampled")
    parser.add_argument("--repeat", type=int, default=1, help="screening and floor runs, in turn; minima compared")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.quick:
        args.n, args.sample = 50_000, 300
    with tempfile.TemporaryDirectory(prefix="ipcheck-bench-") as tmp:
        source, target = Path(tmp) / "applicants.csv", Path(tmp) / "decisions.parquet"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "engine.batch.generate", str(args.n), "-o", str(source), "--seed", str(args.seed)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        print(
            f"generated {args.n:,} applicants in {time.perf_counter() - started:.1f} s "
            f"({source.stat().st_size / 1e6:.0f} MB CSV)"
        )
        hwm = Path(tmp) / "peak.txt"
        command = [
            sys.executable,
            "-c",
            SCREEN,
            str(hwm),
            "screen",
            str(source),
            "-o",
            str(target),
            "--as-of",
            AS_OF,
            "--chunk-rows",
            str(args.chunk_rows),
            "--rules",
            str(args.rules),
        ]
        command += ["--policies", args.policies] if args.policies else []
        runs, floors = [], []
        for _ in range(args.repeat):
            runs.append(screen_once(command, env, hwm))
            floors.append(io_floor(source, target, args.chunk_rows))
        seconds, cpu = min(r.seconds for r in runs), min(r.cpu for r in runs)
        peak_mb, peak_total = max(r.peak_mb for r in runs), max(r.peak_tree for r in runs)
        floor, floor_cpu = min(f[0] for f in floors), min(f[1] for f in floors)
        batch_rate = args.n / seconds
        single_rate, single_cpu_rate = single_profile_rate(source, args.sample, args.rules)
    best = f", the best of {args.repeat} runs in turn with the floor's" if args.repeat > 1 else ""
    print(
        f"batch, CSV -> Parquet, whole pack: {args.n:,} profiles in {seconds:.2f} s = {batch_rate:,.0f} profiles/s "
        f"(process start and pack load included); CPU time {cpu:.2f} s = {args.n / cpu:,.0f} profiles per CPU-second"
        f"{best}"
    )
    if args.repeat > 1:
        print(
            "  screening runs: "
            + ", ".join(f"{r.seconds:.2f} s" for r in runs)
            + "; floor runs: "
            + ", ".join(f"{f[0]:.2f} s" for f in floors)
        )
    print(
        f"I/O floor (pyarrow: read the same CSV as text, write the same output): {floor:.2f} s, CPU {floor_cpu:.2f} s; "
        f"screening / floor = {seconds / floor:.2f}x by wall clock, {cpu / floor_cpu:.2f}x by CPU time (target <= 2.0)"
    )
    print(
        f"peak RSS of the screening process (VmHWM): {peak_mb:,.0f} MB; "
        f"whole process tree sampled every {SAMPLE_SECONDS * 1000:.0f} ms: {peak_total / 2**20:,.0f} MB"
    )
    print(
        f"single-profile evaluator (parse_profile + evaluate), {args.sample:,} of the same rows: "
        f"{single_rate:,.0f} profiles/s, {single_cpu_rate:,.0f} profiles per CPU-second"
    )
    print(
        f"ratio batch / single-profile: {batch_rate / single_rate:,.0f}x by wall clock, "
        f"{args.n / cpu / single_cpu_rate:,.0f}x by CPU time   (machine: {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
