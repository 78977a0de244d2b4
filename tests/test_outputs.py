"""Outputs never destroy the input, never leave half-written files and never carry a live formula."""

from __future__ import annotations

import csv
import errno
import io
import os
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from engine.batch import screen as screen_module
from engine.batch.outputs import neutral, neutral_table
from engine.batch.screen import Screening
from engine.batch.tabular import TableError
from engine.cli.main import main
from engine.language.loader import load_pack

HEADER = "统一社会信用代码,企业名称,成立日期,注册地行政区划代码,国民经济行业代码\n"
ROWS = (
    "91500105MA5U00011E,示例甲,2024-03-01,500105,M7520\n"
    ',"=HYPERLINK(""http://x"",""点我"")",2024-03-01,500105,M7520\n'
    ",+cmd|' /C calc'!A0,=1+1,500105,M7520\n"
    ",@SUM(A1),2024-03-01,500105,M7520\n"
    ",-2+3,2024-03-01,500105,M7520\n"
)
HOSTILE = ['=HYPERLINK("http://x","点我")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def cli(*args: str):
    return CliRunner().invoke(main, ["screen", *args, "--as-of", "2025-06-30"])


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize("spelling", ["a.{kind}", "./a.{kind}", "sub/../a.{kind}", "link.{kind}"])
def test_output_onto_the_input_is_refused_and_the_input_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, spelling: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    source = tmp_path / f"a.{kind}"
    if kind == "csv":
        source.write_text(HEADER + ROWS, encoding="utf-8")
    else:
        pq.write_table(pa.table({"企业名称": ["甲"], "成立日期": ["2024-03-01"]}), source)
    (tmp_path / f"link.{kind}").symlink_to(source)
    before = source.read_bytes()
    result = cli(f"a.{kind}", "-o", spelling.format(kind=kind))
    assert result.exit_code == 2, result.output
    assert "覆盖输入文件" in result.output and "overwrite the input" in result.output
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["sub", f"a.{kind}", f"link.{kind}"])


def test_side_file_onto_the_input_is_refused(tmp_path: Path, pack) -> None:
    source = tmp_path / "o.csv.errors.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    with pytest.raises(TableError, match="overwrite the input"):
        Screening(pack, date(2025, 6, 30)).run(source, tmp_path / "o.csv")
    assert source.read_text(encoding="utf-8") == HEADER + ROWS


def test_failed_write_keeps_the_earlier_output_and_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    assert cli(str(source), "-o", str(out)).exit_code == 0
    earlier = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(screen_module, "write_summary", disk_full)
    result = cli(str(source), "-o", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "无法写入输出文件" in result.output and "No space left on device" in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == earlier


def test_neutral_quotes_every_formula_start() -> None:
    for text in ["=1", "+1", "-1", "@a", "\tx", "\rx"]:
        assert neutral(text) == "'" + text
    assert neutral("示例") == "示例" and neutral(-1) == -1 and neutral(None) is None
    table = pa.table(
        {"t": pa.array(["=a", "b", None]), "d": pa.array(["@x", "y", "@x"]).dictionary_encode(), "n": [1, -2, 3]}
    )
    safe = neutral_table(table)
    assert safe.schema == table.schema
    assert safe.to_pydict() == {"t": ["'=a", "b", None], "d": ["'@x", "y", "'@x"], "n": [1, -2, 3]}


def test_csv_outputs_carry_no_live_formula_and_parquet_keeps_the_data(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    for name in ("out.csv", "out.parquet"):
        assert cli(str(source), "-o", str(tmp_path / name), "--quota", "jb_new_ip_service_firm=1").exit_code == 0
    written = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert written["name"].tolist()[1:] == ["'" + h for h in HOSTILE]
    data = pq.read_table(tmp_path / "out.parquet")
    assert data.column("name").to_pylist()[1:] == HOSTILE
    errors = list(csv.DictReader(io.StringIO((tmp_path / "out.csv.errors.csv").read_text(encoding="utf-8-sig"))))
    assert [e["value"] for e in errors if e["field"] == "registration_date"] == ["'=1+1"]
    for path in tmp_path.glob("out.csv*"):
        for line in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line), (path, line)
    assert source.read_text(encoding="utf-8") == HEADER + ROWS  # the audit copy keeps the original


def test_xlsx_output_writes_formula_like_text_as_quoted_text(tmp_path: Path) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.xlsx"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    assert cli(str(source), "-o", str(out)).exit_code == 0
    sheet = pd.read_excel(out, engine="calamine", sheet_name="筛查结果", header=1, dtype=str)
    assert sheet["企业名称"].tolist()[1:] == HOSTILE
    with zipfile.ZipFile(out) as book:  # every cell is typed text (inline or shared strings): none is a formula
        assert all("<f>" not in book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))
    errors = pd.read_excel(out, engine="calamine", sheet_name="数据问题", dtype=str)
    assert "=1+1" in errors["值"].tolist()
