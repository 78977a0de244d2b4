"""Ratio edges read as percentages everywhere people read them ("≥ 2%", not "≥ 0.02"): one home for the unit
of an expression (engine.evaluate.explain.expression_unit, from the profile model's and the pack's units)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine.authoring.catalogue import build
from engine.evaluate.explain import expression_unit
from engine.evaluate.provenance import describe
from engine.language import expr as ex
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack

UNITS = {"revenue": "万元", "rd_expense": "万元", "employees": "人", "rd_staff": "人", "invention_patents": "件"}


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(DEFAULT_RULES)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("rd_expense / revenue", "ratio"),  # 万元 ÷ 万元
        ("rd_staff / employees", "ratio"),  # 人 ÷ 人
        ("(rd_expense + revenue) / 2", "万元"),  # a mean keeps its unit
        ("revenue * 10%", "万元"),
        ("invention_patents * 100 / rd_staff", None),  # 件 per 人: not a ratio
        ("3%", "ratio"),
    ],
)
def test_the_unit_of_an_expression(text: str, unit: str | None) -> None:
    def resolve(name: str) -> str:
        if name not in UNITS:
            raise KeyError(name)
        return name

    node = ex.parse(text, resolve, UNITS)
    assert expression_unit(node, UNITS.get) == unit


def test_an_assumed_ratio_edge_is_described_as_a_percentage(pack: RulePack) -> None:
    card = pack.scorecards["innovative_sme_score"]
    ind = next(i for g in card.groups for i in g.indicators if i.id == "rd_ratio")
    pos = next(n for n, r in enumerate(ind.brackets.rows) if r.ge == 0.02)  # type: ignore[union-attr]
    text = describe(pack, date(2026, 3, 1), ("edge", f"{card.id}.{ind.id}", str(pos))).text.zh
    assert "≥ 2% → 10" in text and "0.02" not in text


def test_the_catalogue_shows_no_ratio_bound_as_a_fraction(pack: RulePack) -> None:
    text = build(pack)["catalogue.md"]
    assert not re.findall(r"[≥≤<>] 0\.\d", text)
    assert "净利润 ÷ 营业收入｜Net profit ÷ Operating revenue ≥ 8% → 8 分" in text
