"""`ipcheck screen`, `ipcheck policies`, `ipcheck template`: the officer's commands."""

from __future__ import annotations

import re
import sys
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.cli.common import as_of_option, fail, pack_or_exit, rules_option

CHUNK_ROWS = 50_000  # engine.batch.tabular.CHUNK_ROWS (tests/test_cli.py): the batch loads when a command runs
SUMMARY_POLICIES = 20  # the terminal summary stays within ~25 lines; the workbook has everything


def _pairs(values: tuple[str, ...], option: str, cast: Any) -> dict[str, Any]:
    out = {}
    for text in values:
        policy, _, amount = text.rpartition("=")
        try:
            out[policy.strip()] = cast(amount)
            if not policy.strip() or out[policy.strip()] < 0:
                raise ValueError
        except ValueError:
            raise click.BadParameter(
                f"expected MEASURE=NUMBER (id or Chinese name), got {text!r} / "
                f"应为 措施名称或标识=数值，如 贯标认证奖励=20",
                param_hint=option,
            ) from None
    return out


def _day(as_of: Any) -> date:
    return as_of.date() if as_of else date.today()


@click.command()
@click.argument("source", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Output .xlsx / .csv / .parquet / 输出文件"
)
@as_of_option
@click.option(
    "--policies",
    default=None,
    help="Comma-separated measures, by id or Chinese name (default: all in force) / 措施名称或标识",
)
@click.option(
    "--quota", multiple=True, help="MEASURE=N: fund the first N eligible applicants / 名额，如 贯标认证奖励=20"
)
@click.option("--budget", multiple=True, help="MEASURE=AMOUNT: fund within AMOUNT 万元 / 预算（万元）")
@click.option("--rank-by", "rank_by", default=None, help="Scorecard id to rank by (default: the one the measure reads)")
@click.option(
    "--ignore-unknown-columns",
    is_flag=True,
    help="Screen even if some columns are not recognised (they are listed) / 忽略无法识别的列（仍会列出）",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Rationale language")
@click.option("--sheet", default=None, help="Worksheet to screen when several hold data / 要筛查的工作表")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=CHUNK_ROWS, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes for the chunks (on the shared 2-core machine one is fastest) / 进程数",
)
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a local cluster)")
@rules_option
def screen(
    source: Path,
    output: Path,
    as_of: Any,
    policies: str | None,
    quota: tuple[str, ...],
    budget: tuple[str, ...],
    rank_by: str | None,
    ignore_unknown_columns: bool,
    lang: str,
    sheet: str | None,
    chunk_rows: int,
    workers: int,
    engine: str,
    scheduler: str | None,
    rules: Path,
) -> None:
    """Screen an applicant table (.xlsx/.csv/.parquet) against every measure / 批量筛查申报企业"""
    from engine.batch.measures import policy_id
    from engine.batch.screen import Allocation, Screening, terminal_progress
    from engine.batch.tabular import ReadOptions, TableError

    pack = pack_or_exit(rules)
    day = _day(as_of)
    started = time.perf_counter()
    try:
        quotas = {policy_id(pack, k, day, "--quota"): v for k, v in _pairs(quota, "--quota", int).items()}
        budgets = {policy_id(pack, k, day, "--budget"): v for k, v in _pairs(budget, "--budget", float).items()}
        allocations = [
            Allocation(p, quota=quotas.get(p), budget=budgets.get(p), rank_by=rank_by)
            for p in sorted(quotas.keys() | budgets.keys())
        ]
        chosen = [policy_id(pack, p, day) for p in policies.split(",") if p.strip()] if policies else None
        progress = terminal_progress(total=estimate_rows(source)) if sys.stderr.isatty() else None
        screening = Screening(
            pack,
            day,
            chosen,
            allocations,
            lang,
            chunk_rows,
            progress,
            workers,
            engine,
            scheduler,
            ReadOptions(sheet=sheet),
            ignore_unknown_columns,
        )
        summary = screening.run(source, output)
    except TableError as e:
        fail(f"\n{e.zh}\n{e.en}")
        return
    if sys.stderr.isatty():
        click.echo("", err=True)
    for line in summary_lines(screening, summary, output, time.perf_counter() - started):
        click.echo(line)


def summary_lines(screening: Any, summary: Any, output: Path, seconds: float) -> list[str]:
    """The run in at most ~25 lines: totals, skipped columns, one line per measure."""
    from engine.batch.measures import short_name
    from engine.batch.workbook import STATUS_ZH

    lines = [
        f"{summary.rows:,} 行 / rows screened in {seconds:.1f} s -> {output}",
        f"数据有误 invalid: {summary.invalid}"
        + (f"（其中空行 of which blank: {summary.blank}）" if summary.blank else "")
        + f" · 信用代码重复 duplicates: {summary.duplicates} · "
        f"错误条目 error entries: {summary.errors}",
    ]
    if summary.skipped_columns:
        lines.append(
            f"未读取的列 columns not read ({len(summary.skipped_columns)}): "
            + "、".join(summary.skipped_columns[:12])
            + (" …" if len(summary.skipped_columns) > 12 else "")
        )
    for p in screening.policies[:SUMMARY_POLICIES]:
        counts = summary.status.get(p, {})
        text = " · ".join(f"{STATUS_ZH[s]} {counts.get(s, 0)}" for s in ("eligible", "ineligible", "undetermined"))
        amount = summary.amount.get(p)
        if amount:
            text += f" · 金额 {amount:,.2f} 万元"
        funded = summary.funded.get(p)
        if funded:
            text += f" · 拟支持 {funded['funded']} / 候补 {funded['waiting']}"
        lines.append(f"  {short_name(screening.pack, p, screening.as_of)}：{text}")
    if len(screening.policies) > SUMMARY_POLICIES:
        lines.append(f"  …另 {len(screening.policies) - SUMMARY_POLICIES} 项见工作簿 / more in the workbook")
    return lines


def estimate_rows(path: Path) -> int | None:
    """Data rows of an input, cheaply and approximately (for the ETA), or None."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            with path.open("rb") as handle:
                return max(sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 22), b"")) - 1, 0)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                name = next(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
                with book.open(name) as sheet:
                    head = sheet.read(4096).decode("utf-8", "replace")
            m = re.search(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
            return int(m[1]) - 1 if m else None
    except (OSError, StopIteration, ValueError, zipfile.BadZipFile):
        return None
    return None


@click.command("policies")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date YYYY-MM-DD (default today) / 日期",
)
@rules_option
def policies_command(as_of: Any, rules: Path) -> None:
    """List the measures in force: id, Chinese name, kind, amount, period / 列出措施"""
    from engine.batch.measures import catalogue

    rows = catalogue(pack_or_exit(rules), _day(as_of))
    click.echo("标识 id\t名称 name\t类别 kind\t金额 amount\t期限 period")
    for row in rows:
        click.echo("\t".join(row[k] for k in ("id", "name", "kind", "amount", "period")))


@click.command("template")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("申报信息模板.xlsx"),
    show_default=True,
    help="Where to write the template / 模板文件",
)
def template_command(output: Path) -> None:
    """Write the applicant template: Chinese headers with units, drop-downs, instructions / 生成申报信息模板"""
    from engine.batch.template import write_template

    if output.suffix.lower() != ".xlsx":
        fail(f"{output}: 模板须为 .xlsx / the template must be .xlsx")
    write_template(output)
    click.echo(f"申报信息模板 / applicant template -> {output}")
