"""What it would take: ranked score improvements, and the narrowest misses of policies.

Generic over the rule pack: candidate changes come from reading the rule AST — bracket bounds,
comparison thresholds, yes/no facts and has_title() calls — never from a list per indicator.
A threshold is turned into a fact value by probing the expression with the fact moved (a linear
solve from two probes), and every candidate is then measured or verified by re-evaluating the
whole pack, so a wrong guess can only be dropped, never reported.

Improvements change one fact at a time, upwards only (a firm can gain rights, not undo its past
or shrink to look better), and never a fact that appears only as a divisor (a size normaliser
such as R&D staff or revenue).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from functools import cache
from itertools import product
from typing import Any, NamedTuple

from engine.evaluate.evaluator import RuleRuntimeError
from engine.evaluate.explain import fmt_number, fmt_value
from engine.evaluate.status import Statuses, compiled
from engine.language import expr as ex
from engine.language import semantics as sem
from engine.language.loader import RulePack, dependencies, expressions_of
from engine.language.rules import BracketTable, Condition, Indicator, Policy, Scorecard
from engine.language.visitor import Visitor
from engine.model.profile import (
    CROSS_CHECKS,
    FIELDS,
    TITLES,
    TITLES_EN,
    EnterpriseProfile,
    Title,
    field_kind,
    label,
    label_zh,
    unit_of,
)
from engine.model.results import FactChange, Improvement, NearMiss, Words

ChangeSet = dict[str, Any]  # field -> new value; "titles" -> tuple of (code, level) to add
NUMERIC = ("integer", "number")
MAX_ALTERNATIVES = 6  # candidate change sets kept per condition node
MAX_VERIFIED = 8  # candidate sets re-evaluated per missed policy


# --- probing expressions ---------------------------------------------------


class Probe:
    """A status run's values, read through the pack's compiled expressions (engine/evaluate/status.py):
    single expressions worked out on them, or with one fact moved, and no explanation built."""

    def __init__(self, profile: EnterpriseProfile, pack: RulePack, as_of: date, result: Statuses) -> None:
        self.profile, self.pack, self.as_of = profile, pack, as_of
        self.fast = compiled(pack, as_of)
        self.values = dict(result.values)

    def value(self, node: ex.Node) -> Any:
        return self.fast.expression(node).value(self.values)

    def moved(self, node: ex.Node, name: str, value: Any) -> Any:
        """The expression's value with `name` moved to `value` (None when a rule fails for it)."""
        values, old = self.values, self.values.get(name)
        values[name] = value
        try:
            return self.fast.expression(node).value(values)
        except RuleRuntimeError:
            return None
        finally:
            values[name] = old


def divisors(node: ex.Node) -> set[str]:
    """Names read only under the right side of a division (size normalisers)."""
    if isinstance(node, ex.BinOp) and node.op == "/":
        return divisors(node.left) | ex.names(node.right)
    return set().union(*(divisors(c) for c in ex.children(node))) if ex.children(node) else set()


def numeric_fields(node: ex.Node) -> list[str]:
    skip = divisors(node)
    return sorted(n for n in ex.names(node) - skip if n in FIELDS and field_kind(n) in NUMERIC)


def reach(ev: Probe, node: ex.Node, name: str, target: float) -> list[float]:
    """Values of `name` near where `node` equals `target` (linear solve from two probes)."""
    x0 = ev.values.get(name)
    if not isinstance(x0, (int, float)) or isinstance(x0, bool):
        return []
    if isinstance(node, ex.Name):  # the fact itself (what probing it would give)
        f0, f1 = x0, x0 + 1
    else:
        f0, f1 = ev.moved(node, name, x0), ev.moved(node, name, x0 + 1)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (f0, f1)) or f1 == f0:
        return []
    x = x0 + (target - f0) / (f1 - f0)
    if field_kind(name) == "integer":
        base = math.ceil(x - 1e-9)
        return [v for v in (base - 1, base, base + 1) if v >= 0]
    base = math.ceil(x * 100 - 1e-6) / 100
    return [v for v in (base, round(base + 0.01, 2)) if v >= 0]


