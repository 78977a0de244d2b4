"""A decision that rests on an assumed bracket edge says so in every output; one far from it does not.

The two firms are those of features/创新型中小企业.feature (依据含假设值): the first scores exactly 60 with
R&D at 2.00 % and growth at 10.00 %, both on edges whose side is assumed; the second scores 65 away
from every assumed edge.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from engine.authoring.catalogue import build
from engine.batch.measures import short_name
from engine.batch.screen import Screening
from engine.cli.main import main
from engine.evaluate.evaluator import evaluate
from engine.evaluate.report import render
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import parse_profile

AS_OF = date(2026, 3, 1)
BASE: dict[str, Any] = {
    "division_code": "500105",
    "legal_person": True,
    "industry_code": "C39",
    "employees": 200,
    "revenue": 6500,
    "abnormal_operation_list": False,
    "serious_dishonesty_list": False,
    "prohibited_products": False,
    "major_accident_3y": False,
    "tax_violation_3y": False,
    "class1_ip": 1,
    "class1_ip_self_developed": 0,
    "class1_high_value_ip": 0,
    "class2_ip": 0,
    "main_revenue_prior": 4000,
    "total_assets": 6000,
    "total_liabilities": 4000,
    "strategic_emerging": False,
    "sci_tech_award_3y": False,
    "has_rd_institution": False,
    "equity_financing_3y": 0,
}
AT_EDGE = BASE | {"rd_expense": 130, "main_revenue": 4400}
FAR = BASE | {"rd_expense": 260, "main_revenue": 4480}
EDGES = ["上年度研发费用总额占营业收入总额比重：≥ 2%", "上年度主营业务收入增长率：≥ 110%"]
PACK = load_pack(DEFAULT_RULES)


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) :][: text[text.index(start) :].index(end)]


@pytest.mark.parametrize("firm, flagged", [(AT_EDGE, True), (FAR, False)])
def test_text_report(firm: dict[str, Any], flagged: bool) -> None:
    text = section(render(evaluate(parse_profile(firm), PACK, AS_OF)), "■ 创新型中小企业", "\n\n")
    assert "→ 符合" in text
    assert all((f"［假设］分档边界 创新型中小企业评价得分：{e}" in text) == flagged for e in EDGES), text


@pytest.mark.parametrize("firm, flagged", [(AT_EDGE, True), (FAR, False)])
def test_cli_report_and_json(tmp_path: Path, firm: dict[str, Any], flagged: bool) -> None:
    """`ipcheck assess` as a firm runs it: the ［假设］ lines in the report, the assumptions in --json."""
    source = tmp_path / "firm.json"
    source.write_text(json.dumps(firm, ensure_ascii=False), encoding="utf-8")
    report = CliRunner().invoke(main, ["assess", str(source), "--as-of", AS_OF.isoformat()])
    assert report.exit_code == 0, report.output
    text = section(report.output, "■ 创新型中小企业", "\n\n")
    assert all((f"［假设］分档边界 创新型中小企业评价得分：{e}" in text) == flagged for e in EDGES), text
    data = json.loads(CliRunner().invoke(main, ["assess", str(source), "--as-of", AS_OF.isoformat(), "--json"]).output)
    decision = next(d for d in data["decisions"] if d["id"] == "innovative_sme")
    assert sorted(a["kind"] for a in decision["assumptions"]) == (["edge", "edge"] if flagged else [])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("db") / "t.sqlite"
    return TestClient(create_app(database_url=f"sqlite:///{db}", officer_tokens={"alice": "s3cret"}))


@pytest.mark.parametrize("firm, flagged", [(AT_EDGE, True), (FAR, False)])
def test_json_and_page(client: TestClient, firm: dict[str, Any], flagged: bool) -> None:
    body = client.post("/v1/assess", params={"as_of": AS_OF.isoformat()}, json=firm).json()
    decision = next(d for d in body["decisions"] if d["id"] == "innovative_sme")
    assert decision["status"] == "eligible"
    assert sorted(a["kind"] for a in decision["assumptions"]) == (["edge", "edge"] if flagged else [])
    form = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in firm.items()}
    page = client.post("/check", data=form | {"as_of": AS_OF.isoformat(), "lang": "zh"}).text
    article = re.search(r'<article class="decision[^"]*" id="d-innovative_sme">.*?</article>', page, re.S)
    assert article is not None
    assert ("依据含假设值" in article[0]) == flagged
    assert all((e in article[0]) == flagged for e in EDGES)


def test_workbook_column(tmp_path: Path) -> None:
    source = tmp_path / "firms.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(AT_EDGE))
        writer.writeheader()
        writer.writerows(
            [{k: str(v).lower() if isinstance(v, bool) else v for k, v in f.items()} for f in (AT_EDGE, FAR)]
        )
    out = tmp_path / "结果.xlsx"
    Screening(PACK, AS_OF).run(source, out)
    sheet = pd.read_excel(out, sheet_name="筛查结果", engine="calamine", header=None)  # row 0: measures, row 1: columns
    col = sheet.iloc[0].tolist().index(short_name(PACK, "innovative_sme", AS_OF)) + 3
    assert sheet.iloc[1, col] == "依据含假设值"
    column = sheet.iloc[2:, col].fillna("").tolist()
    assert all(f"［假设］分档边界 创新型中小企业评价得分：{e}" in column[0] for e in EDGES), column
    assert column[1] == ""


def test_information_entries_in_every_output(client: TestClient, tmp_path: Path) -> None:
    """可咨询 entries: in the text report, the JSON, the result page, the workbook and the catalogue."""
    title = "中小企业知识产权战略推进工程"
    assert title in render(evaluate(parse_profile(FAR), PACK, AS_OF))
    body = client.post("/v1/assess", params={"as_of": AS_OF.isoformat()}, json=FAR).json()
    assert any(e["title"]["zh"] == title for e in body["information"])
    form = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in FAR.items()}
    assert (
        f'{title} <span class="badge information">可咨询'
        in client.post("/check", data=form | {"as_of": AS_OF.isoformat(), "lang": "zh"}).text
    )
    source = tmp_path / "firms.csv"
    source.write_text("name,revenue\nA,100\n", encoding="utf-8")
    out = tmp_path / "结果.xlsx"
    Screening(PACK, AS_OF).run(source, out)
    sheet = pd.read_excel(out, sheet_name="可咨询", engine="calamine")
    assert title in sheet["措施"].tolist()
    assert all(title in text for text in build(PACK).values())
