"""What every lint check shares: findings at file:line, where things are written, and the range analysis.

The checks themselves are one module each under engine/authoring/checks/ (registry in its __init__);
engine/authoring/lint.py runs them. The range analysis over-approximates what values can occur (profile
constraints such as ge=0, parameter versions, derived facts), so "never" and "always" are proved, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt

from engine.authoring.intervals import FULL, Interval, arith, bound, compare, hull, satisfying, subtract
from engine.language import expr as ex
from engine.language.functions import REGISTRY
from engine.language.loader import RulePack, line_of, pack_files, read_yaml
from engine.language.rules import Condition
from engine.language.visitor import Visitor
from engine.model.profile import FIELDS, field_kind

Severity = Literal["error", "warning", "info"]
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
BOTH = frozenset({True, False})
OVERFLOW = 1e15  # beyond this a sum of 万元 amounts has lost its meaning (and float64 its cents)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int | None
    severity: Severity
    code: str
    en: str
    zh: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.severity}/{SEVERITY_ZH[self.severity]} [{self.code}] {self.zh} / {self.en}"


# --- where things are written ------------------------------------------------


class Locator:
    """The raw YAML of every item, to point a finding at the line of a row or a condition."""

    def __init__(self, pack: RulePack) -> None:
        self.items: dict[tuple[str, str], list[tuple[str, Any]]] = {}
        for path in pack_files(pack.root):
            shown = str(path)
            raw = read_yaml(path, shown)
            for section, items in raw.items() if isinstance(raw, dict) else []:
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict) and "id" in item:
                        self.items.setdefault((section, item["id"]), []).append((shown, item))

    def at(
        self, section: str, ident: str, loc: tuple[Any, ...] | list[Any] = (), version: int = 0
    ) -> tuple[str, int | None]:
        found = self.items.get((section, ident), [])
        if not found:
            return "?", None
        shown, raw = found[min(version, len(found) - 1)]
        return shown, line_of(raw, loc)


# --- value ranges ---------------------------------------------------------------


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class RangeOf(Visitor[Interval | None]):
    """Range of a numeric expression (None: not numeric, or not known to be)."""

    def __init__(self, ranges: Ranges) -> None:
        self.ranges = ranges

    def on_num(self, node: ex.Num) -> Interval | None:
        return Interval.point(node.value)

    def on_name(self, node: ex.Name) -> Interval | None:
        return self.ranges.name(node.name)

    def on_neg(self, node: ex.Neg) -> Interval | None:
        inner = self.visit(node.operand)
        return None if inner is None else Interval(-inner.hi, -inner.lo, inner.hi_closed, inner.lo_closed)

    def on_binop(self, node: ex.BinOp) -> Interval | None:
        left, right = self.visit(node.left), self.visit(node.right)
        return None if left is None or right is None else arith(node.op, left, right)

    def on_call(self, node: ex.Call) -> Interval | None:
        """The function's own range reasoning (engine.language.functions), closed at its ends."""
        bounds = REGISTRY[node.func].bounds
        if bounds is None:
            return None
        found = bounds([None if (a := self.visit(arg)) is None else (a.lo, a.hi) for arg in node.args])
        return None if found is None else Interval.closed(*found)

    def not_numeric(self, node: ex.Node) -> None:
        return None

    on_str = on_datelit = on_bool = on_and = on_or = on_not = on_compare = not_numeric


