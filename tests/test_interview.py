"""The next-question engine: opening first, never asks what is known, unknown, derived or expert-judged,
and a truthful firm ends with the decisions its complete profile gives."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.evaluate.evaluator import evaluate
from engine.evaluate.interview import OPENING, TIER, Answers, completed, interview, outcome_ids, questions_in
from engine.language.loader import RulePack, load_pack
from engine.model.profile import EXPERT_JUDGED, FIELDS, TITLES, parse_profile
from engine.model.results import Words

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack()


def truth(name: str) -> dict:
    """An example's facts, less the expert panel's scores (never asked of a firm)."""
    profile = parse_profile(json.loads((ROOT / "examples" / name).read_text(encoding="utf-8")))
    return profile.model_dump(exclude_none=True, exclude=set(EXPERT_JUDGED))


def run(pack: RulePack, full: dict, limit: int = 200) -> tuple[Answers, list[list[str]]]:
    """Answer every step truthfully from `full` (a fact it lacks is "不知道")."""
    answers, steps = Answers(), []
    for _ in range(limit):
        progress = interview(answers, pack, AS_OF)
        if progress.done:
            return answers, steps
        asked = [q.field for q in progress.step.questions]
        steps.append(asked)
        for name in asked:
            if name in full:
                answers.values[name] = full[name]
            else:
                answers.unknown.append(name)
    raise AssertionError("the interview did not end")


def test_the_opening_step_comes_first(pack: RulePack) -> None:
    progress = interview(Answers(), pack, AS_OF)
    assert not progress.done and progress.step.id == "opening"
    assert [q.field for q in progress.step.questions] == list(OPENING.facts)
    assert progress.total == len(outcome_ids(pack, AS_OF)) and TIER in outcome_ids(pack, AS_OF)


@pytest.mark.parametrize(
    "example", ["specialized_manufacturer.json", "new_ip_service_firm.json", "software_hte_candidate.json"]
)
def test_a_truthful_firm_ends_with_its_complete_profiles_decisions(pack: RulePack, example: str) -> None:
    full = truth(example)
    answers, steps = run(pack, full)
    asked = [f for step in steps for f in step]
    assert len(asked) == len(set(asked)), "a fact was asked twice"
    assert not set(asked) & EXPERT_JUDGED and set(asked) <= set(FIELDS)
    complete = evaluate(parse_profile(full), pack, AS_OF)
    final = {o.id: o.status for o in interview(answers, pack, AS_OF).outcomes}
    assert final == {d.id: d.status for d in complete.decisions} | {TIER: final[TIER]}
    assert len(asked) < len(FIELDS)


def test_a_firm_that_knows_nothing_is_asked_each_relevant_fact_once_and_the_interview_ends(pack: RulePack) -> None:
    answers, steps = run(pack, {})
    asked = [f for step in steps for f in step]
    assert len(asked) == len(set(asked)) and set(answers.unknown) == set(asked)
    assert not set(asked) & EXPERT_JUDGED


def test_each_step_says_what_it_can_settle(pack: RulePack) -> None:
    answers = Answers(
        values={"division_code": "500105", "employees": 50, "revenue": 3000, "titles": []},
        unknown=["credit_code", "name", "industry_code"],
    )
    step = interview(answers, pack, AS_OF).step
    assert step.settles and step.why.zh.startswith("回答后可确定：")
    titles = [pack.label(o)[0] for o in step.settles]
    assert titles[0] in step.why.zh


def test_compliance_facts_are_one_none_of_these_step(pack: RulePack) -> None:
    answers = Answers(
        values={"division_code": "500105", "employees": 50, "revenue": 3000, "titles": [], "industry_code": "C34"},
        unknown=["credit_code", "name"],
    )
    seen = []
    for _ in range(40):
        progress = interview(answers, pack, AS_OF)
        if progress.done:
            break
        seen.append(progress.step)
        answers.unknown += [q.field for q in progress.step.questions]
    compliance = next(s for s in seen if s.id == "compliance")
    assert compliance.none_of and len(compliance.questions) > 1
    assert all(q.clean is False for q in compliance.questions)


def test_a_deliberate_unknown_is_never_asked_again(pack: RulePack) -> None:
    answers = Answers(
        values={"division_code": "500105", "employees": 50, "revenue": 3000, "titles": []},
        unknown=["credit_code", "name", "industry_code"],
    )
    first = interview(answers, pack, AS_OF).step
    answers.unknown += [q.field for q in first.questions]
    again = interview(answers, pack, AS_OF).step
    assert not {q.field for q in first.questions} & {q.field for q in again.questions}


# --- POST /v1/interview -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    from fastapi.testclient import TestClient

    from api.app import create_app

    return TestClient(create_app(database_url=f"sqlite:///{tmp_path_factory.mktemp('db')}/db.sqlite3"))


def test_the_api_gives_the_next_step_with_options_and_why(client) -> None:
    from api.examples import EXAMPLE_INTERVIEW

    r = client.post("/v1/interview", params={"as_of": "2026-06-01"}, json=EXAMPLE_INTERVIEW)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] is False and body["step"]["questions"] and body["step"]["why"]["zh"]
    assert body["total"] == len(body["outcomes"]) and body["settled"] <= body["total"]
    q = body["step"]["questions"][0]
    assert q["label"]["zh"] and q["label"]["en"]
    start = client.post("/v1/interview", json={}).json()
    assert start["step"]["id"] == "opening"
    spec = client.get("/openapi.json").json()["paths"]["/v1/interview"]["post"]
    assert "examples" in spec["requestBody"]["content"]["application/json"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"values": {"从业人员数": -1}}, "employees"),
        ({"values": {}, "unknown": ["nonsense"]}, "unknown"),
        ({"values": {}, "extra": 1}, "extra"),
    ],
)
def test_bad_answers_get_bilingual_422s(client, body, field) -> None:
    r = client.post("/v1/interview", json=body)
    assert r.status_code == 422
    issue = r.json()["issues"][0]
    assert issue["field"].startswith(field) and issue["message_zh"] and issue["message_en"]


@pytest.mark.parametrize(
    "example",
    [
        "specialized_manufacturer.json",
        "manufacturer_incomplete.json",
        "ip_strength_manufacturer.json",
        "new_ip_service_firm.json",
    ],
)
def test_the_status_only_run_agrees_with_the_explaining_evaluator(pack: RulePack, example: str) -> None:
    from engine.evaluate.interview import statuses

    profile = parse_profile(json.loads((ROOT / "examples" / example).read_text(encoding="utf-8")))
    full = evaluate(profile, pack, AS_OF)
    found = statuses(profile, pack, AS_OF, outcome_ids(pack, AS_OF))
    for d in full.decisions:
        value, missing = found[d.id]
        assert {True: "eligible", False: "ineligible", None: "undetermined"}[value] == d.status, d.id
        assert missing == set(d.missing) or value is not None, d.id
    assert found[TIER][0] == full.facts.get(TIER)


def test_answers_that_settle_other_facts_are_not_asked(pack: RulePack) -> None:
    """0 invention patents: no high-value ones of any kind; no pledge loan: no interest paid on one; the
    credit code's registering authority gives the district. None of them is asked, each is shown as implied."""
    answers = Answers(
        values={
            "credit_code": "91500105MA5U00011E",
            "employees": 50,
            "revenue": 3000,
            "titles": [],
            "industry_code": "C34",
            "invention_patents": 0,
            "pledge_loan_amount": 0,
        }
    )
    progress = interview(answers, pack, date(2025, 6, 30))
    implied = {"division_code", "high_value_invention_patents", "invention_patents_10y", "hvp_strategic_emerging"}
    assert implied | {"hvp_award", "pledge_interest_paid", "hvp_max_pledge_amount"} <= set(progress.implied)
    assert progress.implied["division_code"] == "500105" and progress.implied["hvp_award"] == 0
    assert not set(progress.implied) & set(progress.open_facts)
    assert progress.asked == 7  # what the firm answered, not what follows from it
    assert completed(answers)["pledge_interest_paid"] == 0


