"""The summary of an assessment: every decision's status, one-line reason, amount and what it would
take, and the IP-strength score, with no condition trees (POST /v1/assess?detail=summary).

Statuses, amounts and scores come from the status-only evaluator (engine.evaluate.status); the
explaining evaluator then builds only the leaves that the reasons quote, from the same values,
so each reason is word for word the one a full assessment gives (tests/test_summary.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.evaluate.evaluator import Evaluation, RuleRuntimeError, deciding_leaves, missing_words, reasons_of
from engine.evaluate.status import Missing, Outcome, Statuses, StatusEvaluator, compiled
from engine.evaluate.strength import CARD, SCORE, TIER, overall_of
from engine.language.loader import RulePack
from engine.language.rules import Scorecard
from engine.model.profile import EnterpriseProfile
from engine.model.results import AssessmentSummary, ConditionResult, DecisionSummary, StrengthSummary

_CHECK = {"eligible": "met", "ineligible": "unmet", "undetermined": "unknown"}


class _Settles:
    """Evaluation.missing backed by the status run's lazily worked-out missing facts."""

    def __init__(self, missing: Missing) -> None:
        self.m = missing

    def get(self, name: str, default: Any = None) -> Any:
        return set(self.m.name(name)) if name in self.m.of else default


def summarise(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> AssessmentSummary:
    fast = compiled(pack, as_of)
    result = fast.run(profile)
    ev = Evaluation(profile, pack, as_of)
    ev.values.update(result.values)
    ev.missing = _Settles(result.missing)  # type: ignore[assignment]
    for card in result.scorecards.values():  # an open verdict may be awaiting the experts: say what they must add
        if card.passed is None and ranged(pack, card.id):
            scorer = Evaluation(profile, pack, as_of)
            scorer.values.update(result.values)
            scorer.score(pack.scorecards[card.id])
            ev.pending.update(scorer.pending)
    decisions = [decision(fast, ev, result, outcome) for outcome in result.decisions.values()]
    return AssessmentSummary(
        as_of=as_of,
        rules_hash=pack.hash,
        credit_code=profile.credit_code,
        name=profile.name,
        decisions=decisions,
        strength=strength(fast, result),
    )


def explained_leaves(ev: Evaluation, ident: str) -> list[ConditionResult]:
    """The open deciding leaves of one decision, from the explaining evaluator (with its pending reasons)."""
    whole = next(d for d in Evaluation(ev.profile, ev.pack, ev.as_of).run([ident]).decisions if d.id == ident)
    return [leaf for leaf in deciding_leaves(whole.conditions) if leaf.status == "unknown"]


def decision(fast: StatusEvaluator, ev: Evaluation, result: Statuses, outcome: Outcome) -> DecisionSummary:
    policy = ev.pack.policy_on(outcome.id, ev.as_of)
    if policy is None:  # the status run decides only versions in force: a mismatch is a defect, said as such
        raise RuleRuntimeError(f"{outcome.id}: no version in force on {ev.as_of} / 该日期没有施行的版本")
    if outcome.status == "error":  # rare: the explaining evaluator words the failure (rule file:line)
        failed = next(
            d for d in Evaluation(ev.profile, ev.pack, ev.as_of).run([outcome.id]).decisions if d.id == outcome.id
        )
        return DecisionSummary(
            id=policy.id,
            kind=policy.kind,
            title=failed.title,
            citation=failed.citation,
            rule_status=policy.status,
            status="error",
            reasons=failed.reasons,
        )
    fields = fast.deciding_missing(outcome, result) if outcome.status == "undetermined" else []
    if fields:  # a pending decision names what it lacks: no leaf needs its words
        reason, would_take = missing_words(fields), []
    else:
        leaves = [
            ev.check_leaf(
                cond,
                ident,
                ev.prepared.words(cond.label) if cond.label else None,
                cond.source.cite() if cond.source else None,
            )
            for ident, cond in fast.deciding(outcome)
        ]
        if outcome.status == "undetermined" and not all(leaf.would_take for leaf in leaves):
            # open with every fact known for a reason further down (e.g. an industry code too coarse to
            # classify the firm): the explaining evaluator follows it, as it words a failure above
            leaves = explained_leaves(ev, outcome.id)
        reason = reasons_of(_CHECK[outcome.status], leaves)  # type: ignore[arg-type]
        would_take = [leaf.would_take for leaf in leaves if leaf.would_take is not None and leaf.status == "unmet"]
    return DecisionSummary(
        id=policy.id,
        kind=policy.kind,
        title=ev.prepared.words(policy.title),
        citation=policy.source.cite(),
        rule_status=policy.status,
        status=outcome.status,  # type: ignore[arg-type]
        reasons=reason,
        amount=outcome.amount,
        would_take=would_take,
        missing=outcome.missing,
    )


def strength(fast: StatusEvaluator, result: Statuses) -> StrengthSummary | None:
    card = result.scorecards.get(CARD)
    if card is None or SCORE not in fast.pack.derived:
        return None
    score = overall_of(fast.pack, fast.as_of)
    return StrengthSummary(
        score=result.facts.get(SCORE),
        score_low=score(result, card.low),
        score_high=score(result, card.high),
        tier=result.facts.get(TIER),
    )


def ranged(pack: RulePack, card_id: str) -> bool:
    """has_ranges of a pack's scorecard, kept with the pack."""
    found = pack.memo.setdefault(ranged, {})
    if card_id not in found:
        found[card_id] = has_ranges(pack.scorecards[card_id])
    return found[card_id]


def has_ranges(card: Scorecard) -> bool:
    """Whether any indicator of the card scores an expert-judged range (points_to)."""
    return any(
        getattr(row, "points_to", None) is not None
        for g in card.groups
        for i in g.indicators
        for row in [
            *(i.brackets.rows if i.brackets else []),
            *(i.cases or []),
            *(i.items or []),
            *(r for t in i.best_of or [] for r in t.rows),
        ]
    )
