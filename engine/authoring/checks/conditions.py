"""Conditions that can never hold, or always hold.

What: Every `when` (policy condition trees, derived-fact cases, indicator cases and items, direct routes) is checked
against the facts' ranges: one that can never hold is an error (never-holds), one that always holds once its facts
are known a warning (always-holds); a combination is reported when its parts jointly decide it.

Why: A condition that never holds makes a measure unreachable; one that always holds only demands facts and is
usually a reversed comparison or a wrong unit (万元 vs 元, 3 vs 3%).

Example: `employees < 0` (employees >= 0 by the profile) -> error never-holds; `revenue >= 0 or revenue < 0` ->
warning always-holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.authoring.lintbase import (
    BOTH,
    Check,
    Linter,
    condition_expr,
)
from engine.language import expr as ex
from engine.language.rules import Condition


def when_expressions(lint: Linter) -> Iterator[tuple[tuple[str, int | None], str, ex.Node]]:
    for ident, rule in lint.pack.derived.items():
        for n, case in enumerate(rule.cases or []):
            yield lint.where.at("derived", ident, ["cases", n, "when"]), f"{ident} case {n + 1}", case.when.ast
    for ident, card in lint.pack.scorecards.items():
        for g, group in enumerate(card.groups):
            for i, ind in enumerate(group.indicators):
                for key in ("cases", "items"):
                    for k, item in enumerate(getattr(ind, key) or []):
                        at = lint.where.at("scorecards", ident, ["groups", g, "indicators", i, key, k, "when"])
                        yield at, f"{ident}.{ind.id} {key} {k + 1}", item.when.ast
        for r, route in enumerate(card.direct_routes):
            yield (
                lint.where.at("scorecards", ident, ["direct_routes", r, "when"]),
                f"{ident}.{route.id}",
                route.when.ast,
            )


def run(lint: Linter) -> None:
    for at, what, node in when_expressions(lint):
        report_truth(lint, at, what, lint.ranges.outcomes(node))
    for ident, versions in lint.pack.policies.items():
        for v, policy in enumerate(versions):
            check_tree(lint, ident, v, policy.conditions, ["conditions"], policy.conditions.id or "conditions")


def check_tree(lint: Linter, ident: str, version: int, cond: Condition, loc: list[Any], path: str) -> frozenset[bool]:
    at = lint.where.at("policies", ident, loc, version)
    what = f"{ident}: {cond.id or path}"
    if cond.when is not None:
        result = lint.ranges.outcomes(cond.when.ast)
        report_truth(lint, lint.where.at("policies", ident, [*loc, "when"], version), what, result)
        return result
    key = "all" if cond.all is not None else "any" if cond.any is not None else "not"
    kids = cond.children()
    parts = [
        check_tree(lint, ident, version, kid, [*loc, key] + ([n] if key != "not" else []), f"{cond.id or path}.{n + 1}")
        for n, kid in enumerate(kids)
    ]
    result = lint.ranges.outcomes(condition_expr(cond))
    if result != BOTH and result not in parts and not (key == "not" and parts[0] != BOTH):
        report_truth(lint, at, what, result, jointly=True)
    return result


def report_truth(
    lint: Linter, at: tuple[str, int | None], what: str, result: frozenset[bool], jointly: bool = False
) -> None:
    if result == frozenset({False}):
        together_en, together_zh = (
            (" (its parts contradict each other)", "（其各部分互相矛盾）") if jointly else ("", "")
        )
        lint.add(
            at,
            "error",
            "never-holds",
            f"{what}: can never hold given the facts' ranges{together_en}",
            f"{what}：按各事实的取值范围永远不可能成立{together_zh}",
        )
    elif result == frozenset({True}):
        lint.add(
            at,
            "warning",
            "always-holds",
            f"{what}: always holds once its facts are known (it only makes them required)",
            f"{what}：只要相关事实已知就必然成立（实际作用仅是要求提供这些事实）",
        )


CHECK = Check("conditions", ("never-holds", "always-holds"), run, __doc__ or "")
