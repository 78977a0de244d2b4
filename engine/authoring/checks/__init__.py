"""The lint checks, one module each (What / Why / Example in its docstring, the codes its findings carry).

A new check is a module here defining `CHECK` and a line in REGISTRY; `ipcheck rules checks --write
docs/rules.md` regenerates its reference (tests/test_lint_registry.py fails when that section is stale).
"""

from __future__ import annotations

from engine.authoring.checks import (
    brackets,
    conditions,
    exclusions,
    exclusive,
    overflow,
    periods,
    sources,
    unused,
)
from engine.authoring.lintbase import Check

# In the order they run (findings are sorted afterwards: errors first, then by file and line).
REGISTRY: list[Check] = [
    sources.CHECK,
    brackets.CHECK,
    conditions.CHECK,
    periods.CHECK,
    exclusive.CHECK,
    exclusions.CHECK,
    unused.CHECK,
    overflow.CHECK,
]
