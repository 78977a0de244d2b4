"""Static checks of a loaded rule pack (`ipcheck rules lint`), each finding at file:line.

Errors are certain defects (a bracket row or a condition that can never apply, a rule
reading a value that does not exist while it is in force); warnings are likely ones
(gaps in a bracket table, conditions that always hold, unused parameters); information
is for the author (policies that may not be combined but can both be granted).

The range analysis over-approximates what values can occur (profile constraints such
as ge=0, parameter versions, derived facts), so "never" and "always" are proved, never
guessed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from annotated_types import Ge, Gt, Le, Lt

from engine.authoring.intervals import FULL, Interval, arith, bound, compare, covered_by, hull, satisfying, subtract
from engine.language import expr as ex
from engine.language.functions import REGISTRY
from engine.language.loader import RulePack, dependencies, expressions_of, line_of, pack_files, read_yaml
from engine.language.rules import BracketTable, Condition, Policy
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


# --- the checks --------------------------------------------------------------------


class Linter:
    def __init__(self, pack: RulePack) -> None:
        self.pack, self.where, self.ranges = pack, Locator(pack), Ranges(pack)
        self.findings: list[Finding] = []

    def add(self, at: tuple[str, int | None], severity: Severity, code: str, en: str, zh: str) -> None:
        self.findings.append(Finding(at[0], at[1], severity, code, en, zh))

    def run(self) -> list[Finding]:
        self.check_sources()
        self.check_brackets()
        self.check_conditions()
        self.check_periods()
        self.check_exclusive()
        self.check_unused()
        self.check_overflow()
        order = {"error": 0, "warning": 1, "info": 2}
        findings = [acknowledged(f) for f in self.findings]
        return sorted(findings, key=lambda f: (order[f.severity], f.file, f.line or 0))

    # sources
    def check_sources(self) -> None:
        for ident, param in self.pack.parameters.items():
            for n, version in enumerate(param.versions):
                if not version.source.document.strip():
                    self.add(
                        self.where.at("parameters", ident, ["versions", n, "source"]),
                        "error",
                        "no-source",
                        f"parameter {ident}: the version from {version.valid_from} cites no document",
                        f"参数 {ident}：{version.valid_from} 起的版本未注明出处文件",
                    )

    # brackets
    def bracket_tables(self) -> Iterator[tuple[str, str, list[Any], BracketTable]]:
        for ident, rule in self.pack.derived.items():
            if rule.brackets is not None:
                yield "derived", ident, ["brackets"], rule.brackets
        for ident, card in self.pack.scorecards.items():
            for g, group in enumerate(card.groups):
                for i, ind in enumerate(group.indicators):
                    loc = ["groups", g, "indicators", i]
                    if ind.brackets is not None:
                        yield "scorecards", ident, [*loc, "brackets"], ind.brackets
                    for k, table in enumerate(ind.best_of or []):
                        yield "scorecards", ident, [*loc, "best_of", k], table

    def check_brackets(self) -> None:
        for section, ident, loc, table in self.bracket_tables():
            domain = self.ranges.of(table.of.ast) or FULL
            what = f"{ident} ({table.of.text})"
            taken: list[Interval] = []
            for n, row in enumerate(table.rows):
                at = self.where.at(section, ident, [*loc, "rows", n])
                span = FULL
                for op, value in row.bounds():
                    span = span & bound(op, value)
                reach = span & domain
                fresh = _minus_all(reach, taken)
                if span.empty():
                    self.add(
                        at,
                        "error",
                        "bracket-empty",
                        f"{what}: row {n + 1} can never match: its bounds contradict",
                        f"{what}：第 {n + 1} 行的上下限互相矛盾，永远不会匹配",
                    )
                elif reach.empty():
                    self.add(
                        at,
                        "error",
                        "bracket-unreachable",
                        f"{what}: row {n + 1} {span} can never match: the value is always in {domain}",
                        f"{what}：第 {n + 1} 行 {span} 永远不会匹配，取值范围为 {domain}",
                    )
                elif not fresh:
                    self.add(
                        at,
                        "error",
                        "bracket-shadowed",
                        f"{what}: row {n + 1} {span} can never match: earlier rows take all its values (first match wins)",
                        f"{what}：第 {n + 1} 行 {span} 永远不会匹配，其取值已全被前面的行占用（按顺序首个匹配生效）",
                    )
                else:
                    self.check_overlap(at, what, n, reach, table, domain)
                taken.append(span)
            if table.otherwise is None:
                for gap in _minus_all(domain, taken):
                    self.add(
                        self.where.at(section, ident, loc),
                        "warning",
                        "bracket-gap",
                        f"{what}: values in {gap} match no row and there is no `otherwise`: the result is unknown",
                        f"{what}：取值在 {gap} 时没有匹配的行，也没有 otherwise，结果为未知",
                    )

    def check_overlap(
        self, at: tuple[str, int | None], what: str, n: int, reach: Interval, table: BracketTable, domain: Interval
    ) -> None:
        """A row partly covered by an earlier one (a later row containing an earlier one is the usual cascade)."""
        for m, earlier in enumerate(table.rows[:n]):
            span = FULL
            for op, value in earlier.bounds():
                span = span & bound(op, value)
            common = span & reach
            if not common.empty() and not covered_by(span & domain, reach):
                self.add(
                    at,
                    "warning",
                    "bracket-overlap",
                    f"{what}: rows {m + 1} and {n + 1} overlap on {common}; row {m + 1} wins there",
                    f"{what}：第 {m + 1} 行与第 {n + 1} 行在 {common} 重叠，按顺序由第 {m + 1} 行生效",
                )

    # conditions
    def when_expressions(self) -> Iterator[tuple[tuple[str, int | None], str, ex.Node]]:
        for ident, rule in self.pack.derived.items():
            for n, case in enumerate(rule.cases or []):
                yield self.where.at("derived", ident, ["cases", n, "when"]), f"{ident} case {n + 1}", case.when.ast
        for ident, card in self.pack.scorecards.items():
            for g, group in enumerate(card.groups):
                for i, ind in enumerate(group.indicators):
                    for key in ("cases", "items"):
                        for k, item in enumerate(getattr(ind, key) or []):
                            at = self.where.at("scorecards", ident, ["groups", g, "indicators", i, key, k, "when"])
                            yield at, f"{ident}.{ind.id} {key} {k + 1}", item.when.ast
            for r, route in enumerate(card.direct_routes):
                yield (
                    self.where.at("scorecards", ident, ["direct_routes", r, "when"]),
                    f"{ident}.{route.id}",
                    route.when.ast,
                )

    def check_conditions(self) -> None:
        for at, what, node in self.when_expressions():
            self.report_truth(at, what, self.ranges.outcomes(node))
        for ident, versions in self.pack.policies.items():
            for v, policy in enumerate(versions):
                self.check_tree(ident, v, policy.conditions, ["conditions"], policy.conditions.id or "conditions")

    def check_tree(self, ident: str, version: int, cond: Condition, loc: list[Any], path: str) -> frozenset[bool]:
        at = self.where.at("policies", ident, loc, version)
        what = f"{ident}: {cond.id or path}"
        if cond.when is not None:
            result = self.ranges.outcomes(cond.when.ast)
            self.report_truth(self.where.at("policies", ident, [*loc, "when"], version), what, result)
            return result
        key = "all" if cond.all is not None else "any" if cond.any is not None else "not"
        kids = cond.children()
        parts = [
            self.check_tree(
                ident, version, kid, [*loc, key] + ([n] if key != "not" else []), f"{cond.id or path}.{n + 1}"
            )
            for n, kid in enumerate(kids)
        ]
        result = self.ranges.outcomes(condition_expr(cond))
        if result != BOTH and result not in parts and not (key == "not" and parts[0] != BOTH):
            self.report_truth(at, what, result, jointly=True)
        return result

    def report_truth(
        self, at: tuple[str, int | None], what: str, result: frozenset[bool], jointly: bool = False
    ) -> None:
        if result == frozenset({False}):
            together_en, together_zh = (
                (" (its parts contradict each other)", "（其各部分互相矛盾）") if jointly else ("", "")
            )
            self.add(
                at,
                "error",
                "never-holds",
                f"{what}: can never hold given the facts' ranges{together_en}",
                f"{what}：按各事实的取值范围永远不可能成立{together_zh}",
            )
        elif result == frozenset({True}):
            self.add(
                at,
                "warning",
                "always-holds",
                f"{what}: always holds once its facts are known (it only makes them required)",
                f"{what}：只要相关事实已知就必然成立（实际作用仅是要求提供这些事实）",
            )

    # effective periods
    def reads(self, policy: Policy) -> dict[str, list[str]]:
        """Parameters and policies a policy version reads, directly or through derived facts and scorecards."""
        found: dict[str, list[str]] = {}
        todo = [(name, [name]) for name in sorted(dependencies(policy))]
        while todo:
            name, path = todo.pop()
            base = name.removesuffix("_passed")
            if base in found or base == policy.id:
                continue
            if base in self.pack.parameters or base in self.pack.policies:
                found[base] = path
            elif base in self.pack.derived or base in self.pack.scorecards:
                item = self.pack.derived.get(base) or self.pack.scorecards[base]
                todo += [(dep, [*path, dep]) for dep in sorted(dependencies(item))]
        return found

    def check_periods(self) -> None:
        for ident, versions in self.pack.policies.items():
            for v, policy in enumerate(versions):
                period = (policy.valid_from, policy.valid_to or date.max)
                for name, path in self.reads(policy).items():
                    spans = (
                        self.pack.parameters[name].versions
                        if name in self.pack.parameters
                        else self.pack.policies[name]
                    )
                    gaps = _date_gaps(period, [(s.valid_from, s.valid_to or date.max) for s in spans])
                    if gaps:
                        self.report_period(self.where.at("policies", ident, [], v), policy, name, path, gaps, period)

    def report_period(
        self,
        at: tuple[str, int | None],
        policy: Policy,
        name: str,
        path: list[str],
        gaps: list[tuple[date, date]],
        period: tuple[date, date],
    ) -> None:
        kind_en, kind_zh = ("parameter", "参数") if name in self.pack.parameters else ("policy", "政策")
        via = f" (via {' → '.join(path)})" if len(path) > 1 else ""
        shown = ", ".join(_days(g) for g in gaps)
        whole = gaps == [period]
        self.add(
            at,
            "error" if whole else "warning",
            "out-of-period",
            f"{policy.id} (in force {_days(period)}) reads {kind_en} {name}{via}, which is not in force on {shown}",
            f"{policy.id}（有效期 {_days(period)}）引用的{kind_zh} {name}{via} 在 {shown} 不在有效期内",
        )

    # exclusive groups
    def check_exclusive(self) -> None:
        for group in self.pack.exclusive.values():
            at = self.pack.origin[f"exclusive:{group.id}"]
            for a, b in itertools.combinations(group.policies, 2):
                pairs = [
                    (p, q)
                    for p in self.pack.policies[a]
                    for q in self.pack.policies[b]
                    if p.benefits
                    and q.benefits
                    and _overlap((p.valid_from, p.valid_to or date.max), (q.valid_from, q.valid_to or date.max))
                ]
                if any(
                    self.ranges.combine((condition_expr(p.conditions), condition_expr(q.conditions)), True)
                    != frozenset({False})
                    for p, q in pairs
                ):
                    amounts = "; ".join(
                        f"{p.id}: {', '.join(b.amount.text for b in p.benefits if b.amount) or '-'}"
                        for p in (pairs[0][0], pairs[0][1])
                    )
                    self.add(
                        at,
                        "info",
                        "exclusive-overlap",
                        f"{group.id}: {a} and {b} may not be combined (不重复享受) but a firm can be eligible for both "
                        f"(amounts {amounts}); the evaluator reports both, officers must apply the rule",
                        f"{group.id}：{a} 与 {b} 不重复享受，但同一企业可能同时符合（金额 {amounts}）；"
                        "评估结果会同时列出两者，须由经办人员按规定择一",
                    )

    # unused
    def check_unused(self) -> None:
        read: set[str] = set()
        for item in [
            *self.pack.derived.values(),
            *self.pack.scorecards.values(),
            *(p for versions in self.pack.policies.values() for p in versions),
        ]:
            read |= {n.removesuffix("_passed") for n in dependencies(item)}
        by_code = {k for k, p in self.pack.parameters.items() if p.read_by}
        for ident in sorted(set(self.pack.parameters) - read - by_code):
            self.add(
                self.where.at("parameters", ident),
                "warning",
                "unused",
                f"parameter {ident} is not read by any rule",
                f"参数 {ident} 未被任何规则引用",
            )
        for ident in sorted(set(self.pack.derived) - read):
            self.add(
                self.where.at("derived", ident),
                "info",
                "unused",
                f"derived fact {ident} is not read by any rule (it is still computed and reported)",
                f"派生事实 {ident} 未被任何规则引用（仍会计算并列入结果）",
            )

    # overflow
    def check_overflow(self) -> None:
        """Arithmetic whose range reaches past OVERFLOW: an error if every value does, a warning if some
        bounded inputs can (unbounded facts are not flagged: the evaluator turns a non-finite result into
        an `error` decision for that firm)."""
        items = [
            *self.pack.derived.values(),
            *self.pack.scorecards.values(),
            *(p for versions in self.pack.policies.values() for p in versions),
        ]
        for item in items:
            file, _ = self.pack.origin[item.id]
            for expression in expressions_of(item):
                for node in ex.walk(expression.ast):
                    if isinstance(node, ex.BinOp):
                        self.report_overflow((file, expression.line), item.id, expression.text, self.ranges.of(node))

    def report_overflow(self, at: tuple[str, int | None], ident: str, text: str, reach: Interval | None) -> None:
        if reach is None or reach.empty():
            return
        beyond = Interval(-OVERFLOW, OVERFLOW, True, True)
        if (reach & beyond).empty():
            self.add(
                at,
                "error",
                "overflow",
                f"{ident}: `{text}` is always beyond ±{OVERFLOW:g} ({reach})",
                f"{ident}：`{text}` 的结果总是超出 ±{OVERFLOW:g}（{reach}）",
            )
        elif math.isfinite(reach.lo) and math.isfinite(reach.hi) and not covered_by(reach, beyond):
            self.add(
                at,
                "warning",
                "overflow",
                f"{ident}: `{text}` can reach {reach}, beyond ±{OVERFLOW:g}",
                f"{ident}：`{text}` 的结果可达 {reach}，超出 ±{OVERFLOW:g}",
            )


ACK = re.compile(r"#\s*lint-ok:\s*([\w\-, ]+)")


def acknowledged(finding: Finding) -> Finding:
    """A warning the author has acknowledged with `# lint-ok: code` on its line is shown as information."""
    if finding.severity != "warning" or not finding.line:
        return finding
    lines = _source_lines(finding.file)
    text = lines[finding.line - 1] if finding.line <= len(lines) else ""
    found = ACK.search(text)
    if found is None or finding.code not in {c.strip() for c in found.group(1).split(",")}:
        return finding
    return Finding(
        finding.file,
        finding.line,
        "info",
        finding.code,
        finding.en + " (acknowledged in the rule file)",
        finding.zh + "（已在规则文件中确认）",
    )


def _source_lines(file: str) -> list[str]:
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def summary(errors: int, warnings: int, infos: int) -> str:
    """The closing line of `ipcheck rules lint`, Chinese first."""
    counts = f"{errors} 个错误，" + (f"{warnings} 个警告，" if warnings else "") + f"{infos} 个提示"
    counts_en = f"{errors} error(s), " + (f"{warnings} warning(s), " if warnings else "") + f"{infos} note(s)"
    return (
        f"规则检查通过：{counts} / lint passed: {counts_en}"
        if not errors
        else f"规则检查未通过：{counts} / lint failed: {counts_en}"
    )


def _minus_all(domain: Interval, spans: list[Interval]) -> list[Interval]:
    pieces = [domain] if not domain.empty() else []
    for span in spans:
        pieces = subtract(pieces, span)
    return pieces


def _overlap(a: tuple[date, date], b: tuple[date, date]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _date_gaps(period: tuple[date, date], spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
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


def _days(span: tuple[date, date]) -> str:
    return f"{span[0]}–" + ("" if span[1] == date.max else str(span[1]))


def lint_pack(pack: RulePack) -> list[Finding]:
    """Every static finding for a pack that loaded, errors first."""
    return Linter(pack).run()
