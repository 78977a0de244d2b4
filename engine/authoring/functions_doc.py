"""The rule language's function reference, generated from the function modules' docstrings.

`ipcheck rules functions` prints it; `ipcheck rules functions --write docs/rules.md` replaces the
section between the markers there (tests/test_functions.py fails when that section is stale).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from engine.authoring.docsections import with_section, write_or_print
from engine.language.functions import REGISTRY, Function

BEGIN = (
    "<!-- functions: generated from engine/language/functions by `ipcheck rules functions --write docs/rules.md` -->"
)
END = "<!-- end of functions -->"
PARTS = ("What", "Why", "Example")


def parts_of(function: Function) -> dict[str, str]:
    """The docstring's summary (after the signature) and its What / Why / Example paragraphs."""
    head, _, rest = function.doc.partition("\n")
    found = {"summary": head.split(":", 1)[1].strip() if head.startswith(f"`{function.signature}`:") else ""}
    for part, text in re.findall(rf"^({'|'.join(PARTS)}):\s*(.*?)(?=^(?:{'|'.join(PARTS)}):|\Z)", rest, re.M | re.S):
        found[part] = " ".join(text.split())
    return found


def missing_parts(function: Function) -> list[str]:
    """What the function's docstring lacks: a summary line starting with the signature, What, Why, Example."""
    found = parts_of(function)
    return [p for p in ("summary", *PARTS) if not found.get(p)]


def reference() -> str:
    """The Markdown section: one heading per function, in name order."""
    lines = [
        BEGIN,
        "",
        "## Functions",
        "",
        "Each function is one module in `engine/language/functions/`; unknown in, unknown out unless it "
        "says otherwise.",
        "",
    ]
    for name in sorted(REGISTRY):
        function, found = REGISTRY[name], parts_of(REGISTRY[name])
        summary = found.get("summary", "")
        lines += [f"### `{function.signature}`", "", summary[:1].upper() + summary[1:], ""]
        lines += [f"- **{part}**: {found.get(part, '')}" for part in PARTS] + [""]
    return "\n".join(lines + [END])


def with_reference(text: str) -> str:
    """The document with its functions section replaced (appended if it has none)."""
    return with_section(text, BEGIN, END, reference())


@click.command("functions")
@click.option(
    "--write",
    "target",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Update the functions section of this Markdown file (e.g. docs/rules.md) / 写入文档",
)
def functions_command(target: Path | None) -> None:
    """The rule language's functions: what, why, example / 规则语言的函数说明"""
    write_or_print(target, reference, with_reference)
