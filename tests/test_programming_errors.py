"""A defect in the engine is no decision (issue 16): only genuine rule failures on one firm's data
(semantics.RULE_FAILURES: RuleRuntimeError, arithmetic and value errors) become `error` decisions. A
programming error — a NameError from an import a merge dropped, an AttributeError — propagates in the
explaining, the status and the vectorised evaluator, and is not counted as a rule failure.

Before this fix each evaluator caught every Exception: the dropped `expressions_of` import of the evaluator
(commit 79c764a) turned every decision into `error` instead of failing the tests loudly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.batch import vectorized
from engine.evaluate import evaluator, status
from engine.evaluate.evaluator import RUNTIME_ERRORS, evaluate
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack
from engine.model.profile import EnterpriseProfile, parse_profile

AS_OF = date(2025, 6, 30)
EXAMPLE = Path(__file__).parent.parent / "examples" / "specialized_manufacturer.json"


@pytest.fixture
def fresh() -> RulePack:
    """A pack of its own: nothing cached from another test's evaluation."""
    return load_pack(DEFAULT_RULES)


@pytest.fixture(scope="module")
def profile() -> EnterpriseProfile:
    return parse_profile(json.loads(EXAMPLE.read_text(encoding="utf-8")))


def test_a_dropped_import_fails_loudly_in_the_evaluator(
    fresh: RulePack, profile: EnterpriseProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {d.status for d in evaluate(profile, fresh, AS_OF).decisions} - {"error"}  # sane before
    before = sum(RUNTIME_ERRORS.values())
    monkeypatch.delattr(evaluator, "expressions_of")  # what the merge of 79c764a did
    with pytest.raises(NameError, match="expressions_of"):
        evaluate(profile, load_pack(DEFAULT_RULES), AS_OF)
    assert sum(RUNTIME_ERRORS.values()) == before


def raise_attribute_error(*args: Any, **kwargs: Any) -> Any:
    raise AttributeError("a programming error")


def test_a_programming_error_propagates_from_the_vectorised_evaluator(
    fresh: RulePack, profile: EnterpriseProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectorized.BatchEvaluation, "derive", raise_attribute_error)
    with pytest.raises(AttributeError, match="a programming error"):
        vectorized.evaluate_profiles(fresh, AS_OF, [profile])


def test_a_programming_error_propagates_from_the_status_evaluator(
    fresh: RulePack, profile: EnterpriseProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "has_title", raise_attribute_error)
    with pytest.raises(AttributeError, match="a programming error"):
        status.statuses(profile, fresh, AS_OF)


def test_a_rule_failure_on_data_is_still_an_error_decision(
    fresh: RulePack, profile: EnterpriseProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overflow(*args: Any, **kwargs: Any) -> Any:
        raise OverflowError("beyond the range of numbers")

    monkeypatch.setattr(evaluator.Evaluation, "derive", overflow)
    decisions = evaluate(profile, fresh, AS_OF).decisions
    assert decisions and "error" in {d.status for d in decisions}
