"""Sets of real numbers as unions of intervals, for the static checks of engine.authoring.lint.

Every analysis here over-approximates the values an expression can take, so what
it proves impossible is impossible (sound), while some possible-looking values may
in fact never occur.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class Interval:
    lo: float = -INF
    hi: float = INF
    lo_closed: bool = False
    hi_closed: bool = False

    @staticmethod
    def point(value: float) -> Interval:
        return Interval(value, value, True, True)

    @staticmethod
    def closed(lo: float, hi: float) -> Interval:
        return Interval(lo, hi, lo > -INF, hi < INF)

    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))

    def is_point(self) -> bool:
        return self.lo == self.hi and not self.empty()

    def __and__(self, other: Interval) -> Interval:
        lo, lo_closed = max((self.lo, not self.lo_closed), (other.lo, not other.lo_closed))
        hi, hi_closed = min((self.hi, self.hi_closed), (other.hi, other.hi_closed))
        return Interval(lo, hi, not lo_closed, hi_closed)

    def minus(self, other: Interval) -> list[Interval]:
        """self without other: at most two pieces."""
        if (self & other).empty():
            return [self]
        left = Interval(self.lo, other.lo, self.lo_closed, not other.lo_closed)
        right = Interval(other.hi, self.hi, not other.hi_closed, self.hi_closed)
        return [p for p in (left & self, right & self) if not p.empty()]

    def __str__(self) -> str:
        if self.is_point():
            return _num(self.lo)
        return f"{'[' if self.lo_closed else '('}{_num(self.lo)}, {_num(self.hi)}{']' if self.hi_closed else ')'}"


def _num(value: float) -> str:
    return "∞" if value == INF else "-∞" if value == -INF else f"{value:g}"


FULL = Interval()
NONNEGATIVE = Interval(0, INF, True, False)


def subtract(pieces: Iterable[Interval], other: Interval) -> list[Interval]:
    return [p for piece in pieces for p in piece.minus(other)]


def covered_by(inner: Interval, outer: Interval) -> bool:
    return not subtract([inner], outer)


def hull(items: Iterable[Interval]) -> Interval:
    items = [i for i in items if not i.empty()]
    if not items:
        return Interval(1, 0)
    lo = min(items, key=lambda i: (i.lo, not i.lo_closed))
    hi = max(items, key=lambda i: (i.hi, i.hi_closed))
    return Interval(lo.lo, hi.hi, lo.lo_closed, hi.hi_closed)


def bound(op: str, value: float) -> Interval:
    """The values x with `x op value`."""
    return {
        "ge": Interval(value, INF, True, False),
        "gt": Interval(value, INF, False, False),
        "le": Interval(-INF, value, False, True),
        "lt": Interval(-INF, value, False, False),
        ">=": Interval(value, INF, True, False),
        ">": Interval(value, INF, False, False),
        "<=": Interval(-INF, value, False, True),
        "<": Interval(-INF, value, False, False),
        "==": Interval.point(value),
    }[op]


def satisfying(op: str, other: Interval) -> Interval | None:
    """Over-approximation of the x with `x op r` for some r in `other` (None: no useful bound)."""
    if op in ("<", "<="):
        return Interval(-INF, other.hi, False, op == "<=" and other.hi_closed)
    if op in (">", ">="):
        return Interval(other.lo, INF, op == ">=" and other.lo_closed, False)
    if op == "==":
        return other
    return None


def arith(op: str, a: Interval, b: Interval) -> Interval:
    """Closed hull of a op b for + - * / (division by an interval holding 0 is unknown, not a value)."""
    if op == "+":
        return Interval.closed(a.lo + b.lo, a.hi + b.hi)
    if op == "-":
        return Interval.closed(a.lo - b.hi, a.hi - b.lo)
    if op == "/":
        if b.lo <= 0 <= b.hi:
            return NONNEGATIVE if a.lo >= 0 and b.lo >= 0 else FULL
        b = Interval.closed(1 / b.hi if b.hi != INF else 0.0, 1 / b.lo if b.lo != -INF else 0.0)
    products = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    if any(math.isnan(p) for p in products):
        return FULL
    return Interval.closed(min(products), max(products))


def compare(op: str, a: Interval, b: Interval) -> frozenset[bool]:
    """The possible outcomes of `a op b` for values in the two intervals."""
    if op in (">", ">="):
        return compare({">": "<", ">=": "<="}[op], b, a)
    if op == "<":
        always = a.hi < b.lo or (a.hi == b.lo and not (a.hi_closed and b.lo_closed))
        never = a.lo >= b.hi
    elif op == "<=":
        always = a.hi <= b.lo
        never = a.lo > b.hi or (a.lo == b.hi and not (a.lo_closed and b.hi_closed))
    else:
        meet = (a & b).empty()
        same = a.is_point() and b.is_point() and a.lo == b.lo
        always, never = (same, meet) if op == "==" else (meet, same)
    return frozenset({True}) if always else frozenset({False}) if never else frozenset({True, False})
