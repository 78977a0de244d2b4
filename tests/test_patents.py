"""engine/evaluate/patents.py: counts from a patent list, CNIPA high-value categories, bilingual row errors."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from engine.cli.main import main
from engine.evaluate.patents import (
    PLEDGE_PARAM,
    Patent,
    PatentListError,
    apply_counts,
    derive_counts,
    parse_rows,
    read_patents,
)
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import parse_profile

DAY = date(2026, 11, 1)
HEADER = "专利号,专利类型,申请日,授权公告日,法律状态,IPC分类号,海外同族国家,质押金额,获奖,属于战略性新兴产业\n"


@pytest.fixture
def pack():
    return load_pack(DEFAULT_RULES)  # fresh: some tests change a parameter in memory


def patent(**kw):
    base = dict(number="ZL1", type="发明", application_date="2020-01-01", legal_status="有效")
    return Patent.model_validate(base | kw)


def counts(pack, *patents):
    return derive_counts(list(patents), pack, DAY)


@pytest.mark.parametrize(
    "extra",
    [
        {"strategic_emerging": "是"},
        {"overseas_family": "US;EP"},
        {"application_date": "2016-10-31"},  # 10 years and a day on 2026-11-01
        {"pledge_amount": 100},  # at the assumed threshold (hvp_pledge_threshold)
        {"awards": "中国专利奖"},
        {"awards": "national_st_award"},
    ],
)
def test_each_cnipa_category_makes_a_valid_invention_high_value(pack, extra):
    assert counts(pack, patent(**extra))["high_value_invention_patents"] == 1


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"application_date": "2016-11-01"},  # exactly 10 years: not "more than"
        {"pledge_amount": 99.99},
        {"strategic_emerging": "是", "legal_status": "失效"},
        {"strategic_emerging": "是", "type": "实用新型"},
    ],
)
def test_not_high_value(pack, extra):
    assert counts(pack, patent(**extra))["high_value_invention_patents"] == 0


def test_the_pledge_threshold_is_the_rule_parameter(pack):
    pack.parameters[PLEDGE_PARAM].versions[0].value = 200
    assert counts(pack, patent(pledge_amount=250))["high_value_invention_patents"] == 1
    del pack.parameters[PLEDGE_PARAM]
    with pytest.raises(PatentListError, match=PLEDGE_PARAM):
        counts(pack, patent())


def test_counts_from_a_csv(tmp_path, pack):
    # 1: 2014 invention, valid → maintained > 10 y, high value; 2: overseas → high value;
    # 3: pledge 1200 ≥ 100 → high value; 4: lapsed invention → not counted; 5: utility model;
    # 6: filed after the as-of date → not held yet.
    path = tmp_path / "p.csv"
    path.write_text(
        HEADER
        + "\n".join(
            [
                "ZL1,发明,2014-03-01,2016-05-01,有效,B23K 26/00,,,,否",
                "ZL2,发明,2020-01-01,2022-01-01,有效,H04L 9/32,US;EP,,,否",
                "ZL3,invention,2021-01-01,2023-01-01,valid,,,1200,,",
                "ZL4,发明,2022-01-01,2023-06-01,失效,,,,,是",
                "ZL5,实用新型,2023-01-01,2023-08-01,有效,,,,,",
                "ZL6,发明,2027-01-01,,审中,,,,,是",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert derive_counts(read_patents(path), pack, DAY) == {
        "invention_patents": 3,
        "high_value_invention_patents": 3,
        "invention_patents_10y": 1,
        "overseas_patent_families": 1,
        "utility_models": 1,
        "designs": 0,
    }


def test_json_list_and_disagreement_report(tmp_path, pack):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            [
                {
                    "number": "ZL1",
                    "type": "invention",
                    "application_date": "2020-01-01",
                    "legal_status": "valid",
                    "overseas_family": ["JP"],
                }
            ]
        ),
        encoding="utf-8",
    )
    profile = parse_profile({"invention_patents": 4, "high_value_invention_patents": 1})
    updated, checks = apply_counts(profile, derive_counts(read_patents(path), pack, DAY))
    assert updated.invention_patents == 1
    by_field = {c.field: c for c in checks}
    assert not by_field["invention_patents"].agrees and by_field["invention_patents"].in_profile == 4
    assert by_field["high_value_invention_patents"].agrees
    assert by_field["designs"].agrees and by_field["designs"].in_profile is None


def test_bad_rows_name_the_row_and_field_in_both_languages(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "ZL1,发明专利,2014-03-01,,有效,,,,,\n"
        "ZL2,发明,2020-13-01,,有效,X04L,USA,-5,诺贝尔奖,\n"
        "ZL3,发明,2020-01-01,2019-01-01,有效,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(PatentListError) as err:
        read_patents(path)
    found = {(i.row.split(" /")[0], i.field) for i in err.value.issues}
    assert found == {
        ("row 2", "type"),
        ("row 3", "application_date"),
        ("row 3", "ipc"),
        ("row 3", "overseas_family"),
        ("row 3", "pledge_amount"),
        ("row 3", "awards"),
        ("row 4", "grant_date"),
    }
    for issue in err.value.issues:
        assert issue.message_zh and issue.message_en and issue.message_zh != issue.message_en
        assert "第" in issue.row
    grant = next(i for i in err.value.issues if i.field == "grant_date")
    assert grant.value == "2019-01-01" and "授权公告日早于申请日" in grant.message_zh


def test_non_objects_and_bad_json(tmp_path):
    with pytest.raises(PatentListError, match="第 1 条"):
        parse_rows([("item 1 / 第 1 条", ["not", "a", "row"])])
    path = tmp_path / "x.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(PatentListError, match="JSON"):
        read_patents(path)


def test_cli_patents_and_chart(tmp_path):
    profile = tmp_path / "firm.json"
    profile.write_text(
        json.dumps({"industry_code": "C34", "ip_service_business": False, "invention_patents": 5}), encoding="utf-8"
    )
    patents = tmp_path / "p.csv"
    patents.write_text(HEADER + "ZL1,发明,2020-01-01,2022-01-01,有效,,,,,\n", encoding="utf-8")
    chart = tmp_path / "r.svg"
    run = CliRunner().invoke(
        main, ["assess", str(profile), "--as-of", "2026-11-01", "--patents", str(patents), "--chart", str(chart)]
    )
    assert run.exit_code == 0, run.output
    assert "有效发明专利数: 1  ≠ 企业填报 5" in run.output
    assert "知识产权实力" in run.output and chart.read_text(encoding="utf-8").startswith("<svg")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ZL1,发明,2020-01-01,,作废,,,,,\n", encoding="utf-8")
    run = CliRunner().invoke(main, ["assess", str(profile), "--patents", str(bad)])
    assert run.exit_code == 2 and "法律状态" in run.output and "unknown legal status" in run.output
