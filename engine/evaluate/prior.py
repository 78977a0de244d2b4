"""What a firm is likely to answer: the interview's prior, a sample of the project's generated firms.

The next-question engine (engine/evaluate/interview.py) weighs each candidate step by the outcomes
its answers would settle. Which answers are likely comes from here: the answers of a fixed sample
of firms from the project's generator (engine/batch/generate.py, a seed of its own, not the
benchmark's), written to interview_prior.json by `python -m engine.batch.prior` (a test checks it
is current). Amounts are kept as a share of the firm's revenue and head counts as a share of its
staff, so a sample firm's answer is scaled to the size of the firm being interviewed; dates are
kept as days before the sample's as-of date. What an answer settles is still worked out on the
rule AST by the three-valued evaluation: the prior only says how often each answer is given.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from engine.model.profile import field_kind, unit_of

PRIOR_FILE = Path(__file__).with_name("interview_prior.json")
# Facts kept relative to another: amounts to revenue, head counts to staff (the generator's own
# shape: industry sets staff and revenue per employee, the rest follows size).
SCALE = {"万元": "revenue", "人": "employees"}


def base_of(name: str) -> str | None:
    base = SCALE.get(unit_of(name) or "")
    return None if base == name or field_kind(name) not in ("integer", "number") else base


@cache
def sample() -> dict[str, Any]:
    """The stored sample: {"rows": [{fact: stored value}], "median": {base: value}, "as_of": ..., ...}."""
    return json.loads(PRIOR_FILE.read_text(encoding="utf-8"))


def answers(facts: tuple[str, ...], known: dict[str, Any], as_of: date) -> list[tuple[dict[str, Any], float]]:
    """The sample firms' answers to these facts, sized to this firm: (answer, share of the sample
    giving it). The same answers are merged; beyond MOST distinct answers, neighbouring ones (in
    the order of their values) are merged into the middle one, as quantiles of the sample."""
    rows = sized_rows(known.get("revenue"), known.get("employees"), as_of)
    counts: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row.get(f) for f in facts)
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: [_order(v) for v in kv[0]])
    if len(ordered) > MOST:
        ordered = _quantiles(ordered, len(rows))
    return [(dict(zip(facts, key, strict=True)), n / len(rows)) for key, n in ordered]


MOST = 10  # answers tried per step: the cost of choosing a step grows with it


def _order(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, 0)
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def _quantiles(ordered: list[tuple[Any, int]], total: int) -> list[tuple[Any, int]]:
    """MOST answers standing for the ordered ones: each takes the answers of its share of the
    sample (by cumulative count) and stands as their middle one."""
    out: list[tuple[Any, int]] = []
    bucket: list[tuple[Any, int]] = []
    seen = 0
    for key, n in ordered:
        bucket.append((key, n))
        seen += n
        if seen * MOST >= total * (len(out) + 1):
            out.append((bucket[len(bucket) // 2][0], sum(c for _, c in bucket)))
            bucket = []
    if bucket:
        out.append((bucket[len(bucket) // 2][0], sum(c for _, c in bucket)))
    return out


@lru_cache(maxsize=256)
def sized_rows(revenue: float | None, employees: int | None, as_of: date) -> list[dict[str, Any]]:
    """The sample's answers sized to a firm of this revenue and staff (unknown: the sample's median)."""
    data = sample()
    known = {"revenue": revenue, "employees": employees}
    return [{f: _sized(f, v, known, data["median"], as_of) for f, v in row.items()} for row in data["rows"]]


def _sized(name: str, stored: Any, known: dict[str, Any], median: dict[str, float], as_of: date) -> Any:
    if stored is None:
        return None
    kind = field_kind(name)
    if kind == "date":
        return as_of - timedelta(days=stored)
    base = base_of(name)
    if base is None:
        return stored
    size = known.get(base)
    value = stored * (median[base] if size is None else size)
    return round(value) if kind == "integer" else round(value, 2)
