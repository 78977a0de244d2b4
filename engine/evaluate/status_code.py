"""Python source for the status-only evaluator (engine/evaluate/status.py): one function per rule.

The closures of status.py make a call per node, about 2,000 per profile on the whole pack; here each
derived fact, scorecard and policy becomes one generated function whose sub-expressions are locals,
whose three-valued logic is written inline, and whose constants (parameters in force on the as-of
date) are literals. The semantics are status.py's closures', statement for statement: `and` / `or`
evaluate every operand (a failing operand fails the rule for every firm), arithmetic and comparisons
are unknown when an operand is, `x / 0` is unknown, a non-finite result is a rule failure, `cases`
stop at the first case that holds or is unknown. What is missing stays with the closures (it is
worked out only on demand); tests/test_status_differential.py checks the whole against the
explaining and the vectorised evaluators.

An `Emitter` (an expression Visitor, engine/language/visitor.py) writes the statements of one
function; `expr` and the table / case / item writers return an atom (a local name or a literal) holding the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from math import isfinite
from typing import Any

from engine.language import expr as ex
from engine.language.rules import BracketTable, Condition, Derived, Indicator
from engine.language.visitor import Visitor
from engine.model.profile import LEVEL_RANK, Level

_BOUND = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
_LITERAL = (bool, int, str, type(None))


class Emitter(Visitor[str]):
    """The body of one generated function: statements, the names it reads from the environment
    (loaded into locals first) and the objects it refers to (globals of the generated module)."""

    def __init__(self, fixed: Mapping[str, Any], as_of: date | None, space: dict[str, Any]) -> None:
        self.fixed, self.as_of, self.space = fixed, as_of, space
        self.lines: list[str] = []
        self.depth = 1
        self.reads: dict[str, str] = {}
        self.consts: dict[str, Any] = {}  # atom -> its value, for atoms that are constants
        self.choices: dict[str, list[Any]] = {}  # atom -> the constants it may hold besides None (tables, cases)
        self.count = 0

    # --- writing -------------------------------------------------------------------

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def block(self, head: str) -> Iterator[None]:
        self.line(head)
        self.depth += 1
        yield
        self.depth -= 1

    def temp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def ref(self, obj: Any) -> str:
        """A global of the generated module holding `obj`."""
        name = f"g{len(self.space)}"
        self.space[name] = obj
        return name

    def const(self, value: Any) -> str:
        if value.__class__ in _LITERAL or (value.__class__ is float and isfinite(value)):
            atom = repr(value)
        else:
            atom = self.ref(value)
        self.consts[atom] = value
        return atom

    def read(self, name: str) -> str:
        if name not in self.reads:
            self.reads[name] = f"r{len(self.reads)}"
        return self.reads[name]

    def function(self, name: str, params: str) -> str:
        """The function's source: its parameters, the reads, then the body; values of the wrong type
        for an operator are a rule failure, as the closures' (status._binary) and the explaining evaluator's."""
        loads = [f"    {local} = env.get({name!r})" for name, local in self.reads.items()]
        body = ["    " + line for line in [*loads, *self.lines]]
        refuse = "        raise RuleRuntimeError(f'cannot compute: {e}') from None"
        return "\n".join([f"def {name}({params}):", "    try:", *body, "    except TypeError as e:", refuse, ""])

    # --- three-valued helpers ---------------------------------------------------------

    def unknown(self, *atoms: str) -> str:
        """A test that any of the atoms is unknown (constants decided here)."""
        tests = [f"{a} is None" for a in atoms if a not in self.consts]
        if any(a in self.consts and self.consts[a] is None for a in atoms):
            return "True"
        return " or ".join(tests) or "False"

    def assign(self, value: str) -> str:
        t = self.temp()
        self.line(f"{t} = {value}")
        return t

    # --- expressions -----------------------------------------------------------------

    def expr(self, node: ex.Node) -> str:
        return self.visit(node)

    def constant(self, node: ex.Num | ex.Str | ex.DateLit | ex.Bool) -> str:
        return self.const(node.value)

    on_num = on_str = on_datelit = on_bool = constant

    def on_name(self, node: ex.Name) -> str:
        return self.const(self.fixed[node.name]) if node.name in self.fixed else self.read(node.name)

    def on_and(self, node: ex.And | ex.Or) -> str:
        return self.logic([self.expr(c) for c in node.operands], want=isinstance(node, ex.Or))

    on_or = on_and

    def on_not(self, node: ex.Not) -> str:
        a = self.expr(node.operand)
        return self.assign(f"None if {self.unknown(a)} else not {a}")

    def on_neg(self, node: ex.Neg) -> str:
        a = self.expr(node.operand)
        return self.assign(f"None if {self.unknown(a)} else -{a}")

    def on_binop(self, node: ex.BinOp | ex.Compare) -> str:
        return self.binary(node.op, self.expr(node.left), self.expr(node.right), isinstance(node, ex.Compare))

    on_compare = on_binop

    def on_call(self, node: ex.Call) -> str:
        return self.call(node, [self.expr(a) for a in node.args])

    def logic(self, parts: list[str], want: bool) -> str:
        """`or` (want=True) / `and` (want=False), settled by any operand equal to `want` (all are evaluated)."""
        settles = [p for p in parts if p in self.consts and self.consts[p] is not None and bool(self.consts[p]) == want]
        if settles:
            return self.const(want)
        open_ = [p for p in parts if p not in self.consts]
        hit = " or ".join(f"({p} is not None and {'' if want else 'not '}{p})" for p in open_) or "False"
        t = self.temp()
        self.line(f"if {hit}: {t} = {want}")
        self.line(f"elif {self.unknown(*parts)}: {t} = None")
        self.line(f"else: {t} = {not want}")
        return t

    def binary(self, op: str, a: str, b: str, compare: bool) -> str:
        if compare:
            return self.assign(f"None if {self.unknown(a, b)} else ({a} {op} {b})")
        value = f"(None if {b} == 0 else {a} / {b})" if op == "/" else f"({a} {op} {b})"
        t = self.assign(f"None if {self.unknown(a, b)} else {value}")
        self.line(f"if {t}.__class__ is float and not isfinite({t}): raise RuleRuntimeError({op!r})")
        return t

    def call(self, node: ex.Call, args: list[str]) -> str:
        fixed = [self.consts[a] for a in args if a in self.consts]
        if node.func == "has_title":
            titles = self.read("titles")
            day = self.read("as_of") if self.as_of is None else self.const(self.as_of)  # At.as_of
            need = _rank(fixed) if len(fixed) == len(args) else None
            if need is not None:  # the level's rank worked out here, not per profile
                return self.assign(f"holds({titles}, {day}, {args[0]}, {need})")
            return self.assign(f"has_title(Titles({titles}), {day}, {', '.join(args)})")
        text, prefixes = args[0] if args else "", [self.consts.get(a) for a in args[1:]]
        if node.func == "starts_with" and text not in self.consts and _texts(prefixes):
            # str.startswith takes the prefixes as a tuple: one call for all
            return self.assign(f"None if {text} is None else str({text}).startswith({tuple(prefixes)!r})")
        if node.func == "one_of" and text not in self.consts:
            options = [a for a in args[1:] if a in self.consts]
            if len(options) == len(prefixes):
                return self.assign(f"None if {text} is None else {text} in ({', '.join(options)},)")
        return self.assign(f"{self.ref(self.space['SCALAR'][node.func])}({', '.join(args)})")

    # --- tables, cases and items ----------------------------------------------------------

    def table(self, table: BracketTable, top: bool = False) -> str:
        """The first row whose every bound holds, else `otherwise`; unknown if the input is."""
        v = self.expr(table.of.ast)
        if v in self.consts:
            v = self.assign(v)
        t = self.temp()
        self.line(f"if {v} is None: {t} = None")
        results = [row.top() if top else row.result() for row in table.rows]
        for row, result in zip(table.rows, results):
            tests = " and ".join(f"{v} {_BOUND[op]} {self.const(bound)}" for op, bound in row.bounds()) or "True"
            self.line(f"elif {tests}: {t} = {self.const(result)}")
        self.line(f"else: {t} = {self.const(table.otherwise)}")
        self.choices[t] = [*results, table.otherwise]
        return t

    def cases(self, cases: list[tuple[ex.Node, Any]], otherwise: Any) -> str:
        """The value of the first case that holds; unknown at the first unknown one (later ones unread)."""
        t = self.temp()
        depth = self.depth
        for when, result in cases:
            hit = self.expr(when)
            self.line(f"if {self.unknown(hit)}: {t} = None")
            self.line(f"elif {hit}: {t} = {self.const(result)}")
            self.line("else:")
            self.depth += 1
        self.line(f"{t} = {self.const(otherwise)}")
        self.depth = depth
        self.choices[t] = [*(result for _, result in cases), otherwise]
        return t

    def items(self, items: list[tuple[ex.Node, float]], top: float) -> str:
        """Points per item that holds; unknown while unknown items could still add points (below the cap)."""
        total, unknown = self.assign("0.0"), self.assign("False")
        for when, points in items:
            hit = self.expr(when)
            self.line(f"if {self.unknown(hit)}: {unknown} = True")
            self.line(f"elif {hit}: {total} += {self.const(points)}")
        return self.assign(f"None if {unknown} and {total} < {self.const(top)} else {total}")

    def best_of(self, tables: list[str], top: float) -> str:
        """The best known alternative; unknown while an unknown one could still beat it (below full marks)."""
        found = self.assign(f"[{', '.join(tables)}]")
        known = self.assign(f"[p or 0 for p in {found} if p is not None] or [0]")
        return self.assign(f"max({known}) if None not in {found} or max({known}) >= {self.const(top)} else None")

    # --- rules ------------------------------------------------------------------------

    def derived(self, rule: Derived) -> str:
        if rule.formula is not None:
            return self.expr(rule.formula.ast)
        if rule.brackets is not None:
            return self.table(rule.brackets)
        if rule.lookup is not None:
            key = self.expr(rule.lookup.key.ast)
            return self.assign(f"lookup_result({self.ref(rule)}, {key})")
        return self.cases([(c.when.ast, c.value) for c in rule.cases or []], None)

    def indicator(self, ind: Indicator) -> str:
        """Raw points of an indicator (Evaluation.indicator_points), before clamping to [0, max]."""
        if ind.brackets is not None:
            return self.table(ind.brackets)
        if ind.best_of is not None:
            return self.best_of([self.table(t) for t in ind.best_of], ind.max)
        if ind.formula is not None:
            return self.expr(ind.formula.ast)
        if ind.cases is not None:
            return self.cases([(c.when.ast, c.points) for c in ind.cases], ind.otherwise or 0)
        return self.items([(i.when.ast, i.points) for i in ind.items or []], ind.max)

    def indicator_top(self, ind: Indicator) -> str:
        """Top of the points of an indicator with expert-judged ranges (status.compile_indicator_top)."""
        if ind.brackets is not None:
            return self.table(ind.brackets, top=True)
        if ind.best_of is not None:
            return self.best_of([self.table(t, top=True) for t in ind.best_of], ind.max)
        if ind.cases is not None:
            return self.cases([(c.when.ast, c.top()) for c in ind.cases], ind.otherwise or 0)
        return self.items([(i.when.ast, i.top()) for i in ind.items or []], ind.max)

    def tree(self, cond: Condition, slots: list[str]) -> str:
        """States of a condition tree into locals s0, s1, ... (slots depth-first, as status._Tree numbers
        them): MET 0, UNKNOWN 1, UNMET 2; `all` is the worst child, `any` the best, `not` the mirror."""
        slot = f"s{len(slots)}"
        slots.append(slot)
        if cond.when is not None:
            hit = self.expr(cond.when.ast)
            self.line(f"{slot} = 1 if {self.unknown(hit)} else (0 if {hit} else 2)")
            return slot
        kids = [self.tree(child, slots) for child in cond.children()]
        if cond.not_ is not None:
            self.line(f"{slot} = 2 - {kids[0]}")
        elif len(kids) > 1:
            self.line(f"{slot} = {'max' if cond.all is not None else 'min'}({', '.join(kids)})")
        else:
            self.line(f"{slot} = {kids[0] if kids else (0 if cond.all is not None else 2)}")
        return slot


def _rank(args: list[Any]) -> int | None:
    """has_title's level rank for constant arguments (None where they are not a code and a level)."""
    if not args or args[0].__class__ is not str or len(args) > 2:
        return None
    level = args[1] if len(args) > 1 else None
    if level is None or level == "":
        return 0
    try:
        return LEVEL_RANK[Level(level)]
    except (ValueError, KeyError):
        return None


def _texts(values: list[Any]) -> bool:
    return bool(values) and all(v.__class__ is str for v in values)


def build(source: str, space: dict[str, Any], label: str) -> dict[str, Callable[..., Any]]:
    """Compile the generated module once and return its namespace."""
    exec(compile(source, label, "exec"), space)  # source generated from the rule AST, not input
    return space
