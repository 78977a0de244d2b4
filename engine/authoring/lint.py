"""Static checks of a loaded rule pack (`ipcheck rules lint`), each finding at file:line.

Errors are certain defects (a bracket row or a condition that can never apply, a rule
reading a value that does not exist while it is in force); warnings are likely ones
(gaps in a bracket table, conditions that always hold, unused parameters); information
is for the author (policies that may not be combined but can both be granted).

Each check is one module in engine/authoring/checks/ (its What / Why / Example and codes are generated
into docs/rules.md); what they share — findings, locations, the range analysis — is in lintbase.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.authoring.checks import REGISTRY
from engine.authoring.lintbase import (  # noqa: F401 (Finding, Ranges, condition_expr: re-exported)
    Finding,
    Linter,
    Ranges,
    condition_expr,
)
from engine.language.loader import RulePack

ACK = re.compile(r"#\s*lint-ok:\s*([\w\-, ]+)")


def acknowledged(finding: Finding) -> Finding:
    """A warning the author has acknowledged with `# lint-ok: code` on its line is shown as information."""
    if finding.severity != "warning" or not finding.line:
        return finding
    lines = _source_lines(finding.file)
    text = lines[finding.line - 1] if finding.line <= len(lines) else ""
    found = ACK.search(text)
    if found is None or finding.code not in {c.strip() for c in found.group(1).split(",")}:
        return finding
    return Finding(
        finding.file,
        finding.line,
        "info",
        finding.code,
        finding.en + " (acknowledged in the rule file)",
        finding.zh + "（已在规则文件中确认）",
    )


def _source_lines(file: str) -> list[str]:
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def summary(errors: int, warnings: int, infos: int) -> str:
    """The closing line of `ipcheck rules lint`, Chinese first."""
    counts = f"{errors} 个错误，" + (f"{warnings} 个警告，" if warnings else "") + f"{infos} 个提示"
    counts_en = f"{errors} error(s), " + (f"{warnings} warning(s), " if warnings else "") + f"{infos} note(s)"
    return (
        f"规则检查通过：{counts} / lint passed: {counts_en}"
        if not errors
        else f"规则检查未通过：{counts} / lint failed: {counts_en}"
    )


def lint_pack(pack: RulePack) -> list[Finding]:
    """Every static finding for a pack that loaded, errors first."""
    linter = Linter(pack)
    for check in REGISTRY:
        check.run(linter)
    order = {"error": 0, "warning": 1, "info": 2}
    findings = [acknowledged(f) for f in linter.findings]
    return sorted(findings, key=lambda f: (order[f.severity], f.file, f.line or 0))
