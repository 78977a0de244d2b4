"""Generated sections of hand-written Markdown (docs/rules.md): replace one between its markers, or print it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click


def with_section(text: str, begin: str, end: str, section: str) -> str:
    """`text` with the part from `begin` to `end` replaced by `section` (which carries both markers);
    appended when the text has no such part."""
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        return before + section + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + section + "\n"


def write_or_print(target: Path | None, section: Callable[[], str], updated: Callable[[str], str]) -> None:
    """Print the section, or update it in `target` (exit 2 with a bilingual message if it cannot be written)."""
    if target is None:
        click.echo(section())
        return
    try:
        target.write_text(updated(target.read_text(encoding="utf-8")), encoding="utf-8")
    except OSError as e:
        click.echo(f"{target}: 无法写入 / cannot write: {e.strerror}", err=True)
        sys.exit(2)
    click.echo(f"wrote {target}")
