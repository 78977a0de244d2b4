"""The lint checks' reference, generated from the check modules' docstrings (engine/authoring/checks).

`ipcheck rules checks` prints it; `ipcheck rules checks --write docs/rules.md` replaces the section between
the markers there (tests/test_lint_registry.py fails when that section is stale).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from engine.authoring.checks import REGISTRY
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
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        return before + reference() + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + reference() + "\n"


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
    if target is None:
        click.echo(reference())
        return
    try:
        target.write_text(with_reference(target.read_text(encoding="utf-8")), encoding="utf-8")
    except OSError as e:
        click.echo(f"{target}: 无法写入 / cannot write: {e.strerror}", err=True)
        sys.exit(2)
    click.echo(f"wrote {target}")