def comparisons(node: ex.Node) -> list[tuple[ex.Node, ex.Node]]:
    """(side, what it is compared with) for every comparison inside `node` whose other side reads no
    profile field (a threshold). Facts on both sides (a ratio such as `pledge_loan_amount >= revenue * 10%`)
    give their difference compared with 0, so solving for either fact finds the value that meets the other."""
    found: list[tuple[ex.Node, ex.Node]] = []
    if isinstance(node, ex.Compare):
        found += [
            (side, other)
            for side, other in ((node.left, node.right), (node.right, node.left))
            if not (ex.names(other) & set(FIELDS))
        ]
        if not found:
            found.append((ex.BinOp("-", node.left, node.right), ex.Num(0.0)))
    for child in ex.children(node):
        found += comparisons(child)
    return found


def table_targets(table: BracketTable) -> Iterator[tuple[ex.Node, float]]:
    for row in table.rows:
        for _, bound in row.bounds():
            yield table.of.ast, bound


class Shape:
    """What the candidate search reads from one indicator's rules, worked out once per pack."""

    def __init__(self, ind: Indicator) -> None:
        tables = ([ind.brackets] if ind.brackets else []) + (ind.best_of or [])
        self.bounds: list[tuple[ex.Node, float | None]] = [t for table in tables for t in table_targets(table)]
        nodes = [e.ast for e in expressions_of(ind)]
        self.compared = [pair for node in nodes for pair in comparisons(node)]
        if ind.formula is not None:
            self.bounds.append((ind.formula.ast, None))
        self.numeric = {id(n): numeric_fields(n) for n, _ in [*self.bounds, *self.compared]}
        self.flags = sorted(set().union(*(flag_names(n) for n in nodes)))
        self.titles = list(dict.fromkeys(t for n in nodes for t in title_calls(n)))

    def targets(self, ev: Probe) -> list[tuple[ex.Node, float | None]]:
        """Expressions and the values they could be moved to; None = a plain formula (step by one)."""
        found = [t for t in self.bounds if t[1] is not None]
        for side, other in self.compared:
            value = ev.value(other)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append((side, float(value)))
        return found + [t for t in self.bounds if t[1] is None]


def shape(pack: RulePack, ind: Indicator) -> Shape:
    shapes = pack.memo.setdefault(Shape, {})
    found = shapes.get(id(ind))
    if found is None:
        found = shapes[id(ind)] = (ind, Shape(ind))
    return found[1]


def title_calls(node: ex.Node) -> Iterator[tuple[str, str | None]]:
    if isinstance(node, ex.Call) and node.func == "has_title" and isinstance(node.args[0], ex.Str):
        level = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ex.Str) else None
        yield node.args[0].value, level
    for child in ex.children(node):
        yield from title_calls(child)


@cache
def title_test(code: str) -> ex.Call:
    """`has_title('code')`, one node per code: the evaluator keeps each node it computes compiled (per pack and
    date), so a node made afresh for every assessment would be compiled and kept every time."""
    return ex.Call("has_title", (ex.Str(code),))


def flag_names(node: ex.Node) -> set[str]:
    return {n for n in ex.names(node) if n in FIELDS and field_kind(n) == "bool"}


# --- applying changes --------------------------------------------------------


# a count -> (position in CROSS_CHECKS, the count, a count containing it)
_CONTAINERS = {
    small: [(n, s, big) for n, (s, big) in enumerate(CROSS_CHECKS) if s == small] for small, _ in CROSS_CHECKS
}


def implied(profile: EnterpriseProfile, changes: ChangeSet) -> ChangeSet:
    """Counts that contain a changed count (CROSS_CHECKS) rise with it, so the profile stays consistent."""
    extra: ChangeSet = {}
    for _, small, big in sorted(pair for name in changes for pair in _CONTAINERS.get(name, ())):  # CROSS_CHECKS order
        new, container = changes[small], changes.get(big, getattr(profile, big))
        if isinstance(new, (int, float)) and isinstance(container, (int, float)) and new > container:
            extra[big] = new
    return extra


def update_of(profile: EnterpriseProfile, changes: ChangeSet) -> dict[str, Any]:
    """The fields a change set gives new values, those it implies among them."""
    update = {k: v for k, v in changes.items() if k != "titles"}
    update |= implied(profile, update)
    if "titles" in changes:
        extra = [Title(title=code, level=level) for code, level in changes["titles"]]
        update["titles"] = [*(profile.titles or []), *extra]
    return update


