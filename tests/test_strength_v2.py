"""IP-strength scorecard v2 (rules/ip_strength/ip_strength.yaml): each patent counted once, a `why:` for every
indicator and weight, 服务 apart from the 0-100 score and pending (not the score) when the flag is unknown."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.authoring.catalogue import build
from engine.evaluate.evaluator import Evaluation, evaluate
from engine.evaluate.strength import APART, CARD, enrich
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack
from engine.model.profile import parse_profile

DAY = date(2026, 12, 2)
OWN = [CARD, *APART]
# The indicators that count invention patents: together they must count each one exactly once.
PARTITION = ["high_value_inventions", "other_inventions", "overseas_inventions"]


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(DEFAULT_RULES)


def test_every_indicator_and_dimension_says_why(pack: RulePack) -> None:
    for ident in OWN:
        card = pack.scorecards[ident]
        assert card.why and card.periods, ident
        for group in card.groups:
            assert group.why and group.why.zh and group.why.en, f"{ident}.{group.id}"
            for ind in group.indicators:
                assert ind.why and ind.why.zh and ind.why.en, f"{ident}.{ind.id}"
                assert ind.status == "assumed", f"{ident}.{ind.id}: ipcheck's own design"


@pytest.mark.parametrize(("inventions", "high_value", "overseas"), [(0, 0, 0), (1, 1, 1), (9, 4, 2), (12, 12, 0)])
def test_each_invention_patent_is_counted_by_one_indicator(
    pack: RulePack, inventions: int, high_value: int, overseas: int
) -> None:
    profile = parse_profile(
        {"invention_patents": inventions, "high_value_invention_patents": high_value, "hvp_overseas_family": overseas}
    )
    ev = Evaluation(profile, pack, DAY)
    indicators = {i.id: i for g in pack.scorecards[CARD].groups for i in g.indicators}
    counted = [ev.eval(indicators[i].brackets.of.ast, set()) for i in PARTITION]  # type: ignore[union-attr]
    assert sum(counted) == inventions and min(counted) >= 0


def strength_of(pack: RulePack, **facts: object):
    profile = parse_profile({"industry_code": "C34", "rd_staff": 10, **facts})
    return enrich(evaluate(profile, pack, DAY), profile, pack, DAY, what_if=False).strength


def test_an_unknown_service_flag_leaves_only_the_service_dimension_pending(pack: RulePack) -> None:
    known = dict(
        invention_patents=3, high_value_invention_patents=1, hvp_overseas_family=0, ip_penalties_3y=0,
        class1_ip=3, class2_ip=0, pct_applications=0, trademarks=0, work_copyright_registrations=0,
        licensing_deals=0, pledge_loan_amount=0, revenue=100, patent_product_revenue=0, own_brand=False,
        collective_certification_marks=0, gi_mark_user=False, madrid_registrations=0, ip_staff=0, ip_budget=0,
        patent_navigation_project=False, titles=[],
    )  # fmt: skip
    pending = strength_of(pack, **known)
    assert pending.score == 7 + 4 + 2 + 3  # clean record, high-value 1, other inventions 2, density 300 ≥ 200
    service = next(d for d in pending.dimensions if d.id == "service")
    assert service.applies is None and service.apart
    assert "ip_service_business" in pending.missing
    served = strength_of(pack, **known, ip_service_business=True, patent_attorneys=5, ip_service_clients=0)
    assert served.score == pending.score  # 服务 is scored apart: the 0-100 score does not move
    assert next(d for d in served.dimensions if d.id == "service").points == 10


def test_catalogue_and_policies_page_show_why(pack: RulePack, tmp_path: Path) -> None:
    text = build(pack)["catalogue.md"]
    indicator = next(i for g in pack.scorecards[CARD].groups for i in g.indicators)
    assert f"为何 why：{indicator.why.zh}" in text  # type: ignore[union-attr]
    client = TestClient(create_app(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    page = client.get("/policies").text
    assert 'id="s-ip_strength_card"' in page and indicator.why.zh in page  # type: ignore[union-attr]
    assert "ipcheck 自行设计" in page


def test_policies_page_max_column_never_wraps(tmp_path: Path) -> None:
    """The 满分 header broke into 满 / 分 (main has overflow-wrap: anywhere); screenshots at 1280 and 390 px."""
    client = TestClient(create_app(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    page = client.get("/policies").text
    assert '<th class="max">满分</th>' in page and '<td class="max">10</td>' in page
    css = client.get("/static/style.css").text
    assert re.search(r"thead th, td\.max \{[^}]*white-space: nowrap", css)
    assert re.search(r"\.flag \{[^}]*white-space: nowrap", css)
