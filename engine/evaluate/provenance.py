"""Which assumed or provisional values a result rested on (both evaluators share these rules).

A result carries a value only if it actually rested on it:
- a parameter, derived fact, condition, indicator, route, policy or benefit marked `assumed` /
  `provisional` that the result read on its deciding path (an `all` that holds rests on every child,
  one that fails only on the failing children; an `any` on the children in its own state);
- a bracket row marked `status: assumed` when the value falls in that row; a row whose `edge` is
  assumed (which side of its bounds the edge lies) only when the value sits exactly on one of its
  bounds, so a value far from the edge carries no flag;
- a lookup row marked assumed when the key matched it;
- a case (of a derived fact or an indicator) marked assumed when it is the case that decided;
- a scorecard's pass or fail only when the assumed points could change it: the points at stake
  (an assumed edge or case: the step to its neighbouring rows; any other assumption: the indicator's maximum)
  are within the margin of the total or of a group minimum.

Keys are tuples (kind, owner, part); `describe` turns one into words for people.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.evaluate.explain import expression_unit, fmt_value
from engine.language.loader import RulePack, walk_conditions
from engine.language.rules import Bracket, BracketTable, Derived, Expression
from engine.language.semantics import bracket_matches
from engine.language.semantics import lookup_row as sem_lookup_row
from engine.model.results import Assumption, Words

Key = tuple[str, ...]

ASSUMED_TAG = {
    "zh": {"assumed": "［假设］", "provisional": "［暂定］"},
    "en": {"assumed": "[assumed] ", "provisional": "[provisional] "},
}

KIND_ZH = {
    "parameter": "参数",
    "derived": "派生事实",
    "row": "分档",
    "edge": "分档边界",
    "lookup": "查表行",
    "case": "情形",
    "condition": "条件",
    "indicator": "评分指标",
    "route": "直通条件",
    "scorecard": "评分表",
    "policy": "政策",
    "benefit": "待遇",
}


def unconfirmed(status: str) -> bool:
    return status != "confirmed"


def on_edge(row: Bracket, value: Any) -> bool:
    """The value sits exactly on one of the row's bounds."""
    return isinstance(value, (int, float)) and any(value == bound for _, bound in row.bounds())


def edge_stake(table: BracketTable, pos: int) -> float:
    """Points an edge assumption can move: the step from the row to its neighbours."""
    points = [r.result() if isinstance(r.result(), (int, float)) else 0 for r in table.rows]
    steps = [abs(points[pos] - points[p]) for p in (pos - 1, pos + 1) if 0 <= p < len(points)]
    return float(max(steps, default=0))


def case_stake(ind: Any, pos: int) -> float:
    """Points an assumed case can move: the step to its neighbouring cases (`otherwise` after the last)."""
    points = [float(c.points) for c in ind.cases] + [float(ind.otherwise or 0)]
    return float(max(abs(points[pos] - points[p]) for p in (pos - 1, pos + 1) if 0 <= p < len(points)))


def first_case(hits: list[bool | None]) -> int | None:
    """Position of the case that decides (first true; None when an unknown comes first or none holds)."""
    for pos, hit in enumerate(hits):
        if hit is None:
            return None
        if hit:
            return pos
    return None


def bracket_keys(owner: str, table: BracketTable, value: Any) -> set[Key]:
    """Keys of the row `value` falls in (if assumed) and of assumed edges it sits on."""
    if value is None:
        return set()
    keys: set[Key] = set()
    hit = False
    for pos, row in enumerate(table.rows):
        if not hit and bracket_matches(row, value):
            hit = True
            if unconfirmed(row.status):
                keys.add(("row", owner, str(pos)))
        if unconfirmed(row.edge) and on_edge(row, value):
            keys.add(("edge", owner, str(pos)))
    return keys


def indicator_stake(ind: Any, keys: set[Key]) -> float:
    """Points the indicator's assumptions could move: its maximum, or only the steps if all are edges or cases."""
    if not keys:
        return 0.0
    if any(k[0] not in ("edge", "case") for k in keys):
        return float(ind.max)
    return max(key_stake(ind, k) for k in keys)


def key_stake(ind: Any, key: Key) -> float:
    """The step an assumed edge or case of the indicator can move."""
    if key[0] == "case":
        return case_stake(ind, int(key[2]))
    tables = ind.best_of or [ind.brackets]
    return edge_stake(tables[int(key[1].split(".")[2]) if ind.best_of else 0], int(key[2]))


def score_certain(
    by_score: bool,
    groups: list[tuple[float, float, float | None, float]],
    low: float,
    high: float,
    pass_at: float | None,
    stake: float,
) -> bool:
    """Whether a pass (fail) by score holds whatever the assumed points at stake are."""
    if by_score:
        return (pass_at is None or low - stake >= pass_at) and all(
            g_min is None or g_low - g_stake >= g_min for g_low, _, g_min, g_stake in groups
        )
    return (pass_at is not None and high + stake < pass_at) or any(
        g_min is not None and g_high + g_stake < g_min for _, g_high, g_min, g_stake in groups
    )


def lookup_row(rule: Derived, key: Any) -> int | None:
    """Position of the lookup row `key` matches (semantics.lookup_row), None for the default."""
    return None if rule.lookup is None else sem_lookup_row(rule.lookup, key)


