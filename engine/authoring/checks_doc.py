"""The lint checks' reference, generated from the check modules' docstrings (engine/authoring/checks).

`ipcheck rules checks` prints it; `ipcheck rules checks --write docs/rules.md` replaces the section between
the markers there (tests/test_lint_registry.py fails when that section is stale).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from engine.authoring.checks import REGISTRY
from engine.authoring.docsections import with_section, write_or_print
from engine.authoring.lintbase import Check

BEGIN = "<!-- lint checks: generated from engine/authoring/checks by `ipcheck rules checks --write docs/rules.md` -->"
END = "<!-- end of lint checks -->"
PARTS = ("What", "Why", "Example")


def parts_of(check: Check) -> dict[str, str]:
    """The docstring's summary line and its What / Why / Example paragraphs."""
    head, _, rest = check.doc.partition("\n")
    found = {"summary": head.strip()}
    for part, text in re.findall(rf"^({'|'.join(PARTS)}):\s*(.*?)(?=^(?:{'|'.join(PARTS)}):|\Z)", rest, re.M | re.S):
        found[part] = " ".join(text.split())
    return found


def reference() -> str:
    """The Markdown section: one heading per check, in the order they run."""
    lines = [BEGIN, "", "## Lint checks", "", "Each check is one module in `engine/authoring/checks/`.", ""]
    for check in REGISTRY:
        found = parts_of(check)
        codes = ", ".join(f"`{c}`" for c in check.codes)
        lines += [f"### {check.name}: {found.get('summary', '')}", "", f"- **Codes**: {codes}"]
        lines += [f"- **{part}**: {found.get(part, '')}" for part in PARTS] + [""]
    return "\n".join(lines + [END])


def with_reference(text: str) -> str:
    """The document with its lint-checks section replaced (appended if it has none)."""
    return with_section(text, BEGIN, END, reference())


@click.command("checks")
@click.option(
    "--write",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Update the lint-checks section of this Markdown file (e.g. docs/rules.md) / 写入文档",
)
def checks_command(target: Path | None) -> None:
    """The lint checks: what, why, example, codes / 规则检查项说明"""
    write_or_print(target, reference, with_reference)
