"""The IP-strength section of an assessment: overall score, tier, dimensions, improvements.

The scoring itself is the `ip_strength_card` scorecard and the derived facts in
rules/ip_strength/; this module only names them and gathers the results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from engine.evaluate import whatif
from engine.evaluate.evaluator import Evaluation, RuleRuntimeError
from engine.evaluate.status import Statuses, compiled
from engine.language.loader import RulePack
from engine.language.rules import Expression
from engine.model.profile import EnterpriseProfile
from engine.model.results import Assessment, DimensionScore, StrengthResult

CARD, SCORE, TIER, FULL_MARKS = "ip_strength_card", "ip_strength", "ip_strength_tier", "ip_strength_full_marks"
# Dimensions scored only for some firms: group id -> the derived yes/no fact saying it applies.
APPLIES_WHEN = {"service": "is_ip_service_firm"}


def score_formula(pack: RulePack) -> Expression:
    """The 0-100 score's formula over the scorecard's raw total (a rule file could define it otherwise)."""
    formula = pack.derived[SCORE].formula
    if formula is None:
        raise RuleRuntimeError(f"{SCORE} must be a formula over {CARD} / {SCORE} 应为基于 {CARD} 的公式")
    return formula


def overall(
    profile: EnterpriseProfile, pack: RulePack, as_of: date
) -> Callable[[Assessment, float | None], float | None]:
    """The rules' own formula for the 0-100 score, applied to a raw total (default: total, else the known part)."""
    formula = score_formula(pack)

    def score(assessment: Assessment, raw: float | None = None) -> float | None:
        card = next(c for c in assessment.scorecards if c.id == CARD)
        ev = Evaluation(profile, pack, as_of)
        ev.values.update(assessment.facts)
        ev.values[CARD] = raw if raw is not None else (card.total if card.total is not None else card.low)
        return ev.eval(formula.ast, set())

    return score


def overall_of(pack: RulePack, as_of: date) -> Callable[[Statuses, float | None], float | None]:
    """`overall` for status runs (engine.evaluate.status): the rules' formula applied to a raw total
    (default: the card's total, else the points known so far)."""
    formula = score_formula(pack)
    value = compiled(pack, as_of).expression(formula.ast).value

    def score(result: Statuses, raw: float | None = None) -> float | None:
        card = result.scorecards[CARD]
        given = raw if raw is not None else (card.total if card.total is not None else card.low)
        return value({**result.values, CARD: given})

    return score


def tier_at(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> Callable[[Assessment, float | None], Any]:
    """The rules' own tier for a given 0-100 score (the tier's cases over the assessment's facts)."""

    def tier(assessment: Assessment, score: float | None) -> Any:
        ev = Evaluation(profile, pack, as_of)
        ev.values.update(assessment.facts)
        ev.values[SCORE] = score
        ev.derive(pack.derived[TIER])
        return ev.values.get(TIER)

    return tier


def strength_of(
    assessment: Assessment,
    score: Callable[[Assessment, float | None], float | None],
    tier: Callable[[Assessment, float | None], Any] | None = None,
) -> StrengthResult | None:
    """The IP-strength section. While the score is a range, the tier is settled when both ends of
    the range get the same one (the cut-offs rise with the score, so every score between does too)."""
    card = next((c for c in assessment.scorecards if c.id == CARD), None)
    if card is None:
        return None
    facts = assessment.facts
    dims = [
        DimensionScore(
            id=g.id,
            label=g.label,
            points=g.points,
            low=g.low,
            high=g.high,
            max=g.max,
            applies=facts.get(APPLIES_WHEN[g.id]) is not False if g.id in APPLIES_WHEN else True,
        )
        for g in card.groups
    ]
    missing = sorted({m for g in card.groups for i in g.indicators for m in i.missing})
    low, high = score(assessment, card.low), score(assessment, card.high)
    settled = facts.get(TIER)
    if settled is None and tier is not None and low is not None and high is not None:
        ends = tier(assessment, low), tier(assessment, high)
        settled = ends[0] if ends[0] == ends[1] else None
    return StrengthResult(
        scorecard=CARD,
        score=facts.get(SCORE),
        score_low=low,
        score_high=high,
        tier=settled,
        full_marks=facts.get(FULL_MARKS),
        dimensions=dims,
        missing=missing,
    )


def enrich(
    assessment: Assessment, profile: EnterpriseProfile, pack: RulePack, as_of: date, top: int = 3, what_if: bool = True
) -> Assessment:
    """Add the IP-strength section and, unless `what_if` is off (it re-evaluates the pack many
    times), the ranked improvements and the narrowest policy misses."""
    if CARD in pack.scorecards and SCORE in pack.derived:
        assessment.strength = strength_of(assessment, overall(profile, pack, as_of), tier_at(profile, pack, as_of))
        if what_if:
            assessment.improvements = whatif.improvements(
                profile, pack, as_of, CARD, overall_of(pack, as_of), limit=top, needs=(SCORE,)
            )
    if what_if:
        assessment.near_misses = whatif.near_misses(profile, pack, as_of)
    return assessment
