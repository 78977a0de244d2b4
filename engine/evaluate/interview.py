"""The next-question engine: from the answers so far, the step that settles the most open outcomes.

Outcomes are the pack's policies and designations in force and the IP-strength tier. The answers
so far are a partial profile plus the facts the person said they do not know (never asked again).
The three-valued evaluation says which outcomes are still open and which facts each one lacks;
each candidate step (a fact, or related facts asked together) is scored by probing its facts with
extreme values on the rule AST's own evaluation: an outcome the step "can settle" becomes decided
under at least one probe. There is no hand-written question order: only the opening step (who the
firm is) is fixed. Derived facts are not profile fields and so are never asked; expert-judged
facts are never asked of a firm. The interview ends when every outcome is settled or no fact that
could still change one remains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from engine.evaluate.prior import answers as prior_answers
from engine.evaluate.status import StatusEvaluator, compiled
from engine.evaluate.strength import CARD, TIER
from engine.language import expr as ex
from engine.language.graph import downstream
from engine.language.loader import RulePack, expressions_of
from engine.model.creditcode import division_of
from engine.model.profile import (
    CROSS_CHECKS,
    FIELDS,
    IMPLIED,
    KEY_BY_LABEL,
    LEVEL_WORDS,
    TITLE_LEVELS,
    TITLES,
    TITLES_EN,
    EnterpriseProfile,
    Level,
    Option,
    ProfileInputError,
    Title,
    asked_of_firm,
    bilingual_error,
    bound_of,
    describe_errors,
    field_kind,
    help_text,
    label,
    options,
    parse_profile,
    unit_of,
    zero_means_none,
)
from engine.model.results import Assessment, Words
from engine.model.vocabulary import DISTRICTS

BIG = 10.0**9  # a probe value beyond every threshold


@dataclass(frozen=True)
class Group:
    """Facts asked together as one step. `none_of`: a checklist with one "none of these apply" answer
    (each fact at its `clean` value: no, or 0), the exceptions ticked (yes/no) or their figure typed.
    Which groups are checklists follows the generator's shares: in each, most firms have none."""

    id: str
    zh: str
    en: str
    facts: tuple[str, ...]
    none_of: bool = False


