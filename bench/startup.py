"""What a command costs before it does anything: reading the rule pack, and starting `ipcheck`.

    python bench/startup.py [--rounds 5]

Prints, as medians of ROUNDS, measured in this run:
- the pack's rule files read by the loader's libyaml path and by PyYAML's pure-Python parser (the reference
  it falls back to: engine/language/loader.py), CPU seconds and the ratio;
- the whole load_pack (reading, validation, type checks), CPU seconds;
- `import api.cli` (what the `ipcheck` command imports before running any command) in a fresh process, against
  a bare interpreter (the floor) and against importing pandas and pyarrow (which only the batch, generate and
  diff commands load, on first use: engine.cli.common.LazyGroup), wall seconds;
- `ipcheck assess` of one example firm, end to end, wall seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from engine.language.loader import _FAST, DEFAULT_RULES, _Loader, load_pack  # noqa: E402


def cpu(work: Callable[[], object], rounds: int) -> float:
    """Median CPU seconds of `work` over `rounds` runs."""
    times = []
    for _ in range(rounds):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times)


def wall(command: list[str], rounds: int) -> float:
    """Median wall seconds of a fresh process running `command` (from the project folder)."""
    times = []
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    texts = [p.read_text(encoding="utf-8") for p in sorted(DEFAULT_RULES.rglob("*.yaml"))]
    pure = cpu(lambda: [yaml.load(t, Loader=_Loader) for t in texts], rounds)
    size = f"rule files ({len(texts)}, {sum(map(len, texts)) / 1000:.0f} k characters)"
    if _FAST is not None:
        fast = cpu(lambda: [yaml.load(t, Loader=_FAST) for t in texts], rounds)
        print(f"{size} read by libyaml {fast:.3f} s CPU, ")
        print(f"  by PyYAML's pure-Python parser (the reference) {pure:.3f} s: {pure / fast:.1f}x faster")
    else:
        print(f"{size} read by PyYAML's pure-Python parser {pure:.3f} s CPU (this PyYAML is built without libyaml)")
    print(f"load_pack (reading, validation, type checks) {cpu(lambda: load_pack(DEFAULT_RULES), rounds):.3f} s CPU")
    python = sys.executable
    floor = wall([python, "-c", "pass"], rounds)
    command = wall([python, "-c", "import api.cli"], rounds)
    tables = wall([python, "-c", "import pandas, pyarrow, pyarrow.compute"], rounds)
    print(f"`import api.cli` (the ipcheck command) {command:.2f} s wall; a bare interpreter {floor:.2f} s; ")
    print(f"  importing pandas and pyarrow alone {tables:.2f} s (loaded only by screen, generate and rules diff)")
    example = str(ROOT / "examples" / "new_ip_service_firm.json")
    run = wall([python, "-c", "from api.cli import main; main()", "assess", example], rounds)
    print(f"`ipcheck assess` of one example firm, end to end {run:.2f} s wall")
    print(f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; medians of {rounds} rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
