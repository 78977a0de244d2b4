"""bench/single.py --calls: a machine-independent figure, so it must be the same in every run of the same code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def counts(hash_seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "single.py"), "--calls", "-n", "8"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    ).stdout
    return re.findall(r"^ *([\d,]+) function calls per profile: (.+)$", out, re.M)


def test_call_counts_are_the_same_in_every_run() -> None:
    first = counts("1")
    assert [what for _, what in first][::5] == [
        "assessment (explaining evaluator)",
        "status-only, 中小企业划型 + 专精特新",
    ]
    assert len(first) == 6 and all(int(n.replace(",", "")) > 0 for n, _ in first)
    assert counts("2") == first  # another string-hash seed: set and dict orders differ, the count does not