# Who the firm is. The name settles nothing and is not asked; the district is presumed from the
# credit code (its registering authority, characters 3-8) and asked only when that is not a district.
OPENING = Group(
    "opening",
    "企业基本情况",
    "About the firm",
    ("credit_code", "industry_code", "employees", "revenue", "titles"),
)
GROUPS: tuple[Group, ...] = (
    Group("size", "企业规模", "Size", ("employees", "revenue", "total_assets")),
    Group(
        "compliance",
        "合规情况（近三年）",
        "Compliance (last three years)",
        (
            "abnormal_operation_list",
            "serious_dishonesty_list",
            "major_accident_3y",
            "tax_violation_3y",
            "major_violation_1y",
            "prohibited_products",
        ),
        none_of=True,
    ),
    Group(
        "revenue_history", "营业收入（近三年）", "Revenue (three years)", ("revenue", "revenue_prior", "revenue_prior2")
    ),
    Group(
        "main_revenue",
        "主营业务收入（近三年）",
        "Main business revenue (three years)",
        ("main_revenue", "main_revenue_prior", "main_revenue_prior2"),
    ),
    Group(
        "rd_expense",
        "研发费用（近三年）",
        "R&D expense (three years)",
        ("rd_expense", "rd_expense_prior", "rd_expense_prior2"),
    ),
    Group(
        "rd_domestic",
        "境内研发费用（近三年）",
        "R&D expense in China (three years)",
        ("rd_expense_domestic", "rd_expense_domestic_prior", "rd_expense_domestic_prior2"),
    ),
    Group("net_assets", "净资产", "Net assets", ("net_assets_prior", "net_assets_prior2")),
    Group("staff", "人员构成", "Staff", ("rd_staff", "st_staff", "ip_staff")),
    Group("equity", "股权融资", "Equity financing", ("equity_financing_2y", "equity_financing_3y"), none_of=True),
    Group(
        "direct_routes",
        "科技奖励、研发机构与股权融资（近三年）",
        "S&T awards, R&D institutions and equity financing (last three years)",
        ("sci_tech_award_3y", "has_rd_institution", "equity_financing_3y"),
        none_of=True,
    ),
    Group(
        "award", "科技奖励", "S&T awards", ("sci_tech_award_3y", "sci_tech_award_level_3y", "sci_tech_award_rank_3y")
    ),
    Group(
        "pledge",
        "知识产权质押融资",
        "IP-pledge loans",
        ("pledge_loan_amount", "pledge_interest_paid", "pledge_collateral_patent_or_trademark"),
        none_of=True,
    ),
    Group("ip_penalty", "知识产权侵权处罚", "IP-infringement penalties", ("ip_penalty_free", "last_ip_penalty_date")),
    Group(
        "ip_counts",
        "拥有的知识产权",
        "IP held",
        (
            "invention_patents",
            "utility_models",
            "designs",
            "software_copyrights",
            "trademarks",
        ),
    ),
    Group(
        "other_ip",
        "其他知识产权",
        "Other IP",
        ("geographical_indications", "collective_certification_marks", "work_copyright_registrations"),
        none_of=True,
    ),
    Group(
        "ip_protection",
        "知识产权保护与人员",
        "IP protection and staff",
        ("ip_disputes_won", "ip_penalties_3y", "patent_attorneys", "ip_service_clients", "invention_patents_10y"),
        none_of=True,
    ),
    Group(
        "abroad",
        "海外布局",
        "Abroad",
        ("madrid_registrations", "madrid_registrations_new", "pct_applications", "overseas_patent_families"),
        none_of=True,
    ),
    Group(
        "district_roles",
        "平台与项目",
        "Platforms and projects",
        (
            "ip_operation_body",
            "leading_enterprise",
            "builds_industry_ip_database",
            "builds_ip_trusteeship_platform",
            "patent_navigation_project",
        ),
        none_of=True,
    ),
    Group(
        "ip_operation",
        "知识产权运营",
        "IP operation",
        ("ip_insurance_premium", "licensing_deals", "copyright_pledge_loan_amount"),
        none_of=True,
    ),
    Group(
        "quality",
        "质量与品牌",
        "Quality and brand",
        ("own_brand", "quality_system_certified", "quality_award_provincial", "drafted_standards", "gi_mark_user"),
    ),
    Group(
        "class_ip",
        "知识产权分类（高企口径）",
        "IP by class (high-tech enterprise)",
        ("class1_ip", "class1_ip_self_developed", "class1_high_value_ip", "class2_ip"),
    ),
    Group(
        "ip_use",
        "知识产权运用与海外布局",
        "IP use and protection abroad",
        (
            "licensing_deals",
            "pledge_loan_amount",
            "patent_navigation_project",
            "gi_mark_user",
            "collective_certification_marks",
            "pct_applications",
            "madrid_registrations",
            "hvp_overseas_family",
        ),
        none_of=True,
    ),
    Group(
        "hvp",
        "高价值发明专利情形",
        "High-value patent categories",
        ("hvp_strategic_emerging", "hvp_overseas_family", "hvp_max_pledge_amount", "hvp_award"),
        none_of=True,
    ),
)
# "Does not apply": no for a yes/no fact, 0 for a count or an amount.
CLEAN: dict[str, Any] = {
    name: False if field_kind(name) == "bool" else 0 for g in GROUPS if g.none_of for name in g.facts
}


# --- answers ------------------------------------------------------------------------------------


