"""The status-only evaluator: decisions in microseconds, with no explanation objects.

Compiled once per pack and set of rules in force (`compiled(pack, as_of)`, kept in the pack's memo) from the
same rule AST as the explaining evaluator (engine.evaluate.evaluator): values into generated Python
code, one function per rule (engine/evaluate/status_code.py), and into closures that work out the
missing facts on demand (and serve `expression` and `indicators`; engine/evaluate/closures.py, which the
explaining evaluator computes with too). It gives,
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

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial
from math import copysign, isfinite
from typing import Any, NamedTuple

from engine.evaluate.closures import (  # Compiled, Missing, At: the names the other modules import from here
    _NOTHING,
    At,
    Compiled,
    Env,
    Miss,
    Missing,
    Value,
    _union,
    compile_expr,
)
from engine.evaluate.evaluator import RuleRuntimeError, dependencies_of, lookup_result, prepared
from engine.evaluate.status_code import Emitter, build
from engine.language import expr as ex
from engine.language.functions import SCALAR, has_title
from engine.language.functions.has_title import holds
from engine.language.graph import downstream
from engine.language.loader import RulePack, dependencies
from engine.language.rules import Bracket, BracketTable, Condition, Derived, Indicator, Policy, Scorecard
from engine.language.semantics import CODE, RULE_FAILURES, Truth, bracket_finder
from engine.model.profile import FIELDS, EnterpriseProfile, field_kind

MET, UNKNOWN, UNMET = 0, 1, 2  # ordered so that `all` is a maximum and `any` a minimum (as in vectorized)
STATUS = ("eligible", "undetermined", "ineligible")
_TRUTHS = {code: truth for truth, code in CODE.items()}


# --- tables, derived facts and indicators ---------------------------------------------


def _table(table: BracketTable, at: At, top: bool = False) -> Compiled:
    """A bracket table: the first row whose every bound holds, else `otherwise` (unknown if its input is);
    `top`: the top of an expert-judged range (points_to) instead of its bottom."""
    find = bracket_finder(table, Bracket.top if top else Bracket.result, table.otherwise)
    part = compile_expr(table.of.ast, at)
    read, key = part.value, part.name

    def value(env: Env) -> Any:
        v = env.get(key) if key is not None else read(env)  # a plain fact is read in place
        return None if v is None else find(v)

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
    broken: set[str] = field(default_factory=set)  # the rules that failed (StatusEvaluator.fail)


# --- compiled parts --------------------------------------------------------------------


class _Tree:
    """A policy's condition tree: node slots numbered depth-first (the generated code keeps each
    node's state in the same slot), the leaves' ids, and the facts that settle an unknown root
    (ConditionResult.missing: through unknown nodes)."""

    def __init__(self, policy: Policy, at: At) -> None:
        self.leaves: list[tuple[int, str]] = []
        self.nodes: list[tuple[str, Condition]] = []  # (id, condition) by slot
        self.exprs: dict[int, Compiled] = {}
        self.shape: dict[int, list[int]] = {}
        self.root = policy.conditions
        self._deciding: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._node(self.root, self.root.id or "conditions", at)
        self.size = len(self.nodes)

    def _node(self, cond: Condition, ident: str, at: At) -> None:
        slot = len(self.nodes)
        self.nodes.append((ident, cond))
        if cond.when is not None:
            self.exprs[slot] = compile_expr(cond.when.ast, at)
            self.leaves.append((slot, ident))
            return
        self.shape[slot] = []
        for n, child in enumerate(cond.children()):
            self.shape[slot].append(len(self.nodes))
            self._node(child, child.id or f"{ident}.{n + 1}", at)

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

    def deciding_in(self, states: list[int], want: int) -> tuple[int, ...]:
        """Slots of the leaves in state `want` that decide the root, kept by the nodes' states (firms share few
        of them: the summary asks this of every refused or pending decision)."""
        key = (want, *states)
        found = self._deciding.get(key)
        if found is None:
            if len(self._deciding) >= 4096:
                self._deciding.clear()
            found = self._deciding[key] = tuple(slot for slot in self.deciding(states) if states[slot] == want)
        return found

    def missing(self, env: Env, states: list[int], m: Missing, slot: int = 0) -> frozenset[str]:
        if slot in self.exprs:
            return m.leaf(self.exprs[slot])
        return frozenset().union(
            *(self.missing(env, states, m, kid) for kid in self.shape[slot] if states[kid] == UNKNOWN)
        )


Step = Callable[[Env, Missing, "Statuses"], None]


class _Decide:
    def __init__(self, ident: str, policy: Policy | None, at: At) -> None:
        self.id, self.policy = ident, policy
        self.tree = None if policy is None else _Tree(policy, at)

    def source(self, em: Emitter) -> None:
        """States of every node, the unmet / unknown leaves, the decision and its amount."""
        ident, tree = self.id, self.tree
        if tree is None or self.policy is None:  # not in force on this date
            em.line(f"env[{ident!r}] = False")
            return
        slots: list[str] = []
        em.tree(tree.root, slots)
        em.line(f"st = [{', '.join(slots)}]")
        em.line("um, uk = [], []")
        for slot, leaf in tree.leaves:
            em.line(f"if s{slot} == 2: um.append({leaf!r})")
            em.line(f"elif s{slot} == 1: uk.append({leaf!r})")
        with em.block("if s0 == 1:"):
            em.line(f"m.of[{ident!r}] = why = partial({em.ref(tree.missing)}, env, st)")
            em.line("missing = partial(why, m)")
            em.line(f"env[{ident!r}] = None")
        with em.block("else:"):
            em.line("missing = _none")
            em.line(f"env[{ident!r}] = s0 == 0")
        em.line("amount = None")
        with em.block("if s0 == 0:"):
            em.line("known = []")
            for benefit in self.policy.benefits:
                if benefit.amount is not None:
                    v = em.expr(benefit.amount.ast)
                    cut = v if benefit.cap is None else f"min({v}, {em.const(benefit.cap)})"
                    em.line(f"if {em.unknown(v)}: pass")
                    em.line(f"else: known.append({cut})")
            em.line("amount = sum(known) if known else None")
        em.line(f"out.decisions[{ident!r}] = Outcome({ident!r}, STATUS[s0], tuple(um), tuple(uk), amount, missing, st)")


def _none(*_: Missing) -> frozenset[str]:
    return _NOTHING


class _Score:
    def __init__(self, card: Scorecard, at: At) -> None:
        self.card = card
        self.groups = [(g.max, g.min, [(i.max, compile_indicator(i, at)) for i in g.indicators]) for g in card.groups]
        self.tops = [[compile_indicator_top(i, at) for i in g.indicators] for g in card.groups]
        self.routes = [compile_expr(r.when.ast, at) for r in card.direct_routes]
        self.miss = {
            i.id: rule.miss
            for g, (_, _, rules) in zip(card.groups, self.groups)
            for i, (_, rule) in zip(g.indicators, rules)
        }

    def source(self, em: Emitter, given: bool = False) -> None:
        """Each group's low and high sums (clamped points; an expert-judged range adds its top to
        `high`), then _close_card; `given`: the indicators' raw points are read from `raw` (in card order)
        instead of worked out (StatusEvaluator.rescore). Each indicator's and group's figures are locals,
        gathered into lists once at the end."""
        em.line("unscored = []")
        k, groups = 0, []
        for n, (group, ranges) in enumerate(zip(self.card.groups, self.tops)):
            em.line("low, high, known = 0, 0, True")  # sums from 0, as Python's sum() adds
            for ind, ranged in zip(group.indicators, ranges):
                self._indicator(em, ind, ranged is not None, f"raw[{k}]" if given else em.indicator(ind), k)
                k += 1
            top = em.const(group.max)
            # float(min(x, top)) without the calls: min keeps x unless top < x
            em.line(f"lo{n} = float({top} if {top} < low else low); hi{n} = float({top} if {top} < high else high)")
            em.line(f"tot{n} = lo{n} if known else None")
            groups.append((n, group.min))
        em.line(f"every = [{', '.join(f'e{i}' for i in range(k))}]")
        em.line(f"lows = [{', '.join(f'lo{n}' for n, _ in groups)}]")
        em.line(f"highs = [{', '.join(f'hi{n}' for n, _ in groups)}]")
        em.line(f"totals = [{', '.join(f'tot{n}' for n, _ in groups)}]")
        minima = [f"({em.const(least)}, lo{n}, hi{n})" for n, least in groups if least is not None]
        em.line(f"minima = [{', '.join(minima)}]")
        hits = [em.expr(r.when.ast) for r in self.card.direct_routes]
        em.line(f"hits = [{', '.join(f'None if {h} is None else bool({h})' for h in hits)}]")
        em.line(f"{em.ref(self.close)}(lows, highs, totals, minima, hits, unscored, every, env, m, out)")

    def _indicator(self, em: Emitter, ind: Indicator, ranged: bool, p: str, k: int) -> None:
        """One indicator's clamped points (`p` holds its raw points) into the group's sums and local e{k}."""
        top = em.const(ind.max)
        with em.block(f"if {em.unknown(p)}:"):
            em.line(f"unscored.append({em.ref(self.miss[ind.id])}); known = False; high += {top}; e{k} = None")
        with em.block("else:"):
            if _clamped(em.choices.get(p), ind.max):
                em.line(f"p = {p}")  # every value it can take is a float within [0, top] already
            else:
                em.line(f"p = float({p})")  # max(0.0, min(p, top)), NaN included, without two calls
                em.line(f"if {top} < p: p = {top}")
                em.line("if not p > 0.0: p = 0.0")
            if ranged:
                em.line(f"p_top = max(0.0, min(float({em.indicator_top(ind)}), {top}))")
                em.line("low += p; high += p_top")
                em.line("if p_top != p: known, p = False, None")  # an expert-judged range: no single points yet
            else:
                em.line("low += p; high += p")
            em.line(f"e{k} = p")

    def close(
        self,
        lows: list[float],
        highs: list[float],
        totals: list[float | None],
        minima: list[tuple[float, float, float]],
        hits: list[bool | None],
        unscored_parts: list[Miss],
        every: list[float | None],
        env: Env,
        m: Missing,
        out: Statuses,
    ) -> None:
        """The card's total, interval and pass verdict from its groups' sums, and what it lacks."""
        card = self.card
        low, high = sum(lows), sum(highs)
        total = sum(totals) if None not in totals else None  # type: ignore[arg-type]
        by_score: bool | None = True if card.pass_at is None else _passes(low, high, card.pass_at)
        for minimum, lo, hi in minima:
            if by_score is not False:
                ok = _passes(lo, hi, minimum)
                by_score = False if ok is False else (None if ok is None else by_score)
        verdicts = [by_score, *hits]
        passed = True if True in verdicts else (None if None in verdicts else False)

        unscored = partial(_unscored, env, unscored_parts)
        missing = partial(_card_missing, env, unscored_parts, self.routes, hits)
        env[card.id], env[card.id + "_passed"] = total, passed
        m.of[card.id], m.of[card.id + "_passed"] = unscored, missing
        out.scorecards[card.id] = CardOutcome(card.id, total, low, high, passed, partial(missing, m), every)


def _clamped(values: list[Any] | None, top: float) -> bool:
    """Whether clamping an indicator's points to [0, top] leaves each of these values as it is: floats in
    [0, top], not -0.0 (which the clamp makes 0.0)."""
    return values is not None and all(
        v is None or (v.__class__ is float and 0.0 <= v <= top and copysign(1.0, v) > 0) for v in values
    )


def _unscored(env: Env, parts: list[Miss], m: Missing) -> frozenset[str]:
    """What a card's unscored indicators miss."""
    return frozenset().union(*(why(env, m) for why in parts))


