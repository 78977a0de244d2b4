"""Writes the interview's prior (engine/evaluate/prior.py): the askable facts of a sample of generated firms.

    python -m engine.batch.prior        # rewrites engine/evaluate/interview_prior.json

The sample has a seed of its own (bench/interview.py uses another), no blank cells, and leaves out
what a firm is never asked (the expert panel's scores) and what identifies it (code, name).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from engine.batch.generate import COLUMNS, REFERENCE, generate
from engine.batch.tabular import raw_cell
from engine.evaluate.prior import PRIOR_FILE, base_of
from engine.model.profile import EXPERT_JUDGED, FIELDS, EnterpriseProfile, field_kind, parse_profile

SIZE = 48  # sample firms: enough for shares of a few percent, few enough to try every answer within a step's budget
SEED = 2026
LEFT_OUT = {"credit_code", "name", "titles", "division_code", "industry_code", *EXPERT_JUDGED}


def generated_profiles(n: int, seed: int) -> list[EnterpriseProfile]:
    """n complete generated firms (no blank cells) as profiles, the expert panel's scores left out."""
    cols = generate(n, seed, blanks=0.0)
    out = []
    for i in range(n):
        raw = {k: raw_cell(k, cols[k][i]) for k in COLUMNS if k not in EXPERT_JUDGED}
        out.append(parse_profile({k: v for k, v in raw.items() if v is not None}))
    return out


def stored(name: str, profile: EnterpriseProfile) -> Any:
    """A fact as the prior keeps it: relative to its base (a share), a date as days before REFERENCE."""
    value = getattr(profile, name)
    if value is None:
        return None
    if field_kind(name) == "date":
        return (REFERENCE - value).days
    base = base_of(name)
    if base is not None:
        whole = getattr(profile, base)
        return round(value / whole, 6) if whole else 0.0
    return getattr(value, "value", value)


def prior(size: int = SIZE, seed: int = SEED) -> dict[str, Any]:
    firms = generated_profiles(size, seed)
    names = [n for n in FIELDS if n not in LEFT_OUT]
    return {
        "about": "engine/evaluate/prior.py; written by python -m engine.batch.prior",
        "seed": seed,
        "as_of": REFERENCE.isoformat(),
        "median": {b: statistics.median(getattr(p, b) for p in firms) for b in ("revenue", "employees")},
        "rows": [{n: stored(n, p) for n in names} for p in firms],
    }


def text(size: int = SIZE, seed: int = SEED) -> str:
    """The prior as JSON, one sample firm a line."""
    data = prior(size, seed)
    rows = data.pop("rows")
    head = json.dumps(data, ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    return f'{head}, "rows": [\n{lines}\n]}}\n'


def main(path: Path = PRIOR_FILE) -> int:
    path.write_text(text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