def apply(profile: EnterpriseProfile, changes: ChangeSet) -> EnterpriseProfile:
    return profile.model_copy(update=update_of(profile, changes))


def run(
    profile: EnterpriseProfile, pack: RulePack, as_of: date, targets: Collection[str] | None = None
) -> tuple[Probe, Statuses]:
    """Statuses of the pack, or of only `targets` and what they depend on, with their values for
    probing single expressions."""
    result = compiled(pack, as_of).run(profile, targets)
    return Probe(profile, pack, as_of, result), result


def outcomes(
    profile: EnterpriseProfile,
    pack: RulePack,
    as_of: date,
    candidates: list[ChangeSet],
    targets: Collection[str] | None,
) -> list[Statuses]:
    """Status runs of the profile under each candidate change set, as one batch."""
    given = vars(profile)  # the status evaluator reads a profile's fields, or a mapping of them: no copy validated
    return compiled(pack, as_of).run_many([given | update_of(profile, c) for c in candidates], targets)


class Probed(NamedTuple):
    """A candidate change set, the fields it gives new values (update_of), and the card's raw indicator points
    under it where the pre-check worked them out (local_points)."""

    changes: ChangeSet
    update: dict[str, Any]
    points: tuple[Any, ...] | None


def rescored(
    profile: EnterpriseProfile,
    pack: RulePack,
    as_of: date,
    base: Statuses,
    card_id: str,
    probes: list[Probed],
    targets: Collection[str] | None,
) -> list[Statuses]:
    """Status runs of the profile under each probe (as `outcomes` runs them): the card re-scored from the points
    the pre-check worked out where that is exactly the run (StatusEvaluator.rescore), a run otherwise."""
    fast, given = compiled(pack, as_of), vars(profile)
    return [
        (raw is not None and fast.rescore(base, card_id, raw, update, targets)) or fast.run(given | update, targets)
        for _, update, raw in probes
    ]


HAIR = 0.011  # the step `reach` rounds amounts to: a change this small only crosses a strict threshold


def delta_of(name: str, old: Any, new: Any) -> float | None:
    """FactChange.delta of a change: the numeric change (None from an unknown value); 1 for a yes/no fact,
    a text or a title."""
    if name == "titles" or isinstance(new, bool) or not isinstance(new, (int, float)):
        return 1.0
    return float(new - old) if isinstance(old, (int, float)) else None


def describe(name: str, old: Any, new: Any) -> FactChange:
    if name == "titles":
        names = "、".join(TITLES[c] for c, _ in new)
        return FactChange(
            field="titles",
            field_zh="持有称号",
            old=None,
            new=[c for c, _ in new],
            delta=1.0,
            text=Words(zh=f"取得{names}", en=f"obtain {', '.join(TITLES_EN[c] for c, _ in new)}"),
        )
    zh, unit = label_zh(name), unit_of(name)
    if isinstance(new, bool) or not isinstance(new, (int, float)):
        return FactChange(
            field=name,
            field_zh=zh,
            old=old,
            new=new,
            delta=1.0,
            text=Words(
                zh=f"{zh}改为“{fmt_value(new)}”（当前 {fmt_value(old)}）",
                en=f"set {label(name, 'en')} to {fmt_value(new, lang='en')} (now {fmt_value(old, lang='en')})",
            ),
        )
    delta = delta_of(name, old, new)
    en_name = label(name, "en")
    if delta is not None and 0 < abs(delta) <= HAIR and field_kind(name) == "number":
        # a strict threshold met exactly (or missed by rounding): "above 1,000", not "raise by 0.01"
        side_zh, side_en = ("高于", "above") if delta > 0 else ("低于", "below")
        now_zh, now_en = fmt_value(old, unit), fmt_value(old, unit, "en")
        text = Words(
            zh=f"{zh}需{side_zh} {now_zh}（目前正好 {now_zh}）", en=f"{en_name} {side_en} {now_en} (now exactly that)"
        )
        if old == 0 and delta > 0:  # more than none
            text = Words(zh=f"{zh}需大于 0（目前为 0）", en=f"{en_name} above 0 (now none)")
        return FactChange(field=name, field_zh=zh, old=old, new=new, delta=delta, text=text)
    verb_zh, verb_en = ("增加", "raise") if delta is None or delta >= 0 else ("减少", "lower")
    step = fmt_value(abs(delta), unit) if delta is not None else fmt_value(new, unit)
    return FactChange(
        field=name,
        field_zh=zh,
        old=old,
        new=new,
        delta=delta,
        text=Words(
            zh=f"{zh}{verb_zh} {step}（{fmt_value(old, unit)} → {fmt_value(new, unit)}）",
            en=f"{verb_en} {en_name} by {fmt_value(abs(delta or 0), unit, 'en')} "
            f"({fmt_value(old, unit, 'en')} → {fmt_value(new, unit, 'en')})",
        ),
    )


