"""A policy reads only what is in force throughout its own period.

What: For every policy version, each parameter and policy it reads (directly or through derived facts and
scorecards) must have versions covering every day the policy is in force: none at all is an error, some days a
warning (out-of-period), with the path through which it is read.

Why: On an uncovered day the value is missing and every firm is undetermined for reasons that have nothing to do
with the firm.

Example: a policy from 2023-01-01 reading a parameter whose only version starts 2024-01-01 -> warning out-of-period
for 2023.
"""

from __future__ import annotations

from datetime import date

from engine.authoring.lintbase import (
    Check,
    Linter,
    date_gaps,
    days,
)
from engine.language.loader import dependencies
from engine.language.rules import Policy


def reads(lint: Linter, policy: Policy) -> dict[str, list[str]]:
    """Parameters and policies a policy version reads, directly or through derived facts and scorecards."""
    found: dict[str, list[str]] = {}
    todo = [(name, [name]) for name in sorted(dependencies(policy))]
    while todo:
        name, path = todo.pop()
        base = name.removesuffix("_passed")
        if base in found or base == policy.id:
            continue
        if base in lint.pack.parameters or base in lint.pack.policies:
            found[base] = path
        elif base in lint.pack.derived or base in lint.pack.scorecards:
            item = lint.pack.derived.get(base) or lint.pack.scorecards[base]
            todo += [(dep, [*path, dep]) for dep in sorted(dependencies(item))]
    return found


def run(lint: Linter) -> None:
    for ident, versions in lint.pack.policies.items():
        for v, policy in enumerate(versions):
            period = (policy.valid_from, policy.valid_to or date.max)
            for name, path in reads(lint, policy).items():
                spans = (
                    lint.pack.parameters[name].versions if name in lint.pack.parameters else lint.pack.policies[name]
                )
                gaps = date_gaps(period, [(s.valid_from, s.valid_to or date.max) for s in spans])
                if gaps:
                    report_period(lint, lint.where.at("policies", ident, [], v), policy, name, path, gaps, period)


def report_period(
    lint: Linter,
    at: tuple[str, int | None],
    policy: Policy,
    name: str,
    path: list[str],
    gaps: list[tuple[date, date]],
    period: tuple[date, date],
) -> None:
    kind_en, kind_zh = ("parameter", "参数") if name in lint.pack.parameters else ("policy", "政策")
    via = f" (via {' → '.join(path)})" if len(path) > 1 else ""
    shown = ", ".join(days(g) for g in gaps)
    whole = gaps == [period]
    lint.add(
        at,
        "error" if whole else "warning",
        "out-of-period",
        f"{policy.id} (in force {days(period)}) reads {kind_en} {name}{via}, which is not in force on {shown}",
        f"{policy.id}（有效期 {days(period)}）引用的{kind_zh} {name}{via} 在 {shown} 不在有效期内",
    )


CHECK = Check("periods", ("out-of-period",), run, __doc__ or "")
