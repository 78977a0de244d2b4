"""Expressions as closures over an environment of facts, on one as-of date: a value, and the facts that would
settle it when it is unknown (worked out only when asked for).

The explaining evaluator (engine/evaluate/evaluator.py) computes every expression with these; the status-only
evaluator (engine/evaluate/status.py) builds its tables, cases and missing-facts walks on them, and what-if
reads thresholds and truths through them. The meaning of each operator is engine/language/semantics.py's:
three-valued logic with every operand evaluated, arithmetic and comparisons unknown when an operand is,
`x / 0` unknown, a result beyond the range of numbers or operands an operator cannot take a rule failure
(with semantics' words), the same functions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from math import isfinite
from types import SimpleNamespace
from typing import Any

from engine.language import expr as ex
from engine.language.functions import SCALAR, has_title
from engine.language.semantics import COMPARE, RuleRuntimeError, finite
from engine.language.visitor import Visitor
from engine.model.profile import FIELDS

_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_NOTHING: frozenset[str] = frozenset()

Env = dict[str, Any]
Value = Callable[[Env], Any]


class Missing:
    """The facts that would settle each unknown value, worked out only when asked for.

    `of` maps a name to a set, or to a function giving it when called with this Missing (derived facts,
    scores, policies): the functions hold no reference to it, so a run's objects make no reference cycle and
    are freed as soon as they are dropped, not by the cycle collector (whose full passes walk the whole pack).
    A profile field that is unknown is its own reason."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.of: dict[str, Any] = {}
        self.leaves: dict[int, frozenset[str]] = {}  # by id of a leaf's Compiled: asked by reasons and `missing`

    def leaf(self, part: Compiled) -> frozenset[str]:
        found = self.leaves.get(id(part))
        if found is None:
            found = self.leaves[id(part)] = part.miss(self.env, self)
        return found

    def name(self, name: str) -> frozenset[str]:
        found = self.of.get(name)
        if found is None:
            return frozenset((name,)) if name in FIELDS else _NOTHING
        if callable(found):
            found = self.of[name] = frozenset(found(self))
        return found


Miss = Callable[[Env, Missing], frozenset[str]]


# --- expressions -----------------------------------------------------------------


@dataclass(frozen=True)
class At:
    """What a compiled pack fixes: the as-of date and the names whose values do not depend on the
    profile (parameters in force, the as-of date). `as_of` None: a compilation shared by every date
    with the same rules in force (engine.evaluate.status), which reads the date from the environment."""

    as_of: date | None
    fixed: Mapping[str, Any]


_VARIABLE = object()  # Compiled.const of an expression whose value depends on the profile


@dataclass(frozen=True)
class Compiled:
    """An expression as closures: its value, and the facts the explaining evaluator would
    report as missing while computing it (Evaluation.eval's `missing`). Parameters and the
    as-of date are fixed for a compiled pack, so expressions of them alone are constants."""

    value: Value
    miss: Miss
    const: Any = _VARIABLE
    name: str | None = None  # set for a plain name (a fact read from the environment)
    test: tuple[str, Callable[[Any, Any], Any], Any] | None = None  # (fact, operator, constant) of `fact op c`


def _nothing(env: Env, m: Missing) -> frozenset[str]:
    return _NOTHING


def _constant(v: Any) -> Compiled:
    return Compiled(lambda env: v, _nothing, const=v)


def _name(node: ex.Name, fixed: Mapping[str, Any]) -> Compiled:
    key = node.name
    if key in fixed:  # a parameter (None when not in force: unknown, missing nothing)
        return _constant(fixed[key])

    def miss(env: Env, m: Missing) -> frozenset[str]:
        return m.name(key) if env.get(key) is None else _NOTHING

    return Compiled(lambda env: env.get(key), miss, name=key)


def _logic(parts: list[Compiled], want: bool) -> Compiled:
    """`or` (want=True) / `and` (want=False): settled by the first operand equal to `want`."""
    values = [p.value for p in parts]

    def value(env: Env) -> bool | None:
        unknown = decided = False
        for part in values:  # every operand (no short cut), so a failing rule fails for every firm
            v = part(env)
            if v is None:
                unknown = True
            elif bool(v) == want:
                decided = True
        return want if decided else (None if unknown else not want)

    def miss(env: Env, m: Missing) -> frozenset[str]:
        if value(env) is not None:
            return _NOTHING
        return frozenset().union(*(p.miss(env, m) for p in parts if p.value(env) is None))

    return Compiled(value, miss)


def _union(parts: list[Compiled]) -> Miss:
    """Every operand is evaluated, so each adds what it misses."""
    variable = [p.miss for p in parts if p.const is _VARIABLE]
    if len(variable) == 1:
        return variable[0]

    def miss(env: Env, m: Missing) -> frozenset[str]:
        return frozenset().union(*(p(env, m) for p in variable))

    return miss


