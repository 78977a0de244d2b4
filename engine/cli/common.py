"""What every `ipcheck` command shares: exit codes, failing with a message, the rule-folder option."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

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


class LazyGroup(click.Group):
    """A command group whose commands named in `lazy` ("module:attribute") are imported only when run or listed
    by --help: `ipcheck assess` does not load pyarrow and pandas, which the batch, generate and diff commands need."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attribute = self.lazy.pop(name).split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)