def _card_missing(
    env: Env, parts: list[Miss], routes: list[Compiled], hits: list[bool | None], m: Missing
) -> frozenset[str]:
    """What settles a card's open pass verdict: its unscored indicators and its open direct routes."""
    return _unscored(env, parts, m).union(*(r.miss(env, m) for r, hit in zip(routes, hits) if hit is None))


def _passes(low: float, high: float, need: float) -> bool | None:
    return True if low >= need else (False if high < need else None)


class _Derive:
    def __init__(self, rule: Derived, at: At) -> None:
        self.id, self.derived, self.rule = rule.id, rule, compile_derived(rule, at)

    def source(self, em: Emitter) -> None:
        ident = self.id
        v = em.derived(self.derived)
        em.line(f"value = env[{ident!r}] = out.facts[{ident!r}] = {v}")
        em.line(f"if value is None: m.of[{ident!r}] = partial({em.ref(self.rule.miss)}, env)")


def _space() -> dict[str, Any]:
    """The globals the generated code refers to."""
    return {
        "RuleRuntimeError": RuleRuntimeError,
        "isfinite": isfinite,
        "has_title": has_title,
        "holds": holds,
        "Titles": _Titles,
        "lookup_result": lookup_result,
        "SCALAR": SCALAR,
        "partial": partial,
        "Outcome": Outcome,
        "STATUS": STATUS,
        "_none": _none,
    }


