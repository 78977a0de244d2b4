"""bench/batch_stages.py splits a screening's CPU into its stages: every stage is timed and none counted twice."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_stage_is_timed_and_they_add_up() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "batch_stages.py"), "--n", "3000", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    stages = dict(re.findall(r"^  (\w[\w ]*?) +([\d.]+) s ", out, re.M))
    assert list(stages) == ["prepare", "evaluate", "reasons", "other columns", "output table", "total"], out
    parts = [float(stages[name]) for name in list(stages)[:-1]]
    assert all(seconds >= 0 for seconds in parts) and parts[0] > 0 and parts[1] > 0  # nested stages taken out
    assert abs(sum(parts) - float(stages["total"])) <= 0.01 * len(parts)
    assert "3,000 rows in 1 chunk," in out
