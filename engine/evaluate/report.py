"""A readable text report of an assessment, in Chinese or English."""

from __future__ import annotations

from engine.evaluate.explain import fmt_number, fmt_value
from engine.evaluate.provenance import ASSUMED_TAG
from engine.evaluate.strength import APART
from engine.model.profile import FIELDS, label_zh, unit_of
from engine.model.results import (
    Assessment,
    Assumption,
    ConditionResult,
    Decision,
    IndicatorResult,
    ScorecardResult,
    StrengthResult,
)
from engine.model.words import STATUS_EN, STATUS_ZH

STATUS = {"zh": STATUS_ZH, "en": STATUS_EN}
MARK = {"met": "✓", "unmet": "✗", "unknown": "?"}
RULE_STATUS = {
    "zh": {"assumed": "［假设，待确认］", "provisional": "［暂定］"},
    "en": {"assumed": " [assumed, to confirm]", "provisional": " [provisional]"},
}


def field_name(name: str, lang: str) -> str:
    return label_zh(name) if lang == "zh" and name in FIELDS else name


def render(assessment: Assessment, lang: str = "zh") -> str:
    zh = lang == "zh"
    lines = [
        ("企业" if zh else "Enterprise") + f": {assessment.name or '—'}  {assessment.credit_code or ''}".rstrip(),
        ("评估日期" if zh else "As of")
        + f": {assessment.as_of}   "
        + ("规则包" if zh else "rule pack")
        + f": {assessment.rules_hash}",
        "",
    ]
    shown = assessment.strength.scorecard if assessment.strength else None
    for card in assessment.scorecards:
        if card.id == shown:
            lines += strength_lines(assessment, card, lang) + [""]
        elif card.id not in APART or shown is None:  # an apart card is a dimension of the strength section
            lines += scorecard_lines(card, lang) + [""]
    for decision in assessment.decisions:
        lines += decision_lines(decision, lang) + [""]
    if assessment.information:
        lines += information_lines(assessment, lang) + [""]
    if assessment.near_misses:
        lines += near_miss_lines(assessment, lang) + [""]
    if assessment.patent_counts:
        lines += patent_count_lines(assessment, lang) + [""]
    if assessment.facts:
        lines.append("派生事实" if zh else "Derived facts")
        lines += [f"  {k} = {fmt_value(v, lang=lang)}" for k, v in assessment.facts.items()]
    return "\n".join(lines)


def decision_lines(d: Decision, lang: str) -> list[str]:
    title = d.title.zh if lang == "zh" else d.title.en
    flag = RULE_STATUS[lang].get(d.rule_status, "")
    status = STATUS[lang][d.status]
    if d.status == "undetermined" and not d.missing:  # open for another reason (e.g. expert-judged ranges)
        status = f"{'待定' if lang == 'zh' else 'UNDETERMINED'}（{d.reasons.zh if lang == 'zh' else d.reasons.en}）"
    lines = [f"■ {title}{flag}  → {status}", f"  {'依据' if lang == 'zh' else 'Source'}: {d.citation}"]
    lines += condition_lines(d.conditions, lang, depth=1)
    if d.status == "undetermined" and d.missing:
        names = "、".join(field_name(m, lang) for m in d.missing) if lang == "zh" else ", ".join(d.missing)
        lines.append(f"  {'需补充' if lang == 'zh' else 'Would settle it'}: {names}")
    lines += assumption_lines(d.assumptions, lang)
    for b in d.benefits:
        amount = (
            f"（{fmt_number(b.amount)} 万元）"
            if b.amount is not None
            else f"（{'最高' if lang == 'zh' else 'up to'} ≤ {fmt_number(b.up_to)} 万元）"
            if b.up_to is not None
            else ""
        )
        lines.append(
            f"  {'可享受' if lang == 'zh' else 'Benefit'}: {b.text.zh if lang == 'zh' else b.text.en}{amount}"
            f"{RULE_STATUS[lang].get(b.rule_status, '')}"
        )
        extra = [a for a in b.assumptions if a not in d.assumptions]
        lines += ["  " + line for line in assumption_lines(extra, lang)]
    return lines


