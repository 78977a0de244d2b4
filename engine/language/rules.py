"""Pydantic models of the rule files in rules/ (the policy author's language).

A rule pack is a folder of YAML files. Each file may hold any of the sections
``parameters``, ``derived``, ``scorecards`` and ``policies``; every item has an
``id`` (English, snake_case) and may have a Chinese ``name_zh`` usable in
expressions. Expressions are parsed at load (see engine.language.expr) with the names of
the whole pack, so a typo is a load error pointing to its line.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator

from engine.language import expr as ex

Status = Literal["confirmed", "assumed", "provisional"]


def _sane(value: Any) -> Any:
    """Numbers in rule files are finite and within MAX_LITERAL (a NaN or 1e400 is never policy)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(
            f"{value!r} 不是规则可用的数值（不允许 NaN 或无穷大）"
            f" / {value!r} is not a number a rule can use (NaN and infinity are refused)"
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > ex.MAX_LITERAL:
        raise ValueError(
            f"{value:.6g} 超出范围（绝对值不得超过 {ex.MAX_LITERAL:g}）"
            f" / {value:.6g} is out of bounds (at most {ex.MAX_LITERAL:g} in absolute value)"
        )
    return value


Scalar = Annotated[bool | int | float | str | date, AfterValidator(_sane)]
Number = Annotated[float, AfterValidator(_sane)]


class Expression:
    """Expression text with its parsed AST, and the line of the rule file it was written on."""

    __slots__ = ("ast", "line", "text")

    def __init__(self, text: str, ast: ex.Node, line: int | None = None) -> None:
        self.text, self.ast, self.line = text, ast, line

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def _parse_expression(value: Any, info: ValidationInfo) -> Expression:
    if isinstance(value, Expression):
        return value
    if isinstance(value, (bool, int, float)):
        value = str(value).lower() if isinstance(value, bool) else repr(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an expression (text), got {type(value).__name__} / 应为表达式文本")
    context = info.context or {}
    resolve = context.get("resolve")
    if resolve is None:
        raise ValueError("no name table to resolve the expression")
    try:
        return Expression(value, ex.parse(value, resolve, context.get("known", ())))
    except ex.ExprError as e:
        raise ValueError(str(e)) from None


Expr = Annotated[Expression, BeforeValidator(_parse_expression)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, populate_by_name=True)


class Text(Strict):
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


# A note written as text is for the rule's authors; written as {zh:, en:} it is shown to firms too,
# in the page's language (engine.authoring / api catalogue pages).
Note = Text | str


class Source(Strict):
    document: str = Field(description="Document number, e.g. 江北府办发〔2023〕6号")
    clause: str | None = None
    quote: str | None = Field(None, description="Short quote of the clause")
    note: Note | None = None

    def cite(self) -> str:
        return " ".join(p for p in (self.document, self.clause) if p)


class Dated(Strict):
    valid_from: date = Field(alias="from")
    valid_to: date | None = Field(None, alias="to")

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# --- parameters ------------------------------------------------------------


class ParameterVersion(Dated):
    value: Scalar
    source: Source
    status: Status
    note: Note | None = None


class Parameter(Strict):
    id: str
    name_zh: str | None = None
    label: Text
    unit: str | None = Field(None, description="万元, 人, 年, ratio (shown as %), ...")
    versions: list[ParameterVersion] = Field(min_length=1)
    read_by: str | None = Field(
        None,
        description="Code that reads this parameter by id rather than through an"
        " expression, e.g. engine/evaluate/patents.py (lint does not call it unused)",
    )

    def version_on(self, day: date) -> ParameterVersion | None:
        return next((v for v in self.versions if v.in_force(day)), None)


# --- brackets, lookups, derived facts --------------------------------------


class Bracket(Strict):
    """One row of a bracket table: every bound given must hold. First matching row wins."""

    ge: Number | None = None
    gt: Number | None = None
    le: Number | None = None
    lt: Number | None = None
    value: Scalar | None = None
    points: Number | None = None
    points_to: Number | None = Field(
        None,
        description="Top of an expert-judged range of points (points is its"
        " bottom): the indicator is scored as the interval",
    )
    status: Status = "confirmed"
    edge: Status = Field(
        "confirmed",
        description="Status of which side of the row's bounds the edge lies: a value"
        " sitting exactly on a bound rests on it (the row itself is confirmed)",
    )
    note: Note | None = None

    @model_validator(mode="after")
    def _range(self) -> Bracket:
        if self.points_to is not None and (self.points is None or self.points_to < self.points):
            raise ValueError("points_to needs points at or below it / points_to 须与不大于它的 points 同时给出")
        return self

    def bounds(self) -> list[tuple[str, float]]:
        return [
            (op, v) for op, v in (("ge", self.ge), ("gt", self.gt), ("le", self.le), ("lt", self.lt)) if v is not None
        ]

    def result(self) -> Scalar | float | None:
        return self.points if self.points is not None else self.value

    def top(self) -> Scalar | float | None:
        """The top of the row's points: the result unless the row is an expert-judged range."""
        return self.points_to if self.points_to is not None else self.result()


class BracketTable(Strict):
    of: Expr
    rows: list[Bracket] = Field(min_length=1)
    otherwise: Scalar | None = None


class LookupRow(Strict):
    keys: list[str] = Field(min_length=1)
    value: Scalar
    status: Status = "confirmed"
    note: Note | None = None
    reason: Text | None = Field(
        None,
        description="Why a fact that depends on this row stays open with every field known (e.g. an industry"
        " code too coarse to decide a sector): the decision says this instead of a generic unknown",
    )


class Lookup(Strict):
    key: Expr
    match: Literal["exact", "prefix"] = "exact"
    table: list[LookupRow] = Field(min_length=1)
    default: Scalar | None = None


class Case(Strict):
    when: Expr
    value: Scalar
    status: Status = "confirmed"
    note: Note | None = None


class Derived(Strict):
    """A derived fact: exactly one of formula, brackets, lookup or cases."""

    id: str
    name_zh: str | None = None
    label: Text
    unit: str | None = None
    source: Source | None = None
    status: Status = "confirmed"
    note: Note | None = None
    formula: Expr | None = None
    brackets: BracketTable | None = None
    lookup: Lookup | None = None
    cases: list[Case] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Derived:
        given = [k for k in ("formula", "brackets", "lookup", "cases") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a derived fact needs exactly one of formula, brackets, lookup, cases; got {given or 'none'}"
                " / 派生事实须且只能有 formula、brackets、lookup、cases 之一"
            )
        return self


# --- scorecards ------------------------------------------------------------


class Item(Strict):
    when: Expr
    points: Number
    points_to: Number | None = Field(None, description="Top of an expert-judged range (points is its bottom)")
    label: Text | None = None
    status: Status = Field(
        "confirmed",
        description="Status of the case (indicator cases): a firm the case decides rests on it; the points"
        " at stake are the step to the neighbouring cases (the doubt is which of them applies)",
    )
    note: Note | None = None

    @model_validator(mode="after")
    def _range(self) -> Item:
        if self.points_to is not None and self.points_to < self.points:
            raise ValueError("points_to is below points / points_to 小于 points")
        return self

    def top(self) -> float:
        return self.points if self.points_to is None else self.points_to


class Indicator(Strict):
    """One scored indicator: brackets, best_of alternatives, cases, or items (points per item, capped)."""

    id: str
    label: Text
    max: Number = Field(gt=0)
    source: Source | None = None
    status: Status = "confirmed"
    note: Note | None = None
    why: Text | None = Field(None, description="Why the indicator is there and weighs its max (ipcheck's own designs)")
    brackets: BracketTable | None = None
    best_of: list[BracketTable] | None = None
    cases: list[Item] | None = None
    items: list[Item] | None = None
    formula: Expr | None = None
    otherwise: Number | None = Field(None, description="Points when no case matches (cases only)")

    @model_validator(mode="after")
    def _one_kind(self) -> Indicator:
        given = [k for k in ("brackets", "best_of", "cases", "items", "formula") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an indicator needs exactly one of brackets, best_of, cases, items, formula; got {given or 'none'}"
                " / 指标须且只能有 brackets、best_of、cases、items、formula 之一"
            )
        return self


class Group(Strict):
    id: str
    label: Text
    max: Number = Field(gt=0)
    min: Number | None = Field(None, description="Group minimum score required to pass")
    why: Text | None = Field(None, description="Why the dimension weighs its max (ipcheck's own designs)")
    indicators: list[Indicator] = Field(min_length=1)


class Route(Strict):
    """A direct-qualification route: qualifies regardless of the score."""

    id: str
    label: Text
    when: Expr
    source: Source | None = None
    status: Status = "confirmed"


class StatusPeriod(Dated):
    """The status of a scoring over a dated period (e.g. provisional once its document is replaced)."""

    status: Status
    note: Note | None = None


class Scorecard(Strict):
    id: str
    name_zh: str | None = None
    label: Text
    source: Source
    status: Status = "confirmed"
    periods: list[StatusPeriod] = Field(
        [], description="Dated status of the scoring itself; outside every period `status` holds"
    )
    why: Text | None = Field(None, description="Why this scoring exists (ipcheck's own designs)")
    pass_at: Number | None = Field(None, description="Total score needed to pass (≥)")
    groups: list[Group] = Field(min_length=1)
    direct_routes: list[Route] = []

    def period_on(self, day: date) -> StatusPeriod | None:
        """The status period in force on `day`, if any."""
        return next((p for p in self.periods if p.in_force(day)), None)

    def status_on(self, day: date) -> Status:
        period = self.period_on(day)
        return self.status if period is None else period.status


# --- policies --------------------------------------------------------------


class Condition(Strict):
    """A node of a condition tree: a leaf `when`, or all / any / not of children."""

    id: str | None = None
    label: Text | None = None
    when: Expr | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(None, alias="not")
    source: Source | None = None
    status: Status = "confirmed"
    note: Note | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"when": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        given = [k for k in ("when", "all", "any", "not_") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a condition needs exactly one of when, all, any, not / 条件须且只能有 when、all、any、not 之一"
            )
        return self

    def children(self) -> list[Condition]:
        return self.all or self.any or ([self.not_] if self.not_ else [])

    def test(self) -> Expression:
        """A leaf's expression (validation gives every leaf one; all / any / not have none)."""
        if self.when is None:
            raise ValueError(
                f"condition {self.id or ''} has children, not an expression / 该条件为组合条件，没有表达式"
            )
        return self.when


class Benefit(Strict):
    kind: Literal[
        "grant", "subsidy", "reward", "interest_subsidy", "premium_subsidy", "priority_access", "title", "support"
    ]
    text: Text
    amount: Expr | None = Field(None, description="万元; may be a formula over facts and parameters")
    cap: Number | None = Field(None, description="万元")
    up_to: Expr | None = Field(
        None,
        description='万元: the document says "up to N" and no rule fixes the sum: the'
        " benefit is the range ≤ N, totalled apart from confirmed amounts",
    )
    source: Source | None = None
    status: Status = "confirmed"


class ApplicationItem(Strict):
    """How to apply, one item at a time, each cited: who takes applications (`department`), what to
    hand in (`materials`), by when (`deadline`), where (`channel`). Only what a document states:
    an item nobody has written down is shown as "以主管部门通知为准", never guessed."""

    item: Literal["department", "materials", "deadline", "channel"]
    text: Text
    source: Source
    status: Status = "confirmed"
    note: str | None = None


class Policy(Dated):
    """A district measure or a designation, in force from `from` to `to` (inclusive)."""

    id: str
    name_zh: str | None = None
    kind: Literal["measure", "designation"] = "measure"
    title: Text
    source: Source
    status: Status = "confirmed"
    note: Note | None = None
    conditions: Condition
    benefits: list[Benefit] = []
    grants: list[str] = Field([], description="Title codes the decision grants")
    application: list[ApplicationItem] = Field([], description="How to apply: department, materials, deadline")


class Information(Dated):
    """A measure the document names with nothing a firm could be checked against (可咨询): shown to every
    firm with what is on offer and whom to ask, never as an eligibility decision."""

    id: str
    title: Text
    source: Source
    status: Status = "confirmed"
    note: str | None = None
    offers: Text = Field(description="What the measure offers, in the document's words")
    ask: Text = Field(description="Whom to ask (the responsible units the document names)")


class ExclusiveGroup(Strict):
    """Policies whose benefits the documents say may not be combined (不重复享受).

    Declarative only: `ipcheck rules lint` reports every pair of the group that can be
    eligible together; the evaluator still decides each policy on its own.
    """

    id: str
    label: Text | None = None
    policies: list[str] = Field(min_length=2, description="Policy ids")
    source: Source
    note: Note | None = None


class Exclusion(Dated):
    """A condition the documents imply for several policies (e.g. not on the 严重失信 list), declared once.

    The loader adds it, as the last condition of the root `all`, to every version of each policy it names
    (`policies: all` names every policy) in force within its own period, so every evaluator, the lint
    checks and the catalogue see it as an ordinary condition of that policy.
    """

    id: str
    label: Text
    when: Expr
    status: Status = "confirmed"
    source: Source
    note: Note | None = None
    policies: list[str] | Literal["all"] = Field(description="Policy ids that carry it, or `all`")

    def condition(self) -> Condition:
        return Condition(
            id=self.id, label=self.label, when=self.when, status=self.status, source=self.source, note=self.note
        )


class RuleFile(Strict):
    """One YAML file of the pack."""

    parameters: list[Parameter] = []
    derived: list[Derived] = []
    scorecards: list[Scorecard] = []
    policies: list[Policy] = []
    exclusive: list[ExclusiveGroup] = Field([], description="Benefits that may not be combined (不重复享受)")
    information: list[Information] = Field([], description="Measures with no conditions to check (可咨询)")
    exclusions: list[Exclusion] = Field([], description="Conditions declared once for the policies they name")
