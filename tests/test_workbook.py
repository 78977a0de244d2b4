"""The officer's workbook, read back as an officer's spreadsheet program would (calamine)."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from engine.batch.generate import generate, write_table
from engine.batch.measures import short_name
from engine.batch.screen import Allocation, Screening
from engine.batch.sheetrows import letters
from engine.batch.workbook import STATUS_ZH
from engine.language.loader import load_pack

PACK = load_pack(Path(__file__).parent.parent / "rules")
AS_OF = date(2026, 11, 1)
QUOTA, BUDGET = "jb_gbt29490_adoption", "jb_madrid_registration"  # a budget needs fixed amounts, not caps


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("book")
    source = folder / "申报.xlsx"
    write_table(generate(1500, seed=21, messy=0.03), source, headers="zh")
    allocations = [Allocation(QUOTA, quota=2), Allocation(BUDGET, budget=200.0)]
    book, plain = folder / "结果.xlsx", folder / "plain.parquet"
    screening = Screening(PACK, AS_OF, allocations=allocations)
    summary = screening.run(source, book)
    Screening(PACK, AS_OF, allocations=allocations).run(source, plain)
    sheets = pd.read_excel(book, sheet_name=None, engine="calamine", header=None)
    return {"book": book, "sheets": sheets, "plain": pq.read_table(plain), "screening": screening, "summary": summary}


def test_sheet_names_are_short_unique_and_chinese(run: dict) -> None:
    names = list(run["sheets"])
    s = run["screening"]
    measures = [short_name(PACK, p, AS_OF) for p in s.policies if s.summary.status[p].get("eligible")]
    assert names == ["汇总", "筛查结果", *[m[:31] for m in measures], "可咨询", "数据问题", "说明"]
    assert len(set(names)) == len(names) and not any(p in n for p in PACK.policies for n in names)


def test_decisions_sheet_has_the_reason_beside_each_status(run: dict) -> None:
    sheet, plain, s = run["sheets"]["筛查结果"], run["plain"], run["screening"]
    head, sub = sheet.iloc[0].tolist(), sheet.iloc[1].tolist()
    body = sheet.iloc[2:].reset_index(drop=True)
    assert len(body) == plain.num_rows == 1500 and sub[:3] == ["行号", "统一社会信用代码", "企业名称"]
    for p in s.policies:
        col = head.index(short_name(PACK, p, AS_OF))
        assert sub[col : col + 3] == ["结论", "理由", "金额（万元）"]
        status = plain.column(f"{p}.status").cast("string").to_pylist()
        assert body[col].tolist() == [STATUS_ZH[x] for x in status]
        reason = body[col + 1]
        assert reason[body[col] == "符合"].isna().all()
        assert reason[body[col].isin(["不符合", "待定（缺少信息）", "数据有误"])].str.len().gt(0).all()
        amounts = plain.column(f"{p}.amount").to_pylist()
        assert [None if pd.isna(v) else v for v in body[col + 2]] == pytest.approx(amounts, nan_ok=True)


def test_measure_sheets_hold_the_eligible_sorted_by_rank(run: dict) -> None:
    plain, s = run["plain"], run["screening"]
    eligible = {
        p: sorted(
            r
            for r, st in zip(plain.column("row").to_pylist(), plain.column(f"{p}.status").cast("string").to_pylist())
            if st == "eligible"
        )
        for p in s.policies
    }
    for p in (QUOTA, BUDGET, "jb_trademark_brand"):
        sheet = run["sheets"][short_name(PACK, p, AS_OF)[:31]]
        table = pd.DataFrame(sheet.iloc[2:].values, columns=sheet.iloc[1].tolist())
        assert sorted(table["行号"].astype(int)) == eligible[p]
        assert table["排名"].astype(int).tolist() == list(range(1, len(table) + 1))
    quota = pd.DataFrame(
        run["sheets"][short_name(PACK, QUOTA, AS_OF)].iloc[2:].values,
        columns=run["sheets"][short_name(PACK, QUOTA, AS_OF)].iloc[1].tolist(),
    )
    assert (quota["支持情况"] == "拟支持").sum() == min(2, len(quota)) and quota["剩余名额"].iloc[-1] == 0
    budget_sheet = run["sheets"][short_name(PACK, BUDGET, AS_OF)]
    budget = pd.DataFrame(budget_sheet.iloc[2:].values, columns=budget_sheet.iloc[1].tolist())
    funded = budget[budget["支持情况"] == "拟支持"]
    assert funded["金额（万元）"].astype(float).sum() <= 200 and budget["剩余预算（万元）"].astype(float).min() >= 0
    assert budget["累计金额（万元）"].astype(float).is_monotonic_increasing


def test_summary_in_chinese_with_charts(run: dict) -> None:
    sheet, s = run["sheets"]["汇总"], run["screening"]
    cells = sheet.astype(str).values.ravel().tolist()
    assert "评估日期" in cells and PACK.hash in cells and "最常见的未满足条件" in cells
    top = cells.index("措施") // sheet.shape[1]
    table = pd.DataFrame(sheet.iloc[top + 1 : top + 1 + len(s.policies)].values, columns=sheet.iloc[top].tolist())
    assert table["措施"].tolist() == [short_name(PACK, p, AS_OF) for p in s.policies]
    assert table["符合"].astype(int).tolist() == [s.summary.status[p]["eligible"] for p in s.policies]
    row = table[table["措施"] == short_name(PACK, BUDGET, AS_OF)].iloc[0]
    assert float(row["预算（万元）"]) == 200 and float(row["预算剩余（万元）"]) >= 0
    assert not any(leaf in str(v) for v in table["最常见的未满足条件"] for leaf in ("_", " unmet"))
    assert "知识产权强度分数段" in cells and "知识产权强度等级" in cells
    with zipfile.ZipFile(run["book"]) as book:
        charts = [n for n in book.namelist() if n.startswith("xl/charts/chart")]
        rels = book.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert len(charts) == 2 and "drawing" in rels  # both charts on the first sheet, 汇总


def test_key_sheet_maps_names_to_ids(run: dict) -> None:
    key = run["sheets"]["说明"]
    table = pd.DataFrame(key.iloc[1:].values, columns=key.iloc[0].tolist()).dropna(subset=["标识 id"])
    assert dict(zip(table["标识 id"], table["措施名称"])) == {
        p: short_name(PACK, p, AS_OF) for p in run["screening"].policies
    }


def test_texts_are_shared_strings_and_amounts_keep_their_number_format(run: dict) -> None:
    """Texts repeated on many rows are stored once (the inline texts of 20,000 rows made a 193 MB sheet),
    the XML is well formed, and the amount cells point at a style with Excel's 0.00 money format
    (xlsxwriter's private format index was used before)."""
    import re
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(run["book"]) as book:
        strings, styles = ET.fromstring(book.read("xl/sharedStrings.xml")), ET.fromstring(book.read("xl/styles.xml"))
        decisions = book.read("xl/worksheets/sheet2.xml").decode()
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    texts = ["".join(t.itertext()) for t in strings.findall("m:si", ns)]
    assert len(texts) == int(strings.get("uniqueCount"))
    assert "inlineStr" not in decisions and ET.fromstring(decisions) is not None
    assert len(texts) < decisions.count('t="s"') / 10  # statuses and reasons repeat: each stored once
    xfs = styles.find("m:cellXfs", ns).findall("m:xf", ns)
    assert len(xfs) == int(styles.find("m:cellXfs", ns).get("count"))
    sheet = run["sheets"]["筛查结果"]
    amounts = "|".join(letters(i) for i, title in enumerate(sheet.iloc[1]) if title == "金额（万元）")
    styled = re.findall(rf'<c r="(?:{amounts})\d+" s="(\d+)"><v>', decisions)
    assert styled and {xfs[int(s)].get("numFmtId") for s in styled} == {"4"}


def test_data_problems_name_the_field_in_chinese(run: dict) -> None:
    sheet = run["sheets"]["数据问题"]
    assert sheet.iloc[0].tolist() == ["行号", "字段", "值", "说明", "message (English)"]
    fields = sheet.iloc[1:, 1].dropna().astype(str)
    assert len(fields) > 0 and not fields.str.fullmatch(r"[a-z_.0-9()]+").any(), fields.unique()


def test_data_problems_show_the_value_as_typed_even_when_it_looks_like_null(tmp_path: Path) -> None:
    """A revenue typed as N/A was listed with an empty value (the errors file was read with Arrow's
    default null markers): the officer could not see what was wrong."""
    source = tmp_path / "申报.csv"
    source.write_text("企业名称,营业收入,从业人员数\n甲,N/A,10\n乙,null,10\n", encoding="utf-8")
    Screening(PACK, AS_OF).run(source, tmp_path / "结果.xlsx")
    sheet = pd.read_excel(tmp_path / "结果.xlsx", sheet_name="数据问题", engine="calamine", keep_default_na=False)
    assert sheet[sheet["字段"] == "营业收入"]["值"].tolist() == ["N/A", "null"]
