"""engine/evaluate/chart.py: a well-formed SVG radar with Chinese labels, no network references."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from engine.evaluate.chart import Axis, radar_svg, strength_chart
from engine.evaluate.evaluator import evaluate
from engine.evaluate.strength import overall, strength_of
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import parse_profile

NS = "{http://www.w3.org/2000/svg}"
DAY = date(2026, 11, 1)


@pytest.fixture(scope="module")
def pack():
    return load_pack(DEFAULT_RULES)


def chart_for(pack, **facts):
    profile = parse_profile(facts)
    result = strength_of(evaluate(profile, pack, DAY), overall(profile, pack, DAY))
    assert result is not None
    return result, strength_chart(result)


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_four_dimensions_for_an_ordinary_firm(pack):
    _, svg = chart_for(pack, industry_code="C34", ip_service_business=False, invention_patents=3)
    labels = texts(svg)
    assert {"创造", "运用", "保护", "管理"} <= set(labels)
    assert "服务" not in labels
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no network fetches


def test_service_firms_get_a_fifth_axis_and_unknowns_a_dashed_range(pack):
    result, svg = chart_for(pack, industry_code="M7520", patent_attorneys=3)
    assert "服务" in texts(svg)
    assert result.score is None and "stroke-dasharray" in svg
    assert any("–" in t for t in texts(svg))  # a range caption such as 3–43 / 40


def test_captions_show_points_of_max_and_title_the_score():
    svg = radar_svg([Axis("甲", 5, 5, 10), Axis("乙", 1, 1, 4), Axis("丙", 0, 0, 2)], "标题 50 分", "副标题")
    labels = texts(svg)
    assert [t for t in labels if "/" in t] == ["5 / 10", "1 / 4", "0 / 2"]
    assert labels[0] == "标题 50 分"


def test_text_is_escaped():
    svg = radar_svg([Axis("A&B<C>", 1, 1, 2), Axis("乙", 1, 1, 2), Axis("丙", 1, 1, 2)], "<标题>")
    assert "A&B<C>" in texts(svg)


def test_a_radar_needs_three_axes():
    with pytest.raises(ValueError, match="3"):
        radar_svg([Axis("甲", 1, 1, 2), Axis("乙", 1, 1, 2)], "t")


def test_the_title_names_the_tier_once_the_score_range_settles_it(pack):
    """A range within one band (43–48: C) settles the tier; a range across a cut-off (38–45) does not.
    (Scorecard v2: the example scores 45; licensing 1 deal is 2 of 5 points, the clean record 7 of 7.)"""
    import json
    from pathlib import Path

    from engine.evaluate.strength import tier_at

    raw = json.loads((Path(__file__).parent.parent / "examples" / "ip_strength_manufacturer.json").read_text("utf-8"))
    titles = {}
    for drop in ("licensing_deals", "ip_penalties_3y"):
        profile = parse_profile({k: v for k, v in raw.items() if k != drop})
        assessed = evaluate(profile, pack, DAY)
        result = strength_of(assessed, overall(profile, pack, DAY), tier_at(profile, pack, DAY))
        assert result.score is None
        titles[drop] = texts(strength_chart(result))[0]
    assert titles["licensing_deals"].endswith("43–48 分 · C 级"), titles
    assert titles["ip_penalties_3y"].endswith("· ? 级"), titles
