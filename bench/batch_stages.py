"""Where a batch screening's CPU goes, stage by stage, on chunks already read into memory.

    python bench/batch_stages.py [--n 300000] [--seed 0] [--repeat 3] [--rules DIR] [--source applicants.csv]

Generates N applicants (or takes --source), reads them into chunks as `ipcheck screen` does, then screens every chunk
`--repeat` times with a fresh reader and prints, per stage, the main thread's CPU seconds (the
minimum over the repeats, so that other tenants of a shared machine count as little as possible):
preparation (typing and validating the cells), evaluation (the batch evaluator), reasons (the
rationale texts), the other decision columns, and building the output table. Reading and writing
are left out: bench/batch.py measures the whole run against the I/O floor; this script shows
which stage a change moved, with less noise than a whole run's wall clock.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.batch import rationale, screen  # noqa: E402
from engine.batch.tabular import ChunkReader, read_chunks  # noqa: E402
from engine.batch.vectorized import BatchEvaluation  # noqa: E402
from engine.language.loader import load_pack  # noqa: E402

AS_OF = date(2025, 6, 30)
STAGES = ("prepare", "evaluate", "reasons", "other columns", "output table")


class Stopwatch:
    """Thread CPU seconds per stage; a stage nested in another is taken out of the outer one."""

    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()
        self.stack: list[str] = []

    @contextmanager
    def stage(self, name: str):  # type: ignore[no-untyped-def]
        started = time.thread_time()
        self.stack.append(name)
        try:
            yield
        finally:
            self.stack.pop()
            took = time.thread_time() - started
            self.spent[name] += took
            if self.stack:
                self.spent[self.stack[-1]] -= took


def timed(watch: Stopwatch, name: str, fn):  # type: ignore[no-untyped-def]
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        with watch.stage(name):
            return fn(*args, **kwargs)

    return run


def screen_once(plan: screen.Plan, tables: list, watch: Stopwatch) -> None:  # type: ignore[type-arg]
    screen._STATE.clear()  # a fresh reader: its caches start empty, as in a new run
    row = 2
    for table in tables:
        with watch.stage("output table"):  # what is left of screen_part once the stages below are taken out
            screen.screen_part(plan, table, row)
        row += table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    parser.add_argument("--source", type=Path, help="screen this table instead of generating one (A/B runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipcheck-stages-") as tmp:
        source = args.source or Path(tmp) / "applicants.csv"
        if args.source is None:
            command = [sys.executable, "-m", "engine.batch.generate", str(args.n), "-o", str(source)]
            subprocess.run([*command, "--seed", str(args.seed)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        chunks = list(read_chunks(source))
    headers, tables = chunks[0][0], [t for _, t in chunks]
    pack = load_pack(args.rules)
    plan = screen.Screening(pack, AS_OF).plan(headers)
    screen._remember(screen._PACKS, (plan.root, plan.rules_hash), pack, screen._KEEP_PACKS)
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        watch = Stopwatch()
        patches = [
            (ChunkReader, "prepare", "prepare"),
            (BatchEvaluation, "run", "evaluate"),
            (rationale.Rationale, "texts", "reasons"),
            (screen, "_policy_columns", "other columns"),
        ]
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, stage in patches:
            setattr(owner, name, timed(watch, stage, getattr(owner, name)))
        try:
            screen_once(plan, tables, watch)
        finally:
            for owner, name, fn in saved:
                setattr(owner, name, fn)
        for stage in STAGES:
            best[stage] = min(best.get(stage, float("inf")), watch.spent[stage])
    total = sum(best.values())
    rows = sum(t.num_rows for t in tables)
    chunks_word = "chunk" if len(tables) == 1 else "chunks"
    print(f"{rows:,} rows in {len(tables)} {chunks_word}, whole pack; main-thread CPU seconds, min of {args.repeat}:")
    for stage in STAGES:
        print(f"  {stage:<14} {best[stage]:6.2f} s  {100 * best[stage] / total:4.0f} %")
    print(f"  {'total':<14} {total:6.2f} s  = {rows / total:,.0f} rows per CPU-second")


if __name__ == "__main__":
    main()