def _not(part: Compiled) -> Compiled:
    inner = part.value

    def value(env: Env) -> bool | None:
        v = inner(env)
        return None if v is None else not v

    return Compiled(value, part.miss)


def _neg(part: Compiled) -> Compiled:
    inner = part.value

    def value(env: Env) -> Any:
        v = inner(env)
        return None if v is None else -v

    return Compiled(value, part.miss)


def _divide(x: Any, y: Any) -> Any:
    return None if y == 0 else x / y


def _finite(fn: Callable[[Any, Any], Any], op: str) -> Callable[[Any, Any], Any]:
    """Arithmetic whose result must be a finite number: an overflow is a rule failure, in semantics.finite's words."""

    def checked(x: Any, y: Any) -> Any:
        value = fn(x, y)
        if value.__class__ is float and not isfinite(value):
            finite(value, f"{x!r} {op} {y!r}")
        return value

    return checked


def _binary(node: ex.BinOp | ex.Compare, left: Compiled, right: Compiled) -> Compiled:
    """Unknown if either side is; both sides are always evaluated (as the explaining evaluator does)."""
    op = node.op
    fn = COMPARE[op] if isinstance(node, ex.Compare) else _finite(_ARITH.get(op, _divide), op)

    def refuse(x: Any, y: Any, e: Exception) -> RuleRuntimeError:
        return RuleRuntimeError(f"cannot compute {x!r} {op} {y!r}: {e}")

    if left.name is not None and right.const is not _VARIABLE:  # fact against a threshold: the common case
        key, y = left.name, right.const

        def fact_const(env: Env) -> Any:
            x = env.get(key)
            if x is None or y is None:
                return None
            try:
                return fn(x, y)
            except (TypeError, OverflowError) as e:
                raise refuse(x, y, e) from None

        return Compiled(fact_const, left.miss, test=(key, fn, y) if y is not None else None)
    a, b = left.value, right.value

    def value(env: Env) -> Any:
        x, y = a(env), b(env)
        if x is None or y is None:
            return None
        try:
            return fn(x, y)
        except (TypeError, OverflowError) as e:
            raise refuse(x, y, e) from None

    return Compiled(value, _union([left, right]))


def _call(node: ex.Call, args: list[Compiled], as_of: date | None) -> Compiled:
    getters = [a.value for a in args]
    if node.func == "has_title":
        fixed = [a.const for a in args]
        constant = _VARIABLE not in fixed

        def value(env: Env) -> bool | None:
            return has_title(
                SimpleNamespace(titles=env.get("titles")),
                env["as_of"] if as_of is None else as_of,
                *(fixed if constant else [g(env) for g in getters]),
            )

        def miss(env: Env, m: Missing) -> frozenset[str]:
            found = _union(args)(env, m)
            return found | {"titles"} if value(env) is None else found

        return Compiled(value, miss)
    fn = SCALAR[node.func]
    if len(args) > 1 and args[0].name is not None and all(a.const is not _VARIABLE for a in args[1:]):
        key, rest = args[0].name, [a.const for a in args[1:]]  # starts_with(code, 'C', 'B'), one_of(...)
        return Compiled(lambda env: fn(env.get(key), *rest), args[0].miss)
    return Compiled(lambda env: fn(*[g(env) for g in getters]), _union(args))


class _Closures(Visitor[Compiled]):
    """An expression AST as closures over an environment of facts, on a date (engine/language/visitor.py)."""

    def __init__(self, at: At) -> None:
        self.at = at

    def kids(self, node: ex.Node) -> list[Compiled]:
        return [self.visit(c) for c in ex.children(node)]

    def constant(self, node: ex.Num | ex.Str | ex.DateLit | ex.Bool) -> Compiled:
        return _constant(node.value)

    on_num = on_str = on_datelit = on_bool = constant

    def on_name(self, node: ex.Name) -> Compiled:
        return _name(node, self.at.fixed)

    def on_and(self, node: ex.And) -> Compiled:
        return _logic(self.kids(node), want=False)

    def on_or(self, node: ex.Or) -> Compiled:
        return _logic(self.kids(node), want=True)

    def on_not(self, node: ex.Not) -> Compiled:
        return _not(self.kids(node)[0])

    def on_neg(self, node: ex.Neg) -> Compiled:
        return _neg(self.kids(node)[0])

    def on_binop(self, node: ex.BinOp | ex.Compare) -> Compiled:
        return _binary(node, *self.kids(node))

    on_compare = on_binop

    def on_call(self, node: ex.Call) -> Compiled:
        return _call(node, self.kids(node), self.at.as_of)


def compile_expr(node: ex.Node, at: At) -> Compiled:
    """An expression AST as closures over an environment of facts, on a date."""
    return _Closures(at).visit(node)