class Answers(BaseModel):
    """The answers so far: known values (English or Chinese keys) and the facts the person does not
    know (不知道), by English name or Chinese label."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = {}
    unknown: list[str] = []

    @field_validator("unknown")
    @classmethod
    def _known_names(cls, names: list[str]) -> list[str]:
        out = []
        for name in names:
            key = KEY_BY_LABEL.get(name, name)
            if key not in FIELDS:
                raise bilingual_error(f"unknown fact {name!r}", f"没有名为 {name!r} 的信息项")
            out.append(key)
        return out


def answers_from(data: Any) -> Answers:
    """Request JSON (`{"values": {...}, "unknown": [...]}`) as answers, or ProfileInputError."""
    if not isinstance(data, dict):
        data = {"values": data}
    try:
        return Answers.model_validate(data)
    except ValidationError as err:
        raise ProfileInputError(describe_errors(err)) from None


def askable(name: str) -> bool:
    return name in FIELDS and asked_of_firm(name)


# --- status-only evaluation (engine.evaluate.status, behind one small class) ---------------------

_AS_BOOL = {"eligible": True, "ineligible": False, "undetermined": None, "error": None}


class Statuses:
    """The open outcomes of a partial profile, and the same with a few facts changed (probes)."""

    def __init__(self, profile: EnterpriseProfile, pack: RulePack, as_of: date, targets: Iterable[str]) -> None:
        self.pack, self.as_of, self.targets = pack, as_of, list(targets)
        self.fast = compiled(pack, as_of)
        self.facts = {name: getattr(profile, name) for name in FIELDS}
        self.base = self.fast.run(self.facts, self.targets)

    def read(self) -> dict[str, tuple[Any, set[str]]]:
        """Each target's value (None = undetermined) and the profile facts that would settle it."""
        out = {}
        for t in self.targets:
            value = self.value(self.base, t)
            missing = self.base.decisions[t].missing if t in self.base.decisions else self.base.missing.name(t)
            out[t] = (value, {m for m in missing if m in FIELDS} if value is None else set())
        return out

    def value(self, result: Any, target: str) -> Any:
        if target in result.decisions:
            return _AS_BOOL[result.decisions[target].status]
        value = result.facts.get(target)
        return self.tier_of_interval(result) if value is None and target == TIER else value

    def tier_of_interval(self, result: Any) -> Any:
        """The tier while the score is still an interval: settled once both ends fall in one band
        (the tier's cut-offs rise with the score, so every score between gets the same tier)."""
        card = result.scorecards.get(CARD)
        if card is None:
            return None
        ends = set()
        for total in (card.low, card.high):
            env = dict(result.values)
            env[CARD] = total
            for ident, rule in _from_card(self.fast):
                env[ident] = rule.value(env)
            ends.add(env.get(TIER))
        return ends.pop() if len(ends) == 1 else None

    def changed(self, update: dict[str, Any], targets: list[str]) -> tuple[dict[str, Any], float]:
        """The targets' values with the facts in `update` set, and how many points the open scores'
        intervals shrink by."""
        result = self.fast.run(self.facts | update, targets)
        narrowed = sum(
            (b.high - b.low) - (result.scorecards[c].high - result.scorecards[c].low)
            for c, b in self.base.scorecards.items()
            if c in result.scorecards
        )
        return {t: self.value(result, t) for t in targets}, narrowed


def _from_card(fast: StatusEvaluator) -> list[tuple[str, Any]]:
    """The derived facts computed from the IP-strength score, in the pack's order, as the
    status-only evaluator compiled them (each with a `value(env)`)."""
    found = fast.pack.memo.get((_from_card, fast.as_of))
    if found is None:
        after = downstream(fast.pack, [CARD])
        found = [(i, fast.steps[i].rule) for i in fast.pack.order if i in after and i in fast.pack.derived]
        fast.pack.memo[(_from_card, fast.as_of)] = found
    return found


def statuses(
    profile: EnterpriseProfile, pack: RulePack, as_of: date, targets: Iterable[str]
) -> dict[str, tuple[Any, set[str]]]:
    """Each target's value (None = undetermined) and the profile facts that would settle it."""
    return Statuses(profile, pack, as_of, targets).read()


# --- outcomes -----------------------------------------------------------------------------------


def outcome_ids(pack: RulePack, as_of: date) -> list[str]:
    ids = [p for p in pack.policies if pack.policy_on(p, as_of) is not None]
    return ids + ([TIER] if TIER in pack.derived else [])


