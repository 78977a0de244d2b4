"""What every `ipcheck` command shares: exit codes, failing with a message, the rule-folder option."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine import DEFAULT_RULES, RuleLoadError, RulePack, load_pack

EXIT_INPUT, EXIT_RULES = 2, 3


def fail(message: str, code: int = EXIT_INPUT) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def pack_or_exit(rules: Path) -> RulePack:
    try:
        return load_pack(rules)
    except RuleLoadError as e:
        fail(f"规则包加载失败 / the rule pack failed to load:\n{e}", EXIT_RULES)
        raise


rules_option = click.option(
    "--rules",
    "rules",
    type=click.Path(path_type=Path),
    default=DEFAULT_RULES,
    show_default="the shipped pack",
    help="Rule folder / 规则目录",
)


as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Evaluation date YYYY-MM-DD (default today) / 评估日期",
)