def changes_of(profile: EnterpriseProfile, changes: ChangeSet) -> list[FactChange]:
    return [describe(k, None if k == "titles" else getattr(profile, k), v) for k, v in sorted(changes.items())]


def cost(profile: EnterpriseProfile, changes: ChangeSet) -> float:
    """Sum of relative changes: |Δ| / max(|old|, 1) for numbers, 1 for anything else."""
    total = 0.0
    for name, new in changes.items():
        old = None if name == "titles" else getattr(profile, name)
        numeric = isinstance(new, (int, float)) and not isinstance(new, bool) and isinstance(old, (int, float))
        total += abs(new - old) / max(abs(old), 1) if numeric else 1.0
    return total


# --- improvements of a score -------------------------------------------------

Measure = Callable[[Statuses], float | None]


def score_measure(card: str) -> Measure:
    """A scorecard's total, else the points known so far (its low bound)."""

    def measure(a: Statuses) -> float | None:
        result = a.scorecards.get(card)
        return None if result is None else (result.total if result.total is not None else result.low)

    return measure


def candidate_changes(ev: Probe, card: Scorecard) -> list[ChangeSet]:
    """Every single-fact change the scorecard's expressions suggest, upwards only."""
    seen: dict[tuple[str, Any], ChangeSet] = {}
    for group in card.groups:
        for ind in group.indicators:
            found = shape(ev.pack, ind)
            for node, target in found.targets(ev):
                for name in found.numeric[id(node)]:
                    x0 = ev.values.get(name)
                    if not isinstance(x0, (int, float)):
                        continue  # unknown facts are asked for, not improved
                    values = [x0 + 1] if target is None else reach(ev, node, name, target)
                    seen.update({(name, v): {name: v} for v in values if v > x0})
            for name in found.flags:
                if ev.values.get(name) is not None:
                    seen[(name, not ev.values[name])] = {name: not ev.values[name]}
            for code, level in found.titles:
                if ev.profile.titles is not None and not ev.value(title_test(code)):
                    seen[("titles", code)] = {"titles": ((code, level),)}
    return list(seen.values())


def improvements(
    profile: EnterpriseProfile,
    pack: RulePack,
    as_of: date,
    card_id: str,
    measure: Measure | None = None,
    limit: int = 3,
    needs: Collection[str] | None = None,
) -> list[Improvement]:
    """The best single-fact change per fact, ranked by points gained per unit of change.

    Each probe evaluates only the scorecard and `needs` (the other ids `measure` reads) with what they
    depend on; a custom measure without `needs` gets the whole pack evaluated."""
    found = gains(profile, pack, as_of, card_id, measure, needs)
    if found is None:
        return []
    base, kept = found
    best = [improvement(profile, pack, card_id, base, g.unit, g.gain, g.changes, g.after) for g in ranked(kept, limit)]
    return sorted(best, key=lambda i: (-i.per_unit, -i.gain, i.change.field))


class Gain(NamedTuple):
    """A fact's best single change, not yet described."""

    per_unit: float  # Improvement.per_unit
    unit: float  # |delta|, 1 for a yes/no fact or a title
    gain: float
    changes: ChangeSet
    after: Statuses


def ranked(kept: list[Gain], limit: int) -> list[Gain]:
    """In the order of the improvements they make (Improvement.gain is the gain rounded to 4 places)."""
    return sorted(kept, key=lambda g: (-g.per_unit, -round(g.gain, 4), next(iter(g.changes))))[:limit]


