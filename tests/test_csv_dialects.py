"""Every bad CSV row becomes an invalid row with its row number; dialects are found or refused with
a message; row numbers mean the same in CSV and xlsx; a title row above the header is skipped."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import Limits
from engine.batch.csvread import MAX_CELL
from engine.cli.main import main

sys.path.insert(0, str(Path(__file__).parent))
import hostile

HEADER = ",".join(hostile.HEADER)
GOOD = "91500105MA5U00011E,示例甲,2024-03-01,500105,M7520"
OTHER = ",示例丙,2024-01-01,500105,M7520"


def screen(path: Path, tmp_path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], str]:
    """(decision rows, error entries, CLI output) of `ipcheck screen path -o out.csv`."""
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["screen", str(path), "-o", str(out), "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    rows = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(strings_can_be_null=True)).to_pylist()
    errors = list(csv.DictReader(io.StringIO(Path(str(out) + ".errors.csv").read_text(encoding="utf-8-sig"))))
    return rows, errors, result.output


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "in.csv", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def test_a_ragged_row_is_an_invalid_row_and_the_rest_is_screened(tmp_path: Path) -> None:
    rows, errors, _ = screen(write(tmp_path, f"{HEADER}\n{GOOD}\n,坏行,2024-01-01\n{OTHER}\n"), tmp_path)
    assert [r["row"] for r in rows] == [2, 3, 4]
    assert [r["valid"] for r in rows] == [True, False, True]
    assert rows[2]["name"] == "示例丙"
    bad = [e for e in errors if e["row"] == "3"]
    assert (
        bad
        and "3 cells" in bad[0]["message_en"]
        and "5 columns" in bad[0]["message_en"]
        and "3 个单元格" in bad[0]["message_zh"]
    )


def test_ragged_undecodable_and_oversized_rows_far_into_a_file(tmp_path: Path) -> None:
    """Past the first chunk, after pyarrow's fast path has already delivered rows."""
    lines = [HEADER] + [GOOD.replace("示例甲", f"甲{i}") for i in range(300)]
    lines[150] = ",坏行"
    lines[200] = "x" * (MAX_CELL + 1) + ",a,2024-01-01,500105,M7520"
    data = "\n".join(lines).encode() + b"\n"
    data = data.replace("甲250,".encode(), b"\xff\xfe250,")
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        main, ["screen", str(path), "-o", str(out), "--as-of", "2025-06-30", "--chunk-rows", "64"]
    )
    assert result.exit_code == 0, result.output
    rows = pacsv.read_csv(out).to_pylist()
    assert [r["row"] for r in rows] == list(range(2, 302))
    invalid = [r["row"] for r in rows if not r["valid"]]
    assert invalid == [151, 201, 252]  # "甲250" is on line 252
    errors = list(csv.DictReader(io.StringIO(Path(str(out) + ".errors.csv").read_text(encoding="utf-8-sig"))))
    words = {int(e["row"]): e["message_en"] for e in errors if e["field"] == "(row)"}
    assert "2 cells" in words[151] and f"over {MAX_CELL} characters" in words[201] and "not utf-8" in words[252]


@pytest.mark.parametrize(
    "encoding, newline, delimiter",
    [
        ("utf-8", "\n", ";"),
        ("utf-8", "\r", ","),
        ("utf-8-sig", "\r\n", "\t"),
        ("utf-16", "\n", ","),
        ("utf-16-be", "\r\n", ";"),
        ("gbk", "\r", "|"),
    ],
)
def test_dialects_are_found(tmp_path: Path, encoding: str, newline: str, delimiter: str) -> None:
    text = "\n".join(line.replace(",", delimiter) for line in (HEADER, GOOD, OTHER)) + "\n"
    if encoding == "utf-16-be":
        path = tmp_path / "in.csv"
        path.write_bytes(b"\xfe\xff" + text.replace("\n", newline).encode("utf-16-be"))
    else:
        path = write(tmp_path, text, encoding, newline=newline)
    rows, errors, _ = screen(path, tmp_path)
    assert [(r["row"], r["name"], r["valid"]) for r in rows] == [(2, "示例甲", True), (3, "示例丙", True)]
    assert not [e for e in errors if e["field"] == "(row)"]


