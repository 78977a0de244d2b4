"""Parameters and derived facts no rule reads.

What: A parameter no rule reads (and no `read_by` names) is a warning; a derived fact no rule reads is information,
since it is still computed and reported (unused).

Why: An unread parameter is usually a renamed or mistyped threshold whose rule silently uses another value.

Example: a parameter `hte_min_rd_ratio` while the rule reads `hte_rd_ratio_min` -> warning unused.
"""

from __future__ import annotations

from engine.authoring.lintbase import (
    Check,
    Linter,
)
from engine.language import graph


def run(lint: Linter) -> None:
    read = set().union(*graph.direct(lint.pack).values())
    by_code = {k for k, p in lint.pack.parameters.items() if p.read_by}
    for ident in sorted(set(lint.pack.parameters) - read - by_code):
        lint.add(
            lint.where.at("parameters", ident),
            "warning",
            "unused",
            f"parameter {ident} is not read by any rule",
            f"参数 {ident} 未被任何规则引用",
        )
    for ident in sorted(set(lint.pack.derived) - read):
        lint.add(
            lint.where.at("derived", ident),
            "info",
            "unused",
            f"derived fact {ident} is not read by any rule (it is still computed and reported)",
            f"派生事实 {ident} 未被任何规则引用（仍会计算并列入结果）",
        )


CHECK = Check("unused", ("unused",), run, __doc__ or "")
