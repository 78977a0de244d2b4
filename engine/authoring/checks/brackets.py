"""Bracket tables: rows that can never match, gaps, overlaps.

What: For each bracket table (derived facts, indicators, best-of tables), the range the value can take, then each
row in order: a row whose bounds contradict (bracket-empty), that lies outside the value's range
(bracket-unreachable), or whose values earlier rows all take (bracket-shadowed) is an error; a row partly covered by
an earlier one (bracket-overlap; a later row containing an earlier one, the usual `ge: 5%`, `ge: 3%` cascade, is
fine) and values no row matches without an `otherwise` (bracket-gap) are warnings.

Why: The first matching row wins, so a shadowed row silently never pays out and a gap leaves the score unknown; both
are usually typos in a bound.

Example: rows `{ge: 10, result: 3}` then `{ge: 20, result: 5}`: the second row is shadowed (every value >= 20 is
already >= 10).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.authoring.intervals import FULL, Interval, bound, covered_by
from engine.authoring.lintbase import (
    Check,
    Linter,
    minus_all,
)
from engine.language.rules import BracketTable


def bracket_tables(lint: Linter) -> Iterator[tuple[str, str, list[Any], BracketTable]]:
    for ident, rule in lint.pack.derived.items():
        if rule.brackets is not None:
            yield "derived", ident, ["brackets"], rule.brackets
    for ident, card in lint.pack.scorecards.items():
        for g, group in enumerate(card.groups):
            for i, ind in enumerate(group.indicators):
                loc = ["groups", g, "indicators", i]
                if ind.brackets is not None:
                    yield "scorecards", ident, [*loc, "brackets"], ind.brackets
                for k, table in enumerate(ind.best_of or []):
                    yield "scorecards", ident, [*loc, "best_of", k], table


def run(lint: Linter) -> None:
    for section, ident, loc, table in bracket_tables(lint):
        domain = lint.ranges.of(table.of.ast) or FULL
        what = f"{ident} ({table.of.text})"
        taken: list[Interval] = []
        for n, row in enumerate(table.rows):
            at = lint.where.at(section, ident, [*loc, "rows", n])
            span = FULL
            for op, value in row.bounds():
                span = span & bound(op, value)
            reach = span & domain
            fresh = minus_all(reach, taken)
            if span.empty():
                lint.add(
                    at,
                    "error",
                    "bracket-empty",
                    f"{what}: row {n + 1} can never match: its bounds contradict",
                    f"{what}：第 {n + 1} 行的上下限互相矛盾，永远不会匹配",
                )
            elif reach.empty():
                lint.add(
                    at,
                    "error",
                    "bracket-unreachable",
                    f"{what}: row {n + 1} {span} can never match: the value is always in {domain}",
                    f"{what}：第 {n + 1} 行 {span} 永远不会匹配，取值范围为 {domain}",
                )
            elif not fresh:
                lint.add(
                    at,
                    "error",
                    "bracket-shadowed",
                    f"{what}: row {n + 1} {span} can never match: earlier rows take all its values (first match wins)",
                    f"{what}：第 {n + 1} 行 {span} 永远不会匹配，其取值已全被前面的行占用（按顺序首个匹配生效）",
                )
            else:
                check_overlap(lint, at, what, n, reach, table, domain)
            taken.append(span)
        if table.otherwise is None:
            for gap in minus_all(domain, taken):
                lint.add(
                    lint.where.at(section, ident, loc),
                    "warning",
                    "bracket-gap",
                    f"{what}: values in {gap} match no row and there is no `otherwise`: the result is unknown",
                    f"{what}：取值在 {gap} 时没有匹配的行，也没有 otherwise，结果为未知",
                )


def check_overlap(
    lint: Linter, at: tuple[str, int | None], what: str, n: int, reach: Interval, table: BracketTable, domain: Interval
) -> None:
    """A row partly covered by an earlier one (a later row containing an earlier one is the usual cascade)."""
    for m, earlier in enumerate(table.rows[:n]):
        span = FULL
        for op, value in earlier.bounds():
            span = span & bound(op, value)
        common = span & reach
        if not common.empty() and not covered_by(span & domain, reach):
            lint.add(
                at,
                "warning",
                "bracket-overlap",
                f"{what}: rows {m + 1} and {n + 1} overlap on {common}; row {m + 1} wins there",
                f"{what}：第 {m + 1} 行与第 {n + 1} 行在 {common} 重叠，按顺序由第 {m + 1} 行生效",
            )


CHECK = Check(
    "brackets",
    ("bracket-empty", "bracket-unreachable", "bracket-shadowed", "bracket-overlap", "bracket-gap"),
    run,
    __doc__ or "",
)
