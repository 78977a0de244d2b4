"""No runtime failure reaches a user (issue 12): a well-typed rule that cannot be computed for a firm (a
result beyond the range of numbers) makes that decision `error`, in the single-profile and the batch
evaluator alike. The property test runs every operator and function on random and boundary values."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch.vectorized import evaluate_profiles
from engine.evaluate.evaluator import RUNTIME_ERRORS, evaluate
from engine.language.loader import load_pack
from engine.model.profile import EnterpriseProfile, ProfileInputError, parse_profile

AS_OF = date(2025, 6, 30)
HUGE = " * 1000000000000" * 26  # ×10^312: beyond float range for any value above 10^-4
NUMBERS = {  # one derived fact per operator and function; each read by a policy and a benefit
    "add": "net_profit + revenue",
    "sub": "net_profit - revenue",
    "mul": "net_profit * revenue",
    "div": "net_profit / revenue",
    "neg": "-net_profit",
    "min": "min(net_profit, revenue, employees)",
    "max": "max(net_profit, employees)",
    "abs": "abs(net_profit)",
    "years": "years_between(registration_date, as_of)",
    "overflow": "revenue" + HUGE,
    "overflow_div": "net_profit / revenue * 1000000000000",
    "int_mul": "employees * employees",
}
CONDITIONS = {
    **{f"cmp{n}": f"net_profit {op} revenue" for n, op in enumerate(["<", "<=", ">", ">=", "==", "!="])},
    "title": "has_title('high_tech_enterprise')",
    "title_level": "has_title('high_tech_enterprise', 'provincial')",
    "starts": "starts_with(industry_code, 'C', 'I65')",
    "one_of_enum": "one_of(rd_institution_level, 'national')",
    "one_of_int": "one_of(employees, 0, 7)",
    "logic": "legal_person and not (employees > 3 or revenue < 1)",
    "dates": "registration_date < 2020-01-01",
    "text_eq": "industry_code == 'C39'",
    "overflow_or": "legal_person or revenue" + HUGE + " > 1",
}


def pack_text() -> str:
    parts = ["derived:\n"]
    for name, formula in NUMBERS.items():
        parts.append(f"  - {{id: x_{name}, label: {{zh: {name}, en: {name}}}, formula: '{formula}'}}\n")
    parts.append("policies:\n")
    whens = {f"p_{n}": f"x_{n} >= 1" for n in NUMBERS} | {f"c_{n}": w for n, w in CONDITIONS.items()}
    whens["p_chain"] = "p_overflow or employees > 1"  # reads a policy that may fail
    for ident, when in whens.items():
        amount = f"x_{ident[2:]}" if ident[2:] in NUMBERS else "5"
        parts.append(
            f"  - id: {ident}\n    title: {{zh: {ident}, en: {ident}}}\n    source: {{document: test}}\n"
            f'    from: 2020-01-01\n    conditions: {{all: [{{when: "{when}"}}]}}\n'
            f"    benefits: [{{kind: reward, text: {{zh: 奖励, en: reward}}, amount: '{amount}'}}]\n"
        )
    return "".join(parts)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("ops")
    (folder / "ops.yaml").write_text(pack_text(), encoding="utf-8")
    return load_pack(folder)


BOUNDARY = [0.0, -0.0, 1e-300, 1e-5, 1.0, 7.0, 1e12, 1e300, 1.7e308, -1e300, math.nan, math.inf, -math.inf]
money = st.one_of(st.none(), st.sampled_from(BOUNDARY), st.floats(allow_nan=True, allow_infinity=True))
count = st.one_of(st.none(), st.sampled_from([0, 1, 3, 7, 2**53 + 1, 10**15]), st.integers(min_value=-5))
raw_profiles = st.fixed_dictionaries(
    {
        "revenue": money,
        "net_profit": money,
        "employees": count,
        "legal_person": st.one_of(st.none(), st.booleans()),
        "registration_date": st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2030, 1, 1))),
        "industry_code": st.one_of(st.none(), st.sampled_from(["C39", "I65", "M7520", "C"])),
        "rd_institution_level": st.one_of(st.none(), st.sampled_from(["national", "provincial", "district"])),
        "titles": st.one_of(
            st.none(),
            st.just([{"title": "high_tech_enterprise", "level": "national"}]),
            st.just([{"title": "high_tech_enterprise", "valid_to": "2024-01-01"}]),
        ),
    }
)


def profile_or_none(raw: dict) -> EnterpriseProfile | None:
    """The product's reading of the input: NaN, infinity and negative counts are refused at the door."""
    try:
        return parse_profile({k: v for k, v in raw.items() if v is not None})
    except ProfileInputError:
        return None


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
    return a == b


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(raws=st.lists(raw_profiles, min_size=1, max_size=8))
def test_single_and_batch_agree_on_every_operator_including_errors(pack, raws: list[dict]) -> None:  # type: ignore[no-untyped-def]
    profiles = [p for p in map(profile_or_none, raws) if p is not None]
    if not profiles:
        return
    batch = evaluate_profiles(pack, AS_OF, profiles)
    for row, profile in enumerate(profiles):
        single = evaluate(profile, pack, AS_OF)
        for decision in single.decisions:
            columns = batch.policies[decision.id]
            assert decision.status == columns.status()[row], (decision.id, profile)
            if decision.status == "eligible" and columns.amount is not None:
                amount = sum(b.amount for b in decision.benefits if b.amount is not None)
                assert bool(columns.amount.known[row]) and same(float(columns.amount.value[row]), float(amount))
        for name, value in single.facts.items():
            vec = batch.facts[name]
            assert (value is None) == (not vec.known[row]), (name, profile)
            if value is not None:
                assert same(float(vec.value[row]), float(value)), (name, value, vec.value[row])


