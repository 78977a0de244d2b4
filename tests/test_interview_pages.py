"""The interview pages, posted step by step as a browser without JavaScript would: every page of a
full interview is in Chinese (no identifier-like token, no English word), and the result page sums
it up (符合 N 项 … 待定 M 项 …)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.model.profile import EXPERT_JUDGED, field_kind, parse_profile

ROOT = Path(__file__).resolve().parent.parent
IDENTIFIER = re.compile(r"[a-z]+_[a-z_]+")
ENGLISH = re.compile(r"[A-Za-z]{2,}")
ALLOWED = {"ipcheck", "English", "API", "GB", "ISO", "PCT", "LPR", "JSON", "PDF"}
FIRM = {"统一社会信用代码": "91500105MA5U00011E", "企业名称": "重庆示例机械制造有限公司"}


class Page(HTMLParser):
    """What a person sees (text, placeholders, labels for screen readers) and the step form's fields."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.hidden: dict[str, str] = {}
        self._skip = 0
        self._switch = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "form":  # the language switch carries the answers too, in the other language
            self._switch = "lang-form" in (a.get("class") or "")
        if tag == "input" and a.get("type") == "hidden" and not self._switch and a.get("name") not in self.hidden:
            self.hidden[a["name"] or ""] = a.get("value") or ""
        for key in ("placeholder", "aria-label", "title", "alt"):
            if a.get(key):
                self.text.append(a[key] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "form":
            self._switch = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def read(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def leaks(page: Page) -> list[str]:
    text = " ".join(page.text)
    text = re.sub(r"\b[0-9a-f]{16}\b|\b[0-9A-Z]{18}\b", " ", text)  # the rule pack's hash, a credit code
    return IDENTIFIER.findall(text) + [w for w in ENGLISH.findall(text) if w not in ALLOWED]


def answer(name: str, truth: dict) -> dict[str, str | list[str]]:
    """The form fields a person fills in for one question (blank = 不知道)."""
    if name not in truth:
        return {}
    value, kind = truth[name], field_kind(name)
    if kind == "titles":
        return {"titles": [t["title"] for t in value]}
    if kind == "bool":
        return {name: "true" if value else "false"}
    return {name: str(value.isoformat() if hasattr(value, "isoformat") else value)}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(database_url=f"sqlite:///{tmp_path_factory.mktemp('db')}/db.sqlite3"))


def walk(client: TestClient, truth: dict, limit: int = 80) -> list[str]:
    html = client.get("/").text
    pages = [html]
    for _ in range(limit):
        page = read(html)
        if 'id="summary"' in html:
            return pages
        fields = page.hidden["fields"].split(",")
        data: dict = {k: page.hidden[k] for k in ("state", "as_of", "lang", "fields")}
        if "none_of" in page.hidden:
            data["none_of"] = "1"
            data["applies"] = [f for f in fields if truth.get(f) and field_kind(f) == "bool"]
            for name in fields:  # the figures of a checklist's counts and amounts (blank: none)
                if field_kind(name) != "bool" and truth.get(name):
                    data |= answer(name, truth)
            data["action"] = "next"
        else:
            for name in fields:
                data |= answer(name, truth)
            data["action"] = "next"
        r = client.post("/interview", data=data)
        assert r.status_code == 200, r.text[:2000]
        html = r.text
        pages.append(html)
    raise AssertionError("the interview did not reach the result")


@pytest.fixture(scope="module")
def manufacturer() -> dict:
    raw = json.loads((ROOT / "examples" / "specialized_manufacturer.json").read_text(encoding="utf-8"))
    profile = parse_profile(raw | {"注册地行政区划代码": "500105"})
    return profile.model_dump(mode="json", exclude_none=True, exclude=set(EXPERT_JUDGED)) | {
        "credit_code": FIRM["统一社会信用代码"]
    }


@pytest.fixture(scope="module")
def pages(client: TestClient, manufacturer: dict) -> list[str]:
    return walk(client, manufacturer)


def test_every_page_of_a_full_interview_is_chinese(pages: list[str]) -> None:
    assert len(pages) > 3
    for n, html in enumerate(pages):
        found = leaks(read(html))
        assert not found, f"page {n}: {sorted(set(found))[:20]}"


def test_the_result_sums_up_first_and_links_back_into_the_interview(pages: list[str]) -> None:
    result = pages[-1]
    summary = result[result.index('id="summary"') : result.index("</section>", result.index('id="summary"'))]
    assert re.search(r"符合 <strong>\d+</strong> 项", summary)
    assert "万元" in summary or "按规定给予支持" in summary
    assert 'download="ipcheck-answers.json"' in summary and "data:application/json" in summary
    assert result.index('id="summary"') < result.index('class="decision')
    assert "如何申报" in result and ("以主管部门通知为准" in result or "责任单位" in result)
    assert "<details>" in result and "<details open" not in result  # condition trees collapsed


def test_unknown_skip_back_and_errors(client: TestClient) -> None:
    page = read(client.get("/").text)
    base = {k: page.hidden[k] for k in ("state", "as_of", "lang", "fields")}
    bad = client.post("/interview", data=base | {"credit_code": "123", "employees": "-5", "action": "next"})
    assert bad.status_code == 422 and "统一社会信用代码" in bad.text and "应为 18 位" in bad.text
    assert not leaks(read(bad.text))
    skipped = read(client.post("/interview", data=base | {"action": "skip"}).text)
    state = json.loads(skipped.hidden["state"])
    assert set(state["unknown"]) >= set(base["fields"].split(",")) and state["values"] == {}
    back = client.post(
        "/interview", data={k: skipped.hidden[k] for k in ("state", "as_of", "lang")} | {"action": "back"}
    )
    assert json.loads(read(back.text).hidden["state"])["unknown"] == []
    assert 'name="credit_code"' in back.text


def test_answers_download_can_be_uploaded_to_resume(client: TestClient) -> None:
    answers = {"values": {"division_code": "500105", "employees": 20}, "unknown": ["credit_code", "name"]}
    r = client.post(
        "/interview",
        data={"lang": "zh"},
        files={"upload": ("answers.json", json.dumps(answers).encode(), "application/json")},
    )
    assert r.status_code == 200
    state = json.loads(read(r.text).hidden["state"])
    assert state["values"]["employees"] == 20 and "credit_code" in state["unknown"]


def test_a_number_answer_in_words(client: TestClient) -> None:
    page = read(client.get("/").text)
    base = {k: page.hidden[k] for k in ("state", "as_of", "lang", "fields")}
    r = client.post("/interview", data=base | {"revenue": "5,200 万元", "employees.zero": "1", "action": "next"})
    state = json.loads(read(r.text).hidden["state"])
    assert parse_profile(state["values"]).revenue == 5200 and state["values"]["employees"] == 0


def test_a_decision_awaiting_the_experts_says_what_their_part_must_reach(pages: list[str]) -> None:
    """高企 with every fact known but the expert-judged ranges: 专家评分部分需达到 X 分以上 on its card."""
    result = pages[-1]
    card = result[result.index('id="d-high_tech_enterprise"') :]
    card = card[: card.index("</article>")]
    # 需 ≥ 71; the firm's figures give 34 with the experts' four scores at 0 and their ranges at the bottom
    assert "专家评分部分需达到 <strong>37</strong> 分以上" in card and "满分 42 分" in card, card[:1500]
    assert "待专家评审打分" in card and "缺少信息" not in card


def test_switching_language_keeps_the_answers_and_the_step(client: TestClient) -> None:
    page = read(client.get("/").text)
    base = {k: page.hidden[k] for k in ("state", "as_of", "lang", "fields", "step")}
    first = client.post(
        "/interview",
        data=base | {"credit_code": FIRM["统一社会信用代码"], "employees": "86", "revenue": "5200", "action": "next"},
    )
    step = read(first.text)
    switched = client.post("/interview", data=step.hidden | {"action": "switch"})
    again = read(switched.text)
    assert json.loads(again.hidden["state"]) == json.loads(step.hidden["state"])  # nothing lost
    assert again.hidden["fields"] == step.hidden["fields"] and again.hidden["lang"] == "en"
    assert 'lang="en"' in switched.text and "Settled" in switched.text
    # the switch is a button of the step form (its form attribute): no script needed
    assert re.search(r'<button[^>]*form="step-form"[^>]*value="switch"[^>]*id="switch-language"', first.text)


def test_switching_language_on_the_edit_page_keeps_the_edits_in_progress(client: TestClient) -> None:
    """修改回答: what was changed but not yet sent stays on the page in the other language, and the
    answers being changed are not lost (they used to be: the switch re-chose a step without them)."""
    page = read(client.get("/").text)
    base = {k: page.hidden[k] for k in ("state", "as_of", "lang", "fields", "step")}
    opening = {"credit_code": FIRM["统一社会信用代码"], "employees": "86", "revenue": "5200", "action": "next"}
    step = read(client.post("/interview", data=base | opening).text)
    edit = client.post("/interview", data={**step.hidden, "action": "edit:0"})
    shown = read(edit.text)
    assert shown.hidden["step"] == "edit" and 'value="86"' in edit.text
    fields = shown.hidden["fields"].split(",")
    typed = {
        "credit_code": FIRM["统一社会信用代码"],
        "employees": "120",
        "revenue": "5200",
        "titles": ["iso9001_certified"],
    }
    switched = client.post("/interview", data={**shown.hidden, **typed, "action": "switch"})
    again = read(switched.text)
    assert 'lang="en"' in switched.text and again.hidden["step"] == "edit" and again.hidden["lang"] == "en"
    assert again.hidden["fields"].split(",") == fields
    assert 'value="120"' in switched.text and "Change your answers" in switched.text
    assert re.search(r'value="iso9001_certified"\s+checked', switched.text)
    assert json.loads(again.hidden["state"]) == json.loads(shown.hidden["state"])  # nothing applied yet
    sent = client.post("/interview", data={**again.hidden, **typed, "action": "next"})
    assert json.loads(read(sent.text).hidden["state"])["values"]["employees"] == "120"
    back = client.post("/interview", data={**again.hidden, **typed, "action": "switch"})
    assert 'lang="zh-CN"' in back.text and "修改回答" in back.text and 'value="120"' in back.text


def test_a_checklist_of_counts_takes_none_or_the_figures_typed(client: TestClient) -> None:
    """'None of these' sets every count to 0; a typed figure is kept, a blank one is 0 (not 不知道)."""
    from engine.evaluate.interview import GROUPS

    abroad = next(g for g in GROUPS if g.id == "abroad")
    state = json.dumps({"values": {"credit_code": FIRM["统一社会信用代码"]}, "unknown": [], "history": []})
    base = {"state": state, "as_of": "2025-06-30", "lang": "zh", "fields": ",".join(abroad.facts), "none_of": "1"}
    none = json.loads(read(client.post("/interview", data=base | {"action": "none"}).text).hidden["state"])
    assert all(none["values"][f] == 0 for f in abroad.facts)
    typed = client.post("/interview", data=base | {"action": "next", "pct_applications": "2"})
    values = json.loads(read(typed.text).hidden["state"])["values"]
    assert values["pct_applications"] == "2" and values["madrid_registrations"] == 0


def test_the_registered_district_reads_as_its_name_in_either_language() -> None:
    """注册地为江北区 / registered in Jiangbei District, never the code 500105 (and 注册地在重庆市 for the
    province prefix); every district has an English name."""
    from datetime import date

    from engine.evaluate.evaluator import evaluate
    from engine.language.loader import load_pack
    from engine.model.vocabulary import DISTRICTS, DISTRICTS_EN

    assert DISTRICTS_EN.keys() == DISTRICTS.keys() and not any(
        re.search(r"[\u4e00-\u9fff]", n) for n in DISTRICTS_EN.values()
    )
    profile = parse_profile(
        json.loads((ROOT / "examples" / "specialized_manufacturer.json").read_text(encoding="utf-8"))
    )
    found = evaluate(profile.model_copy(update={"division_code": "500105"}), load_pack(), date(2026, 6, 1))
    texts = [(c.text.zh, c.text.en) for d in found.decisions for c in _leaves(d.conditions)]
    assert ("注册地为江北区", "registered in Jiangbei District") in texts
    assert ("注册地在重庆市", "registered in Chongqing") in texts
    assert not [t for t in texts if "500105" in t[0] + t[1]]


def _leaves(c):
    return [c] if not c.children else [leaf for k in c.children for leaf in _leaves(k)]


CHINESE = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff“”（）、，。：；]*")


