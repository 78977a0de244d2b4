"""The interval reasoning behind lint is sound: what it calls impossible never happens."""

from __future__ import annotations

import math
import operator

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.authoring.intervals import Interval, arith, compare, subtract

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
edges = st.integers(-4, 4).map(float)  # few values, so edges often meet


@st.composite
def interval_and_point(draw: st.DrawFn) -> tuple[Interval, float]:
    """An interval (maybe open, maybe unbounded below) and a point inside it, often on an edge."""
    lo, hi = sorted((draw(edges), draw(edges)))
    span = Interval(-math.inf if draw(st.booleans()) else lo, hi, draw(st.booleans()), draw(st.booleans()))
    inside = [v for v in (lo, hi, (lo + hi) / 2, lo + 0.5, hi - 0.5, hi - 30) if contains(span, v)]
    assume(inside)
    return span, draw(st.sampled_from(inside))


def contains(span: Interval, x: float) -> bool:
    return (span.lo < x or (span.lo_closed and span.lo == x)) and (x < span.hi or (span.hi_closed and x == span.hi))


@settings(max_examples=200, deadline=None)
@given(interval_and_point(), interval_and_point(), st.sampled_from(sorted(OPS)))
def test_compare_never_excludes_an_outcome_that_occurs(
    a: tuple[Interval, float], b: tuple[Interval, float], op: str
) -> None:
    (ia, x), (ib, y) = a, b
    assert contains(ia, x) and contains(ib, y)
    assert OPS[op](x, y) in compare(op, ia, ib)


@settings(max_examples=200, deadline=None)
@given(interval_and_point(), interval_and_point(), st.sampled_from(["+", "-", "*", "/"]))
def test_arithmetic_contains_every_result(a: tuple[Interval, float], b: tuple[Interval, float], op: str) -> None:
    (ia, x), (ib, y) = a, b
    if op == "/" and y == 0:
        return  # division by zero is unknown, not a value
    value = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0}[op]
    result = arith(op, ia, ib)
    assert result.lo - 1e-9 <= value <= result.hi + 1e-9


@settings(max_examples=200, deadline=None)
@given(interval_and_point(), interval_and_point())
def test_subtract_keeps_exactly_the_points_outside(a: tuple[Interval, float], b: tuple[Interval, float]) -> None:
    (ia, x), (ib, _) = a, b
    kept = any(contains(piece, x) for piece in subtract([ia], ib))
    assert kept == (not contains(ib, x))