def _generate(steps: dict[str, _Derive | _Score | _Decide], at: At, label: str) -> dict[str, Step]:
    """One generated function per rule (engine/evaluate/status_code.py), compiled once."""
    space = _space()
    sources, names = [], {}
    for n, (ident, step) in enumerate(steps.items()):
        em = Emitter(at.fixed, at.as_of, space)
        step.source(em)
        names[ident] = f"step{n}"
        sources.append(em.function(names[ident], "env, m, out"))
    build("\n".join(sources), space, label)
    return {ident: space[name] for ident, name in names.items()}


class _Titles:
    """What has_title reads of a profile."""

    __slots__ = ("titles",)

    def __init__(self, titles: Any) -> None:
        self.titles = titles


# --- the evaluator ---------------------------------------------------------------------


Plan = tuple[list[tuple[str, Step]], Callable[[Callable[[str], Any], date], Env]]


class Rescoring(NamedTuple):
    """A scorecard of a plan re-scored from its indicators' raw points (StatusEvaluator.rescore)."""

    others: frozenset[str]  # the names the plan's other rules read (and the titles)
    card: Callable[[Sequence[Any], Env, Missing, Statuses], None]  # its step with the raw points given
    later: list[tuple[str, Step]]  # the plan's steps that read it, directly or not
    again: frozenset[str]  # the names of the rules worked out again (a card's `_passed` too)


