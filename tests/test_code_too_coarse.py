"""An industry code too coarse to pick a 300号 sector (or outside 300号) is its own reason, in Chinese and
English, in the full assessment and the summary alike (rules/national/sme_size.yaml lookup rows' `reason`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from engine.batch.screen import Screening
from engine.evaluate.evaluator import evaluate
from engine.evaluate.explain import with_reason
from engine.evaluate.summary import summarise
from engine.language.loader import load_pack
from engine.model.profile import parse_profile

PACK = load_pack()
DAY = date(2026, 3, 1)
KNOWN = {
    "division_code": "500105", "legal_person": True, "employees": 50, "revenue": 100, "total_assets": 100,
    "abnormal_operation_list": False, "serious_dishonesty_list": False, "prohibited_products": False,
    "major_accident_3y": False, "tax_violation_3y": False,
}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [("F", "代码过粗", "code too coarse"), ("K70", "代码过粗", "code too coarse"), ("J66", "不适用", "outside")],
)
def test_the_reason_names_the_code_not_a_generic_unknown(code: str, zh: str, en: str) -> None:
    profile = parse_profile({**KNOWN, "industry_code": code})
    full = {d.id: d for d in evaluate(profile, PACK, DAY).decisions}
    brief = {d.id: d for d in summarise(profile, PACK, DAY).decisions}
    d = full["quality_sme_prerequisites"]
    assert d.status == "undetermined" and zh in d.reasons.zh and en in d.reasons.en, d.reasons
    assert "未被现有规则覆盖" not in d.reasons.zh
    assert brief[d.id].reasons == d.reasons  # the summary mode says the same
    # a designation resting on the prerequisites says why they are open, beside the facts it still lacks
    leaf = next(c for c in full["innovative_sme"].conditions.children if c.id == "prerequisites")
    assert leaf.status == "unknown" and zh in leaf.text.zh, leaf.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_batch_reason_gives_the_same_reason(tmp_path: Path, lang: str) -> None:
    """Issue 14: a screened row with a code too coarse (or outside 300号) says so, in the assessment's
    wording (explain.with_reason, the rule row's reason), not a bare condition; a row lacking facts still
    names them."""
    rows = [{**KNOWN, "name": code, "industry_code": code} for code in ("F", "K70", "J66")] + [{"name": "空"}]
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    Screening(PACK, DAY, lang=lang).run(source, out)
    reasons = pd.read_csv(out)["quality_sme_prerequisites.reason"].tolist()
    table = PACK.derived["sme_sector"].lookup.table  # type: ignore[union-attr]
    coarse, outside = (next(r.reason for r in table if r.reason and code in r.keys) for code in ("F", "J"))
    for reason, why in zip(reasons, [coarse, coarse, outside]):
        text = why.zh if lang == "zh" else why.en  # type: ignore[union-attr]
        assert with_reason("", text, lang) in reason, reason
    assert ("缺少" if lang == "zh" else "missing") in reasons[3] and "代码过粗" not in reasons[3]
