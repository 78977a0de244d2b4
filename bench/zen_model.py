"""A GoRules zen-engine (JDM) model of 中小企业划型 (enterprise_size) and the 专精特新 conditions
(specialized_sme), for bench/single.py only: zen-engine is the optional `peers` extra, never a
runtime dependency.

The model is written from the rule pack for one as-of date: one JDM expression node whose
entries compute, in dependency order, every sub-expression, derived fact, indicator, scorecard and
condition the two read (`$.k` reads an earlier entry). Unknown is null throughout, exactly as the
evaluator's three-valued logic: every comparison and arithmetic is guarded (zen-engine refuses to
compare null), `and` / `or` are false / true if any operand settles them, otherwise null if any
operand is null. Dates travel as day numbers, titles as {title, rank, from, to}.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from engine.evaluate.evaluator import prepared
from engine.language import expr as ex
from engine.language.loader import RulePack
from engine.language.rules import BracketTable, Condition, Derived, Indicator, Scorecard
from engine.model.profile import FIELDS, LEVEL_RANK, EnterpriseProfile, Level, field_kind

TARGETS = ("enterprise_size", "specialized_sme")
_EPOCH = date(1970, 1, 1)
_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}


def day(d: date) -> int:
    return (d - _EPOCH).days


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return str(day(value))
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class Model:
    """The JDM expressions of the targets' cone on one date."""

    def __init__(self, pack: RulePack, as_of: date) -> None:
        self.pack, self.as_of = pack, as_of
        self.params = {
            k: (v.version_on(as_of).value if v.version_on(as_of) else None)  # type: ignore[union-attr]
            for k, v in pack.parameters.items()
        }
        self.entries: list[tuple[str, str]] = []
        for ident in prepared(pack).cone(TARGETS):
            if ident in pack.derived:
                self.derived(pack.derived[ident])
            elif ident in pack.scorecards:
                self.scorecard(pack.scorecards[ident])
            else:
                policy = pack.policy_on(ident, as_of)  # not in force: false to what reads it, and no decision
                self.put(ident, self.condition(policy.conditions) if policy else "false")
        self.decides = pack.policy_on("specialized_sme", as_of) is not None

    # --- entries ----------------------------------------------------------------
    def put(self, key: str, value: str) -> str:
        self.entries.append((key, value))
        return f"$.{key}"

    def temp(self, value: str) -> str:
        return self.put(f"_t{len(self.entries)}", value)

    # --- expressions ------------------------------------------------------------
    def expr(self, node: ex.Node) -> str:
        if isinstance(node, (ex.Num, ex.Str, ex.DateLit, ex.Bool)):
            return literal(node.value)
        if isinstance(node, ex.Name):
            if node.name == "as_of":
                return str(day(self.as_of))
            if node.name in self.params:
                return literal(self.params[node.name])
            return node.name if node.name in FIELDS else f"$.{node.name}"
        if isinstance(node, (ex.And, ex.Or)):
            return self.logic([self.expr(o) for o in node.operands], isinstance(node, ex.Or))
        if isinstance(node, ex.Not):
            a = self.expr(node.operand)
            return self.temp(f"{a} == null ? null : not {a}")
        if isinstance(node, ex.Neg):
            a = self.expr(node.operand)
            return self.temp(f"{a} == null ? null : -{a}")
        if isinstance(node, (ex.Compare, ex.BinOp)):
            a, b = self.expr(node.left), self.expr(node.right)
            if isinstance(node, ex.BinOp) and node.op == "/":
                return self.temp(f"{a} == null or {b} == null or {b} == 0 ? null : {a} / {b}")
            op = _CMP.get(node.op, node.op)
            return self.temp(f"{a} == null or {b} == null ? null : {a} {op} {b}")
        if isinstance(node, ex.Call):
            return self.call(node)
        raise TypeError(node)

    def logic(self, parts: list[str], want: bool) -> str:
        settle = " or ".join(f"{p} == {literal(want)}" for p in parts)
        unknown = " or ".join(f"{p} == null" for p in parts)
        return self.temp(f"({settle}) ? {literal(want)} : (({unknown}) ? null : {literal(not want)})")

    def call(self, node: ex.Call) -> str:
        args = [self.expr(a) for a in node.args]
        if node.func == "has_title":
            code = node.args[0].value  # type: ignore[union-attr]
            rank = LEVEL_RANK[Level(node.args[1].value)] if len(node.args) > 1 else 0  # type: ignore[union-attr]
            today = day(self.as_of)
            test = (
                f"#.title == {literal(code)} and (#.from == null or #.from <= {today}) "
                f"and (#.to == null or {today} <= #.to)" + (f" and #.rank >= {rank}" if rank else "")
            )
            return self.temp(f"titles == null ? null : some(titles, {test})")
        subject, options = args[0], args[1:]
        if node.func == "starts_with":
            return self.temp(
                f"{subject} == null ? null : (" + " or ".join(f"startsWith({subject}, {o})" for o in options) + ")"
            )
        if node.func == "one_of":
            return self.temp(f"{subject} == null ? null : {subject} in [{', '.join(options)}]")
        raise NotImplementedError(node.func)

    # --- rules --------------------------------------------------------------------
    def table(self, table: BracketTable) -> str:
        of = self.expr(table.of.ast)
        out = literal(table.otherwise)
        for row in reversed(table.rows):
            test = (
                " and ".join(
                    f"{of} {_CMP[{'ge': '>=', 'gt': '>', 'le': '<=', 'lt': '<'}[op]]} {literal(bound)}"
                    for op, bound in row.bounds()
                )
                or "true"
            )
            out = f"({test}) ? {literal(row.result())} : ({out})"
        return self.temp(f"{of} == null ? null : ({out})")

    def first_case(self, cases: list[tuple[str, Any]], otherwise: Any) -> str:
        out = literal(otherwise)
        for test, value in reversed(cases):
            out = f"{test} == null ? null : ({test} ? {literal(value)} : ({out}))"
        return self.temp(out)

    def derived(self, rule: Derived) -> None:
        if rule.formula is not None:
            value = self.expr(rule.formula.ast)
        elif rule.brackets is not None:
            value = self.table(rule.brackets)
        elif rule.lookup is not None:
            assert rule.lookup.match == "prefix", "only prefix lookups are modelled"
            key = self.expr(rule.lookup.key.ast)
            keys = sorted(((k, row.value) for row in rule.lookup.table for k in row.keys), key=lambda kv: -len(kv[0]))
            out = literal(rule.lookup.default)
            for k, v in reversed(keys):
                out = f"startsWith({key}, {literal(k)}) ? {literal(v)} : ({out})"
            value = self.temp(f"{key} == null ? null : ({out})")
        else:
            value = self.first_case([(self.expr(c.when.ast), c.value) for c in rule.cases or []], None)
        self.put(rule.id, value)

    def indicator(self, ind: Indicator) -> str:
        if ind.brackets is not None:
            raw = self.table(ind.brackets)
        elif ind.best_of is not None:
            found = [self.table(t) for t in ind.best_of]
            best = "0"
            for f in found:
                best = self.temp(f"{f} != null and {f} > {best} ? {f} : {best}")
            known = " and ".join(f"{f} != null" for f in found)
            raw = self.temp(f"({known}) or {best} >= {ind.max} ? {best} : null")
        elif ind.formula is not None:
            raw = self.expr(ind.formula.ast)
        elif ind.cases is not None:
            raw = self.first_case([(self.expr(c.when.ast), c.points) for c in ind.cases], ind.otherwise or 0)
        else:
            tests = [(self.expr(i.when.ast), i.points) for i in ind.items or []]
            earned = self.temp(" + ".join(f"({t} == true ? {p} : 0)" for t, p in tests) or "0")
            unknown = " or ".join(f"{t} == null" for t, _ in tests) or "false"
            raw = self.temp(f"({unknown}) and {earned} < {ind.max} ? null : {earned}")
        return self.temp(f"{raw} == null ? null : ({raw} > {ind.max} ? {ind.max} : ({raw} < 0 ? 0 : {raw}))")

    def scorecard(self, card: Scorecard) -> None:
        lows, highs, knowns, verdicts = [], [], [], []
        for group in card.groups:
            points = [(self.indicator(i), i.max) for i in group.indicators]
            low = self.temp(" + ".join(f"({p} == null ? 0 : {p})" for p, _ in points))
            low = self.temp(f"{low} > {group.max} ? {group.max} : {low}")
            high = self.temp(" + ".join(f"({p} == null ? {top} : {p})" for p, top in points))
            high = self.temp(f"{high} > {group.max} ? {group.max} : {high}")
            known = " and ".join(f"{p} != null" for p, _ in points)
            lows.append(low), highs.append(high), knowns.append(known)
            if group.min is not None:
                verdicts.append(self.temp(f"{low} >= {group.min} ? true : ({high} < {group.min} ? false : null)"))
        low, high = self.temp(" + ".join(lows)), self.temp(" + ".join(highs))
        self.put(card.id, f"({' and '.join(knowns)}) ? {low} : null")
        by_score = (
            "true"
            if card.pass_at is None
            else self.temp(f"{low} >= {card.pass_at} ? true : ({high} < {card.pass_at} ? false : null)")
        )
        for verdict in verdicts:  # a group minimum can only turn an open or passing score into false / null
            by_score = self.temp(
                f"{by_score} == false ? false : ({verdict} == false ? false : ({verdict} == null ? null : {by_score}))"
            )
        routes = [self.expr(r.when.ast) for r in card.direct_routes]
        self.put(card.id + "_passed", self.logic([by_score, *routes], True))

    def condition(self, cond: Condition) -> str:
        if cond.when is not None:
            return self.expr(cond.when.ast)
        kids = [self.condition(c) for c in cond.children()]
        if cond.not_ is not None:
            return self.temp(f"{kids[0]} == null ? null : not {kids[0]}")
        return self.logic(kids, cond.any is not None)

    def jdm(self) -> str:
        out = [
            ("enterprise_size", "enterprise_size"),  # the second node reads the first one's output
            (
                "specialized_sme",
                "specialized_sme == true ? 'eligible' : (specialized_sme == false ? 'ineligible' : 'undetermined')"
                if self.decides
                else "null",
            ),
        ]
        return graph(self.entries, out)


