"""The IP-strength section of an assessment: overall score, tier, dimensions, improvements.

The scoring itself is the `ip_strength_card` scorecard and the derived facts in
rules/ip_strength/; this module only names them and gathers the results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from engine.evaluate import whatif
from engine.evaluate.evaluator import Evaluation, RuleRuntimeError
from engine.evaluate.status import Statuses, compiled
from engine.language import expr as ex
from engine.language.loader import RulePack, expressions_of
from engine.language.rules import Expression
from engine.model.profile import FIELDS, EnterpriseProfile
from engine.model.results import Assessment, DimensionScore, GroupResult, StrengthResult

CARD, SCORE, TIER = "ip_strength_card", "ip_strength", "ip_strength_tier"
# Scored apart from the 0-100 score, only for some firms: scorecard id -> the yes/no fact saying it applies
# (unknown: the dimension is pending, the score is not).
APART = {"ip_service_card": "is_ip_service_firm"}


def score_formula(pack: RulePack) -> Expression:
    """The 0-100 score's formula over the scorecard's raw total (a rule file could define it otherwise)."""
    formula = pack.derived[SCORE].formula
    if formula is None:
        raise RuleRuntimeError(f"{SCORE} must be a formula over {CARD} / {SCORE} 应为基于 {CARD} 的公式")
    return formula


def _probe(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> Callable[[Assessment], Evaluation]:
    """One evaluator for the probes of one assessment (its section asks two or four), made at the first: each
    probe sets the assessment's facts and its own input again before reading, so it finds the values a fresh
    evaluator would. Another assessment (tests score several) gets a fresh one: its facts may be fewer."""
    kept: list[tuple[Assessment, Evaluation]] = []

    def probe(assessment: Assessment) -> Evaluation:
        if not kept or kept[0][0] is not assessment:
            kept[:] = [(assessment, Evaluation(profile, pack, as_of))]
        return kept[0][1]

    return probe


def overall(
    profile: EnterpriseProfile, pack: RulePack, as_of: date
) -> Callable[[Assessment, float | None], float | None]:
    """The rules' own formula for the 0-100 score, applied to a raw total (default: total, else the known part)."""
    formula = score_formula(pack)
    probe = _probe(profile, pack, as_of)

    def score(assessment: Assessment, raw: float | None = None) -> float | None:
        card = next(c for c in assessment.scorecards if c.id == CARD)
        ev = probe(assessment)
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
    probe = _probe(profile, pack, as_of)

    def tier(assessment: Assessment, score: float | None) -> Any:
        ev = probe(assessment)
        ev.values.update(assessment.facts)
        ev.values[SCORE] = score
        ev.derive(pack.derived[TIER])
        return ev.values.get(TIER)

    return tier


def strength_of(
    assessment: Assessment,
    score: Callable[[Assessment, float | None], float | None],
    tier: Callable[[Assessment, float | None], Any] | None = None,
    pending: Iterable[str] = (),
) -> StrengthResult | None:
    """The IP-strength section. While the score is a range, the tier is settled when both ends of
    the range get the same one (the cut-offs rise with the score, so every score between does too).
    `pending`: the unknown facts that would say whether an apart dimension (服务) applies."""
    card = next((c for c in assessment.scorecards if c.id == CARD), None)
    if card is None:
        return None
    facts = assessment.facts
    apart = [(c, facts.get(APART[c.id])) for c in assessment.scorecards if c.id in APART]
    dims = [dimension(g, True) for g in card.groups] + [dimension(g, on, True) for c, on in apart for g in c.groups]
    missing = {m for g in card.groups for i in g.indicators for m in i.missing}
    missing |= {m for c, on in apart if on is not False for g in c.groups for i in g.indicators for m in i.missing}
    missing |= {m for c, on in apart if on is None for m in pending}
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
        full_marks=sum(g.max for g in card.groups),
        dimensions=dims,
        missing=sorted(missing),
    )


def unknown_inputs(profile: EnterpriseProfile, pack: RulePack) -> set[str]:
    """The profile facts, unknown in `profile`, that the apart dimensions' applies-facts read."""
    return {n for n in apart_inputs(pack) if getattr(profile, n) is None}


def apart_inputs(pack: RulePack) -> frozenset[str]:
    """The profile fields the apart dimensions' applies-facts read (kept with the pack: the rules alone say)."""
    found = pack.memo.get(apart_inputs)
    if found is None:
        reads = {
            n
            for fact in APART.values()
            if fact in pack.derived
            for e in expressions_of(pack.derived[fact])
            for n in ex.names(e.ast)
        }
        found = pack.memo[apart_inputs] = frozenset(n for n in reads if n in FIELDS)
    return found


def dimension(g: GroupResult, applies: bool | None, apart: bool = False) -> DimensionScore:
    """A group as a dimension; `applies` None: pending (whether the firm is scored on it is unknown)."""
    return DimensionScore(
        id=g.id, label=g.label, points=g.points, low=g.low, high=g.high, max=g.max, applies=applies, apart=apart
    )


def enrich(
    assessment: Assessment, profile: EnterpriseProfile, pack: RulePack, as_of: date, top: int = 3, what_if: bool = True
) -> Assessment:
    """Add the IP-strength section and, unless `what_if` is off (it re-evaluates the pack many
    times), the ranked improvements and the narrowest policy misses."""
    if CARD in pack.scorecards and SCORE in pack.derived:
        assessment.strength = strength_of(
            assessment, overall(profile, pack, as_of), tier_at(profile, pack, as_of), unknown_inputs(profile, pack)
        )
        if what_if:
            assessment.improvements = whatif.improvements(
                profile, pack, as_of, CARD, overall_of(pack, as_of), limit=top, needs=(SCORE,)
            )
    if what_if:
        assessment.near_misses = whatif.near_misses(profile, pack, as_of)
    return assessment
