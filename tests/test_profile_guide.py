"""The profile model's words for people: every fact has an English label, help in both languages
or neither, and the answers a person can give (options, "0 / 没有", levels only where they exist)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.model.profile import (
    EXPERT_JUDGED,
    FIELDS,
    GUIDE,
    TITLE_LEVELS,
    TITLES,
    asked_of_firm,
    field_kind,
    help_text,
    label,
    options,
    parse_profile,
    zero_means_none,
)


def test_every_fact_has_words_in_both_languages() -> None:
    assert set(GUIDE) == set(FIELDS)
    for name in FIELDS:
        assert label(name, "en") and "_" not in label(name, "en"), name
        assert (help_text(name, "zh") is None) == (help_text(name, "en") is None), name
        zh = help_text(name, "zh")
        assert zh is None or re.search(r"[\u4e00-\u9fff]", zh), f"{name}: Chinese help without Chinese"


def test_answers_a_person_can_give() -> None:
    assert [o.zh for o in options("own_brand")] == ["有", "没有"]
    assert [o.zh for o in options("serious_dishonesty_list")] == ["是", "否"]
    assert "补短板锻长板填空白" in [o.zh for o in options("main_product_field")]
    assert [o.zh for o in options("rd_institution_level")] == ["区县级", "地市级", "省级", "国家级"]
    assert zero_means_none("pledge_loan_amount") and zero_means_none("invention_patents")
    assert not zero_means_none("net_profit")  # a loss is negative: 0 is not "none"
    assert all(field_kind(n) != "bool" or options(n) for n in FIELDS)


def test_expert_scores_are_never_asked_and_only_some_titles_have_levels() -> None:
    assert EXPERT_JUDGED and not any(asked_of_firm(n) for n in EXPERT_JUDGED)
    assert "high_tech_enterprise" not in TITLE_LEVELS and "iso9001_certified" not in TITLE_LEVELS
    assert set(TITLE_LEVELS) <= set(TITLES)


def test_a_unique_part_of_a_chinese_option_is_accepted() -> None:
    assert parse_profile({"主导产品所属领域": "补短板"}).main_product_field == "gap_filling"
    with pytest.raises(ValueError):
        parse_profile({"主导产品所属领域": "航天"})  # part of no option
    with pytest.raises(ValueError):
        parse_profile({"主导产品所属领域": "业"})  # part of several: ambiguous


def test_the_forms_show_help_in_their_language_and_no_raw_keys(tmp_path) -> None:
    client = TestClient(create_app(database_url=f"sqlite:///{tmp_path}/db.sqlite3"))
    zh = client.get("/form").text
    assert "营业执照上的 18 位代码" in zh and "Operating revenue, latest full year" not in zh
    en = client.get("/form?lang=en").text
    assert "Operating revenue, two years before" in en and "Revenue prior2" not in en
