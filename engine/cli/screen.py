"""`ipcheck screen`: batch screening of an applicant table."""
from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.cli.common import EXIT_INPUT, pack_or_exit, rules_option

CHUNK_ROWS = 100_000    # engine.batch.tabular.CHUNK_ROWS; the heavy modules load only when a command runs


def _pairs(values: tuple[str, ...], option: str, cast: Any) -> dict[str, Any]:
    out = {}
    for text in values:
        policy, _, amount = text.partition("=")
        try:
            out[policy.strip()] = cast(amount)
            if out[policy.strip()] < 0:
                raise ValueError
        except ValueError:
            raise click.BadParameter(f"expected POLICY=NUMBER, got {text!r} / 应为 政策标识=数值", param_hint=option)
    return out


@click.command()
@click.argument("source", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output .xlsx / .csv / .parquet / 输出文件")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Evaluation date YYYY-MM-DD (default today) / 评估日期")
@click.option("--policies", default=None, help="Comma-separated policy ids (default: all in force) / 政策标识")
@click.option("--quota", multiple=True, help="POLICY=N: fund the first N eligible applicants / 名额")
@click.option("--budget", multiple=True, help="POLICY=AMOUNT: fund within AMOUNT 万元 / 预算（万元）")
@click.option("--rank-by", "rank_by", default=None, help="Scorecard id to rank by (default: the one the measure reads)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Rationale language")
@click.option("--sheet", default=None, help="Worksheet to screen when several hold data / 要筛查的工作表")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=CHUNK_ROWS, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for the chunks (on the shared 2-core machine one is fastest) / 进程数")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a local cluster)")
@rules_option
def screen(source: Path, output: Path, as_of: Any, policies: str | None, quota: tuple[str, ...],
           budget: tuple[str, ...], rank_by: str | None, lang: str, sheet: str | None, chunk_rows: int, workers: int, engine: str,
           scheduler: str | None, rules: Path) -> None:
    """Screen an applicant table (.xlsx/.csv/.parquet) against every measure / 批量筛查申报企业"""
    from engine.batch.screen import Allocation, Screening, terminal_progress
    from engine.batch.tabular import ReadOptions, TableError
    pack = pack_or_exit(rules)
    day = as_of.date() if as_of else date.today()
    quotas, budgets = _pairs(quota, "--quota", int), _pairs(budget, "--budget", float)
    allocations = [Allocation(p, quota=quotas.get(p), budget=budgets.get(p), rank_by=rank_by)
                   for p in sorted(quotas.keys() | budgets.keys())]
    chosen = [p.strip() for p in policies.split(",") if p.strip()] if policies else None
    started = time.perf_counter()
    try:
        screening = Screening(pack, day, chosen, allocations, lang, chunk_rows, terminal_progress(),
                              workers, engine, scheduler, ReadOptions(sheet=sheet))
        summary = screening.run(source, output)
    except TableError as e:
        click.echo(f"\n{e.zh}\n{e.en}", err=True)
        sys.exit(EXIT_INPUT)
    seconds = time.perf_counter() - started
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"{summary.rows} 行 / rows screened in {seconds:.1f} s -> {output}; "
               f"数据有误 invalid: {summary.invalid}, 信用代码重复 duplicates: {summary.duplicates}, "
               f"错误条目 error entries: {summary.errors}")
    for section, item, count, amount in summary.table()[4:]:
        click.echo(f"  {section}  {item}: {count}" + (f"  ({amount:,.2f} 万元)" if amount else ""))