def graph(entries: list[tuple[str, str]], out: list[tuple[str, str]]) -> str:
    """A JDM decision: input -> an expression node of `entries` -> an expression node of `out` -> output."""

    def node(ident: str, x: int, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        expressions = [{"id": f"{ident}{n}", "key": k, "value": v} for n, (k, v) in enumerate(pairs)]
        return {
            "id": ident,
            "type": "expressionNode",
            "name": ident,
            "position": {"x": x, "y": 0},
            "content": {"expressions": expressions},
        }

    return json.dumps(
        {
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "profile", "position": {"x": 0, "y": 0}},
                node("rules", 200, entries),
                node("decide", 400, out),
                {"id": "out", "type": "outputNode", "name": "decision", "position": {"x": 600, "y": 0}},
            ],
            "edges": [
                {"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
                {"id": "e2", "sourceId": "rules", "targetId": "decide", "type": "edge"},
                {"id": "e3", "sourceId": "decide", "targetId": "out", "type": "edge"},
            ],
        }
    )


def one_expression() -> str:
    """The same graph with one comparison: what zen-engine costs per call whatever the model (its Python binding,
    the input's conversion, the graph's walk)."""
    return graph([("big", "revenue != null and revenue > 1000")], [("big", "big")])


def zen_input(profile: EnterpriseProfile) -> dict[str, Any]:
    """The profile as zen-engine reads it: dates as day numbers, enums as values, titles flattened."""
    data: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(profile, name)
        if value is None:
            continue
        kind = field_kind(name)
        if kind == "titles":
            value = [
                {
                    "title": t.title,
                    "rank": LEVEL_RANK[t.level] if t.level else 0,
                    "from": day(t.valid_from) if t.valid_from else None,
                    "to": day(t.valid_to) if t.valid_to else None,
                }
                for t in value
            ]
        elif kind == "date":
            value = day(value)
        elif kind == "level":
            value = value.value
        data[name] = value
    return data