class InForce:
    """The rules of a pack in force on a date, compiled: one generated function per rule. Every date with
    the same versions in force (RulePack.versions_on) shares it; the date itself, which only
    `years_between(…, as_of)` and has_title read, comes from the environment."""

    def __init__(self, pack: RulePack, as_of: date) -> None:
        self.pack = pack
        self.fixed: Env = {}
        for ident, param in pack.parameters.items():
            version = param.version_on(as_of)
            self.fixed[ident] = None if version is None else version.value
        at = self.at = At(None, self.fixed)
        self.steps: dict[str, _Derive | _Score | _Decide] = {}
        for ident in pack.order:
            if ident in pack.derived:
                self.steps[ident] = _Derive(pack.derived[ident], at)
            elif ident in pack.scorecards:
                self.steps[ident] = _Score(pack.scorecards[ident], at)
            else:
                self.steps[ident] = _Decide(ident, pack.policy_on(ident, as_of), at)
        self.code = _generate(self.steps, at, f"<status-only {pack.hash} in force on {as_of}>")
        self._plans: dict[frozenset[str] | None, Plan] = {}
        self._expressions: dict[int, tuple[ex.Node, Compiled]] = {}
        self._rescoring: dict[tuple[frozenset[str] | None, str], Rescoring] = {}

    def plan(self, targets: Collection[str] | None) -> Plan:
        """(the steps to run, a function reading the profile fields they read into an environment)
        for these targets (None: the whole pack)."""
        key = None if targets is None else frozenset(targets)
        found = self._plans.get(key)
        if found is None:
            order = self.pack.order if key is None else prepared(self.pack).cone(key)
            reads = set().union(*(_reads(self.pack).get(ident, ()) for ident in order))
            fields = sorted(reads & FIELDS.keys() | {"titles"})  # has_title reads the titles
            found = self._plans[key] = ([(i, self.code[i]) for i in order], _loader(tuple(fields)))
        return found

    def rescoring(self, targets: Collection[str] | None, card_id: str) -> Rescoring:
        """What StatusEvaluator.rescore needs for a scorecard in a plan (worked out once)."""
        key = (None if targets is None else frozenset(targets), card_id)
        found = self._rescoring.get(key)
        if found is None:
            space = _space()
            em = Emitter(self.at.fixed, self.at.as_of, space)
            self.steps[card_id].source(em, given=True)  # type: ignore[call-arg]
            build(em.function("rescore", "raw, env, m, out"), space, f"<status-only {card_id} from points>")
            steps, _ = self.plan(targets)
            after = downstream(self.pack, (card_id,))
            others = set().union(*(_reads(self.pack)[i] for i, _ in steps if i != card_id))
            again = after | {card_id}
            found = self._rescoring[key] = Rescoring(
                frozenset(others | {"titles"}),  # has_title's reads are not among the names
                space["rescore"],
                [(i, step) for i, step in steps if i in after],
                frozenset(again | {i + "_passed" for i in again}),
            )
        return found

    def expression(self, node: ex.Node) -> Compiled:
        """Any expression of the pack, compiled (kept); its environment holds the date, as a run's values do."""
        found = self._expressions.get(id(node))
        if found is None:
            found = self._expressions[id(node)] = (node, compile_expr(node, self.at))
        return found[1]