def test_the_opening_asks_only_what_can_decide_and_a_checklist_counts_one_question(pack: RulePack) -> None:
    opening = interview(Answers(), pack, date(2025, 6, 30)).step
    assert [q.field for q in opening.questions] == ["credit_code", "industry_code", "employees", "revenue", "titles"]
    assert opening.count == 5 and opening.inputs == 4 + len(TITLES)
    assert questions_in(["abnormal_operation_list", "tax_violation_3y"], none_of=True) == 1
    assert questions_in(["employees", "revenue"], none_of=False) == 2


def test_no_help_text_repeats_its_label() -> None:
    """A help under a question says something the label does not (or there is none)."""
    from difflib import SequenceMatcher

    from engine.model.profile import help_text, label

    for name in FIELDS:
        for lang in ("zh", "en"):
            said, text = label(name, lang), help_text(name, lang)
            if text:
                assert SequenceMatcher(None, said.lower(), text.lower()).ratio() < 0.8, (name, lang, said, text)


def test_a_checklist_costs_one_question_plus_each_figure_typed(pack: RulePack) -> None:
    from engine.evaluate.interview import GROUPS, Step, question, questions_answered

    abroad = next(g for g in GROUPS if g.id == "abroad")
    step = Step(
        id=abroad.id,
        title=Words(zh=abroad.zh, en=abroad.en),
        questions=[question(f) for f in abroad.facts],
        why=Words(zh="", en=""),
        settles=[],
        none_of=True,
        count=1,
    )
    assert questions_answered(step, dict.fromkeys(abroad.facts, 0)) == 1
    assert questions_answered(step, dict.fromkeys(abroad.facts, 0) | {"pct_applications": 2}) == 2


