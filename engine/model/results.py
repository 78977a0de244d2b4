"""Typed results of an evaluation: what the CLI prints and the API returns."""

from __future__ import annotations

from copy import copy
from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

Status = Literal["eligible", "ineligible", "undetermined", "error"]  # error: a rule failed (see reasons)
Check = Literal["met", "unmet", "unknown"]


class Words(BaseModel):
    # Frozen: the evaluator shares one instance among results (rule texts are worked out once per pack and date).
    model_config = ConfigDict(frozen=True)
    zh: str
    en: str


class Assumption(BaseModel):
    """An assumed or provisional value a result rested on (engine/evaluate/provenance.py)."""

    kind: str  # parameter, derived, row, edge, lookup, condition, indicator, route, ...
    id: str
    status: str  # assumed / provisional
    text: Words
    note: str | None = None


class ConditionResult(BaseModel):
    id: str
    combinator: Literal["all", "any", "not"] | None = None
    label: Words | None = None
    expression: str | None = None
    text: Words  # the condition in words, with actual values
    status: Check
    values: dict[str, Any] = {}  # every fact the condition read (None = unknown)
    threshold: Any = None
    threshold_source: str | None = None
    gap: float | None = None
    would_take: Words | None = None
    missing: list[str] = []
    source: str | None = None
    rule_status: str = "confirmed"
    children: list[ConditionResult] = []


class IndicatorResult(BaseModel):
    id: str
    label: Words
    points: float | None  # None while unknown or an expert-judged range
    max: float
    low: float = 0  # the points are within [low, high]: [0, max] while unknown,
    high: float = 0  # the bottom and top of the range an expert picks from
    judged: bool = False  # facts known, points within an expert-judged range
    values: dict[str, Any] = {}
    missing: list[str] = []
    source: str | None = None
    rule_status: str = "confirmed"


class GroupResult(BaseModel):
    id: str
    label: Words
    points: float | None
    low: float
    high: float
    max: float
    min: float | None = None
    indicators: list[IndicatorResult]


class RouteResult(BaseModel):
    id: str
    label: Words
    status: Check
    missing: list[str] = []


class ScorecardResult(BaseModel):
    id: str
    label: Words
    source: str
    total: float | None  # None while any indicator is unknown
    low: float  # the total is within [low, high]
    high: float
    pass_at: float | None
    passed: bool | None
    groups: list[GroupResult]
    routes: list[RouteResult] = []
    missing: list[str] = []
    judged: list[str] = []  # indicators still within an expert-judged range when that leaves the result open
    assumptions: list[Assumption] = []  # what the total rested on
    passed_assumptions: list[Assumption] = []  # what the verdict rested on
    expert_need: float | None = None  # points the judged ranges must add above their bottoms to pass


class BenefitResult(BaseModel):
    kind: str
    text: Words
    amount: float | None = None
    cap: float | None = None
    up_to: float | None = None  # "up to N": the amount is a range ≤ N (never added to confirmed amounts)
    rule_status: str = "confirmed"
    assumptions: list[Assumption] = []


class Decision(BaseModel):
    id: str
    kind: Literal["measure", "designation"]
    title: Words
    citation: str
    quote: str | None = None
    in_force: tuple[date, date | None]
    rule_status: str
    status: Status
    missing: list[str] = []
    reasons: Words
    conditions: ConditionResult
    benefits: list[BenefitResult] = []
    grants: list[str] = []
    assumptions: list[Assumption] = []  # the assumed or provisional values the decision rested on


class InformationEntry(BaseModel):
    """A measure with nothing to check (可咨询): what it offers and whom to ask."""

    id: str
    title: Words
    citation: str
    quote: str | None = None
    offers: Words
    ask: Words
    rule_status: str = "confirmed"


class Assessment(BaseModel):
    as_of: date
    rules_hash: str
    credit_code: str | None = None
    name: str | None = None
    decisions: list[Decision]
    scorecards: list[ScorecardResult]
    facts: dict[str, Any]
    strength: StrengthResult | None = None
    improvements: list[Improvement] = []
    near_misses: list[NearMiss] = []
    patent_counts: list[CountCheck] = []
    information: list[InformationEntry] = []  # measures to ask about (可咨询), not decisions


# --- IP strength and "what it would take" (engine/evaluate/strength.py, engine/evaluate/whatif.py) ---------------