def gains(
    profile: EnterpriseProfile,
    pack: RulePack,
    as_of: date,
    card_id: str,
    measure: Measure | None = None,
    needs: Collection[str] | None = None,
) -> tuple[Statuses, list[Gain]] | None:
    """The status run of the profile, and the best single change of each fact that raises the measure (None
    when the measure is unknown)."""
    targets = {card_id, *(needs or ())} if needs is not None or measure is None else None
    measure = measure or score_measure(card_id)
    ev, base = run(profile, pack, as_of, targets)
    before = measure(base)
    if before is None:
        return None
    card = pack.scorecards[card_id]
    points = compiled(pack, as_of).indicators(card_id)
    unchanged = tuple(value(ev.values) for value in points)
    reads = readers(pack, card_id)
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    probes: list[Probed] = []
    for changes in sorted(candidate_changes(ev, card), key=change_order):
        ((field, _),) = changes.items()
        update, signature = update_of(profile, changes), None
        if field != "titles":
            # Cheap pre-check on the card's own indicators: skip changes that move nothing, or move it
            # exactly as a smaller change of the same fact already did.
            signature = local_points(ev, points, unchanged, reads, update)
            if signature == unchanged or (field, signature) in seen:
                continue
            seen.add((field, signature))
        probes.append(Probed(changes, update, signature))
    kept: dict[str, Gain] = {}
    for (changes, _, _), after in zip(probes, rescored(profile, pack, as_of, base, card_id, probes, targets)):
        gain = (measure(after) or 0.0) - before
        if gain <= 1e-9:
            continue
        ((name, new),) = changes.items()
        unit = abs(delta_of(name, None if name == "titles" else getattr(profile, name), new) or 1.0) or 1.0
        per_unit = round(gain / unit, 4)
        if name not in kept or (per_unit, -unit) > (kept[name].per_unit, -kept[name].unit):
            kept[name] = Gain(per_unit, unit, gain, changes, after)
    return base, list(kept.values())


def improvement(
    profile: EnterpriseProfile,
    pack: RulePack,
    card_id: str,
    base: Statuses,
    unit: float,
    gain: float,
    changes: ChangeSet,
    after: Statuses,
) -> Improvement:
    """One ranked change, described (only the best change of each fact is)."""
    ((name, new),) = changes.items()
    change = describe(name, None if name == "titles" else getattr(profile, name), new)
    also = changes_of(profile, implied(profile, changes))
    with_zh = "".join(f"，同时{c.field_zh}增至 {fmt_value(c.new, unit_of(c.field))}" for c in also)
    with_en = "".join(f", with {label(c.field, 'en')} at {fmt_value(c.new, unit_of(c.field), 'en')}" for c in also)
    return Improvement(
        target=card_id,
        change=change,
        also=also,
        gain=round(gain, 4),
        per_unit=round(gain / unit, 4),
        indicators=moved_indicators(pack, base, after, card_id),
        text=Words(
            zh=f"{change.text.zh}{with_zh}，可加 {fmt_number(gain)} 分",
            en=f"{change.text.en}{with_en}: +{fmt_number(gain)} points",
        ),
    )


def change_order(changes: ChangeSet) -> tuple[str, float, str]:
    """Single-fact changes by fact, then smallest new value first."""
    ((field, value),) = changes.items()
    number = float(value) if isinstance(value, (int, float)) else 0.0
    return field, number, repr(value)


def readers(pack: RulePack, card_id: str) -> dict[str, list[int]]:
    """The positions of a scorecard's indicators that read each name (kept with the pack)."""
    memo = pack.memo.setdefault(readers, {})
    found = memo.get(card_id)
    if found is None:
        found = memo[card_id] = {}
        for k, ind in enumerate(i for g in pack.scorecards[card_id].groups for i in g.indicators):
            for name in dependencies(ind):
                found.setdefault(name, []).append(k)
    return found


def local_points(
    ev: Probe,
    points: list[Callable[[dict[str, Any]], Any]],
    unchanged: tuple[Any, ...],
    reads: dict[str, list[int]],
    changes: ChangeSet,
) -> tuple[Any, ...]:
    """The card's indicator points (compiled, engine.evaluate.status) with `changes` moved into the
    evaluation's values (derived facts held): only the indicators reading a changed fact are worked out again."""
    moved = {k for name in changes for k in reads.get(name, ())}
    if not moved:
        return unchanged
    env = {**ev.values, **changes}
    found = list(unchanged)
    for k in moved:
        found[k] = points[k](env)
    return tuple(found)