def test_the_tier_is_settled_once_the_score_range_lies_in_one_band(pack: RulePack) -> None:
    """The interview's tier while the score is a range: the tier of both ends when they agree (a
    range [10, 36] is D), unknown when they straddle a cut-off. It used to stay unknown until every
    indicator was known, so the interview asked all of them."""
    from engine.evaluate.interview import Statuses
    from engine.evaluate.strength import CARD

    cuts = sorted((pack.parameters[f"ip_tier_{t}_min"].version_on(AS_OF).value, t.upper()) for t in "abc")

    def band(score: float) -> str:
        return next((t for cut, t in reversed(cuts) if score >= cut), "D")

    full = truth("ip_strength_manufacturer.json")
    seen = set()
    for dropped in (["pct_applications"], ["trademarks", "own_brand"], ["ip_budget", "ip_staff", "licensing_deals"]):
        profile = parse_profile({k: v for k, v in full.items() if k not in dropped})
        found = Statuses(profile, pack, AS_OF, [TIER])
        card = found.base.scorecards[CARD]
        assert card.low < card.high, dropped
        want = band(card.low) if band(card.low) == band(card.high) else None
        assert found.value(found.base, TIER) == want, (dropped, card.low, card.high)
        seen.add(want is None)
    assert seen == {True, False}, "both a settled and an open tier are checked"


def test_the_prior_file_is_current() -> None:
    """engine/evaluate/interview_prior.json is what `python -m engine.batch.prior` writes."""
    from engine.batch.prior import text
    from engine.evaluate.prior import PRIOR_FILE

    assert PRIOR_FILE.read_text(encoding="utf-8") == text(), "run: python -m engine.batch.prior"


def test_the_priors_answers_are_sized_to_the_firm_and_their_shares_add_up() -> None:
    from engine.evaluate.prior import MOST, answers

    small = answers(("rd_expense", "rd_staff"), {"revenue": 1000, "employees": 20}, AS_OF)
    large = answers(("rd_expense", "rd_staff"), {"revenue": 4000, "employees": 80}, AS_OF)
    assert len(small) <= MOST and abs(sum(share for _, share in small) - 1) < 1e-9
    top = max(a["rd_expense"] for a, _ in small)
    assert max(a["rd_expense"] for a, _ in large) == pytest.approx(4 * top, rel=0.01)
    assert all(isinstance(a["rd_staff"], int) and a["rd_staff"] <= 80 for a, _ in large)
    flags = answers(("legal_person",), {}, AS_OF)
    assert {a["legal_person"] for a, _ in flags} <= {True, False}