def outcome_words(pack: RulePack, ident: str) -> Words:
    zh, en = pack.label(ident)
    return Words(zh=zh, en=en)


class Outcome(BaseModel):
    id: str
    kind: str  # measure, designation or tier
    title: Words
    status: str  # eligible / ineligible / undetermined
    value: Any = None  # the tier's letter


def outcome(pack: RulePack, as_of: date, ident: str, value: Any) -> Outcome:
    policy = pack.policy_on(ident, as_of) if ident in pack.policies else None
    status = (
        "undetermined"
        if value is None
        else ("eligible" if value is True else "ineligible" if value is False else "eligible")
    )
    return Outcome(
        id=ident,
        kind=policy.kind if policy else "tier",
        title=outcome_words(pack, ident),
        status=status,
        value=None if isinstance(value, bool) else value,
    )


# --- questions ----------------------------------------------------------------------------------


class TitleChoice(BaseModel):
    code: str
    zh: str
    en: str
    levels: list[Option] = []  # only for titles conferred at several levels


class Question(BaseModel):
    field: str
    label: Words
    kind: str  # number, integer, bool, date, text, level, titles
    unit: str | None = None  # Chinese, as the profile model declares it
    unit_en: str | None = None
    help: Words | None = None
    options: list[Option] = []
    zero_option: bool = False  # "0 / 没有" is an answer of its own
    clean: Any = None  # in a "none of these apply" group: the value "does not apply" gives
    minimum: float | None = None
    maximum: float | None = None
    titles: list[TitleChoice] = []


class Step(BaseModel):
    id: str
    title: Words
    questions: list[Question]
    why: Words
    settles: list[str]  # outcome ids this step can settle
    none_of: bool = False
    count: int = 0  # questions it asks: one per fact; a checklist ("none of these apply", titles) counts one
    inputs: int = 0  # input fields it shows: a checklist counts each item


def questions_in(facts: Iterable[str], none_of: bool) -> int:
    """How many questions a step asks: one per fact, a "none of these apply" checklist one."""
    return 1 if none_of else len(list(facts))


def questions_answered(step: Step, values: dict[str, Any]) -> int:
    """How many questions answering a step took: a checklist is one, plus each figure typed in it
    (an exception that is a count or an amount); any other step one per fact."""
    if not step.none_of:
        return step.count
    typed = [q for q in step.questions if q.kind != "bool" and values.get(q.field, q.clean) != q.clean]
    return 1 + len(typed)


def inputs_in(facts: Iterable[str]) -> int:
    """How many input fields a step shows: one per fact, one per title in the titles checklist."""
    return sum(len(TITLES) if field_kind(f) == "titles" else 1 for f in facts)


class Progress(BaseModel):
    done: bool
    step: Step | None
    outcomes: list[Outcome]
    settled: int
    total: int
    open_facts: list[str]  # facts that could still settle an open outcome (K in "回答这 K 个问题")
    asked: int  # facts answered or marked unknown so far
    implied: dict[str, Any] = {}  # facts the answers settle without asking (never asked)


def question(name: str) -> Question:
    zh_help, en_help = help_text(name, "zh"), help_text(name, "en")
    titles = (
        [
            TitleChoice(
                code=c,
                zh=zh,
                en=TITLES_EN[c],
                levels=[
                    Option(value=lv, zh=LEVEL_WORDS[lv][0], en=LEVEL_WORDS[lv][1]) for lv in TITLE_LEVELS.get(c, ())
                ],
            )
            for c, zh in TITLES.items()
        ]
        if field_kind(name) == "titles"
        else []
    )
    said = zh_help and en_help and zh_help != label(name, "zh")  # a help that only repeats the label is left out
    return Question(
        field=name,
        label=Words(zh=label(name, "zh"), en=label(name, "en")),
        kind=field_kind(name),
        unit=unit_of(name),
        unit_en=unit_of(name, "en"),
        help=Words(zh=zh_help, en=en_help) if said else None,
        options=options(name),
        zero_option=zero_means_none(name),
        clean=CLEAN.get(name),
        minimum=bound_of(name, "ge"),
        maximum=bound_of(name, "le"),
        titles=titles,
    )


