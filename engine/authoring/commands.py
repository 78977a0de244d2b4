"""Commands for policy authors: `ipcheck rules diff` and `ipcheck rules test`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.authoring.diff import (
    DiffInputError,
    build_report,
    generate_population,
    read_population,
    render_html,
    resolve_rules,
    write_xlsx,
)
from engine.language.loader import DEFAULT_RULES, RuleLoadError, RulePack, load_pack

EXIT_INPUT, EXIT_RULES = 2, 3
HERE = Path(__file__).resolve().parent
FEATURE_TESTS, FEATURE_CONFIG = HERE / "feature_tests.py", HERE / "feature_tests.ini"  # shipped with the package
DEFAULT_FEATURES = (HERE.parent / "features").resolve()


def _fail(message: str, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _load(spec: str, folder: Path) -> RulePack:
    try:
        return load_pack(folder)
    except RuleLoadError as e:
        _fail(f"{spec}: 规则包加载失败 / the rule pack failed to load:\n{e}", EXIT_RULES)
        raise


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option(
    "--population",
    type=click.Path(path_type=Path),
    default=None,
    help="Applicants: JSON list or CSV (English or Chinese headers); default: a generated population",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Evaluation date YYYY-MM-DD (default today) / 评估日期",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None, help="Write a report: .html, .xlsx or .json"
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@click.option("--size", default=1000, show_default=True, help="Rows of the generated population")
@click.option("--seed", default=7, show_default=True, help="Seed of the generated population")
@click.option("--examples", default=5, show_default=True, help="Example rows per policy")
@click.option("--all", "everything", is_flag=True, help="Every policy, not only those that changed / 显示全部政策")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="报告语言 / language")
def diff_command(
    old: str,
    new: str,
    population: Path | None,
    as_of: Any,
    output: Path | None,
    as_json: bool,
    size: int,
    seed: int,
    examples: int,
    everything: bool,
    lang: str,
) -> None:
    """Compare rule packs OLD and NEW (folders or git:REV) / 比较两版规则及其对申请人的影响"""
    day = as_of.date() if as_of else date.today()
    with ExitStack() as stack:
        try:
            old_dir, new_dir = resolve_rules(old, stack), resolve_rules(new, stack)
            pop = read_population(population) if population else generate_population(size, seed)
        except DiffInputError as e:
            _fail(str(e), EXIT_INPUT)
        report = build_report(old, new, _load(old, old_dir), _load(new, new_dir), pop, day, examples)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(report.text(lang, everything))
    if output is not None:
        if output.suffix.lower() == ".json":
            output.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        elif output.suffix.lower() == ".xlsx":
            write_xlsx(report, output)
        else:
            output.write_text(render_html(report, lang, everything), encoding="utf-8")
        click.echo(f"报告已写入 / report written: {output}", err=True)


@click.command("test", context_settings={"ignore_unknown_options": True})
@click.option(
    "--features",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_FEATURES,
    show_default="the shipped features",
    help="Folder of .feature files / 场景目录",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[FOLDER] [PYTEST_ARGS]...")
def test_command(features: Path, args: tuple[str, ...]) -> None:
    """Run the Chinese Gherkin features against FOLDER (default: the shipped pack); the other
    arguments go to pytest, e.g. `-k 高新` / 用规则目录运行中文场景测试"""
    given = bool(args) and not args[0].startswith("-")
    folder, pytest_args = (Path(args[0]), args[1:]) if given else (DEFAULT_RULES, args)
    if not features.is_dir():
        _fail(f"{features}: 场景目录不存在 / no such features folder", EXIT_INPUT)
    pack = _load(str(folder), folder)
    click.echo(f"规则测试 / rule tests: {folder} (pack {pack.hash})")
    # Only pytest-bdd is needed: skipping the other plugins' start-up makes the run several times faster.
    env = os.environ | {
        "IPCHECK_RULES_DIR": str(folder.resolve()),
        "IPCHECK_FEATURES_DIR": str(features.resolve()),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    # Scenarios tagged @authoring exercise these tools themselves (and would run this command again).
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "failures.jsonl"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(FEATURE_TESTS),
            "-c",
            str(FEATURE_CONFIG),
            "--rootdir",
            str(HERE),
            "-p",
            "engine.authoring.feature_report",
            "-m",
            "not authoring",
            "-q",
            "--tb=no",
            "-rN",
            *pytest_args,
        ]
        proc = subprocess.run(
            cmd,
            env=env | {"IPCHECK_FEATURE_REPORT": str(report)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        records = (
            [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] if report.exists() else []
        )
    failures = [r for r in records if r["kind"] == "failure"]
    counts = Counter(r["outcome"] for r in records if r["kind"] == "outcome")
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not failures):
        click.echo(proc.stdout.rstrip())  # not a failing scenario (a collection error): show pytest's words
    for failure in failures:
        click.echo(failure_text(failure, features.resolve().parent))
    click.echo(test_summary(counts["passed"], counts["failed"], proc.returncode))
    sys.exit(proc.returncode)


def failure_text(failure: dict[str, Any], root: Path) -> str:
    """One failing scenario for its author: where (relative to `root`), which scenario, which step, expected
    against actual."""
    path = Path(failure["feature"])
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    example = "，".join(f"{k} = {v}" for k, v in failure.get("example", {}).items())
    return (
        f"✗ 未通过 FAILED {shown}:{failure['line']} 场景「{failure['scenario']}」"
        + (f"（例子：{example}）" if example else "")
        + "\n"
        f"    步骤：{failure['step']}\n    {failure['message']}"
    )


def test_summary(passed: int, failed: int, code: int) -> str:
    if code == 0:
        return f"规则测试通过：{passed} 个场景全部通过 / rule tests passed: {passed} passed"
    if failed:
        return f"规则测试未通过：{failed} 个场景未通过，{passed} 个通过 / rule tests failed: {failed} failed, {passed} passed"
    return f"规则测试未能运行（pytest 退出码 {code}）/ rule tests could not run (pytest exit {code})"
