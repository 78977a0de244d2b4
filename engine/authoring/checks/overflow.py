"""Arithmetic whose result lies beyond ±10^15.

What: The range of every arithmetic sub-expression: always beyond ±1e15 is an error, reachable from bounded inputs a
warning (overflow). Unbounded facts are not flagged: the evaluator turns a non-finite result into an `error`
decision for that firm.

Why: Past 10^15 a sum of 万元 amounts has lost its meaning and float64 its cents.

Example: `revenue * 1000000000000 * 1000` with revenue bounded by 10^6 -> warning overflow.
"""

from __future__ import annotations

import math

from engine.authoring.intervals import Interval, covered_by
from engine.authoring.lintbase import (
    OVERFLOW,
    Check,
    Linter,
)
from engine.language import expr as ex
from engine.language.loader import expressions_of


def run(lint: Linter) -> None:
    """Arithmetic whose range reaches past OVERFLOW: an error if every value does, a warning if some
    bounded inputs can (unbounded facts are not flagged: the evaluator turns a non-finite result into
    an `error` decision for that firm)."""
    items = [
        *lint.pack.derived.values(),
        *lint.pack.scorecards.values(),
        *(p for versions in lint.pack.policies.values() for p in versions),
    ]
    for item in items:
        file, _ = lint.pack.origin[item.id]
        for expression in expressions_of(item):
            for node in ex.walk(expression.ast):
                if isinstance(node, ex.BinOp):
                    report_overflow(lint, (file, expression.line), item.id, expression.text, lint.ranges.of(node))


def report_overflow(lint: Linter, at: tuple[str, int | None], ident: str, text: str, reach: Interval | None) -> None:
    if reach is None or reach.empty():
        return
    beyond = Interval(-OVERFLOW, OVERFLOW, True, True)
    if (reach & beyond).empty():
        lint.add(
            at,
            "error",
            "overflow",
            f"{ident}: `{text}` is always beyond ±{OVERFLOW:g} ({reach})",
            f"{ident}：`{text}` 的结果总是超出 ±{OVERFLOW:g}（{reach}）",
        )
    elif math.isfinite(reach.lo) and math.isfinite(reach.hi) and not covered_by(reach, beyond):
        lint.add(
            at,
            "warning",
            "overflow",
            f"{ident}: `{text}` can reach {reach}, beyond ±{OVERFLOW:g}",
            f"{ident}：`{text}` 的结果可达 {reach}，超出 ±{OVERFLOW:g}",
        )


CHECK = Check("overflow", ("overflow",), run, __doc__ or "")
