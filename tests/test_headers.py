"""Column headers as district spreadsheets write them: units, synonyms, widths; unknown ones named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from engine.batch.generate import generate, write_table
from engine.batch.headers import ALIASES, LOOKUP, normalise, resolve
from engine.batch.screen import Screening
from engine.batch.tabular import rescaled
from engine.cli.main import main
from engine.language.loader import load_pack
from engine.model.profile import FIELDS, label_zh, unit_of

PACK = load_pack(Path(__file__).parent.parent / "rules")
AS_OF = date(2026, 11, 1)


def test_units_brackets_spaces_and_synonyms_are_recognised() -> None:
    columns = resolve(
        [
            "营业收入（万元）",
            "从业人员数(人)",
            "研发费用 单位：元",
            "总资产（千元）",
            "净利润(亿元)",
            " 统一社会信用代码 ",
            "信用代码号",
            "Ⅰ类知识产权数（件）",
            "序号",
            "rd_staff",
        ]
    )
    assert columns.mapping == {
        "revenue": 0,
        "employees": 1,
        "rd_expense": 2,
        "total_assets": 3,
        "net_profit": 4,
        "credit_code": 5,
        "class1_ip": 7,
        "rd_staff": 9,
    }
    assert columns.factors == {"rd_expense": 1e-4, "total_assets": 0.1, "net_profit": 1e4}
    assert columns.ignored == ["序号"]
    assert [u.header for u in columns.unknown] == ["信用代码号"]
    assert columns.unknown[0].suggestions[0] == "credit_code"


def test_every_label_and_alias_names_its_field() -> None:
    for name in FIELDS:
        assert LOOKUP[normalise(label_zh(name))] == name and LOOKUP[normalise(name)] == name
    for name, words in ALIASES.items():
        assert name in FIELDS and all(LOOKUP[normalise(w)] == name for w in words)


def test_blank_repeated_and_mismatched_headers_are_named() -> None:
    columns = resolve(["营业收入", "", "销售收入(万元)", "从业人员数（万元）"])
    zh, en = columns.message()
    assert "第 2 列表头为空" in zh and "column 2 has a blank header" in en
    assert "与第 1 列同为 营业收入（revenue） 的列「销售收入(万元)」" in zh
    assert "单位「万元」与字段单位（人）不符" in zh and "unit '万元' does not match" in en
    assert columns.message(ignore_unknown=True)[0].startswith("与第 1 列同为")  # a repeat always stops


def test_declared_units_convert_to_wan_yuan_exactly() -> None:
    text = pa.array(["12345", "12,345", None, "1.5e3", "abc"])
    assert rescaled(text, 1e-4).to_pylist() == ["1.2345", "12,345", None, "0.15", "abc"]  # non-numbers: the model
    assert rescaled(pa.array(["1.2"]), 1e4).to_pylist() == ["12000"]


def _unit_sheet(cols: dict[str, list[object]], path: Path) -> None:
    """The generated applicants with headers as districts write them: units, a synonym, 研发费用 in 元."""
    header = {name: label_zh(name) + (f"（{unit_of(name)}）" if unit_of(name) else "") for name in cols}
    header["employees"] = "职工人数（人）"
    header["rd_expense"] = "研发费用(元)"
    cells = dict(cols)
    cells["rd_expense"] = [None if v is None else f"{float(v) * 10000:.0f}" for v in cols["rd_expense"]]
    pd.DataFrame({header[k]: v for k, v in cells.items()}).to_excel(path, index=False, engine="xlsxwriter")


def test_a_sheet_with_unit_headers_screens_like_the_plain_one(tmp_path: Path) -> None:
    cols = generate(300, seed=5, blanks=0.05)
    for name in cols:
        if name == "rd_expense":  # whole 元 amounts must come out as the same 万元 (one decimal)
            cols[name] = [None if v is None else f"{float(v):.1f}" for v in cols[name]]
    plain, units = tmp_path / "plain.csv", tmp_path / "units.xlsx"
    write_table(cols, plain, headers="zh")
    _unit_sheet(cols, units)
    out = {}
    for path in (plain, units):
        out[path] = tmp_path / f"{path.stem}.parquet"
        summary = Screening(PACK, AS_OF).run(path, out[path])
        assert summary.skipped_columns == [] and summary.invalid == 0
    a, b = (pq.read_table(out[p]).drop(["row"]) for p in (plain, units))
    assert a.to_pylist() == b.to_pylist()


def test_cli_names_measures_in_chinese(tmp_path: Path) -> None:
    source, out = tmp_path / "in.xlsx", tmp_path / "out.parquet"
    write_table(generate(200, seed=3), source, headers="zh")
    runner = CliRunner()
    ok = runner.invoke(
        main,
        [
            "screen",
            str(source),
            "-o",
            str(out),
            "--as-of",
            "2026-11-01",
            "--quota",
            "贯标认证奖励=1",
            "--policies",
            "贯标认证奖励,jb_madrid_registration",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert len(ok.output.splitlines()) <= 25 and "贯标认证奖励：" in ok.output and "拟支持" in ok.output
    assert set(pq.read_table(out).column_names) >= {"jb_gbt29490_adoption.rank", "jb_madrid_registration.status"}
    listed = runner.invoke(main, ["policies", "--as-of", "2026-11-01"])
    assert listed.exit_code == 0
    line = next(x for x in listed.output.splitlines() if x.startswith("jb_gbt29490_adoption\t"))
    assert line.split("\t")[1:3] == ["贯标认证奖励", "扶持措施"] and "万元" in line


@pytest.mark.parametrize("header", ["营收入", "shoe_size"])
def test_the_cli_stops_on_an_unknown_column_naming_it(tmp_path: Path, header: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"统一社会信用代码,{header}\n91500105MA5U00011E,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["screen", str(source), "-o", str(tmp_path / "o.parquet")])
    assert result.exit_code == 2 and f"「{header}」" in result.output and "--ignore-unknown-columns" in result.output
    accepted = CliRunner().invoke(
        main, ["screen", str(source), "-o", str(tmp_path / "o.parquet"), "--ignore-unknown-columns"]
    )
    assert accepted.exit_code == 0 and f"未读取的列 columns not read (1): {header}" in accepted.output


def test_the_template_filled_in_screens_with_every_column_recognised(tmp_path: Path) -> None:
    template, filled = tmp_path / "申报信息模板.xlsx", tmp_path / "filled.xlsx"
    result = CliRunner().invoke(main, ["template", "-o", str(template)])
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(template, engine="calamine", sheet_name=None, header=None, dtype=str)
    assert list(sheets) == ["申报信息", "填写说明"]
    headers = sheets["申报信息"].iloc[0].tolist()
    assert "营业收入（万元）" in headers and "从业人员数（人）" in headers
    assert resolve(headers).mapping == {name: i for i, name in enumerate(FIELDS)}
    assert sheets["填写说明"].iloc[1 : len(FIELDS) + 1, 1].tolist() == list(FIELDS)
    cols = generate(100, seed=9)
    by_header = {h: cols.get(name, [None] * 100) for h, name in zip(headers, FIELDS)}
    pd.DataFrame(by_header).to_excel(filled, index=False, engine="xlsxwriter")
    summary = Screening(PACK, AS_OF).run(filled, tmp_path / "out.parquet")
    assert summary.rows == 100 and summary.skipped_columns == [] and summary.invalid == 0


def test_template_validation_follows_the_model() -> None:
    from engine.batch.template import validation

    assert validation("legal_person") == {"validate": "list", "source": ["是", "否"]}
    assert validation("revenue") == {"validate": "decimal", "criteria": ">=", "value": 0.0}
    assert validation("digitalisation_level") == {
        "validate": "integer",
        "criteria": "between",
        "minimum": 1.0,
        "maximum": 4.0,
    }
    assert validation("rd_institution_level")["source"][0] == "国家级"