def assumption_lines(assumptions: list[Assumption], lang: str) -> list[str]:
    """The assumed or provisional values a result rested on, one per line (engine/evaluate/provenance.py)."""
    if not assumptions:
        return []
    head = "  依据含假设值:" if lang == "zh" else "  Rests on assumptions:"
    return [head] + [
        f"    {ASSUMED_TAG[lang].get(a.status, '')}{a.text.zh if lang == 'zh' else a.text.en}" for a in assumptions
    ]


def information_lines(assessment: Assessment, lang: str) -> list[str]:
    """Measures with nothing to check: what they offer and whom to ask (可咨询)."""
    zh = lang == "zh"
    lines = ["可咨询（文件提出、无可判定条件的措施）" if zh else "To ask about (measures with nothing to check)"]
    for e in assessment.information:
        flag = RULE_STATUS[lang].get(e.rule_status, "")
        lines.append(f"□ {e.title.zh if zh else e.title.en}{flag}  → {'可咨询' if zh else 'ask'}  ({e.citation})")
        lines.append(f"  {'内容' if zh else 'Offers'}: {e.offers.zh if zh else e.offers.en}")
        lines.append(f"  {'咨询' if zh else 'Ask'}: {e.ask.zh if zh else e.ask.en}")
    return lines


def condition_lines(c: ConditionResult, lang: str, depth: int) -> list[str]:
    pad = "  " * depth
    text = c.text.zh if lang == "zh" else c.text.en
    label = (c.label.zh if lang == "zh" else c.label.en) if c.label else None
    sep = "：" if lang == "zh" else ": "
    head = f"{label}{sep}{text}" if label and c.combinator is None and label != text else (label or text)
    flag = RULE_STATUS[lang].get(c.rule_status, "")
    lines = [f"{pad}{MARK[c.status]} {head}{flag}"]
    if c.would_take and c.status == "unmet":
        lines.append(f"{pad}    → {c.would_take.zh if lang == 'zh' else c.would_take.en}")
    if c.status == "unknown" and not c.children and c.missing:
        names = "、".join(field_name(m, lang) for m in c.missing) if lang == "zh" else ", ".join(c.missing)
        lines.append(f"{pad}    {'缺少' if lang == 'zh' else 'missing'}: {names}")
    for child in c.children:
        lines += condition_lines(child, lang, depth + 1)
    return lines


def scorecard_lines(card: ScorecardResult, lang: str) -> list[str]:
    zh = lang == "zh"
    total = fmt_number(card.total) if card.total is not None else f"{fmt_number(card.low)}–{fmt_number(card.high)}"
    verdict = {
        True: "达标" if zh else "passes",
        False: "未达标" if zh else "fails",
        None: "待定" if zh else "undetermined",
    }
    need = f" / {'需' if zh else 'needs'} ≥ {fmt_number(card.pass_at)}" if card.pass_at is not None else ""
    lines = [f"◆ {card.label.zh if zh else card.label.en}: {total}{need} → {verdict[card.passed]}  ({card.source})"]
    for g in card.groups:
        pts = fmt_number(g.points) if g.points is not None else f"{fmt_number(g.low)}–{fmt_number(g.high)}"
        minimum = f"，{'最低' if zh else 'min'} {fmt_number(g.min)}" if g.min is not None else ""
        lines.append(f"  {g.label.zh if zh else g.label.en}: {pts} / {fmt_number(g.max)}{minimum}")
        for i in g.indicators:
            lines.append(f"    - {i.label.zh if zh else i.label.en}: {indicator_points(i, zh)} / {fmt_number(i.max)}")
    if card.judged and card.expert_need is not None:
        lines.append(
            f"  {'专家评分部分需在区间下限之上再得' if zh else 'the expert-judged ranges must add'} "
            f"{fmt_number(card.expert_need)} {'分' if zh else 'points to pass'}"
        )
    for r in card.routes:
        lines.append(f"  {MARK[r.status]} {'直通' if zh else 'direct route'}: {r.label.zh if zh else r.label.en}")
    return lines + assumption_lines(card.passed_assumptions or card.assumptions, lang)


def value_text(name: str, value: object, lang: str) -> str:
    unit = unit_of(name) if name in FIELDS else None
    return f"{field_name(name, lang)} = {fmt_value(value, unit, lang)}"