def test_an_overflow_is_an_error_decision_named_by_its_rule_and_counted(pack) -> None:  # type: ignore[no-untyped-def]
    before = sum(RUNTIME_ERRORS.values())
    firm = parse_profile({"revenue": 100, "employees": 5, "net_profit": 1})
    decisions = {d.id: d for d in evaluate(firm, pack, AS_OF).decisions}
    failed = decisions["p_overflow"]
    assert failed.status == "error" and "ops.yaml:" in failed.reasons.zh and "规则计算出错" in failed.reasons.zh
    # in semantics.finite's words, whichever evaluator's closures computed it (the status evaluator's said
    # "x and y give inf" while the explaining evaluator did not compute with them)
    assert "gives inf (beyond the range of numbers)" in failed.reasons.en
    assert decisions["p_chain"].status == "error"  # it reads the failed policy
    assert decisions["c_overflow_or"].status == "error"  # no short cut hides a failure
    assert decisions["p_add"].status == "eligible"  # the rest is decided as usual
    assert sum(RUNTIME_ERRORS.values()) > before
    batch = evaluate_profiles(pack, AS_OF, [firm])
    assert batch.policies["p_overflow"].status()[0] == "error"


def test_a_screening_marks_the_rows_a_rule_failed_for(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from python_calamine import CalamineWorkbook

    import engine

    source = tmp_path / "firms.csv"
    source.write_text("revenue,employees,net_profit\n100,5,1\n0,5,1\n", encoding="utf-8")
    summary = engine.screen(source, tmp_path / "out.xlsx", AS_OF, pack=pack, policies=["p_overflow", "p_add"])
    assert summary.status["p_overflow"]["error"] == 1 and summary.status["p_add"]["error"] == 0
    book = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx"))
    rows = book.get_sheet_by_index(0).to_python()
    text = "\n".join(" ".join(str(c) for c in row) for row in rows)
    assert "规则计算出错" in text
    head = next(r for r in rows if r and r[0] == "措施")  # the per-measure table counts them in its own column
    col = head.index("规则计算出错（行）")
    counts = {r[0]: r[col] for r in rows[rows.index(head) + 1 :] if r and r[0]}
    assert sorted(counts.values()) == [0, 1]
