"""Boundary values of a rule pack: the profile fields its policies read, around every threshold.

Generated profiles for the reload canary (engine.authoring.canary), the differential test
(tests/test_differential_durable.py) and the benchmark (bench/single.py) are drawn from these candidates, so they follow the
pack as it grows: every comparison of a field with a parameter or a literal yields
values just below, on and just above each version of that threshold; prefixes,
options, lookup keys and title codes yield matching and near-miss values; and any
field may be missing. Every candidate is checked against the profile model, so only
valid values are offered.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from engine.language import expr as ex
from engine.language.graph import rules_of, upstream
from engine.language.loader import RulePack, dependencies, expressions_of
from engine.model.profile import FIELDS, TITLES, EnterpriseProfile, Level, ProfileInputError, field_kind, parse_profile

Pick = Callable[[Sequence[Any]], Any]


@dataclass
class Boundaries:
    fields: dict[str, list[Any]] = field(default_factory=dict)  # field -> candidate values
    year_offsets: dict[str, set[int]] = field(default_factory=dict)  # date field -> whole years before as_of
    as_of: list[date] = field(default_factory=list)

    def draw(self, pick: Pick) -> tuple[dict[str, Any], date]:
        """One raw profile (JSON-like) and an as-of date; `pick` chooses one item of a sequence."""
        as_of = pick(self.as_of)
        data: dict[str, Any] = {}
        for name, values in self.fields.items():
            chosen = pick([None, *values])
            if chosen is not None:
                data[name] = chosen
        for name, years in self.year_offsets.items():
            offset = pick([None, *sorted(years)])
            if offset is not None:
                data[name] = (_years_before(as_of, offset) + timedelta(days=pick([-1, 0, 1]))).isoformat()
        return data, as_of

    def valid_cases(self, n: int, seed: int) -> list[tuple[EnterpriseProfile, date]]:
        """n profiles the model accepts, with their as-of dates (reproducible for a seed)."""
        rng, cases = random.Random(seed), []
        while len(cases) < n:
            data, as_of = self.draw(rng.choice)
            try:
                cases.append((parse_profile(data), as_of))
            except ProfileInputError:
                continue
        return cases


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def reachable(pack: RulePack) -> list[Any]:
    """Every policy version, derived fact and scorecard a policy depends on."""
    return [item for ident in sorted(upstream(pack, pack.policies)) for item in rules_of(pack, ident)]


def boundaries(pack: RulePack) -> Boundaries:
    """The candidates for `pack` (see the module docstring)."""
    out = Boundaries()
    raw: dict[str, list[Any]] = {}
    items = reachable(pack)
    for item in items:
        for expression in expressions_of(item):
            _walk(expression.ast, pack, raw, out.year_offsets)
        lookup = getattr(item, "lookup", None)
        if lookup is not None and isinstance(lookup.key.ast, ex.Name):
            keys = [k for row in lookup.table for k in row.keys]
            raw.setdefault(lookup.key.ast.name, []).extend(_prefix_candidates(keys))
        for table in [getattr(item, "brackets", None)]:
            if table is not None and isinstance(table.of.ast, ex.Name):
                bounds = [b for row in table.rows for _, b in row.bounds()]
                raw.setdefault(table.of.ast.name, []).extend(_around(table.of.ast.name, bounds))
    generic = {"bool": [True, False], "integer": [0, 1], "number": [0, 1.5]}
    for name in set().union(*(dependencies(i) for i in items)) & FIELDS.keys() if items else set():
        raw.setdefault(name, []).extend(generic.get(field_kind(name), []))
    out.fields = {name: _valid(name, values) for name, values in sorted(raw.items()) if name in FIELDS}
    out.fields = {name: values for name, values in out.fields.items() if values}
    out.as_of = _as_of_candidates(pack)
    return out


def _walk(node: ex.Node, pack: RulePack, raw: dict[str, list[Any]], years: dict[str, set[int]]) -> None:
    if isinstance(node, ex.Compare):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            _threshold(a, b, pack, raw, years)
    elif isinstance(node, ex.Call) and node.args and isinstance(node.args[0], ex.Name):
        subject, literals = node.args[0].name, [a.value for a in node.args[1:] if isinstance(a, ex.Str)]
        if node.func == "starts_with":
            raw.setdefault(subject, []).extend(_prefix_candidates(literals))
        elif node.func == "one_of":
            raw.setdefault(subject, []).extend(literals + [_near_miss(p) for p in literals])
    if isinstance(node, ex.Call) and node.func == "has_title" and node.args and isinstance(node.args[0], ex.Str):
        raw.setdefault("titles", []).extend(_titles(node.args[0].value))
    for child in ex.children(node):
        _walk(child, pack, raw, years)


def _threshold(
    side: ex.Node, other: ex.Node, pack: RulePack, raw: dict[str, list[Any]], years: dict[str, set[int]]
) -> None:
    values = _constant_values(other, pack)
    if not values:
        return
    if isinstance(side, ex.Name) and side.name in FIELDS:
        raw.setdefault(side.name, []).extend(_around(side.name, values))
    elif isinstance(side, ex.Call) and side.func == "years_between" and isinstance(side.args[0], ex.Name):
        whole = [int(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        years.setdefault(side.args[0].name, set()).update(k + d for k in whole for d in (-1, 0, 1) if k + d >= 0)
    else:
        for name in ex.names(side) & FIELDS.keys():
            raw.setdefault(name, []).extend(_around(name, values))


def _constant_values(node: ex.Node, pack: RulePack) -> list[Any]:
    """The values a threshold side takes: a literal, or every version of a parameter."""
    if isinstance(node, (ex.Num, ex.Str, ex.DateLit, ex.Bool)):
        return [node.value]
    if isinstance(node, ex.Name) and node.name in pack.parameters:
        return [v.value for v in pack.parameters[node.name].versions]
    return []


def _around(name: str, values: Iterable[Any]) -> list[Any]:
    kind = field_kind(name)
    out: list[Any] = []
    for v in values:
        if isinstance(v, bool) or kind == "bool":
            out += [True, False]
        elif isinstance(v, (int, float)) and kind == "integer":
            out += [0, int(v) - 1, int(v), int(v) + 1]
        elif isinstance(v, (int, float)):
            out += [0, v - 0.01, v, v + 0.01, v * 0.5, v * 2, -v]
        elif isinstance(v, date):
            out += [(v + timedelta(days=d)).isoformat() for d in (-1, 0, 1)]
        elif isinstance(v, str):
            out += [v, _near_miss(v)]
    return out


def _prefix_candidates(prefixes: list[str]) -> list[str]:
    """Each prefix, a longer text that starts with it, and a near miss."""
    return prefixes + [p + "1" for p in prefixes] + [_near_miss(p) for p in prefixes]


def _near_miss(text: str) -> str:
    """The same text with its last character changed (a digit to the next digit)."""
    if not text:
        return "0"
    last = text[-1]
    swapped = str((int(last) + 1) % 10) if last.isdigit() else ("A" if last != "A" else "B")
    return text[:-1] + swapped


def _titles(code: str) -> list[list[dict[str, Any]]]:
    other = next(c for c in TITLES if c != code)
    return (
        [[], [{"title": code}], [{"title": other}]]
        + [[{"title": code, "level": level.value, "valid_from": "2000-01-01"}] for level in Level]
        + [[{"title": code, "valid_from": "2000-01-01", "valid_to": "2001-12-31"}]]
    )


def _valid(name: str, values: list[Any]) -> list[Any]:
    """Distinct candidates the profile model accepts for `name`."""
    out: list[Any] = []
    for v in values:
        if any(v == seen and type(v) is type(seen) for seen in out):
            continue
        try:
            parse_profile({name: v})
        except ProfileInputError:
            continue
        out.append(v)
    return out


def _as_of_candidates(pack: RulePack) -> list[date]:
    """The day before, of and after every policy and parameter version boundary, up to today."""
    days: set[date] = {date.today()}
    dated = [v for versions in pack.policies.values() for v in versions]
    dated += [v for p in pack.parameters.values() for v in p.versions]
    for version in dated:
        for edge in (version.valid_from, version.valid_to):
            if edge is not None:
                days.update(edge + timedelta(days=d) for d in (-1, 0, 1))
    edges = sorted(d for d in days if d <= date.today())
    middles = [a + (b - a) / 2 for a, b in itertools.pairwise(edges)]
    return sorted(set(edges + middles))