# --- probing ------------------------------------------------------------------------------------


def _strings(pack: RulePack) -> list[str]:
    found = pack.memo.get(_strings)
    if found is None:
        texts = {n.value for node in _all_asts(pack) for n in _walk(node) if isinstance(n, ex.Str)}
        texts |= {v.value for p in pack.parameters.values() for v in p.versions if isinstance(v.value, str)}
        found = pack.memo[_strings] = sorted(texts)[:12] + ["\x00"]
    return found


def _all_asts(pack: RulePack) -> Iterable[ex.Node]:
    for item in [*pack.derived.values(), *pack.scorecards.values(), *(v for vs in pack.policies.values() for v in vs)]:
        yield from (e.ast for e in expressions_of(item))


def _walk(node: ex.Node) -> Iterable[ex.Node]:
    yield node
    for child in ex.children(node):
        yield from _walk(child)


ALL_TITLES = [Title(title=c, level=Level.national) for c in TITLES]


def probe_values(name: str, pack: RulePack, as_of: date) -> list[Any]:
    """Values at the ends of a fact's range: one of them decides whatever the fact alone can decide."""
    kind = field_kind(name)
    if kind == "bool":
        return [False, True]
    if kind in ("integer", "number"):
        low = bound_of(name, "ge")
        high = bound_of(name, "le")
        return [low if low is not None else -BIG, high if high is not None else BIG]
    if kind == "date":
        return [date(1900, 1, 1), as_of]
    if kind == "level":
        return [Level.district, Level.national]
    if kind == "titles":
        return [[], ALL_TITLES]
    opts = options(name)
    return [o.value for o in opts] if opts else _strings(pack)


def _within_whole(name: str, values: list[Any], facts: dict[str, Any]) -> list[Any]:
    """A part's probes kept within its whole when the whole is known (rd_staff <= employees)."""
    wholes = [facts[w] for p, w in CROSS_CHECKS if p == name and facts.get(w) is not None]
    return [min(v, *wholes) for v in values] if wholes and field_kind(name) in ("integer", "number") else values


@dataclass
class Candidate:
    facts: tuple[str, ...]
    group: Group | None
    settles: set[str]  # outcomes some answer settles (each fact at each end of its range)
    touches: float  # the step's share of what each open outcome it cannot settle alone lacks
    narrows: float  # points the open scores' intervals shrink by, expected under the prior
    expected: float = 0.0  # outcomes settled, expected under the prior (engine.evaluate.prior)
    questions: float = 1.0  # questions it asks, expected under the prior (a checklist: 1 + figures typed)


def _probe(base: Statuses, update: dict[str, Any], open_missing: dict[str, set[str]]) -> tuple[set[str], float]:
    targets = [o for o, missing in open_missing.items() if missing & update.keys()]
    if not targets:
        return set(), 0.0
    found, narrowed = base.changed(update, targets)
    return {o for o, value in found.items() if value is not None}, narrowed