@cache
def _loader(fields: tuple[str, ...]) -> Callable[[Callable[[str], Any], date], Env]:
    """A generated function: the as-of date and the fields' values (absent: None), enums as their value,
    as the explaining evaluator reads them; parameters are constants of the generated code."""
    levels = [
        f"    v = get({name!r}); env[{name!r}] = getattr(v, 'value', v)"
        for name in fields
        if field_kind(name) == "level"
    ]
    plain = ", ".join(f"{name!r}: get({name!r})" for name in fields if field_kind(name) != "level")
    source = "\n".join(
        ["def load(get, as_of):", f"    env = {{'as_of': as_of, {plain}}}", *levels, "    return env", ""]
    )
    return build(source, {}, "<status-only fields>")["load"]


class StatusEvaluator:
    """A pack on one as-of date, compiled: statuses, scores and derived facts of a profile."""

    def __init__(self, pack: RulePack, as_of: date, rules: InForce) -> None:
        self.pack, self.as_of, self.rules = pack, as_of, rules
        self.steps = rules.steps
        self.expression = rules.expression  # any expression of the pack, compiled (shared by the dates)

    def run(self, profile: EnterpriseProfile | Mapping[str, Any], targets: Collection[str] | None = None) -> Statuses:
        """Statuses of `profile` (a profile, or a mapping of field -> value: absent or None = unknown);
        with `targets` (policy, scorecard or derived ids), only those and what they depend on."""
        steps, load = self.rules.plan(targets)
        env = load((profile.__dict__ if isinstance(profile, EnterpriseProfile) else profile).get, self.as_of)
        m = Missing(env)
        out = Statuses(self.as_of, {}, {}, {}, env, m)
        self._steps(steps, env, m, out)
        return out

    def _steps(self, steps: Iterable[tuple[str, Step]], env: Env, m: Missing, out: Statuses) -> None:
        broken = out.broken
        for ident, step in steps:
            try:
                if broken and dependencies_of(self.pack, ident) & broken:
                    raise RuleRuntimeError(ident)
                step(env, m, out)
            except RULE_FAILURES:  # as Evaluation.run: programming errors propagate
                broken.add(ident)
                self.fail(ident, out)

    def rescore(
        self,
        base: Statuses,
        card_id: str,
        raw: Sequence[Any],
        update: Mapping[str, Any],
        targets: Collection[str] | None = None,
    ) -> Statuses | None:
        """`run` of the base's profile with `update` (field -> new value), the scorecard's indicators' raw points
        on the updated values given (`raw`, in card order: what-if has worked them out for its pre-check) instead
        of worked out again, then the rules after it. `base` is the profile's run for the same targets. None where
        that is not exactly the run: a rule other than the card reads a changed field (or the titles), or a rule
        failed in the base run."""
        plan = self.rules.rescoring(targets, card_id)
        changed = update.keys() & base.values.keys()  # the fields the run would read
        if base.broken or card_id not in base.scorecards or not plan.others.isdisjoint(changed):
            return None
        env = base.values | _loader(tuple(sorted(changed)))(update.get, self.as_of)
        m = Missing(env)  # what the rules worked out again leave unknown is theirs afresh, as in a run
        m.of = {name: why for name, why in base.missing.of.items() if name not in plan.again}
        out = Statuses(self.as_of, dict(base.decisions), dict(base.scorecards), dict(base.facts), env, m)
        self._steps([(card_id, partial(plan.card, raw)), *plan.later], env, m, out)
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
        return sorted(set().union(*(result.missing.leaf(tree.exprs[slot]) for slot in self._deciding(outcome))))

    def states(self, outcome: Outcome) -> list[tuple[Condition, Truth]]:
        """Every condition of an outcome's tree with its state, in tree order (none for a failed decision):
        what-if's repair starts from them rather than working each out again."""
        tree = self.steps[outcome.id].tree  # type: ignore[attr-defined]
        return [(cond, _TRUTHS[code]) for (_, cond), code in zip(tree.nodes, outcome._states)]

    def _deciding(self, outcome: Outcome) -> tuple[int, ...]:
        tree = self.steps[outcome.id].tree  # type: ignore[attr-defined]
        return tree.deciding_in(outcome._states, STATUS.index(outcome.status))  # type: ignore[no-any-return]

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
    """The pack compiled for `as_of`, kept with the pack (at most 64 dates, sharing the compilations of
    the rules in force: InForce)."""
    cache = pack.memo.setdefault(StatusEvaluator, {})
    found = cache.get(as_of)
    if found is None:
        if len(cache) >= 64:
            cache.clear()
        shared = pack.memo.setdefault(InForce, {})
        key = pack.versions_on(as_of)
        rules = shared.get(key)
        if rules is None:
            if len(shared) >= 64:
                shared.clear()
            rules = shared[key] = InForce(pack, as_of)
        found = cache[as_of] = StatusEvaluator(pack, as_of, rules)
    return found


def statuses(
    profile: EnterpriseProfile | Mapping[str, Any],
    pack: RulePack,
    as_of: date | None = None,
    targets: Collection[str] | None = None,
) -> Statuses:
    """Statuses, scores and derived facts of one profile (see the module docstring)."""
    return compiled(pack, as_of or date.today()).run(profile, targets)