class Outcomes(Visitor[frozenset[bool]]):
    """The known truth values an expression can take ({True}: always; {False}: never)."""

    def __init__(self, ranges: Ranges) -> None:
        self.ranges = ranges

    def on_bool(self, node: ex.Bool) -> frozenset[bool]:
        return frozenset({node.value})

    def on_not(self, node: ex.Not) -> frozenset[bool]:
        return frozenset(not v for v in self.visit(node.operand))

    def on_compare(self, node: ex.Compare) -> frozenset[bool]:
        return self.ranges._compare(node)

    def on_call(self, node: ex.Call) -> frozenset[bool]:
        if node.func != "one_of":
            return BOTH
        texts, options = self.ranges.texts(node.args[0]), [self.ranges.texts(a) for a in node.args[1:]]
        if texts is not None and all(o is not None for o in options):
            allowed = set().union(*options)  # type: ignore[arg-type]
            return frozenset({False}) if not texts & allowed else (frozenset({True}) if texts <= allowed else BOTH)
        return BOTH

    def on_and(self, node: ex.And | ex.Or) -> frozenset[bool]:
        return self.ranges.combine(node.operands, isinstance(node, ex.And))

    on_or = on_and

    def either(self, node: ex.Node) -> frozenset[bool]:
        return BOTH  # a value used as a condition: its truth is not tracked

    on_num = on_str = on_datelit = on_name = on_neg = on_binop = either


