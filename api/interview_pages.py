"""The interview pages: one step at a time, each a plain form post carrying the earlier answers.

No JavaScript is needed: the answers so far travel in a hidden field (`state`, JSON), the engine
(engine.evaluate.interview) picks the next step, and the last step leads to the result page. A
blank answer is "不知道" (never asked again); "跳过" marks the whole step so; "上一步" and "修改"
take a step's answers back out and show them again, filled in.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

import engine
from engine import (
    Answers,
    Assessment,
    InterviewProgress,
    InterviewStep,
    ProfileInputError,
    RulePack,
    answers_from,
    completed,
    interview,
    question,
    result_summary,
)
from engine.model.profile import FIELDS, TITLES, field_kind, label, options, unit_of
from engine.model.results import ConditionResult, Decision, NearMiss, ScorecardResult, Words
from engine.model.vocabulary import DISTRICTS, INDUSTRIES, district_name

from .edges import iso_day, read_json
from .errors import ApiError
from .pages import chart_svg, language, page
from .rulesource import pack_of

if TYPE_CHECKING:
    from .service import Service


class State(Answers):
    """What the pages carry from step to step: the answers, and which facts each step asked."""

    history: list[list[str]] = []


def read_state(text: str) -> State:
    """The answers the page carried; one the pages did not write (edited by hand: a key twice, a lone
    surrogate, a value the profile refuses) starts afresh rather than failing later."""
    try:
        data = read_json(text.encode()) if text.strip() else {}
        state = State.model_validate(data if isinstance(data, dict) else {})
        engine.parse_profile(state.values)
        return state
    except (ValueError, ApiError):  # ProfileInputError and pydantic's ValidationError are ValueErrors
        return State()


def state_json(state: State) -> str:
    return state.model_dump_json()


UNIT_WORDS = re.compile(r"[\s,，]|万元|万|元|人|件|项|次|年|家|级|名|分")


def number_text(raw: str) -> str:
    """'5,200 万元' -> '5200'; '没有' -> '0'."""
    text = raw.strip()
    return "0" if text in ("没有", "无", "0/没有") else UNIT_WORDS.sub("", text)


def read_answer(name: str, form: Any) -> tuple[bool, Any]:
    """(known, value) of one question from the posted form; a blank answer is 不知道."""
    kind = field_kind(name)
    if kind == "titles":
        if form.get("titles_unknown"):
            return False, None
        return True, [
            {"title": code, **({"level": lv} if (lv := form.get(f"title_level.{code}")) else {})}
            for code in form.getlist("titles")
            if code in TITLES
        ]
    raw = str(form.get(name) or "").strip()
    if kind in ("integer", "number") and form.get(f"{name}.zero"):
        return True, 0
    if not raw or raw == "unknown":
        return False, None
    if kind == "bool":
        return True, raw == "true"
    if kind in ("integer", "number"):
        return True, number_text(raw)
    return True, raw


def apply_step(state: State, step_fields: list[str], form: Any, action: str) -> State:
    """The state with this step's answers in (the person's words, validated later with the rest)."""
    values = {k: v for k, v in state.values.items() if k not in step_fields}
    unknown = [u for u in state.unknown if u not in step_fields]
    none_of = action == "none"
    for name in step_fields:
        if action == "skip":
            unknown.append(name)
            continue
        if form.get("none_of") is not None:  # a checklist: what is not ticked or typed does not apply
            if field_kind(name) == "bool":
                values[name] = False if none_of else name in form.getlist("applies")
                continue
            if none_of or not str(form.get(name) or "").strip():
                values[name] = 0
                continue
        known, value = read_answer(name, form)
        if known:
            values[name] = value
        else:
            unknown.append(name)
    return State(values=values, unknown=unknown, history=[*state.history, step_fields])


def take_back(state: State, index: int) -> tuple[State, list[str]]:
    """The state without step `index`'s answers, and that step's facts (to show them again)."""
    fields = state.history[index]
    return State(
        values={k: v for k, v in state.values.items() if k not in fields},
        unknown=[u for u in state.unknown if u not in fields],
        history=state.history[:index] + state.history[index + 1 :],
    ), fields


# The pages' own steps (not the engine's): changing earlier answers, correcting refused ones.
OWN_STEPS = {
    "edit": (
        Words(zh="修改回答", en="Change your answers"),
        Words(zh="修改后点“下一步”，结果会随之更新。", en="Change what you need; the result follows."),
    ),
    "again": (Words(zh="请修改", en="Please correct"), Words(zh="", en="")),
}


def own_step(kind: str, fields: list[str]) -> InterviewStep:
    title, why = OWN_STEPS[kind]
    return InterviewStep(id=kind, title=title, questions=[question(f) for f in fields], why=why, settles=[])


def typed_in(form: Any, fields: list[str]) -> dict[str, Any]:
    """What the person has typed or ticked on a step not yet sent (to show it again, not to apply it)."""
    typed: dict[str, Any] = {}
    for name in fields:
        kind = field_kind(name)
        if kind == "titles":
            typed[name] = read_answer(name, form)[1]
        elif form.get("none_of") is not None and kind == "bool":
            typed[name] = name in form.getlist("applies")
        elif kind in ("integer", "number") and form.get(f"{name}.zero"):
            typed[name] = 0
        elif (raw := str(form.get(name) or "").strip()) and raw != "unknown":
            typed[name] = raw
    return typed


def shown_value(name: str, value: Any, lang: str) -> str:
    """An answer in words, as the person gave it."""
    kind = field_kind(name)
    if kind == "titles":
        return "、".join(
            TITLES.get(t.get("title", ""), "") if lang == "zh" else label("titles", "en") for t in value
        ) or ("无" if lang == "zh" else "none")
    for option in options(name):
        if option.value == value or str(option.value).lower() == str(value).lower():
            return option.zh if lang == "zh" else option.en
    if name == "division_code":
        return district_name(str(value), lang) or str(value)
    if name == "industry_code":
        return f"{value} {INDUSTRIES.get(str(value), '')}".strip()
    unit = unit_of(name, lang)
    return f"{value} {unit}" if unit else str(value)


class Given(BaseModel):
    index: int
    items: list[tuple[str, str]]


def given_answers(state: State, lang: str) -> list[Given]:
    unknown_word = "不知道" if lang == "zh" else "don't know"
    out = []
    for index, fields in enumerate(state.history):
        items = [
            (label(f, lang), shown_value(f, state.values[f], lang) if f in state.values else unknown_word)
            for f in fields
            if f in state.values or f in state.unknown
        ]
        if items:
            out.append(Given(index=index, items=items))
    return out


def pick_lists(lang: str = "zh") -> dict[str, list[str]]:
    """Searchable lists for the coded facts (a browser's own datalist filters as one types)."""
    return {
        "division_code": [f"{code} {district_name(code, lang)}" for code in DISTRICTS],
        "industry_code": [f"{code} {name}" for code, name in INDUSTRIES.items()],
    }


def mount(app: FastAPI, service: Service) -> None:
    def step_page(
        request: Request,
        lang: str,
        state: State,
        progress: InterviewProgress,
        step: InterviewStep,
        as_of: str,
        errors: dict[str, list[str]] | None = None,
        typed: dict[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        return page(
            request,
            "interview.html",
            lang,
            status,
            state=state_json(state),
            progress=progress,
            step=step,
            as_of=as_of,
            errors=errors or {},
            typed=typed or {},
            given=given_answers(state, lang),
            implied=[(label(f, lang), shown_value(f, v, lang)) for f, v in progress.implied.items()],
            lists=pick_lists(lang),
            titles=TITLES,
        )

    def proceed(
        request: Request, lang: str, state: State, as_of_text: str, typed: dict[str, Any] | None = None
    ) -> HTMLResponse:
        pack = pack_of(request)
        as_of = parse_day(as_of_text)
        progress = interview(state, pack, as_of)
        if progress.done:
            return finish(request, lang, state, as_of, progress)
        return step_page(request, lang, state, progress, progress.step, as_of_text, typed=typed)  # type: ignore[arg-type]

    def switched(request: Request, lang: str, state: State, form: Any, fields: list[str], as_of: str) -> HTMLResponse:
        """The same step in the other language, with what was typed on it (not yet sent) still there."""
        lang = "en" if lang == "zh" else "zh"
        typed = typed_in(form, fields)
        kind = str(form.get("step") or "")
        if kind not in OWN_STEPS:  # the engine's own step: the same answers give the same step
            return proceed(request, lang, state, as_of, typed)
        progress = interview(state, pack_of(request), parse_day(as_of))
        return step_page(request, lang, state, progress, own_step(kind, fields), as_of, typed=typed)

    def finish(request: Request, lang: str, state: State, as_of: date, progress: InterviewProgress) -> HTMLResponse:
        pack = pack_of(request)
        result = engine.assess(completed(state), as_of, pack=pack)
        return result_page(request, lang, result, state, progress)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/interview", response_class=HTMLResponse, include_in_schema=False)
    async def start(request: Request, lang: str | None = None) -> HTMLResponse:
        return proceed(request, language(lang), State(), date.today().isoformat())

    @app.post("/interview", response_class=HTMLResponse, include_in_schema=False)
    async def step(request: Request) -> HTMLResponse:
        form = await request.form()
        lang = language(str(form.get("lang") or ""))
        as_of_text = str(form.get("as_of") or date.today().isoformat())
        state = read_state(str(form.get("state") or ""))
        upload = form.get("upload")
        if upload is not None and hasattr(upload, "read"):
            state = resumed(await upload.read()) or state
            return proceed(request, lang, state, as_of_text)
        action = str(form.get("action") or "next")
        if action == "continue":
            return proceed(request, lang, state, as_of_text)
        fields = [f for f in str(form.get("fields") or "").split(",") if f in FIELDS]
        if action == "switch":
            return switched(request, lang, state, form, fields, as_of_text)
        pack = pack_of(request)
        if action in ("back", "edit") or action.startswith("edit:"):
            index = int(action.split(":")[1]) if ":" in action else len(state.history) - 1
            if not 0 <= index < len(state.history):
                return proceed(request, lang, state, as_of_text)
            typed = {f: state.values[f] for f in state.history[index] if f in state.values}
            state, fields = take_back(state, index)
            progress = interview(state, pack, parse_day(as_of_text))
            return step_page(request, lang, state, progress, own_step("edit", fields), as_of_text, typed=typed)
        if action == "result":
            return finish(request, lang, state, parse_day(as_of_text), interview(state, pack, parse_day(as_of_text)))
        new = apply_step(state, fields, form, action)
        try:
            interview(new, pack, parse_day(as_of_text))
        except ProfileInputError as e:
            errors: dict[str, list[str]] = {}
            for issue in e.issues:
                key = issue.field.split(".")[0]
                errors.setdefault(key if key in fields else fields[0], []).append(
                    issue.message_zh if lang == "zh" else issue.message_en
                )
            progress = interview(state, pack, parse_day(as_of_text))
            typed = {f: form.get(f) for f in fields}
            return step_page(
                request, lang, state, progress, own_step("again", fields), as_of_text, errors, typed, status=422
            )
        return proceed(request, lang, new, as_of_text)


class Card:
    """One measure or designation on the result page, with what decides it and how to apply."""

    def __init__(
        self, d: Decision, pack: RulePack, near: dict[str, NearMiss], cards: dict[str, ScorecardResult]
    ) -> None:
        self.d = d
        self.expert = expert_target(d.conditions, cards) if d.status == "undetermined" else None
        amounts = [b.amount for b in d.benefits if b.amount is not None]
        self.amount = sum(amounts) if amounts else None
        self.reason = Words(zh=d.reasons.zh.split("；")[0], en=d.reasons.en.split("; ")[0])
        specific = own_condition(d.conditions, pack.exclusions) if d.status == "eligible" else None
        if specific is not None:  # not "registered in Jiangbei", which every district measure shares
            self.reason = specific
        if self.expert is not None:  # not facts the firm lacks: the panel's scores
            self.reason = Words(zh="待专家评审打分", en="awaiting the expert panel's scores")
        self.would_take = near[d.id].text if d.id in near else first_would_take(d.conditions)
        policy = pack.policy_on(d.id, d.in_force[0])
        self.application = {a.item: a for a in (policy.application if policy else [])}

    @property
    def order(self) -> tuple[int, float, int]:
        rank = {"eligible": 0, "undetermined": 1, "ineligible": 2, "error": 3}[self.d.status]
        return rank, -(self.amount or 0), 0 if self.d.kind == "measure" else 1


class ExpertTarget(BaseModel):
    """What the expert-judged items of an open scorecard must reach together: 专家评分部分需达到 X 分以上."""

    points: float  # the judged items' sum must be at least this
    out_of: float  # their full marks together
    items: Words
    ranges: bool = False  # other items are judged within a range too (counted at its bottom)


def expert_target(c: ConditionResult, cards: dict[str, ScorecardResult]) -> ExpertTarget | None:
    """The expert-judged part a decision waits for (a scorecard open only within its judged ranges)."""
    for name in c.values:
        card = cards.get(name.removesuffix("_passed"))
        if c.status == "unknown" and card is not None and card.judged and card.expert_need is not None:
            judged = [i for g in card.groups for i in g.indicators if i.id in card.judged]
            scored = [i for i in judged if i.missing] or judged  # the experts' own scores, else their ranges
            return ExpertTarget(
                points=sum(i.low for i in scored) + card.expert_need,
                out_of=sum(i.max for i in scored),
                items=Words(zh="、".join(i.label.zh for i in scored), en=", ".join(i.label.en for i in scored)),
                ranges=len(scored) < len(judged),
            )
    return next((t for k in c.children if (t := expert_target(k, cards)) is not None), None)


def own_condition(c: ConditionResult, shared: Collection[str]) -> Words | None:
    """What sets an eligible measure apart, as its one-line reason: its last met condition that is
    neither one of the pack's exclusions (`shared`, which the loader appends) nor about where the firm
    is registered (the rule files state the shared prerequisites — district, legal personality —
    first and the measure's own condition after them)."""
    if c.status != "met" or c.id in shared:
        return None
    if not c.children:
        return c.text if set(c.values) - {"division_code"} else None
    return next((w for k in reversed(c.children) if (w := own_condition(k, shared)) is not None), None)


def first_would_take(c: ConditionResult) -> Words | None:
    if c.status == "unmet" and c.would_take:
        return c.would_take
    return next((w for k in c.children if (w := first_would_take(k)) is not None), None)


def result_page(
    request: Request,
    lang: str,
    result: Assessment,
    state: State,
    progress: InterviewProgress,
    submitted: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    pack = pack_of(request)
    near = {n.id: n for n in result.near_misses}
    scorecards = {s.id: s for s in result.scorecards}
    cards = sorted((Card(d, pack, near, scorecards) for d in result.decisions), key=lambda c: c.order)
    answers = state.model_dump_json(exclude={"history"} if not state.history else set())
    return page(
        request,
        "result.html",
        lang,
        assessment=result,
        chart=chart_svg(result, lang),
        cards=cards,
        summary=result_summary(result, progress),
        state=state.model_dump_json(),
        progress=progress,
        download="data:application/json;charset=utf-8," + quote(answers),
        near=near,
        submitted=submitted or [("state", state.model_dump_json()), ("as_of", result.as_of.isoformat())],
        recheck="/check" if submitted else "/interview",
    )


def resumed(body: bytes) -> State | None:
    """A downloaded answers file, read back (None if it is not one)."""
    try:
        data = read_json(body)
        answers = answers_from({k: v for k, v in data.items() if k in ("values", "unknown")})
        engine.parse_profile(answers.values)
        return State(values=answers.values, unknown=answers.unknown, history=data.get("history", []))
    except (ValueError, AttributeError, ApiError):
        return None


def parse_day(text: str) -> date:
    """The page's as-of date (YYYY-MM-DD only); today if it is not one."""
    return iso_day(text) or date.today()
