"""The status-only evaluator: decisions in microseconds, with no explanation objects.

Compiled once per pack and as-of date (`compiled(pack, as_of)`, kept in the pack's memo) from the
same rule AST as the explaining evaluator (engine.evaluate.evaluator), into Python closures. It gives,
for one profile (or a plain mapping of facts, for hypothetical profiles):

- each in-force policy's status, the ids of its unmet and unknown leaves, the facts that would
  settle it (`Decision.missing`) and its benefit amount;
- each scorecard's total, interval [low, high] and pass verdict, with the facts it lacks;
- every derived fact's value.

Semantics are the explaining evaluator's, exactly: three-valued logic, `and`/`or` decided by the first
operand that settles them, arithmetic and comparisons unknown when an operand is, `x / 0` unknown,
the same functions. Which facts are missing is worked out only when something is unknown, and only
when asked for. tests/test_status_differential.py checks it against both other evaluators.

    from engine.evaluate.status import compiled
    fast = compiled(pack, as_of)                  # cached: cheap to call every time
    result = fast.run(profile)                    # or fast.run({"revenue": 1200, ...}), targets=[...]
    result.decisions["specialized_sme"].status    # 'eligible' / 'ineligible' / 'undetermined'
    result.decisions["specialized_sme"].unknown   # leaf ids; .unmet, .missing, .amount
    result.scorecards["ip_strength_card"].low     # .high, .total, .passed, .missing
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from math import isfinite
from types import SimpleNamespace
from typing import Any

from engine.evaluate.evaluator import _COMPARE, RuleRuntimeError, dependencies_of, lookup_result, prepared
from engine.language import expr as ex
from engine.language.functions import SCALAR, has_title
from engine.language.loader import RulePack, dependencies
from engine.language.rules import BracketTable, Condition, Derived, Indicator, Policy, Scorecard
from engine.language.semantics import RULE_FAILURES
from engine.model.profile import FIELDS, EnterpriseProfile, field_kind

MET, UNKNOWN, UNMET = 0, 1, 2  # ordered so that `all` is a maximum and `any` a minimum (as in vectorized)
STATUS = ("eligible", "undetermined", "ineligible")
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_BOUND = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
_NOTHING: frozenset[str] = frozenset()

Env = dict[str, Any]
Value = Callable[[Env], Any]


class Missing:
    """The facts that would settle each unknown value, worked out only when asked for.

    `of` maps a name to a set, or to a thunk giving it (derived facts, scores, policies);
    a profile field that is unknown is its own reason."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.of: dict[str, Any] = {}

    def name(self, name: str) -> frozenset[str]:
        found = self.of.get(name)
        if found is None:
            return frozenset((name,)) if name in FIELDS else _NOTHING
        if callable(found):
            found = self.of[name] = frozenset(found())
        return found


Miss = Callable[[Env, Missing], frozenset[str]]


# --- expressions -----------------------------------------------------------------


@dataclass(frozen=True)
class At:
    """What a compiled pack fixes: the as-of date and the names whose values do not depend on the
    profile (parameters in force, the as-of date)."""

    as_of: date
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


