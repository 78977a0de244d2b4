"""The enterprise profile: both languages as keys, unknown is not zero, bilingual errors naming fields."""

import json

import pytest
from click.testing import CliRunner

from engine.cli.main import main
from engine.model.profile import EnterpriseProfile, ProfileInputError, parse_profile


def test_chinese_and_english_keys() -> None:
    p = parse_profile({"从业人员数": 12, "revenue": 300, "国民经济行业代码": "7520"})
    assert (p.employees, p.revenue, p.industry_code) == (12, 300, "M7520")
    assert p.rd_expense is None  # unknown, not zero


@pytest.mark.parametrize(
    "data, field, zh",
    [
        ({"credit_code": "91350100M000100Y44"}, "credit_code", "校验码"),
        ({"营业收入": -5}, "revenue", "不能小于 0"),
        ({"employees": "many"}, "employees", "应为整数"),
        ({"revenue": float("nan")}, "revenue", "NaN"),
        ({"registration_date": "2099-01-01"}, "registration_date", "晚于今天"),
        ({"high_value_invention_patents": 3, "invention_patents": 2}, "high_value_invention_patents", "不能大于"),
        ({"rd_staff": 30, "employees": 20}, "rd_staff", "不能大于"),
        ({"main_revenue": 120, "revenue": 100}, "main_revenue", "不能大于"),
        ({"industry_code": "Z99"}, "industry_code", "行业代码"),
        ({"employes": 3}, "employes", "未知字段"),
        ({"titles": [{"title": "不存在的称号"}]}, "titles.0.title", "未知称号"),
    ],
)
def test_errors_name_the_field_in_both_languages(data: dict, field: str, zh: str) -> None:
    with pytest.raises(ProfileInputError) as err:
        parse_profile(data)
    [issue] = err.value.issues
    assert issue.field == field and zh in issue.message_zh and issue.message_en


def test_non_object_input() -> None:
    with pytest.raises(ProfileInputError, match="JSON"):
        parse_profile([1, 2])


def test_every_field_has_a_chinese_label_and_the_schema_prints() -> None:
    for name, field in EnterpriseProfile.model_fields.items():
        assert field.json_schema_extra and field.json_schema_extra["zh"], name
    result = CliRunner().invoke(main, ["schema"])
    schema = json.loads(result.output)
    assert result.exit_code == 0 and "credit_code" in schema["properties"]
