"""Measures that may not be combined but can both be granted.

What: For each 不重复享受 group, every pair of its policies with benefits and overlapping periods whose conditions can
hold together is noted (exclusive-overlap, information).

Why: The evaluator lists both; the officer must apply the rule and choose, so the author should know which pairs
actually meet.

Example: `exclusive: [{id: jb_patent_funding, policies: [a, b]}]` where a and b both reward the same patents -> info
exclusive-overlap.
"""

from __future__ import annotations

import itertools
from datetime import date

from engine.authoring.lintbase import (
    Check,
    Linter,
    condition_expr,
    periods_overlap,
)


def run(lint: Linter) -> None:
    for group in lint.pack.exclusive.values():
        at = lint.pack.origin[f"exclusive:{group.id}"]
        for a, b in itertools.combinations(group.policies, 2):
            pairs = [
                (p, q)
                for p in lint.pack.policies[a]
                for q in lint.pack.policies[b]
                if p.benefits
                and q.benefits
                and periods_overlap((p.valid_from, p.valid_to or date.max), (q.valid_from, q.valid_to or date.max))
            ]
            if any(
                lint.ranges.combine((condition_expr(p.conditions), condition_expr(q.conditions)), True)
                != frozenset({False})
                for p, q in pairs
            ):
                amounts = "; ".join(
                    f"{p.id}: {', '.join(b.amount.text for b in p.benefits if b.amount) or '-'}"
                    for p in (pairs[0][0], pairs[0][1])
                )
                lint.add(
                    at,
                    "info",
                    "exclusive-overlap",
                    f"{group.id}: {a} and {b} may not be combined (不重复享受) but a firm can be eligible for both "
                    f"(amounts {amounts}); the evaluator reports both, officers must apply the rule",
                    f"{group.id}：{a} 与 {b} 不重复享受，但同一企业可能同时符合（金额 {amounts}）；"
                    "评估结果会同时列出两者，须由经办人员按规定择一",
                )


CHECK = Check("exclusive", ("exclusive-overlap",), run, __doc__ or "")