def score(base: Statuses, facts: tuple[str, ...], group: Group | None, open_missing: dict[str, set[str]]) -> Candidate:
    """What a step could settle (each fact at each end of its range, and the group's facts together),
    and what it settles on average over the answers firms give (the prior's sample, sized to this firm)."""
    values = {f: _within_whole(f, probe_values(f, base.pack, base.as_of), base.facts) for f in facts}
    ends = [{f: v} for f in facts for v in values[f]]
    if len(facts) > 1:
        ends += [{f: values[f][0] for f in facts}, {f: values[f][-1] for f in facts}]
    settles: set[str] = set()
    for update in ends:
        settles |= _probe(base, update, open_missing)[0]
    none_of = bool(group and group.none_of)
    narrows = 0.0
    questions = 1.0 if none_of else float(len(facts))
    chance: dict[str, float] = {}  # each outcome's chance to be settled by the answer
    for answer, share in prior_answers(facts, base.facts, base.as_of):
        update = {f: v for f, v in answer.items() if v is not None}
        update = {f: _within_whole(f, [v], base.facts | update)[0] for f, v in update.items()}
        settled, narrowed = _probe(base, update, open_missing)
        for o in settled:
            chance[o] = chance.get(o, 0.0) + share
        narrows += share * narrowed
        if none_of:
            questions += share * sum(1 for f, v in update.items() if field_kind(f) != "bool" and v != CLEAN[f])
    # when the answer leaves an outcome open, the step still gives its share of what that outcome lacks
    touches = sum(
        (1 - chance.get(o, 0.0)) * len(missing & set(facts)) / len(missing)
        for o, missing in open_missing.items()
        if missing & set(facts)
    )
    return Candidate(facts, group, settles, touches, narrows, sum(chance.values()), questions)


# --- the next step ------------------------------------------------------------------------------


def next_step(profile: EnterpriseProfile, unknown: Iterable[str], pack: RulePack, as_of: date) -> Progress:
    """The decisions so far and the step to ask next (None when the interview is over)."""
    unknown = set(unknown)
    ids = outcome_ids(pack, as_of)
    base = Statuses(profile, pack, as_of, ids)
    state = base.read()
    answered = {n for n in FIELDS if getattr(profile, n) is not None}
    outcomes = [outcome(pack, as_of, i, state[i][0]) for i in ids]
    open_missing = {
        o: {m for m in missing if askable(m) and m not in answered and m not in unknown}
        for o, (value, missing) in state.items()
        if value is None
    }
    open_missing = {o: m for o, m in open_missing.items() if m}
    open_facts = sorted(set().union(*open_missing.values()), key=list(FIELDS).index)
    settled = sum(1 for o in outcomes if o.status != "undetermined")
    asked = len(answered | unknown)
    progress = Progress(
        done=True, step=None, outcomes=outcomes, settled=settled, total=len(ids), open_facts=open_facts, asked=asked
    )
    opening = [f for f in OPENING.facts if f not in answered and f not in unknown]
    if len(opening) == len(OPENING.facts):
        why = _why(pack, [o for o in ids if state[o][0] is None])
        progress.step = Step(
            id=OPENING.id,
            title=Words(zh=OPENING.zh, en=OPENING.en),
            questions=[question(f) for f in opening],
            why=why,
            settles=[o for o in ids if state[o][0] is None],
            count=questions_in(opening, False),
            inputs=inputs_in(opening),
        )
        progress.done = False
        return progress
    if not open_facts:
        return progress
    best = max(_candidates(base, open_facts, open_missing), key=rank)
    shown = [o for o in ids if o in best.settles] or [o for o in ids if open_missing.get(o, set()) & set(best.facts)]
    group = best.group
    title = Words(zh=group.zh, en=group.en) if group else Words(zh=label(best.facts[0]), en=label(best.facts[0], "en"))
    progress.step = Step(
        id=group.id if group else best.facts[0],
        title=title,
        questions=[question(f) for f in best.facts],
        why=_why(pack, shown, bool(best.settles)),
        settles=shown,
        none_of=bool(group and group.none_of),
        count=questions_in(best.facts, bool(group and group.none_of)),
        inputs=inputs_in(best.facts),
    )
    progress.done = False
    return progress


def rank(c: Candidate) -> tuple[float, ...]:
    """Most progress per question: the outcomes its answers settle, expected under the prior, plus
    its share of those it helps settle; then the outcomes any answer could settle; then the most
    narrowing of open scores; then fewer questions, the profile's order."""
    n = c.questions
    return (c.expected + c.touches) / n, len(c.settles) / n, c.narrows / n, -n, -list(FIELDS).index(c.facts[0])


