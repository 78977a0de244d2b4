"""The policy catalogue: what each loaded rule says, with its citations, straight from the pack."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from engine import Condition, Policy, RulePack, Text, Words, dependencies, in_words


class PolicySummary(BaseModel):
    id: str
    kind: Literal["measure", "designation"]
    title: Words
    citation: str
    quote: str | None = None
    valid_from: date
    valid_to: date | None = None
    status: str
    versions: int


class ConditionOut(BaseModel):
    id: str | None = None
    combinator: Literal["all", "any", "not"] | None = None
    label: Words | None = None
    expression: str | None = None
    text: Words | None = None  # the condition in words, thresholds as their values today
    citation: str | None = None
    status: str
    note: Words | None = None  # only notes written for readers ({zh:, en:}); authors' notes stay out
    children: list[ConditionOut] = []


class BenefitOut(BaseModel):
    kind: str
    text: Words
    amount: str | None = None
    amount_text: Words | None = None
    cap: float | None = None
    citation: str | None = None
    status: str


class PolicyVersionOut(BaseModel):
    valid_from: date
    valid_to: date | None = None
    status: str
    citation: str
    quote: str | None = None
    note: Words | None = None
    conditions: ConditionOut
    benefits: list[BenefitOut] = []
    grants: list[str] = []


class ParameterVersionOut(BaseModel):
    valid_from: date
    valid_to: date | None = None
    value: Any
    status: str
    citation: str
    note: Words | None = None


class ParameterOut(BaseModel):
    id: str
    label: Words
    unit: str | None = None
    versions: list[ParameterVersionOut]


class PolicyDetail(BaseModel):
    id: str
    kind: Literal["measure", "designation"]
    title: Words
    rules_hash: str
    versions: list[PolicyVersionOut]
    parameters: list[ParameterOut]


class IndicatorOut(BaseModel):
    id: str
    label: Words
    max: float
    status: str
    why: Words | None = None
    citation: str | None = None


class DimensionOut(BaseModel):
    id: str
    label: Words
    max: float
    why: Words | None = None
    indicators: list[IndicatorOut]


class ScorecardOut(BaseModel):
    """A scoring of ipcheck's own design (status assumed), shown with why each item weighs what it does."""

    id: str
    label: Words
    status: str
    citation: str
    why: Words | None = None
    periods: list[tuple[date, date | None, str]] = []
    dimensions: list[DimensionOut]


def words(text: Any) -> Words:
    return Words(zh=text.zh, en=text.en)


def summaries(pack: RulePack) -> list[PolicySummary]:
    out = []
    for ident, versions in pack.policies.items():
        latest = max(versions, key=lambda p: p.valid_from)
        out.append(
            PolicySummary(
                id=ident,
                kind=latest.kind,
                title=words(latest.title),
                citation=latest.source.cite(),
                quote=latest.source.quote,
                valid_from=latest.valid_from,
                valid_to=latest.valid_to,
                status=latest.status,
                versions=len(versions),
            )
        )
    return out


def shown_note(*notes: Any) -> Words | None:
    """The first note written for readers ({zh:, en:}); plain-text notes are the authors' own."""
    return next((words(n) for n in notes if isinstance(n, Text)), None)


def condition_out(pack: RulePack, cond: Condition) -> ConditionOut:
    combinator = "all" if cond.all is not None else "any" if cond.any is not None else "not" if cond.not_ else None
    return ConditionOut(
        id=cond.id,
        combinator=combinator,
        label=words(cond.label) if cond.label else None,
        expression=cond.when.text if cond.when else None,
        text=in_words(pack, cond.when) if cond.when else None,
        citation=cond.source.cite() if cond.source else None,
        status=cond.status,
        note=shown_note(cond.note, cond.source.note if cond.source else None),
        children=[condition_out(pack, c) for c in cond.children()],
    )


def version_out(pack: RulePack, policy: Policy) -> PolicyVersionOut:
    benefits = [
        BenefitOut(
            kind=b.kind,
            text=words(b.text),
            amount=b.amount.text if b.amount else None,
            amount_text=in_words(pack, b.amount) if b.amount else None,
            cap=b.cap,
            citation=b.source.cite() if b.source else None,
            status=b.status,
        )
        for b in policy.benefits
    ]
    return PolicyVersionOut(
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
        status=policy.status,
        citation=policy.source.cite(),
        quote=policy.source.quote,
        note=shown_note(policy.note, policy.source.note),
        conditions=condition_out(pack, policy.conditions),
        benefits=benefits,
        grants=policy.grants,
    )


def parameters_of(pack: RulePack, versions: list[Policy]) -> list[ParameterOut]:
    """The parameters (thresholds) the policy's conditions and benefits read, with their dated sources."""
    used = sorted({n for p in versions for n in dependencies(p)} & set(pack.parameters))
    out = []
    for ident in used:
        param = pack.parameters[ident]
        out.append(
            ParameterOut(
                id=ident,
                label=words(param.label),
                unit=param.unit,
                versions=[
                    ParameterVersionOut(
                        valid_from=v.valid_from,
                        valid_to=v.valid_to,
                        value=v.value,
                        status=v.status,
                        citation=v.source.cite(),
                        note=shown_note(v.note, v.source.note),
                    )
                    for v in param.versions
                ],
            )
        )
    return out


def detail(pack: RulePack, ident: str) -> PolicyDetail | None:
    versions = pack.policies.get(ident)
    if not versions:
        return None
    ordered = sorted(versions, key=lambda p: p.valid_from)
    latest = ordered[-1]
    return PolicyDetail(
        id=ident,
        kind=latest.kind,
        title=words(latest.title),
        rules_hash=pack.hash,
        versions=[version_out(pack, p) for p in ordered],
        parameters=parameters_of(pack, ordered),
    )


def own_designs(pack: RulePack) -> list[ScorecardOut]:
    """The scorecards that say why they weigh what they weigh (ipcheck's own designs, e.g. IP strength)."""
    return [
        ScorecardOut(
            id=card.id,
            label=words(card.label),
            status=card.status,
            citation=card.source.cite(),
            why=words(card.why) if card.why else None,
            periods=[(p.valid_from, p.valid_to, p.status) for p in card.periods],
            dimensions=[
                DimensionOut(
                    id=g.id,
                    label=words(g.label),
                    max=g.max,
                    why=words(g.why) if g.why else None,
                    indicators=[
                        IndicatorOut(
                            id=i.id,
                            label=words(i.label),
                            max=i.max,
                            status=i.status,
                            why=words(i.why) if i.why else None,
                            citation=i.source.cite() if i.source else None,
                        )
                        for i in g.indicators
                    ],
                )
                for g in card.groups
            ],
        )
        for card in pack.scorecards.values()
        if card.why is not None
    ]