def test_edit_pages_and_the_english_pages_leak_nothing(client: TestClient, pages: list[str]) -> None:
    """Every 修改回答 page of the walk, and every step, edit page and the result in English: no identifier;
    no Chinese on an English step or edit page (but the switch back to 中文). The English result still
    quotes its Chinese sources (document names, some condition-group labels): identifiers only there."""
    last = read(pages[-2])  # the last step: its state holds every answer and the steps they came in
    history = json.loads(last.hidden["state"])["history"]
    base = {k: last.hidden[k] for k in ("state", "as_of", "fields", "step")}
    shown = []
    for index in range(len(history)):
        for lang in ("zh", "en"):
            r = client.post("/interview", data=base | {"lang": lang, "action": f"edit:{index}"})
            assert r.status_code == 200 and 'value="edit"' in r.text
            shown.append((f"edit {index} {lang}", lang, r.text))
    for n, html in enumerate(pages[:-1]):
        step = read(html)
        r = client.post("/interview", data=step.hidden | {"action": "switch"})
        shown.append((f"step {n} en", "en", r.text))
    result = client.post("/interview", data=base | {"lang": "en", "action": "result"})
    assert 'id="summary"' in result.text
    shown.append(("result en", "en-result", result.text))
    for where, lang, html in shown:
        page = read(html)
        found = leaks(page) if lang == "zh" else IDENTIFIER.findall(" ".join(page.text))
        assert not found, (where, sorted(set(found))[:20])
        if lang == "en":
            chinese = {w for w in CHINESE.findall(" ".join(page.text)) if w != "中文"}
            assert not chinese, (where, sorted(chinese)[:20])


