"""The `ipcheck` command line: assess profiles, lint rules, print the profile schema."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from .evaluator import evaluate
from .loader import DEFAULT_RULES, RuleLoadError, RulePack, load_pack
from .profile import EnterpriseProfile, ProfileInputError, parse_profile
from .report import render

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


def read_profiles(path: Path) -> list[Any]:
    """A JSON object (one profile) or an array of them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: 文件不存在 / file not found")
    except UnicodeDecodeError:
        fail(f"{path}: 不是 UTF-8 编码 / not UTF-8 text")
    except json.JSONDecodeError as e:
        fail(f"{path}:{e.lineno}:{e.colno}: JSON 格式错误 / invalid JSON: {e.msg}")
    return data if isinstance(data, list) else [data]


rules_option = click.option("--rules", "rules", type=click.Path(path_type=Path), default=DEFAULT_RULES,
                            show_default="rules/", help="Rule folder / 规则目录")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ipcheck: IP support policies as code / 知识产权政策合规评估"""


@main.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Evaluation date YYYY-MM-DD (default today) / 评估日期")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON")
@rules_option
def assess(profiles: tuple[Path, ...], as_of: Any, lang: str, as_json: bool, rules: Path) -> None:
    """Assess PROFILE.json files (each one profile or a list) / 评估企业"""
    pack = pack_or_exit(rules)
    day = as_of.date() if as_of else date.today()
    results, failed = [], False
    inputs = [(path, n, raw) for path in profiles for n, raw in enumerate(read_profiles(path), start=1)]
    for profile, n, raw in inputs:
        try:
            results.append(evaluate(parse_profile(raw), pack, day))
        except ProfileInputError as e:
            failed = True
            where = f"{profile} #{n}"
            lines = [f"  {i.field}: {i.message_zh} / {i.message_en} (value: {i.value!r})" for i in e.issues]
            click.echo(f"{where}: 企业信息有误 / invalid profile:\n" + "\n".join(lines), err=True)
    if as_json:
        payload = [r.model_dump(mode="json") for r in results]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2))
    else:
        click.echo("\n\n".join(render(r, lang) for r in results))
    if failed:
        sys.exit(EXIT_INPUT)


@main.command()
def schema() -> None:
    """Print the JSON Schema of an enterprise profile / 输出企业信息的 JSON Schema"""
    click.echo(json.dumps(EnterpriseProfile.model_json_schema(), ensure_ascii=False, indent=2))


@main.group()
def rules() -> None:
    """Work with rule packs / 规则包"""


@rules.command()
@click.argument("folder", type=click.Path(path_type=Path), default=DEFAULT_RULES)
def lint(folder: Path) -> None:
    """Check every rule file; errors are printed as file:line / 检查规则文件"""
    try:
        pack = load_pack(folder)
    except RuleLoadError as e:
        click.echo("\n".join(map(str, e.issues)), err=True)
        click.echo(f"{len(e.issues)} 个错误 / error(s)", err=True)
        sys.exit(1)
    count = len(pack.parameters) + len(pack.derived) + len(pack.scorecards) + len(pack.policies)
    click.echo(f"ok: {count} 条规则 / rules, pack {pack.hash}")


if __name__ == "__main__":
    main()

from .screen_cli import screen  # noqa: E402
main.add_command(screen)
from .generate import generate_command  # noqa: E402
main.add_command(generate_command)
