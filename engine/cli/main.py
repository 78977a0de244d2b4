"""The `ipcheck` command line: assess profiles, lint rules, print the profile schema."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine import (
    DEFAULT_RULES,
    Assessment,
    EnterpriseProfile,
    PatentListError,
    ProfileInputError,
    RuleLoadError,
    RulePack,
    lint_pack,
    load_pack,
    parse_profile,
    render,
    strength_chart,
)
from engine import assess as assess_profile
from engine.authoring.lint import summary as lint_summary
from engine.cli.common import EXIT_INPUT, LazyGroup, as_of_option, fail, pack_or_exit, rules_option


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


@click.group(
    cls=LazyGroup,
    lazy={
        "screen": "engine.cli.screen:screen",
        "policies": "engine.cli.screen:policies_command",
        "template": "engine.cli.screen:template_command",
        "generate": "engine.batch.generate:generate_command",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
def main() -> None:
    """ipcheck: IP support policies as code / 知识产权政策合规评估"""


@main.command()
@click.argument("profiles", nargs=-1, required=True, type=click.Path(path_type=Path))
@as_of_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as JSON")
@click.option(
    "--patents",
    "patents",
    type=click.Path(path_type=Path),
    default=None,
    help="Patent list (CSV or JSON) to derive patent counts from / 专利清单",
)
@click.option(
    "--chart",
    "chart",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the IP-strength radar chart (SVG) here / 输出知识产权实力雷达图",
)
@rules_option
def assess(
    profiles: tuple[Path, ...],
    as_of: Any,
    lang: str,
    as_json: bool,
    patents: Path | None,
    chart: Path | None,
    rules: Path,
) -> None:
    """Assess PROFILE.json files (each one profile or a list) / 评估企业"""
    pack = pack_or_exit(rules)
    day = as_of.date() if as_of else date.today()
    results, failed = [], False
    inputs = [(path, n, raw) for path in profiles for n, raw in enumerate(read_profiles(path), start=1)]
    if (patents or chart) and len(inputs) != 1:
        fail("--patents / --chart 只能用于单个企业 / need exactly one profile")
    for profile, n, raw in inputs:
        try:
            results.append(assess_one(parse_profile(raw), pack, day, patents))
        except ProfileInputError as e:
            failed = True
            where = f"{profile} #{n}"
            lines = [f"  {i.field}: {i.message_zh} / {i.message_en} (value: {i.value!r})" for i in e.issues]
            click.echo(f"{where}: 企业信息有误 / invalid profile:\n" + "\n".join(lines), err=True)
    if chart and results:
        write_chart(results[0], chart, lang)
    if as_json:
        payload = [r.model_dump(mode="json") for r in results]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2))
    else:
        click.echo("\n\n".join(render(r, lang) for r in results))
    if failed:
        sys.exit(EXIT_INPUT)


def assess_one(profile: EnterpriseProfile, pack: RulePack, day: date, patents: Path | None) -> Assessment:
    """The facade's assessment, with patent counts from a list if given."""
    try:
        return assess_profile(profile, day, pack=pack, patents=patents)
    except PatentListError as e:
        fail(f"{patents}: 专利清单有误 / invalid patent list:\n" + "\n".join(f"  {i}" for i in e.issues))
        raise


def write_chart(assessment: Assessment, path: Path, lang: str) -> None:
    if assessment.strength is None:
        fail("规则包中没有知识产权实力评价 / the rule pack has no IP-strength scorecard")
    path.write_text(strength_chart(assessment.strength, lang), encoding="utf-8")  # type: ignore[arg-type]
    click.echo(f"雷达图已写入 / chart written: {path}", err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of an enterprise profile / 输出企业信息的 JSON Schema"""
    click.echo(json.dumps(EnterpriseProfile.model_json_schema(by_alias=False), ensure_ascii=False, indent=2))


@main.group(
    cls=LazyGroup,
    lazy={
        "diff": "engine.authoring.commands:diff_command",
        "test": "engine.authoring.commands:test_command",
        "docs": "engine.authoring.catalogue:docs",
        "functions": "engine.authoring.functions_doc:functions_command",
        "checks": "engine.authoring.checks_doc:checks_command",
    },
)
def rules() -> None:
    """Work with rule packs / 规则包"""


@rules.command()
@click.argument("folder", type=click.Path(path_type=Path), default=DEFAULT_RULES)
@click.option("--strict", is_flag=True, help="Warnings fail too / 警告也视为失败")
def lint(folder: Path, strict: bool) -> None:
    """Check every rule file, then the static checks; findings as file:line / 检查规则文件"""
    try:
        pack = load_pack(folder)
    except RuleLoadError as e:
        click.echo("\n".join(map(str, e.issues)), err=True)
        click.echo(lint_summary(len(e.issues), 0, 0), err=True)
        sys.exit(1)
    findings = lint_pack(pack)
    for finding in findings:
        click.echo(str(finding), err=finding.severity != "info")
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    count = len(pack.parameters) + len(pack.derived) + len(pack.scorecards) + len(pack.policies)
    click.echo(
        lint_summary(errors, warnings, len(findings) - errors - warnings)
        + f"（{count} 条规则，规则包 {pack.hash} / {count} rules, pack {pack.hash}）"
    )
    if errors or (strict and warnings):
        sys.exit(1)