def test_the_summary_does_not_count_support_as_provided_twice(pages: list[str]) -> None:
    """符合 N 项 then, without an amount, 均 / 其中 M 项按规定给予支持 — never "另有" (it read as N + M)."""
    headline = re.search(r'id="summary-eligible">(.*?)</p>', pages[-1], re.S)[1]
    text = re.sub(r"<[^>]+>", "", headline)
    eligible = int(re.search(r"符合 (\d+) 项", text)[1])
    if "预计可获" not in text:
        assert "另有" not in text
        assert eligible == 0 or re.search(r"，(均|其中 \d+ 项)按规定给予支持", text), text


def test_an_eligible_card_gives_what_sets_the_measure_apart_as_its_reason(client: TestClient) -> None:
    """Not 注册地为江北区 (every district measure asks it) but the condition of the measure itself."""
    state = {
        "values": {
            "credit_code": FIRM["统一社会信用代码"],
            "division_code": "500105",
            "ip_insurance_premium": 12,
            "ip_penalty_free": True,
            "serious_dishonesty_list": False,
            "abnormal_operation_list": False,
            "legal_person": True,
        },
        "unknown": [],
        "history": [],
    }
    data = {"state": json.dumps(state), "as_of": "2025-06-30", "lang": "zh", "action": "result"}
    html = client.post("/interview", data=data).text
    card = html[html.index('id="d-jb_ip_insurance_premium"') :]
    card = card[: card.index("</article>")]
    assert "符合" in card and "注册地为江北区" not in re.sub(r"<details.*?</details>", "", card, flags=re.S)
    assert "保险" in re.search(r"原因.*?</p>", card, re.S)[0]
