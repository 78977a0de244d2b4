"""Typed results of an evaluation: what the CLI prints and the API returns."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

Status = Literal["eligible", "ineligible", "undetermined"]
Check = Literal["met", "unmet", "unknown"]


class Words(BaseModel):
    zh: str
    en: str


class ConditionResult(BaseModel):
    id: str
    combinator: Literal["all", "any", "not"] | None = None
    label: Words | None = None
    expression: str | None = None
    text: Words                                 # the condition in words, with actual values
    status: Check
    values: dict[str, Any] = {}                 # every fact the condition read (None = unknown)
    threshold: Any = None
    threshold_source: str | None = None
    gap: float | None = None
    would_take: Words | None = None
    missing: list[str] = []
    source: str | None = None
    rule_status: str = "confirmed"
    children: list["ConditionResult"] = []


class IndicatorResult(BaseModel):
    id: str
    label: Words
    points: float | None
    max: float
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
    total: float | None            # None while any indicator is unknown
    low: float                     # the total is within [low, high]
    high: float
    pass_at: float | None
    passed: bool | None
    groups: list[GroupResult]
    routes: list[RouteResult] = []
    missing: list[str] = []


class BenefitResult(BaseModel):
    kind: str
    text: Words
    amount: float | None = None
    cap: float | None = None
    rule_status: str = "confirmed"


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


class Assessment(BaseModel):
    as_of: date
    rules_hash: str
    credit_code: str | None = None
    name: str | None = None
    decisions: list[Decision]
    scorecards: list[ScorecardResult]
    facts: dict[str, Any]
