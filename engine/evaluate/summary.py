"""The summary of an assessment: every decision's status, one-line reason, amount and what it would
take, and the IP-strength score, with no condition trees (POST /v1/assess?detail=summary).

Statuses, amounts and scores come from the status-only evaluator (engine.evaluate.status); the
explaining evaluator then builds only the leaves that the reasons quote, from the same values,
so each reason is word for word the one a full assessment gives (tests/test_summary.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic_core import to_json

from engine.evaluate.evaluator import (
    Evaluation,
    RuleRuntimeError,
    deciding_leaves,
    missing_words,
    prepared,
    reasons_of,
)
from engine.evaluate.status import Missing, Outcome, Statuses, StatusEvaluator, compiled
from engine.evaluate.strength import CARD, SCORE, TIER, overall_of
from engine.language.loader import RulePack
from engine.language.rules import Scorecard
from engine.model.profile import EnterpriseProfile
from engine.model.results import AssessmentSummary, ConditionResult, Words

_CHECK = {"eligible": "met", "ineligible": "unmet", "undetermined": "unknown"}


class _Settles:
    """Evaluation.missing backed by the status run's lazily worked-out missing facts."""

    def __init__(self, missing: Missing) -> None:
        self.m = missing

    def get(self, name: str, default: Any = None) -> Any:
        return set(self.m.name(name)) if name in self.m.of else default


def summary_of(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> dict[str, Any]:
    """The summary as plain data, in AssessmentSummary's shape and field order (the API serialises it
    as it is: no result models are built, the models' validation being for other callers)."""
    fast = compiled(pack, as_of)
    result = fast.run(profile)
    leaves = _Leaves(profile, pack, as_of, result)
    return {
        "detail": "summary",
        "as_of": as_of,
        "rules_hash": pack.hash,
        "credit_code": profile.credit_code,
        "name": profile.name,
        "decisions": [decision(fast, leaves, result, outcome) for outcome in result.decisions.values()],
        "strength": strength(fast, result),
    }


def summarise(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> AssessmentSummary:
    return AssessmentSummary.model_validate(summary_of(profile, pack, as_of))


def summary_json(profile: EnterpriseProfile, pack: RulePack, as_of: date) -> bytes:
    """The summary as JSON, byte for byte AssessmentSummary.model_dump_json() (tests/test_summary.py)."""
    return to_json(summary_of(profile, pack, as_of))


class _Leaves:
    """The explaining evaluator, made only when a reason quotes a leaf, seeded with the status run's
    values; the pending reasons of open scorecards are worked out only for a leaf that is open."""

    def __init__(self, profile: EnterpriseProfile, pack: RulePack, as_of: date, result: Statuses) -> None:
        self.profile, self.pack, self.as_of, self.result = profile, pack, as_of, result
        self._ev: Evaluation | None = None
        self._pending = False

    @property
    def ev(self) -> Evaluation:
        if self._ev is None:
            self._ev = Evaluation(self.profile, self.pack, self.as_of, seeded=self.result.values)
            self._ev.missing = _Settles(self.result.missing)  # type: ignore[assignment]
        return self._ev

    def with_pending(self) -> Evaluation:
        """The evaluator with the reasons why open scorecards await the experts (what they must add)."""
        ev = self.ev
        if not self._pending:
            self._pending = True
            for card in self.result.scorecards.values():
                if card.passed is None and ranged(self.pack, card.id):
                    scorer = Evaluation(self.profile, self.pack, self.as_of)
                    scorer.values.update(self.result.values)
                    scorer.score(self.pack.scorecards[card.id])
                    ev.pending.update(scorer.pending)
        return ev


def explained_leaves(ev: Evaluation, ident: str) -> list[ConditionResult]:
    """The open deciding leaves of one decision, from the explaining evaluator (with its pending reasons)."""
    whole = next(d for d in Evaluation(ev.profile, ev.pack, ev.as_of).run([ident]).decisions if d.id == ident)
    return [leaf for leaf in deciding_leaves(whole.conditions) if leaf.status == "unknown"]


def header(pack: RulePack, as_of: date, ident: str) -> dict[str, Any]:
    """What a decision's summary says whatever the firm: id, kind, title, citation (kept per pack and date)."""
    found = pack.memo.setdefault(header, {})
    key = (as_of, ident)
    if key not in found:
        policy = pack.policy_on(ident, as_of)
        if policy is None:  # the status run decides only versions in force: a mismatch is a defect, said as such
            raise RuleRuntimeError(f"{ident}: no version in force on {as_of} / 该日期没有施行的版本")
        if len(found) >= 4096:
            found.clear()
        found[key] = {
            "id": policy.id,
            "kind": policy.kind,
            "title": words(prepared(pack).words(policy.title)),
            "citation": policy.source.cite(),
            "rule_status": policy.status,
        }
    return found[key]


def words(w: Words) -> dict[str, str]:
    return {"zh": w.zh, "en": w.en}


def decision(fast: StatusEvaluator, leaves: _Leaves, result: Statuses, outcome: Outcome) -> dict[str, Any]:
    head = header(fast.pack, fast.as_of, outcome.id)
    if outcome.status == "error":  # rare: the explaining evaluator words the failure (rule file:line)
        ev = leaves.ev
        failed = next(
            d for d in Evaluation(ev.profile, ev.pack, ev.as_of).run([outcome.id]).decisions if d.id == outcome.id
        )
        return {
            **head,
            "status": "error",
            "reasons": words(failed.reasons),
            "amount": None,
            "would_take": [],
            "missing": [],
        }
    fields = fast.deciding_missing(outcome, result) if outcome.status == "undetermined" else []
    if fields:  # a pending decision names what it lacks: no leaf needs its words
        reason, would_take = missing_words(fields), []
    else:
        ev = leaves.with_pending() if outcome.status == "undetermined" else leaves.ev
        found = [ev.check_leaf(cond, ident) for ident, cond in fast.deciding(outcome)]
        if outcome.status == "undetermined" and not all(leaf.would_take for leaf in found):
            # open with every fact known for a reason further down (e.g. an industry code too coarse to
            # classify the firm): the explaining evaluator follows it, as it words a failure above
            found = explained_leaves(ev, outcome.id)
        reason = reasons_of(_CHECK[outcome.status], found)  # type: ignore[arg-type]
        would_take = [leaf.would_take for leaf in found if leaf.would_take is not None and leaf.status == "unmet"]
    return {
        **head,
        "status": outcome.status,
        "reasons": words(reason),
        "amount": None if outcome.amount is None else float(outcome.amount),
        "would_take": [words(w) for w in would_take],
        "missing": outcome.missing,
    }


def strength(fast: StatusEvaluator, result: Statuses) -> dict[str, Any] | None:
    """StrengthSummary's fields."""
    card = result.scorecards.get(CARD)
    if card is None or SCORE not in fast.pack.derived:
        return None
    score = overall_of(fast.pack, fast.as_of)
    return {
        "score": _float(result.facts.get(SCORE)),
        "score_low": _float(score(result, card.low)),
        "score_high": _float(score(result, card.high)),
        "tier": result.facts.get(TIER),
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


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