KIND_EN = {
    "parameter": "parameter",
    "derived": "derived fact",
    "row": "bracket row",
    "edge": "bracket edge",
    "lookup": "lookup row",
    "case": "case",
    "condition": "condition",
    "indicator": "indicator",
    "route": "direct route",
    "scorecard": "scorecard",
    "policy": "policy",
    "benefit": "benefit",
}
SIGN = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def describe(pack: RulePack, as_of: date, key: Key) -> Assumption:
    """The assumption behind a key, in words (Chinese and English), with its status."""
    kind, owner, *part = key
    status, zh, en, note = "assumed", owner, owner, None
    if kind == "parameter":
        param = pack.parameters[owner]
        version = param.version_on(as_of)
        value = None if version is None else version.value
        status = version.status if version else "assumed"
        zh, en = f"{param.label.zh} = {value}", f"{param.label.en} = {value}"
        note = (version.note or version.source.note) if version else None
    elif kind == "derived":
        rule = pack.derived[owner]
        status, zh, en, note = rule.status, rule.label.zh, rule.label.en, rule.note
    elif kind in ("row", "edge"):
        row, (what_zh, what_en), of = _bracket_row(pack, owner, int(part[0]))
        status = row.status if kind == "row" else row.edge
        unit = expression_unit(of.ast, pack.unit)
        bounds = " ".join(f"{SIGN[op]} {fmt_value(v, unit)}" for op, v in row.bounds()) or "*"
        result = row.result()
        shown = f"{result:g}" if isinstance(result, float) else str(result)
        zh, en, note = f"{what_zh}：{bounds} → {shown}", f"{what_en}: {bounds} → {shown}", row.note
    elif kind == "lookup":
        rule = pack.derived[owner]
        row = rule.lookup.table[int(part[0])]  # type: ignore[union-attr]
        keys = "、".join(row.keys)
        status, zh, en, note = (
            row.status,
            f"{rule.label.zh}：{keys} → {row.value}",
            f"{rule.label.en}: {', '.join(row.keys)} → {row.value}",
            row.note,
        )
    elif kind == "case":
        case, (what_zh, what_en) = _case(pack, owner, int(part[0]))
        status, note = case.status, case.note
        result = getattr(case, "points", None)
        shown = f"{result:g} 分" if result is not None else str(getattr(case, "value", ""))
        label = getattr(case, "label", None)
        zh = f"{what_zh}：{label.zh if label else case.when.text} → {shown}"
        en = f"{what_en}: {label.en if label else case.when.text} → {shown.replace(' 分', ' points')}"
    elif kind in ("indicator", "route"):
        card = pack.scorecards[owner]
        items = [i for g in card.groups for i in g.indicators] if kind == "indicator" else card.direct_routes
        item = next(i for i in items if i.id == part[0])
        status, note = item.status, getattr(item, "note", None)
        zh, en = f"{card.label.zh}：{item.label.zh}", f"{card.label.en}: {item.label.en}"
    elif kind == "scorecard":
        card = pack.scorecards[owner]
        status, zh, en = card.status_on(as_of), card.label.zh, card.label.en
        note = next((p.note for p in card.periods if p.in_force(as_of)), None)
    else:  # policy, condition, benefit
        policy = pack.policy_on(owner, as_of)
        if policy is None:  # provenance is only asked of policies in force at as_of
            raise LookupError(f"{owner} is not in force at {as_of}")
        status, zh, en, note = policy.status, policy.title.zh, policy.title.en, policy.note
        if kind == "benefit":
            benefit = policy.benefits[int(part[0])]
            status, note = benefit.status, None
            zh, en = f"{zh}：{benefit.text.zh}", f"{en}: {benefit.text.en}"
        elif kind == "condition":
            cond = dict(walk_conditions(policy.conditions, policy.conditions.id or "conditions"))[part[0]]
            status, note = cond.status, cond.note
            text = cond.when.text if cond.when else part[0]
            zh += "：" + (cond.label.zh if cond.label else text)
            en += ": " + (cond.label.en if cond.label else text)
    note = getattr(note, "zh", note)  # a note may be {zh:, en:} for readers
    return Assumption(
        kind=kind,
        id=".".join(key[1:]),
        status=status,
        text=Words(zh=f"{KIND_ZH[kind]} {zh}", en=f"{KIND_EN[kind]} {en}"),
        note=note,
    )


def _bracket_row(pack: RulePack, owner: str, pos: int) -> tuple[Bracket, tuple[str, str], Expression]:
    """The row, what it belongs to in words, and the table's `of` (whose unit the bounds are in)."""
    if owner in pack.derived:
        rule = pack.derived[owner]
        if rule.brackets is None:  # an edge position is only recorded for bracket tables
            raise LookupError(f"{owner} has no bracket table")
        return rule.brackets.rows[pos], (rule.label.zh, rule.label.en), rule.brackets.of
    card_id, ind_id, *table = owner.split(".")
    card = pack.scorecards[card_id]
    ind = next(i for g in card.groups for i in g.indicators if i.id == ind_id)
    found: BracketTable = (ind.best_of or [ind.brackets])[int(table[0]) if table else 0]  # type: ignore[assignment]
    words = (f"{card.label.zh}：{ind.label.zh}", f"{card.label.en}: {ind.label.en}")
    return found.rows[pos], words, found.of


def _case(pack: RulePack, owner: str, pos: int) -> tuple[Any, tuple[str, str]]:
    """A case of a derived fact (owner: its id) or of an indicator (owner: card.indicator), and whose it is."""
    if owner in pack.derived:
        rule = pack.derived[owner]
        return (rule.cases or [])[pos], (rule.label.zh, rule.label.en)
    card_id, ind_id = owner.split(".")
    card = pack.scorecards[card_id]
    ind = next(i for g in card.groups for i in g.indicators if i.id == ind_id)
    return (ind.cases or [])[pos], (f"{card.label.zh}：{ind.label.zh}", f"{card.label.en}: {ind.label.en}")


def described(pack: RulePack, as_of: date, keys: set[Key] | frozenset[Key]) -> list[Assumption]:
    return [describe(pack, as_of, k) for k in sorted(keys)]
