"""The self-check API and pages through FastAPI's TestClient, including every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import Request, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.direct import Direct
from api.limits import Limits
from engine import rule_errors
from engine.language.loader import load_pack

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = json.loads((ROOT / "examples" / "new_ip_service_firm.json").read_text(encoding="utf-8"))
ZH_EXAMPLE = json.loads((ROOT / "examples" / "manufacturer_incomplete.json").read_text(encoding="utf-8"))
POLICY = "jb_new_ip_service_firm"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("db") / "runs.sqlite3"
    return TestClient(create_app(database_url=f"sqlite:///{db}", officer_tokens={"alice": "s3cret"}))


def decision(body: dict, ident: str = POLICY) -> dict:
    return next(d for d in body["decisions"] if d["id"] == ident)


# --- POST /v1/assess --------------------------------------------------------


def test_assess_english_keys(client: TestClient) -> None:
    r = client.post("/v1/assess", params={"as_of": "2025-06-30"}, json=EXAMPLE)
    assert r.status_code == 200
    body = r.json()
    assert body["as_of"] == "2025-06-30"
    assert body["rules_hash"] == load_pack().hash
    d = decision(body)
    assert d["status"] == "eligible"
    assert d["citation"].startswith("江北府办发〔2023〕6号")
    assert d["conditions"]["children"], "the conditions tree is returned"
    assert "符合" in body["report"] and r.headers["content-language"] == "zh"


def test_assess_chinese_keys_and_english_report(client: TestClient) -> None:
    r = client.post("/v1/assess?as_of=2025-06-30&lang=en", json=ZH_EXAMPLE)
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == ZH_EXAMPLE["企业名称"]
    assert decision(body)["status"] == "ineligible"  # registered 2015: not newly founded
    assert body["lang"] == "en" and "not eligible" in body["report"]


def test_missing_fact_is_undetermined_with_what_would_settle_it(client: TestClient) -> None:
    profile = {k: v for k, v in EXAMPLE.items() if k != "serious_dishonesty_list"}
    d = decision(client.post("/v1/assess?as_of=2025-06-30", json=profile).json())
    assert d["status"] == "undetermined"
    assert d["missing"] == ["serious_dishonesty_list"]


def test_as_of_before_every_policy_has_no_decision(client: TestClient) -> None:
    body = client.post("/v1/assess?as_of=2010-01-01", json=EXAMPLE).json()
    assert [d["id"] for d in body["decisions"]] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"employees": -1}, "employees"),
        ({"从业人员数": "many"}, "employees"),
        ({"industry_code": "X99"}, "industry_code"),
        ({"credit_code": "91500105MA5U00011X"}, "credit_code"),
        ({"rd_staff": 10, "employees": 5}, "rd_staff"),
        ({"no_such_fact": 1}, "no_such_fact"),
        ({"titles": [{"title": "nobel_prize"}]}, "titles.0.title"),
        ({"registration_date": "2024-02-30"}, "registration_date"),
    ],
)
def test_invalid_profile_names_the_field_in_both_languages(client: TestClient, body: dict, field: str) -> None:
    r = client.post("/v1/assess", json=body)
    assert r.status_code == 422
    issue = r.json()["issues"][0]
    assert issue["field"] == field
    assert issue["message_en"] and issue["message_zh"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"[1, 2]",
        b"42",
        b'"text"',
        b"null",
        b"{",
        b'{"employees": NaN}',
        b'{"revenue": Infinity}',
        b'{"employees": 1e999}',
        '{"企业名称": "示例"}'.encode("gbk"),
        b"\xff\xfe\x00{",
        b'{"employees": 1' + b"0" * 5000 + b"}",
        b"[" * 10_000 + b"]" * 10_000,
    ],
)
def test_bad_bodies_get_a_bilingual_422_never_a_500(client: TestClient, raw: bytes) -> None:
    r = client.post("/v1/assess", content=raw, headers={"content-type": "application/json"})
    assert r.status_code in (413, 422), r.text
    body = r.json()
    assert body["message_en"] and body["message_zh"]


def test_bad_query_parameters(client: TestClient) -> None:
    for query in ("as_of=2025-13-01", "as_of=yesterday", "lang=fr"):
        r = client.post(f"/v1/assess?{query}", json=EXAMPLE)
        assert r.status_code == 422
        issue = r.json()["issues"][0]
        assert issue["field"].startswith("query.") and issue["message_zh"]


def test_request_size_limit(tmp_path: Path) -> None:
    small = TestClient(
        create_app(
            database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", officer_tokens={}, limits=Limits(body_bytes=1000)
        )
    )
    r = small.post("/v1/assess", json={"name": "x" * 2000})
    assert r.status_code == 413 and "字节" in r.json()["message_zh"]

    def chunks():  # no content-length: counted while streaming
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    assert small.post("/v1/assess", content=chunks()).status_code == 413


# --- catalogue, version, health --------------------------------------------


def test_policies_catalogue(client: TestClient) -> None:
    listing = client.get("/v1/policies").json()
    assert [p["id"] for p in listing] == list(load_pack().policies)
    assert listing[0]["citation"].startswith("江北府办发")
    one = client.get(f"/v1/policies/{POLICY}").json()
    assert one["versions"][0]["conditions"]["combinator"] == "all"
    assert {p["id"] for p in one["parameters"]} >= {"new_firm_max_years"}
    assert all(v["citation"] for p in one["parameters"] for v in p["versions"])


def test_unknown_policy_is_a_bilingual_404(client: TestClient) -> None:
    r = client.get("/v1/policies/no_such_policy")
    assert r.status_code == 404 and r.json()["message_zh"]


def test_version_and_health(client: TestClient) -> None:
    pack = load_pack()
    assert client.get("/v1/rules/version").json()["rules_hash"] == pack.hash
    # rule_errors counts failures since this process started, so it holds what earlier tests in the same
    # process provoked (tests/test_api_canary.py does on purpose): compare with the process's own count.
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "rules_hash": pack.hash, "rule_errors": rule_errors()}


def test_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/v1/nothing").json()["message_zh"] == "未找到"
    assert client.get("/v1/assess").status_code == 405


@pytest.mark.parametrize("path", ["/", "/interview", "/healthz", "/v1/policies", "/docs"])
def test_head_is_answered_as_get_without_the_body(client: TestClient, path: str) -> None:
    # uptime monitors probe with HEAD; FastAPI's GET routes alone answered it with 405
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_head_of_a_post_only_route_is_still_refused(client: TestClient) -> None:
    assert client.head("/v1/assess").status_code == 405


def test_the_self_check_is_answered_past_fastapis_router(client: TestClient) -> None:
    # FastAPI >= 0.16x keeps an included router whole in app.routes: the hot routes must come from it
    direct = next(m for m in client.app.user_middleware if m.cls is Direct)  # type: ignore[attr-defined]
    assert sorted(r.path for r in direct.kwargs["routes"]) == ["/v1/assess", "/v1/interview"]

    async def policy(request: Request, policy_id: str) -> Response:
        return Response(policy_id)

    with pytest.raises(ValueError, match="Request alone"):
        Direct(client.app, [APIRoute("/v1/policies/{policy_id}", policy)])


def test_openapi_has_an_example_for_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "EnterpriseProfile" in spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            has_example = any("example" in c or "examples" in c for c in ok.get("content", {}).values())
            assert has_example, f"{method.upper()} {path} has no response example"
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            assert body is None or "examples" in body or "example" in body, f"{method.upper()} {path}"


# --- pages -------------------------------------------------------------------


def test_form_is_built_from_the_profile_model(client: TestClient) -> None:
    from engine.model.profile import FIELDS, label_zh, unit_of

    html = client.get("/form").text
    assert '<html lang="zh-CN">' in html
    for name in FIELDS:
        assert f'name="{name}"' in html or name == "titles", name
        assert label_zh(name) in html
    assert f"（{unit_of('revenue')}）" in html
    english = client.get("/form?lang=en").text
    assert "IP policy self-check" in english and "R&amp;D expense" in english


def test_form_submission_shows_the_decision_with_reasons(client: TestClient) -> None:
    form = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in EXAMPLE.items()}
    r = client.post("/check", data=form | {"as_of": "2025-06-30", "lang": "zh"})
    assert r.status_code == 200
    assert 'data-decision="jb_new_ip_service_firm">符合<' in r.text
    assert "江北府办发〔2023〕6号" in r.text
    r = client.post("/check", data={"registration_date": "2015-01-01", "as_of": "2025-06-30", "lang": "en"})
    # already ineligible (the date rules it out), and the age condition says what it needs
    assert 'data-decision="jb_new_ip_service_firm">Not yet<' in r.text and "Would take" in r.text


def test_form_titles_and_unknowns(client: TestClient) -> None:
    r = client.post(
        "/check",
        data={
            "titles": ["high_tech_enterprise"],
            "title_level.high_tech_enterprise": "national",
            "legal_person": "",
            "lang": "zh",
        },
    )
    assert r.status_code == 200 and "待定" in r.text


def test_form_errors_are_shown_next_to_the_field(client: TestClient) -> None:
    r = client.post("/check", data={"employees": "-3", "industry_code": "X99", "as_of": "someday", "lang": "zh"})
    assert r.status_code == 422
    assert 'id="form-errors"' in r.text
    assert "不能小于 0" in r.text and "不是 GB/T 4754 行业代码" in r.text and "评估日期应为" in r.text
    assert 'value="-3"' in r.text  # what was typed is kept


def test_policy_and_officer_pages(client: TestClient) -> None:
    html = client.get("/policies").text
    assert "江北府办发〔2023〕6号" in html and "“新设立”的最长成立年限" in html  # parameters by name, not id
    assert "Policy catalogue" in client.get("/policies?lang=en").text
    assert "/static/officer.js" in client.get("/officer").text
    assert client.get("/static/style.css").status_code == 200
    api_page = client.get("/api").text
    assert "POST /v1/assess" in api_page and "jb_new_ip_service_firm" in api_page


def test_pages_use_no_external_resources(client: TestClient) -> None:
    for path in ("/", "/form", "/policies", "/officer", "/api"):
        html = client.get(path).text
        assert "http://" not in html and "https://" not in html, path


# --- the chart slot and `ipcheck serve` ---------------------------------------


def test_result_page_shows_the_radar_chart_only_with_an_ip_strength_section(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine

    html = client.post("/check", data={"invention_patents": "3", "lang": "zh"}).text
    assert 'id="ip-strength-chart"' in html and "<svg" in html and "创造" in html
    assess = engine.assess
    monkeypatch.setattr(engine, "assess", lambda *a, **k: assess(*a, **k).model_copy(update={"strength": None}))
    assert 'id="ip-strength-chart"' not in client.post("/check", data={"lang": "zh"}).text


def test_serve_refuses_a_broken_rule_pack_or_database_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from api.cli import main
    from engine import DEFAULT_RULES

    for name in ("IPCHECK_RULES", "DATABASE_URL"):  # serve sets them for its workers; restored after the test
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "bad.yaml").write_text("policies: [1]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--rules", str(tmp_path), "--database-url", "sqlite://"])
    assert result.exit_code == 1 and "规则包加载失败" in result.output and "bad.yaml" in result.output
    result = CliRunner().invoke(main, ["serve", "--rules", str(DEFAULT_RULES), "--database-url", "nosuchdb://x"])
    assert result.exit_code == 1 and "数据库不可用" in result.output


def test_the_policy_page_says_conditions_in_words_and_notes_in_its_language(client: TestClient) -> None:
    zh = client.get("/policies", params={"lang": "zh"}).text
    assert "division_code == jiangbei_division_code" not in zh and "注册地为江北区" in zh
    assert "“新设立”的年限和“知识产权服务企业”的范围为假设" in zh and 'What counts as "new"' not in zh
    assert zh.count('<details class="policy"') == len(load_pack().policies) and 'class="toc"' in zh
    en = client.get("/policies", params={"lang": "en"}).text
    assert "What counts as &#34;new&#34;" in en or 'What counts as "new"' in en