def moved_indicators(pack: RulePack, before: Statuses, after: Statuses, card_id: str) -> list[str]:
    ids = [i.id for g in pack.scorecards[card_id].groups for i in g.indicators]
    old, new = before.scorecards[card_id].points, after.scorecards[card_id].points
    return [k for k, a, b in zip(ids, old, new) if a != b]


# --- near misses of policies -------------------------------------------------


class Repairer(Visitor[list[ChangeSet]]):
    """Change sets that would turn a condition tree's outcome, from the rule AST."""

    def __init__(self, profile: EnterpriseProfile, pack: RulePack, as_of: date) -> None:
        self.profile, self.pack, self.as_of = profile, pack, as_of
        self.ev, self.base = run(profile, pack, as_of)
        self.states: dict[int, bool | None] = {}  # by id of a condition of the pack

    def truth(self, node: ex.Node) -> bool | None:
        """An expression's truth on the profile's values (Evaluation.truth's, without the missing facts)."""
        return sem.truth(self.ev.value(node))

    def state(self, cond: Condition) -> bool | None:
        """A condition's three-valued state (the status Evaluation.check gives it), without its explanation;
        kept, as the repair asks it again of every part it goes down to."""
        if id(cond) in self.states:
            return self.states[id(cond)]
        if cond.when is not None:
            found = self.truth(cond.when.ast)
        else:
            kids = [self.state(k) for k in cond.children()]
            found = sem.invert(kids[0]) if cond.not_ is not None else sem.junction(kids, want=cond.all is None)
        self.states[id(cond)] = found
        return found

    def policy(self, policy: Policy) -> list[ChangeSet]:
        """Change sets that would meet a policy's conditions, from the states the status run gave them."""
        outcome = self.base.decisions.get(policy.id)
        if outcome is not None:
            self.states.update((id(cond), state) for cond, state in self.ev.fast.states(outcome))
        return self.condition(policy.conditions, True)

    def condition(self, cond: Condition, want: bool) -> list[ChangeSet]:
        state = self.state(cond)
        if state is None or state == want:
            return [{}] if state == want else []
        if cond.when is not None:
            return self.expression(cond.when.ast, want)
        if cond.not_ is not None:
            return self.condition(cond.not_, not want)
        kids = cond.children()
        if (cond.all is not None) == want:
            return self.combine(self.condition(k, want) for k in kids)
        return self.pick([c for k in kids for c in self.condition(k, want)])

    def expression(self, node: ex.Node, want: bool) -> list[ChangeSet]:
        value = self.truth(node)
        if value is None or value == want:
            return [{}] if value == want else []
        return self.visit(node, want)

    def on_and(self, node: ex.And | ex.Or, want: bool) -> list[ChangeSet]:
        kids = (self.expression(o, want) for o in node.operands)
        return self.combine(kids) if isinstance(node, ex.And) == want else self.pick([c for k in kids for c in k])

    on_or = on_and

    def on_not(self, node: ex.Not, want: bool) -> list[ChangeSet]:
        return self.expression(node.operand, not want)

    def on_name(self, node: ex.Name, want: bool) -> list[ChangeSet]:
        return self.name(node.name, want)

    def on_call(self, node: ex.Call, want: bool) -> list[ChangeSet]:
        return [{"titles": ((code, level),)} for code, level in title_calls(node)][:1] if want else []

    def on_compare(self, node: ex.Compare, want: bool) -> list[ChangeSet]:
        return self.compare(node, want)

    def no_change(self, node: ex.Node, want: bool) -> list[ChangeSet]:
        return []  # a literal or a number: no fact to change turns it

    on_num = on_str = on_datelit = on_bool = on_neg = on_binop = no_change

    def name(self, name: str, want: bool) -> list[ChangeSet]:
        if name in FIELDS and field_kind(name) == "bool":
            return [{name: want}]
        if not want:
            return []
        card = name.removesuffix("_passed")
        if card in self.pack.scorecards and name.endswith("_passed"):
            return self.scorecard(card, lambda a: a.scorecards[card].passed is True)
        policy = self.pack.policy_on(name, self.as_of) if name in self.pack.policies else None
        if policy is not None:
            return self.policy(policy)
        rule = self.pack.derived.get(name)
        return self.expression(rule.formula.ast, True) if rule is not None and rule.formula is not None else []

    def compare(self, node: ex.Compare, want: bool) -> list[ChangeSet]:
        found: list[ChangeSet] = []
        for side, other in ((node.left, node.right), (node.right, node.left)):
            target = self.ev.value(other)
            if not isinstance(target, (int, float)) or isinstance(target, bool):
                continue
            if isinstance(side, ex.Name) and side.name in self.pack.scorecards:
                found += self.scorecard(side.name, lambda a, c=side.name: self.total_holds(a, c, node) == want)
                continue
            for name in numeric_fields(side):
                hits = [
                    v
                    for v in reach(self.ev, side, name, float(target))
                    if sem.truth(self.ev.moved(node, name, v)) == want
                ]
                found += [{name: hits[0]}] if hits else []
        if want and node.op == "==":
            found += self.equal_text(node)
        return self.pick(found)

    def equal_text(self, node: ex.Compare) -> list[ChangeSet]:
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(side, ex.Name) and side.name in FIELDS and field_kind(side.name) == "text":
                value = self.ev.value(other)
                if isinstance(value, str):
                    return [{side.name: value}]
        return []

    def total_holds(self, result: Statuses, card_id: str, node: ex.Compare) -> bool | None:
        """The comparison with the scorecard's total taken from another status run."""
        return sem.truth(self.ev.moved(node, card_id, result.scorecards[card_id].total))

    def scorecard(self, card_id: str, reached: Callable[[Statuses], bool], steps: int = 3) -> list[ChangeSet]:
        """Greedy: add the change with the largest gain until the scorecard condition holds."""
        changes: ChangeSet = {}
        for _ in range(steps):
            found = gains(apply(self.profile, changes), self.pack, self.as_of, card_id)
            options = ranked(found[1], 50) if found is not None else []
            if not options:
                return []
            ((field, new),) = max(options, key=lambda g: round(g.gain, 4)).changes.items()
            changes[field] = tuple((c, None) for c, _ in new) if field == "titles" else new  # a title at any level
            if reached(compiled(self.pack, self.as_of).run(apply(self.profile, changes), {card_id})):
                return [changes]
        return []

    def combine(self, options: Iterable[list[ChangeSet]]) -> list[ChangeSet]:
        """Every union of one option of each part; none as soon as a part has none (the later parts,
        a scorecard's greedy search among them, are then not worked out)."""
        found: list[list[ChangeSet]] = []
        for option in options:
            if not option:
                return []
            found.append(option)
        merged = []
        for parts in product(*found):
            union: ChangeSet = {}
            for part in parts:
                for k, v in part.items():
                    union[k] = tuple(dict.fromkeys((*union.get(k, ()), *v))) if k == "titles" else v
            merged.append(union)
        return self.pick(merged)

    def pick(self, options: list[ChangeSet]) -> list[ChangeSet]:
        unique = {repr(sorted(o.items())): o for o in options}
        return sorted(unique.values(), key=lambda o: (len(o), cost(self.profile, o)))[:MAX_ALTERNATIVES]