def _candidates(base: Statuses, open_facts: list[str], open_missing: dict[str, set[str]]) -> list[Candidate]:
    checklisted: set[str] = set()
    out = []
    for group in GROUPS:
        facts = tuple(f for f in group.facts if f in open_facts)
        if len(facts) > 1:
            checklisted |= set(facts)
            out.append(score(base, facts, group, open_missing))
    out += [score(base, (f,), None, open_missing) for f in open_facts if f not in checklisted]
    return out


def _why(pack: RulePack, outcomes: list[str], settles: bool = True) -> Words:
    names = [outcome_words(pack, o) for o in outcomes]
    shown_zh = "、".join(w.zh for w in names[:4]) + (f"等 {len(names)} 项" if len(names) > 4 else "")
    shown_en = "; ".join(w.en for w in names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    if settles:
        return Words(zh=f"回答后可确定：{shown_zh}", en=f"Answering settles: {shown_en}")
    return Words(zh=f"与以下结果有关：{shown_zh}", en=f"Bears on: {shown_en}")


def given(answers: Answers) -> dict[str, Any]:
    return {k: v for k, v in answers.values.items() if k not in answers.unknown}


def profile_of(answers: Answers) -> EnterpriseProfile:
    """The partial profile the answers give (validated like any profile input), with what they imply."""
    profile = parse_profile(given(answers))
    return profile.model_copy(update=implied(profile))


def implied(profile: EnterpriseProfile) -> dict[str, Any]:
    """Facts the answers settle without asking (engine.model.profile.IMPLIED, to a fixed point), and
    the district presumed from the credit code's registering authority."""
    found: dict[str, Any] = {}
    if profile.credit_code and profile.division_code is None and division_of(profile.credit_code) in DISTRICTS:
        found["division_code"] = division_of(profile.credit_code)
    changed = True
    while changed:
        changed = False
        for name, value, other, its in IMPLIED:
            known = found[name] if name in found else getattr(profile, name)
            if known == value and getattr(profile, other) is None and other not in found:
                found[other] = its
                changed = True
    return found


def completed(answers: Answers) -> dict[str, Any]:
    """The answers with the facts they imply: what the result is computed from."""
    return given(answers) | implied(parse_profile(given(answers)))


def interview(answers: Answers, pack: RulePack, as_of: date) -> Progress:
    profile = parse_profile(given(answers))
    extra = implied(profile)
    unknown = [u for u in answers.unknown if u in FIELDS]
    progress = next_step(profile.model_copy(update=extra), unknown, pack, as_of)
    progress.implied = {k: extra[k] for k in sorted(extra, key=list(FIELDS).index)}
    progress.asked = len({n for n in FIELDS if getattr(profile, n) is not None} | set(unknown))
    return progress


# --- the result in one line ---------------------------------------------------------------------


class ResultSummary(BaseModel):
    """符合 N 项，预计可获 X 万元（其中 Y 项金额为假设值）; 待定 M 项：回答这 K 个问题即可确定."""

    eligible: int
    amount: float  # 万元, over the eligible decisions that state an amount
    assumed_amounts: int  # eligible decisions whose amount rests on an assumed or provisional value
    without_amount: int  # eligible decisions with support "as provided" (no amount)
    undetermined: int
    open_questions: int
    ineligible: int


def result_summary(assessment: Assessment, progress: Progress) -> ResultSummary:
    eligible = [d for d in assessment.decisions if d.status == "eligible"]
    priced = [d for d in eligible if any(b.amount is not None for b in d.benefits)]
    assumed = [
        d
        for d in priced
        if d.rule_status != "confirmed" or any(b.rule_status != "confirmed" for b in d.benefits if b.amount is not None)
    ]
    return ResultSummary(
        eligible=len(eligible),
        amount=sum(b.amount for d in priced for b in d.benefits if b.amount is not None),
        assumed_amounts=len(assumed),
        without_amount=len(eligible) - len(priced),
        undetermined=sum(1 for d in assessment.decisions if d.status == "undetermined"),
        open_questions=len(progress.open_facts),
        ineligible=sum(1 for d in assessment.decisions if d.status == "ineligible"),
    )