def _finite(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Arithmetic whose result must be a finite number (evaluator.finite): an overflow is a rule failure."""

    def checked(x: Any, y: Any) -> Any:
        value = fn(x, y)
        if value.__class__ is float and not isfinite(value):
            raise RuleRuntimeError(f"{x!r} and {y!r} give {value} (beyond the range of numbers)")
        return value

    return checked


def _binary(node: ex.BinOp | ex.Compare, left: Compiled, right: Compiled) -> Compiled:
    """Unknown if either side is; both sides are always evaluated (as the explaining evaluator does)."""
    op = node.op
    fn = _COMPARE[op] if isinstance(node, ex.Compare) else _finite(_ARITH.get(op, _divide))

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


def _call(node: ex.Call, args: list[Compiled], as_of: date) -> Compiled:
    getters = [a.value for a in args]
    if node.func == "has_title":
        fixed = [a.const for a in args]
        if _VARIABLE not in fixed:

            def value(env: Env) -> bool | None:
                return has_title(SimpleNamespace(titles=env.get("titles")), as_of, *fixed)
        else:

            def value(env: Env) -> bool | None:
                return has_title(SimpleNamespace(titles=env.get("titles")), as_of, *[g(env) for g in getters])

        def miss(env: Env, m: Missing) -> frozenset[str]:
            found = _union(args)(env, m)
            return found | {"titles"} if value(env) is None else found

        return Compiled(value, miss)
    fn = SCALAR[node.func]
    if len(args) > 1 and args[0].name is not None and all(a.const is not _VARIABLE for a in args[1:]):
        key, rest = args[0].name, [a.const for a in args[1:]]  # starts_with(code, 'C', 'B'), one_of(...)
        return Compiled(lambda env: fn(env.get(key), *rest), args[0].miss)
    return Compiled(lambda env: fn(*[g(env) for g in getters]), _union(args))


def compile_expr(node: ex.Node, at: At) -> Compiled:
    """An expression AST as closures over an environment of facts, on a date."""
    if isinstance(node, (ex.Num, ex.Str, ex.DateLit, ex.Bool)):
        return _constant(node.value)
    if isinstance(node, ex.Name):
        return _name(node, at.fixed)
    kids = [compile_expr(c, at) for c in ex.children(node)]
    if isinstance(node, ex.And):
        return _logic(kids, want=False)
    if isinstance(node, ex.Or):
        return _logic(kids, want=True)
    if isinstance(node, ex.Not):
        return _not(kids[0])
    if isinstance(node, ex.Neg):
        return _neg(kids[0])
    if isinstance(node, (ex.BinOp, ex.Compare)):
        return _binary(node, kids[0], kids[1])
    if isinstance(node, ex.Call):
        return _call(node, kids, at.as_of)
    raise TypeError(node)


def _truth(part: Compiled) -> Callable[[Env], bool | None]:
    inner = part.value

    def truth(env: Env) -> bool | None:
        v = inner(env)
        return None if v is None else bool(v)

    return truth


# --- tables, derived facts and indicators ---------------------------------------------


def _table(table: BracketTable, at: At, top: bool = False) -> Compiled:
    """A bracket table: the first row whose every bound holds, else `otherwise` (unknown if its input is);
    `top`: the top of an expert-judged range (points_to) instead of its bottom."""
    rows = [
        ([(_BOUND[op], bound) for op, bound in row.bounds()], row.top() if top else row.result()) for row in table.rows
    ]
    otherwise = table.otherwise
    part = compile_expr(table.of.ast, at)
    read, key = part.value, part.name

    def value(env: Env) -> Any:
        v = env.get(key) if key is not None else read(env)  # a plain fact is read in place
        if v is None:
            return None
        for tests, result in rows:
            for test, bound in tests:
                if not test(v, bound):
                    break
            else:
                return result
        return otherwise

    return Compiled(value, part.miss)


def _first_case(cases: list[tuple[Compiled, Any]], otherwise: Any) -> Compiled:
    """The value of the first case that holds; unknown (missing what that case misses) at the first unknown one."""
    tests = [(c.value, result) for c, result in cases]

    def value(env: Env) -> Any:
        for test, result in tests:
            hit = test(env)
            if hit is None:
                return None
            if hit:
                return result
        return otherwise

    def miss(env: Env, m: Missing) -> frozenset[str]:
        for part, _ in cases:
            hit = part.value(env)
            if hit is None:
                return part.miss(env, m)
            if hit:
                break
        return _NOTHING

    return Compiled(value, miss)


def compile_derived(rule: Derived, at: At) -> Compiled:
    if rule.formula is not None:
        return compile_expr(rule.formula.ast, at)
    if rule.brackets is not None:
        return _table(rule.brackets, at)
    if rule.lookup is not None:
        key = compile_expr(rule.lookup.key.ast, at)
        read = key.value
        return Compiled(lambda env: lookup_result(rule, read(env)), key.miss)
    return _first_case([(compile_expr(c.when.ast, at), c.value) for c in rule.cases or []], otherwise=None)


def compile_indicator(ind: Indicator, at: At) -> Compiled:
    """Raw points of an indicator (Evaluation.indicator_points), before clamping to [0, max]."""
    if ind.brackets is not None:
        return _table(ind.brackets, at)
    if ind.best_of is not None:
        return _best_of([_table(t, at) for t in ind.best_of], ind.max)
    if ind.formula is not None:
        return compile_expr(ind.formula.ast, at)
    if ind.cases is not None:
        return _first_case([(compile_expr(c.when.ast, at), c.points) for c in ind.cases], ind.otherwise or 0)
    return _items([(compile_expr(item.when.ast, at), item.points) for item in ind.items or []], ind.max)


def compile_indicator_top(ind: Indicator, at: At) -> Compiled | None:
    """Top of the points where an indicator has expert-judged ranges (points_to), None where it has none."""
    if ind.brackets is not None and any(r.points_to is not None for r in ind.brackets.rows):
        return _table(ind.brackets, at, top=True)
    if ind.best_of is not None and any(r.points_to is not None for t in ind.best_of for r in t.rows):
        return _best_of([_table(t, at, top=True) for t in ind.best_of], ind.max)
    if ind.cases is not None and any(c.points_to is not None for c in ind.cases):
        return _first_case([(compile_expr(c.when.ast, at), c.top()) for c in ind.cases], ind.otherwise or 0)
    if ind.items is not None and any(i.points_to is not None for i in ind.items):
        return _items([(compile_expr(item.when.ast, at), item.top()) for item in ind.items], ind.max)
    return None


def _best_of(tables: list[Compiled], top: float) -> Compiled:
    """The best known alternative; unknown while an unknown one could still beat it (below full marks)."""

    def value(env: Env) -> Any:
        found = [t.value(env) for t in tables]
        known = [p or 0 for p in found if p is not None] or [0]
        return max(known) if None not in found or max(known) >= top else None

    return Compiled(value, _union(tables))


def _items(items: list[tuple[Compiled, float]], top: float) -> Compiled:
    """Points per item that holds; unknown while unknown items could still add points (below the cap)."""
    tests = [(part.value, points) for part, points in items]

    def value(env: Env) -> Any:
        total, unknown = 0.0, False
        for test, points in tests:
            hit = test(env)
            if hit is None:
                unknown = True
            elif hit:
                total += points
        return None if unknown and total < top else total

    def miss(env: Env, m: Missing) -> frozenset[str]:
        return frozenset().union(*(part.miss(env, m) for part, _ in items if part.value(env) is None))

    return Compiled(value, miss)


# --- results -------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """One policy's decision without its rationale."""

    id: str
    status: str  # eligible / ineligible / undetermined / error (a rule failed)
    unmet: tuple[str, ...]  # ids of the unmet leaves (anywhere in the tree)
    unknown: tuple[str, ...]  # ids of the unknown leaves (anywhere in the tree)
    amount: float | None  # the known benefit amounts (万元, capped) of an eligible decision
    _missing: Callable[[], frozenset[str]]
    _states: list[int]  # every node's state, by slot (see _Tree)

    @property
    def missing(self) -> list[str]:
        """The facts that would settle an undetermined decision (Decision.missing), sorted."""
        return sorted(self._missing()) if self.status == "undetermined" else []


@dataclass(slots=True)
class CardOutcome:
    id: str
    total: float | None  # None while any indicator is unknown
    low: float
    high: float
    passed: bool | None
    _missing: Callable[[], frozenset[str]]
    points: list[float | None]  # each indicator's points (clamped), in card order

    @property
    def missing(self) -> list[str]:
        """The facts that would settle an open pass verdict (ScorecardResult.missing), sorted."""
        return sorted(self._missing()) if self.passed is None else []


@dataclass(slots=True)
class Statuses:
    as_of: date
    decisions: dict[str, Outcome]
    scorecards: dict[str, CardOutcome]
    facts: dict[str, Any]  # derived facts (None = unknown)
    values: Env  # every name's value: fields, parameters, facts, scores, policies
    missing: Missing  # what settles each unknown name


# --- compiled parts --------------------------------------------------------------------

Node = Callable[[Env, list[int]], int]


class _Tree:
    """A policy's condition tree: node states in a list (slots numbered depth-first), the leaves'
    ids, and the facts that settle an unknown root (ConditionResult.missing: through unknown nodes)."""

    def __init__(self, policy: Policy, at: At) -> None:
        self.leaves: list[tuple[int, str]] = []
        self.nodes: list[tuple[str, Condition]] = []  # (id, condition) by slot
        self.exprs: dict[int, Compiled] = {}
        self.shape: dict[int, list[int]] = {}
        self.size = 0
        root = policy.conditions
        self.run = self._node(root, root.id or "conditions", at)

    def _node(self, cond: Condition, ident: str, at: At) -> Node:
        slot = self.size
        self.size += 1
        self.nodes.append((ident, cond))
        if cond.when is not None:
            part = self.exprs[slot] = compile_expr(cond.when.ast, at)
            self.leaves.append((slot, ident))
            return _leaf(part, slot)
        kids, self.shape[slot] = [], []
        for n, child in enumerate(cond.children()):
            self.shape[slot].append(self.size)
            kids.append(self._node(child, child.id or f"{ident}.{n + 1}", at))
        if cond.not_ is not None:
            return _negate(kids[0], slot)
        return _combine(kids, slot, MET if cond.all is not None else UNMET)

    def deciding(self, states: list[int], slot: int = 0) -> list[int]:
        """Slots of the leaves that decide a node (as evaluator.deciding_leaves picks them)."""
        if slot in self.exprs:
            return [slot]
        cond = self.nodes[slot][1]
        return [
            leaf
            for kid in self.shape[slot]
            if cond.any is None or states[kid] == states[slot]
            for leaf in self.deciding(states, kid)
        ]

    def missing(self, env: Env, m: Missing, states: list[int], slot: int = 0) -> frozenset[str]:
        if slot in self.exprs:
            return self.exprs[slot].miss(env, m)
        return frozenset().union(
            *(self.missing(env, m, states, kid) for kid in self.shape[slot] if states[kid] == UNKNOWN)
        )


def _leaf(part: Compiled, slot: int) -> Node:
    if part.test is not None and part.test[1] in _COMPARE.values():
        return _compare_leaf(*part.test, slot)
    test = part.value

    def leaf(env: Env, states: list[int]) -> int:
        hit = test(env)
        state = states[slot] = UNKNOWN if hit is None else (MET if hit else UNMET)
        return state

    return leaf


def _compare_leaf(key: str, fn: Callable[[Any, Any], bool], y: Any, slot: int) -> Node:
    """A leaf `fact op threshold`, in one step (most leaves are)."""

    def leaf(env: Env, states: list[int]) -> int:
        x = env.get(key)
        if x is None:
            state = UNKNOWN
        else:
            try:
                state = MET if fn(x, y) else UNMET
            except TypeError as e:
                raise RuleRuntimeError(f"cannot compute {x!r} with {y!r}: {e}") from None
        states[slot] = state
        return state

    return leaf


def _negate(kid: Node, slot: int) -> Node:
    def negate(env: Env, states: list[int]) -> int:
        state = states[slot] = UNMET - kid(env, states)
        return state

    return negate


def _combine(kids: list[Node], slot: int, start: int) -> Node:
    """`all` (start MET: the worst state) or `any` (start UNMET: the best); every child is evaluated."""
    if start == MET:

        def all_of(env: Env, states: list[int]) -> int:
            state = MET
            for kid in kids:
                s = kid(env, states)
                if s > state:
                    state = s
            states[slot] = state
            return state

        return all_of

    def any_of(env: Env, states: list[int]) -> int:
        state = UNMET
        for kid in kids:
            s = kid(env, states)
            if s < state:
                state = s
        states[slot] = state
        return state

    return any_of


class _Decide:
    def __init__(self, ident: str, policy: Policy | None, at: At) -> None:
        self.id = ident
        self.tree = None if policy is None else _Tree(policy, at)
        self.benefits = (
            []
            if policy is None
            else [(compile_expr(b.amount.ast, at).value, b.cap) for b in policy.benefits if b.amount is not None]
        )

    def __call__(self, env: Env, m: Missing, out: Statuses) -> None:
        tree = self.tree
        if tree is None:  # not in force on this date
            env[self.id] = False
            return
        states = [MET] * tree.size
        state = tree.run(env, states)
        missing = _none
        if state == UNKNOWN:
            missing = m.of[self.id] = lambda: tree.missing(env, m, states)
        env[self.id] = None if state == UNKNOWN else state == MET
        leaves = tree.leaves
        out.decisions[self.id] = Outcome(
            self.id,
            STATUS[state],
            tuple([i for s, i in leaves if states[s] == UNMET]),
            tuple([i for s, i in leaves if states[s] == UNKNOWN]),
            self.amount(env) if state == MET else None,
            missing,
            states,
        )

    def amount(self, env: Env) -> float | None:
        known = []
        for value, cap in self.benefits:
            v = value(env)
            if v is not None:
                known.append(v if cap is None else min(v, cap))
        return sum(known) if known else None


def _none() -> frozenset[str]:
    return _NOTHING


class _Score:
    def __init__(self, card: Scorecard, at: At) -> None:
        self.card = card
        self.groups = [(g.max, g.min, [(i.max, compile_indicator(i, at)) for i in g.indicators]) for g in card.groups]
        self.tops = [[compile_indicator_top(i, at) for i in g.indicators] for g in card.groups]
        self.routes = [compile_expr(r.when.ast, at) for r in card.direct_routes]

    def __call__(self, env: Env, m: Missing, out: Statuses) -> None:
        card, unscored_parts, every = self.card, [], []
        lows, highs, totals, minima = [], [], [], []
        for (top_group, minimum, indicators), ranges in zip(self.groups, self.tops):
            low, high, known = 0, 0, True  # sums from 0, as Python's sum() adds
            for (top, rule), ranged in zip(indicators, ranges):
                p = rule.value(env)
                if p is None:
                    unscored_parts.append(rule.miss)
                    known = False
                    high += top
                else:
                    p = float(p)  # max(0.0, min(p, top)), NaN included, without two calls
                    if top < p:
                        p = top
                    if not p > 0.0:
                        p = 0.0
                    p_top = p if ranged is None else max(0.0, min(float(ranged.value(env)), top))
                    low += p
                    high += p_top
                    if p_top != p:  # an expert-judged range: no single points yet
                        known, p = False, None
                every.append(p)
            low, high = float(min(low, top_group)), float(min(high, top_group))
            lows.append(low)
            highs.append(high)
            totals.append(low if known else None)
            if minimum is not None:
                minima.append((minimum, low, high))
        low, high = sum(lows), sum(highs)
        total = sum(totals) if None not in totals else None  # type: ignore[arg-type]
        by_score: bool | None = True if card.pass_at is None else _passes(low, high, card.pass_at)
        for minimum, lo, hi in minima:
            if by_score is not False:
                ok = _passes(lo, hi, minimum)
                by_score = False if ok is False else (None if ok is None else by_score)
        hits = [_known_truth(r.value(env)) for r in self.routes]
        verdicts = [by_score, *hits]
        passed = True if True in verdicts else (None if None in verdicts else False)

        def unscored() -> frozenset[str]:
            return frozenset().union(*(why(env, m) for why in unscored_parts))

        def missing() -> frozenset[str]:
            return unscored().union(*(r.miss(env, m) for r, hit in zip(self.routes, hits) if hit is None))

        env[card.id], env[card.id + "_passed"] = total, passed
        m.of[card.id], m.of[card.id + "_passed"] = unscored, missing
        out.scorecards[card.id] = CardOutcome(card.id, total, low, high, passed, missing, every)


def _known_truth(v: Any) -> bool | None:
    return None if v is None else bool(v)


def _passes(low: float, high: float, need: float) -> bool | None:
    return True if low >= need else (False if high < need else None)


class _Derive:
    def __init__(self, rule: Derived, at: At) -> None:
        self.id, self.rule = rule.id, compile_derived(rule, at)

    def __call__(self, env: Env, m: Missing, out: Statuses) -> None:
        value = env[self.id] = out.facts[self.id] = self.rule.value(env)
        if value is None:
            why = self.rule.miss
            m.of[self.id] = lambda: why(env, m)


# --- the evaluator ---------------------------------------------------------------------


class StatusEvaluator:
    """A pack on one as-of date, compiled: statuses, scores and derived facts of a profile."""

    def __init__(self, pack: RulePack, as_of: date) -> None:
        self.pack, self.as_of = pack, as_of
        self.base: Env = {"as_of": as_of}
        for ident, param in pack.parameters.items():
            version = param.version_on(as_of)
            self.base[ident] = None if version is None else version.value
        at = self.at = At(as_of, dict(self.base))
        self._expressions: dict[int, tuple[ex.Node, Compiled]] = {}
        self.steps: dict[str, Callable[[Env, Missing, Statuses], None]] = {}
        for ident in pack.order:
            if ident in pack.derived:
                self.steps[ident] = _Derive(pack.derived[ident], at)
            elif ident in pack.scorecards:
                self.steps[ident] = _Score(pack.scorecards[ident], at)
            else:
                self.steps[ident] = _Decide(ident, pack.policy_on(ident, as_of), at)
        self._plans: dict[frozenset[str] | None, tuple[list[Any], list[str], list[str]]] = {}

    def plan(self, targets: Collection[str] | None) -> tuple[list[Any], list[str], list[str]]:
        """(the steps to run, the profile fields they read, those of them that are enums) for these
        targets (None: the whole pack)."""
        key = None if targets is None else frozenset(targets)
        found = self._plans.get(key)
        if found is None:
            order = self.pack.order if key is None else prepared(self.pack).cone(key)
            reads = set().union(*(_reads(self.pack).get(ident, ()) for ident in order))
            fields = sorted(reads & FIELDS.keys() | {"titles"})  # has_title reads the titles
            levels = [name for name in fields if field_kind(name) == "level"]
            found = self._plans[key] = ([(i, self.steps[i]) for i in order], fields, levels)
        return found

    def run(self, profile: EnterpriseProfile | Mapping[str, Any], targets: Collection[str] | None = None) -> Statuses:
        """Statuses of `profile` (a profile, or a mapping of field -> value: absent or None = unknown);
        with `targets` (policy, scorecard or derived ids), only those and what they depend on."""
        steps, fields, levels = self.plan(targets)
        env = {"as_of": self.as_of}  # parameters are constants of the compiled closures
        given = profile.__dict__ if isinstance(profile, EnterpriseProfile) else profile
        get = given.get
        for name in fields:
            env[name] = get(name)
        for name in levels:  # enums as their value, as the explaining evaluator reads them
            value = env[name]
            env[name] = getattr(value, "value", value)
        m = Missing(env)
        out = Statuses(self.as_of, {}, {}, {}, env, m)
        broken: set[str] = set()
        for ident, step in steps:
            try:
                if broken and dependencies_of(self.pack, ident) & broken:
                    raise RuleRuntimeError(ident)
                step(env, m, out)
            except RULE_FAILURES:  # as Evaluation.run: programming errors propagate
                broken.add(ident)
                self.fail(ident, out)
        return out

    def fail(self, ident: str, out: Statuses) -> None:
        """A rule that could not be computed for this profile: unknown, missing nothing, an `error` decision."""
        for name in (ident, ident + "_passed"):
            out.values[name] = None
            out.missing.of[name] = _none
        out.scorecards.pop(ident, None)
        if ident in self.pack.derived:
            out.facts[ident] = None
        if ident in self.pack.policies and self.pack.policy_on(ident, self.as_of) is not None:
            out.decisions[ident] = Outcome(ident, "error", (), (), None, _none, [])

    def deciding(self, outcome: Outcome) -> list[tuple[str, Condition]]:
        """The leaves (id, condition) that decide an outcome, in tree order: its one-line reason
        is made of those in its own state (evaluator.reasons)."""
        tree = self.steps[outcome.id].tree  # type: ignore[attr-defined]
        return [tree.nodes[slot] for slot in self._deciding(outcome)]

    def deciding_missing(self, outcome: Outcome, result: Statuses) -> list[str]:
        """The facts the deciding unknown leaves of an undetermined outcome miss (what its reason names)."""
        tree = self.steps[outcome.id].tree  # type: ignore[attr-defined]
        return sorted(
            set().union(*(tree.exprs[slot].miss(result.values, result.missing) for slot in self._deciding(outcome)))
        )

    def _deciding(self, outcome: Outcome) -> list[int]:
        tree = self.steps[outcome.id].tree  # type: ignore[attr-defined]
        want = STATUS.index(outcome.status)
        return [slot for slot in tree.deciding(outcome._states) if outcome._states[slot] == want]

    def expression(self, node: ex.Node) -> Compiled:
        """Any expression of the pack, compiled for this date (kept)."""
        found = self._expressions.get(id(node))
        if found is None:
            found = self._expressions[id(node)] = (node, compile_expr(node, self.at))
        return found[1]

    def indicators(self, card_id: str) -> list[Value]:
        """Raw points of each indicator of a scorecard, as functions of an environment of values."""
        score = self.steps[card_id]
        return [rule.value for _, _, indicators in score.groups for _, rule in indicators]  # type: ignore[attr-defined]

    def run_many(
        self, profiles: Iterable[EnterpriseProfile | Mapping[str, Any]], targets: Collection[str] | None = None
    ) -> list[Statuses]:
        return [self.run(p, targets) for p in profiles]


def _reads(pack: RulePack) -> dict[str, set[str]]:
    """The names each derived fact, scorecard and policy reads (kept with the pack)."""
    found = pack.memo.get(_reads)
    if found is None:
        found = pack.memo[_reads] = {
            ident: dependencies(item) for ident, item in [*pack.derived.items(), *pack.scorecards.items()]
        }
        found |= {ident: set().union(*(dependencies(v) for v in versions)) for ident, versions in pack.policies.items()}
    return found


def compiled(pack: RulePack, as_of: date) -> StatusEvaluator:
    """The pack compiled for `as_of`, kept with the pack (at most 64 dates)."""
    cache = pack.memo.setdefault(StatusEvaluator, {})
    found = cache.get(as_of)
    if found is None:
        if len(cache) >= 64:
            cache.clear()
        found = cache[as_of] = StatusEvaluator(pack, as_of)
    return found


def statuses(
    profile: EnterpriseProfile | Mapping[str, Any],
    pack: RulePack,
    as_of: date | None = None,
    targets: Collection[str] | None = None,
) -> Statuses:
    """Statuses, scores and derived facts of one profile (see the module docstring)."""
    return compiled(pack, as_of or date.today()).run(profile, targets)