class FactChange(BaseModel):
    """One change to one profile fact (for titles: a title to obtain)."""

    field: str
    field_zh: str
    old: Any = None
    new: Any = None
    delta: float | None = None  # numeric change; 1 for a yes/no fact or a title
    text: Words


class Improvement(BaseModel):
    """A single fact change and the points it adds to a score."""

    target: str  # the fact or scorecard whose points it raises
    change: FactChange
    also: list[FactChange] = []  # containing counts that rise with it (e.g. invention patents)
    gain: float  # points added
    per_unit: float  # gain / |delta|: the ranking key
    indicators: list[str] = []  # indicators whose points change
    text: Words


class NearMiss(BaseModel):
    """A policy or designation the firm misses, and the smallest verified set of changes to get it."""

    id: str
    title: Words
    changes: list[FactChange]
    cost: float  # sum of relative changes (a yes/no fact or title counts 1)
    text: Words


class DimensionScore(BaseModel):
    id: str
    label: Words
    points: float | None
    low: float
    high: float
    max: float
    applies: bool | None = True  # False: not scored for this firm (服务 for non-service firms); None: pending
    apart: bool = False  # scored apart from the overall 0-100 score (服务)


class StrengthResult(BaseModel):
    scorecard: str
    score: float | None  # overall 0-100 (None while any indicator is unknown)
    score_low: float | None = None  # the overall is within [score_low, score_high]
    score_high: float | None = None
    tier: str | None
    full_marks: float | None
    dimensions: list[DimensionScore]
    missing: list[str] = []


class CountCheck(BaseModel):
    """A count derived from the patent list, against the profile's own figure."""

    field: str
    field_zh: str
    from_list: int
    in_profile: int | None
    agrees: bool


# --- the summary of an assessment (engine/evaluate/summary.py; POST /v1/assess?detail=summary) ----------


class DecisionSummary(BaseModel):
    """A decision without its condition tree: status, the one-line reason, amount, what it would take."""

    id: str
    kind: Literal["measure", "designation"]
    title: Words
    citation: str
    rule_status: str
    status: Status
    reasons: Words  # exactly Decision.reasons
    amount: float | None = None  # known benefit amounts of an eligible decision (万元, capped)
    would_take: list[Words] = []  # for a refusal: what each deciding unmet condition needs
    missing: list[str] = []  # for a pending decision: the facts that would settle it


class StrengthSummary(BaseModel):
    score: float | None  # overall 0-100 (None while any indicator is unknown)
    score_low: float | None = None
    score_high: float | None = None
    tier: str | None = None


class AssessmentSummary(BaseModel):
    detail: Literal["summary"] = "summary"
    as_of: date
    rules_hash: str
    credit_code: str | None = None
    name: str | None = None
    decisions: list[DecisionSummary]
    strength: StrengthSummary | None = None


Assessment.model_rebuild()

# --- results made from the engine's own values -------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__
_PLANS: dict[type, tuple[tuple[str, ...], dict[str, Any], set[str]]] = {}


def made(cls: type[M], **values: Any) -> M:
    """A result from values the engine made itself, without validation (about a sixth of an assessment's CPU
    went to validating and to model_construct's alias look-ups): each value must already be what validation
    would make of it (floats as float, lists the result's own), which tests/test_results_made.py checks for
    whole assessments. Omitted fields take their defaults (mutable ones copied); the fields are stored in
    declared order, the order of the JSON (every field given in that order is the fast path)."""
    names, defaults, every = _PLANS.get(cls) or _plan(cls)
    if len(values) != len(names) or tuple(values) != names:
        unknown = values.keys() - every
        if unknown:
            raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
        values = {name: values[name] if name in values else copy(defaults[name]) for name in names}
    m = cls.__new__(cls)
    _set(m, "__dict__", values)
    _set(m, "__pydantic_fields_set__", every)  # shared: every field is in it, so setting one adds nothing
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


def _plan(cls: type[BaseModel]) -> tuple[tuple[str, ...], dict[str, Any], set[str]]:
    """The field names in declared order, the defaults of the optional ones, and every name."""
    fields = cls.__pydantic_fields__
    found = _PLANS[cls] = (
        tuple(fields),
        {name: f.default for name, f in fields.items() if not f.is_required()},
        set(fields),
    )
    return found
