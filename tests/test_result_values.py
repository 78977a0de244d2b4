"""The result page names every value it shows by its label, never by id, and says which ones the firm
entered and which the rules derived (ratios as percentages, from the unit of the fact)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from engine.model.profile import FIELDS, label

ROOT = Path(__file__).resolve().parent.parent


def test_derived_facts_show_their_chinese_label_and_unit(tmp_path: Path) -> None:
    client = TestClient(create_app(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    example = json.loads((ROOT / "examples" / "specialized_manufacturer.json").read_text(encoding="utf-8"))
    by_label = {label(f, "zh"): f for f in FIELDS}
    form = {"lang": "zh", "as_of": "2026-03-01"}
    for key, value in example.items():
        name = by_label.get(key, key)
        if name in FIELDS and not isinstance(value, (list, dict)):
            form[name] = (
                {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
            )
    page = client.post("/check", data=form).text
    text = re.sub(r"<[^>]+>", " ", page)
    derived = " ".join(re.findall(r"据此得出：[^<]*", page))
    assert "优质中小企业梯度培育基本条件 = 是" in derived  # the 63号 prerequisites, a policy read as a fact
    assert "近三年境内研究开发费用占全部研究开发费用的比例 = 100%" in derived  # a ratio as a percentage, not 1
    assert "quality_sme_prerequisites = " not in text and "hte_domestic_rd_share_3y = " not in text
    entered = " ".join(re.findall(r"您填写的：[^<]*", page))
    assert "营业收入 = 12,000 万元" in entered and "优质中小企业" not in entered