def strength_lines(a: Assessment, card: ScorecardResult, lang: str) -> list[str]:
    """The IP-strength section: overall, tier, dimensions, indicators with facts used, improvements."""
    zh = lang == "zh"
    s: StrengthResult = a.strength  # type: ignore[assignment]
    score = score_text(s)
    tier = s.tier or ("待定" if zh else "undetermined")
    head = f"◆ 知识产权实力：{score} 分（0–100）  等级 {tier}" if zh else f"◆ IP strength: {score} (0-100)  tier {tier}"
    lines = [head + f"  ({card.source}){RULE_STATUS[lang]['assumed']}"]
    groups = card.groups + [g for c in a.scorecards if c.id in APART for g in c.groups]
    for dim, group in zip(s.dimensions, groups):
        name = dim.label.zh if zh else dim.label.en
        if dim.applies is False:
            lines.append(f"  {name}: {'不适用（仅评价知识产权服务企业）' if zh else 'n/a (IP service firms only)'}")
            continue
        if dim.applies is None:
            lines.append(
                f"  {name}: "
                + (
                    "待定（是否属于知识产权服务企业未知；不计入综合分）"
                    if zh
                    else "pending (IP service firm or not is unknown; outside the score)"
                )
            )
            continue
        pts = fmt_number(dim.points) if dim.points is not None else f"{fmt_number(dim.low)}–{fmt_number(dim.high)}"
        apart = ("（单独评分，不计入综合分）" if zh else " (scored apart, outside the score)") if dim.apart else ""
        lines.append(f"  {name}: {pts} / {fmt_number(dim.max)}{apart}")
        for i in group.indicators:
            p = indicator_points(i, zh)
            used = (
                "，".join(value_text(k, v, lang) for k, v in i.values.items())
                if zh
                else ", ".join(value_text(k, v, lang) for k, v in i.values.items())
            )
            lines.append(
                f"    - {i.label.zh if zh else i.label.en}: {p} / {fmt_number(i.max)}" + (f"  [{used}]" if used else "")
            )
    if s.missing:
        names = ("、" if zh else ", ").join(field_name(m, lang) for m in s.missing)
        lines.append(f"  {'需补充' if zh else 'Would settle it'}: {names}")
    if a.improvements:
        lines.append(
            "  提升建议（按每单位变化所加分数排序）:" if zh else "  Improvements (ranked by points per unit of change):"
        )
        lines += [f"    {n}. {imp.text.zh if zh else imp.text.en}" for n, imp in enumerate(a.improvements, start=1)]
    return lines


def near_miss_lines(a: Assessment, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = ["◇ 差一点即可符合（最少的改变）:" if zh else "◇ Narrowest misses (fewest changes that would qualify):"]
    for m in a.near_misses:
        lines.append(f"  - {m.title.zh if zh else m.title.en}: {m.text.zh if zh else m.text.en}")
    return lines


def patent_count_lines(a: Assessment, lang: str) -> list[str]:
    zh = lang == "zh"
    lines = [
        "◇ 专利清单统计（已替代企业填报数）:"
        if zh
        else "◇ Counts from the patent list (used instead of the profile's):"
    ]
    for c in a.patent_counts:
        flag = "" if c.agrees else (f"  ≠ 企业填报 {c.in_profile}" if zh else f"  ≠ profile says {c.in_profile}")
        lines.append(f"  {c.field_zh if zh else c.field}: {c.from_list}{flag}")
    return lines


def score_text(s: StrengthResult) -> str:
    if s.score is not None:
        return fmt_number(s.score)
    if s.score_low is not None and s.score_high is not None:
        return f"{fmt_number(s.score_low)}–{fmt_number(s.score_high)}"
    return "?"


def indicator_points(i: IndicatorResult, zh: bool) -> str:
    """Points, an expert-judged range (low–high, 专家评定), or ? while unknown."""
    if i.points is not None:
        return fmt_number(i.points)
    if i.judged:
        return f"{fmt_number(i.low)}–{fmt_number(i.high)}（{'专家评定' if zh else 'experts judge'}）"
    return "?"
