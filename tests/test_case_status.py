"""A case row marked `assumed` is carried to what it decides, on both paths, and only when it is at stake.

The 专精特新 R&D-institution row for 区县级 centres scores 2 (“市级以下”); whether a Chongqing 区县 centre counts as
“市级” (4) is not said by 63号, so the row is assumed. The firms are those of features/专精特新中小企业.feature.
A derived fact's case is carried the same way (a small pack below).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.authoring.catalogue import build
from engine.batch.vectorized import evaluate_profiles
from engine.evaluate.evaluator import evaluate
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import EnterpriseProfile, parse_profile
from tests.test_batch_differential import assert_same_provenance

PACK = load_pack(DEFAULT_RULES)
AS_OF = date(2025, 6, 1)
FEATURE = Path(__file__).parents[1] / "features" / "专精特新中小企业.feature"
CASE = ("case", "specialized_sme_score.rd_institution.3")


def background(**changes: Any) -> EnterpriseProfile:
    """The feature's background firm (63 points with a 地市级 centre), with changes by Chinese label."""
    text = FEATURE.read_text(encoding="utf-8")
    facts: dict[str, Any] = {
        k: {"是": True, "否": False}.get(v, v)
        for k, v in re.findall(r'"(.+?)" 为 "(.+?)"', text[text.index("  背景:") : text.index("  场景:")])
    }
    return parse_profile(facts | changes | {"titles": [{"title": "innovative_sme", "level": "provincial"}]})


FIRMS = {
    "district": background(研发机构级别="区县级"),  # 61: the case decides the pass
    "municipal": background(),  # 63: no case assumed
    "route": background(研发机构级别="区县级", 研发费用=1100, 上年研发费用=1000),  # passes by a direct route
}


def keys(assumptions: list[Any]) -> set[tuple[str, str]]:
    return {(a.kind, a.id) for a in assumptions}


@pytest.mark.parametrize(
    "firm, in_total, in_verdict", [("district", True, True), ("municipal", False, False), ("route", True, False)]
)
def test_the_assumed_case_is_carried_only_where_it_decides(firm: str, in_total: bool, in_verdict: bool) -> None:
    result = evaluate(FIRMS[firm], PACK, AS_OF)
    card = next(c for c in result.scorecards if c.id == "specialized_sme_score")
    decision = next(d for d in result.decisions if d.id == "specialized_sme")
    assert (CASE in keys(card.assumptions), CASE in keys(card.passed_assumptions)) == (in_total, in_verdict)
    assert (CASE in keys(decision.assumptions)) == in_verdict
    words = next((a for a in card.assumptions if (a.kind, a.id) == CASE), None)
    if words is not None:
        assert words.text.zh == "情形 专精特新中小企业评价得分：建立研发机构级别：市级以下（区县级） → 2 分"
        assert words.status == "assumed" and "4 分" in (words.note or "")


def test_the_batch_path_carries_the_same_cases() -> None:
    profiles = list(FIRMS.values())
    batch = evaluate_profiles(PACK, AS_OF, profiles)
    for row, profile in enumerate(profiles):
        assert_same_provenance(batch, evaluate(profile, PACK, AS_OF), row)


def test_a_derived_case_and_its_stake(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(
        """
derived:
  - id: band
    label: {zh: 档次, en: Band}
    cases:
      - {when: "employees >= 100", value: 'big'}
      - {when: "employees >= 10", value: 'small', status: assumed, note: doubt}
      - {when: "employees >= 0", value: 'micro'}  # lint-ok: always-holds
policies:
  - id: p
    title: {zh: 甲, en: P}
    source: {document: DOC}
    from: 2020-01-01
    conditions: {all: [{when: "band == 'small'"}]}
""",
        encoding="utf-8",
    )
    pack = load_pack(tmp_path)
    profiles = [parse_profile({"employees": n}) for n in (5, 50, 500)]
    batch = evaluate_profiles(pack, date(2025, 1, 1), profiles)
    flagged = []
    for row, profile in enumerate(profiles):
        single = evaluate(profile, pack, date(2025, 1, 1))
        assert_same_provenance(batch, single, row)
        flagged.append(("case", "band.1") in keys(single.decisions[0].assumptions))
    assert flagged == [False, True, False]


def test_catalogue_marks_the_row_and_lists_it_to_confirm() -> None:
    markdown = build(PACK)["catalogue.md"]
    assert "（市级以下（区县级）） → 2 分 〔假设 assumed〕（63号 附件2" in markdown
    closing = markdown[markdown.index("## 待确认的假设与暂定值") :]
    assert any("| 情形 case | `specialized_sme_score` › `rd_institution` |" in line for line in closing.splitlines())