def test_a_header_naming_no_field_is_refused_with_a_message(tmp_path: Path) -> None:
    path = write(tmp_path, "a b c,d\n1,2\n")
    result = CliRunner().invoke(main, ["screen", str(path), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "分隔符" in result.output and "delimiter" in result.output


def test_a_title_row_is_skipped_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    rows, errors, _ = screen(write(tmp_path, f"2025年度申报企业名单,,,,\n{HEADER}\n{GOOD}\n{OTHER}\n"), tmp_path)
    assert [(r["row"], r["name"]) for r in rows] == [(3, "示例甲"), (4, "示例丙")]
    assert any(e["field"] == "header" and "title" in e["message_en"] for e in errors)


def test_blank_lines_count_the_same_in_csv_and_xlsx(tmp_path: Path) -> None:
    """A blank line mid-table keeps its row number and is no applicant: not screened (it used to come out
    as an applicant with every fact unknown), reported as a blank row, the same in CSV and xlsx."""
    csv_rows, csv_errors, said = screen(write(tmp_path, f"{HEADER}\n{GOOD}\n\n{OTHER}\n\n"), tmp_path)
    xlsx_rows, xlsx_errors, _ = screen(hostile.blank_lines_xlsx(tmp_path / "in.xlsx"), tmp_path)
    assert (
        [(r["row"], r["name"], r["valid"]) for r in csv_rows]
        == [(r["row"], r["name"], r["valid"]) for r in xlsx_rows]
        == [(2, "示例甲", True), (3, None, False), (4, "示例丙", True)]
    )
    for errors in (csv_errors, xlsx_errors):
        (blank,) = [e for e in errors if e["row"] == "3"]
        assert blank["field"] == "(row)" and "空行" in blank["message_zh"] and "blank row" in blank["message_en"]
    # counted apart: an officer told "数据有误 1" looks for a wrong value that is not there
    assert "数据有误 invalid: 1（其中空行 of which blank: 1）" in said
    summary = list(csv.reader(io.StringIO((tmp_path / "out.csv.summary.csv").read_text(encoding="utf-8-sig"))))
    assert ["rows 行", "of which blank rows 其中空行", "1", ""] in summary


def test_the_service_reads_the_same_dialects(tmp_path: Path) -> None:
    client = TestClient(
        create_app(
            database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            officer_tokens={"a": "t"},
            limits=Limits(upload_rows=50),
        )
    )
    text = f"申报名单\n{HEADER}\n{GOOD}\n,坏行\n".replace(",", ";")
    r = client.post(
        "/v1/screens",
        headers={"Authorization": "Bearer t"},
        files={"file": ("a.csv", text.encode("utf-16"), "text/csv")},
        data={"as_of": "2025-06-30"},
    )
    assert r.status_code == 202, r.text
    summary = client.get(f"/v1/screens/{r.json()['id']}", headers={"Authorization": "Bearer t"}).json()["summary"]
    assert summary["rows"] == 2 and summary["invalid"] == 1


def test_the_workbook_summary_counts_blank_rows_apart(tmp_path: Path) -> None:
    import pandas as pd

    out = tmp_path / "out.xlsx"
    source = hostile.blank_lines_xlsx(tmp_path / "in.xlsx")
    result = CliRunner().invoke(main, ["screen", str(source), "-o", str(out), "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    facts = pd.read_excel(out, sheet_name="汇总", engine="calamine", header=None).iloc[:, :2].dropna()
    shown = dict(zip(facts[0], facts[1]))
    assert shown["数据有误（行）"] == 1 and shown["其中空行（行）"] == 1


def test_a_cell_is_long_by_its_characters_not_its_bytes() -> None:
    """The byte count (from the offsets) only decides whether characters are counted at all."""
    from engine.batch.csvread import _long

    assert not _long(pa.array(["甲" * MAX_CELL, "a", None]))  # 3 bytes a character: over MAX_CELL bytes
    assert _long(pa.array(["甲" * (MAX_CELL + 1), None]))
    assert _long(pa.array(["x" * (MAX_CELL + 1)])) and not _long(pa.array(["x" * MAX_CELL]))
    assert not _long(pa.array([None, None], type=pa.string()))