class Ranges:
    """Over-approximated numeric ranges and finite text value sets of the pack's names."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self._memo: dict[str, Interval | None] = {}
        self._range, self._truth = RangeOf(self), Outcomes(self)

    def field(self, name: str) -> Interval | None:
        if field_kind(name) not in ("number", "integer"):
            return None
        result = FULL
        for meta in FIELDS[name].metadata:
            for cls, op in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt")):
                if isinstance(meta, cls):
                    result = result & bound(op, float(getattr(meta, op)))
        return result

    def outputs(self, name: str) -> list[Any] | None:
        """Every value a parameter or derived fact can take (None: not a finite list)."""
        pack = self.pack
        if name in pack.parameters:
            return [v.value for v in pack.parameters[name].versions]
        rule = pack.derived.get(name)
        if rule is None or rule.formula is not None:
            return None
        if rule.brackets is not None:
            values = [r.result() for r in rule.brackets.rows] + [rule.brackets.otherwise]
        elif rule.lookup is not None:
            values = [r.value for r in rule.lookup.table] + [rule.lookup.default]
        else:
            values = [c.value for c in rule.cases or []]
        return [v for v in values if v is not None]

    def name(self, name: str) -> Interval | None:
        if name in FIELDS:
            return self.field(name)
        if name in self._memo:
            return self._memo[name]
        self._memo[name] = None  # the pack is acyclic; this only guards against surprises
        card = self.pack.scorecards.get(name)
        if card is not None:
            result: Interval | None = Interval.closed(0, sum(g.max for g in card.groups))
        elif name in self.pack.derived and self.pack.derived[name].formula is not None:
            result = self.of(self.pack.derived[name].formula.ast)  # type: ignore[union-attr]
        else:
            values = self.outputs(name)
            result = (
                hull(Interval.point(float(v)) for v in values) if values and all(_numeric(v) for v in values) else None
            )
        self._memo[name] = result
        return result

    def of(self, node: ex.Node) -> Interval | None:
        """Range of a numeric expression (None: not numeric, or not known to be)."""
        return self._range.visit(node)

    def texts(self, node: ex.Node) -> set[str] | None:
        """The finite set of texts an expression can take, when it is one."""
        if isinstance(node, ex.Str):
            return {node.value}
        if isinstance(node, ex.Name) and node.name not in FIELDS:
            values = self.outputs(node.name)
            if values and all(isinstance(v, str) for v in values):
                return set(values)
        return None

    # --- truth -------------------------------------------------------------
    def outcomes(self, node: ex.Node) -> frozenset[bool]:
        """The known truth values an expression can take ({True}: always; {False}: never)."""
        return self._truth.visit(node)

    def _compare(self, node: ex.Compare) -> frozenset[bool]:
        left, right = self.of(node.left), self.of(node.right)
        if left is not None and right is not None:
            return compare(node.op, left, right)
        a, b = self.texts(node.left), self.texts(node.right)
        if a is not None and b is not None and node.op in ("==", "!="):
            never_equal, always_equal = not a & b, len(a) == len(b) == 1 and a == b
            result = frozenset({False}) if never_equal else frozenset({True}) if always_equal else BOTH
            return result if node.op == "==" else frozenset(not v for v in result)
        return BOTH

    def combine(self, operands: tuple[ex.Node, ...], conjunction: bool) -> frozenset[bool]:
        parts = [self.outcomes(o) for o in operands]
        decisive = frozenset({not conjunction})
        if any(p == decisive for p in parts):
            return decisive
        if all(p == frozenset({conjunction}) for p in parts):
            return frozenset({conjunction})
        if conjunction and self.contradicts(operands):
            return frozenset({False})
        return BOTH

    def contradicts(self, operands: tuple[ex.Node, ...]) -> bool:
        """Conjuncts that cannot hold together: one name confined to disjoint ranges, or x and not x."""
        ranges: dict[str, Interval] = {}
        truths: dict[str, set[bool]] = {}
        for node in _conjuncts(operands):
            if isinstance(node, ex.Name) or (isinstance(node, ex.Not) and isinstance(node.operand, ex.Name)):
                name = node.name if isinstance(node, ex.Name) else node.operand.name  # type: ignore[union-attr]
                truths.setdefault(name, set()).add(isinstance(node, ex.Name))
                continue
            for name, allowed in self._confines(node):
                domain = self.name(name) or FULL
                ranges[name] = ranges.get(name, domain) & allowed
        return any(r.empty() for r in ranges.values()) or any(len(t) == 2 for t in truths.values())

    def _confines(self, node: ex.Node) -> Iterator[tuple[str, Interval]]:
        if not isinstance(node, ex.Compare):
            return
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
        for subject, other, op in ((node.left, node.right, node.op), (node.right, node.left, flipped[node.op])):
            if isinstance(subject, ex.Name) and self.name(subject.name) is not None:
                limit = self.of(other)
                allowed = None if limit is None or ex.names(other) & set(FIELDS) else satisfying(op, limit)
                if allowed is not None:
                    yield subject.name, allowed


def _conjuncts(operands: tuple[ex.Node, ...]) -> Iterator[ex.Node]:
    for node in operands:
        if isinstance(node, ex.And):
            yield from _conjuncts(node.operands)
        else:
            yield node


def condition_expr(cond: Condition) -> ex.Node:
    """A condition tree as one expression (all → and, any → or), for the range analysis."""
    if cond.when is not None:
        return cond.when.ast
    if cond.not_ is not None:
        return ex.Not(condition_expr(cond.not_))
    kids = tuple(condition_expr(c) for c in cond.children())
    return ex.And(kids) if cond.all is not None else ex.Or(kids)


class Linter:
    """What a check reads (the pack, where each item is written, the ranges) and where it adds findings."""

    def __init__(self, pack: RulePack) -> None:
        self.pack, self.where, self.ranges = pack, Locator(pack), Ranges(pack)
        self.findings: list[Finding] = []

    def add(self, at: tuple[str, int | None], severity: Severity, code: str, en: str, zh: str) -> None:
        self.findings.append(Finding(at[0], at[1], severity, code, en, zh))


@dataclass(frozen=True)
class Check:
    """One lint check: its module's name, the codes its findings carry, and the function that runs it."""

    name: str
    codes: tuple[str, ...]
    run: Callable[[Linter], None]
    doc: str  # the module's docstring: a summary line, then What / Why / Example


def minus_all(domain: Interval, spans: list[Interval]) -> list[Interval]:
    pieces = [domain] if not domain.empty() else []
    for span in spans:
        pieces = subtract(pieces, span)
    return pieces


def periods_overlap(a: tuple[date, date], b: tuple[date, date]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def date_gaps(period: tuple[date, date], spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The days of `period` that no span covers, as closed ranges."""
    gaps = [period]
    for lo, hi in sorted(spans):
        nxt = []
        for g_lo, g_hi in gaps:
            if hi < g_lo or lo > g_hi:
                nxt.append((g_lo, g_hi))
                continue
            if g_lo < lo:
                nxt.append((g_lo, lo - timedelta(days=1)))
            if hi < g_hi:
                nxt.append((hi + timedelta(days=1), g_hi))
        gaps = nxt
    return gaps


def days(span: tuple[date, date]) -> str:
    return f"{span[0]}–" + ("" if span[1] == date.max else str(span[1]))