def near_misses(
    profile: EnterpriseProfile, pack: RulePack, as_of: date, limit: int = 5, max_changes: int = 3
) -> list[NearMiss]:
    """Policies and designations the firm misses, each with its smallest verified set of changes."""
    repair = Repairer(profile, pack, as_of)
    found: list[NearMiss] = []
    for outcome in repair.base.decisions.values():
        if outcome.status != "ineligible":
            continue
        policy = pack.policy_on(outcome.id, as_of)
        if policy is None:  # a decision is only made for a version in force: nothing to repair otherwise
            continue
        candidates = [c for c in repair.policy(policy)[:MAX_VERIFIED] if c and len(c) <= max_changes]
        verified = outcomes(profile, pack, as_of, candidates, {outcome.id})
        changes = next(
            (c for c, after in zip(candidates, verified) if after.decisions[outcome.id].status == "eligible"), None
        )
        if changes is not None:
            facts = changes_of(profile, changes | implied(profile, changes))
            found.append(
                NearMiss(
                    id=outcome.id,
                    title=Words(zh=policy.title.zh, en=policy.title.en),
                    changes=facts,
                    cost=round(cost(profile, changes), 4),
                    text=Words(zh="；".join(f.text.zh for f in facts), en="; ".join(f.text.en for f in facts)),
                )
            )
    return sorted(found, key=lambda m: (len(m.changes), m.cost, m.id))[:limit]
