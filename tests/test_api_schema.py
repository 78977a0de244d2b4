"""Property-based API tests from the OpenAPI schema (schemathesis): no 500s, responses match the schema."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app

app = create_app(database_url="sqlite:///:memory:", officer_tokens={"alice": "s3cret"})
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# Invalid inputs too (wrong types, out-of-range values, broken bodies): they must get 4xx, never 500.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": "Bearer s3cret"}, checks=CHECKS)


# --- the new endpoints, named, so none drops out of the run above unnoticed -------------------------

NEW = {
    ("POST", "/v1/assess"),
    ("POST", "/v1/interview"),
    ("POST", "/v1/screens"),
    ("GET", "/v1/screens"),
    ("GET", "/v1/screens/{run_id}"),
    ("GET", "/v1/screens/{run_id}/result"),
    ("GET", "/v1/screens/{run_id}/input"),
    ("GET", "/v1/template"),
}


def test_the_new_endpoints_are_in_the_schema_run() -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert found >= NEW, NEW - found


def a_finished_run() -> str:
    """The id of a run of alice's, screened to the end (TestClient runs the background task before returning)."""
    from fastapi.testclient import TestClient

    csv = "企业名称,成立日期,注册地行政区划代码\n示例甲,2024-03-01,500105\n".encode()
    r = TestClient(app).post("/v1/screens", headers=AUTH, files={"file": ("a.csv", csv)}, data={"as_of": "2025-06-30"})
    return str(r.json()["id"])


AUTH = {"Authorization": "Bearer s3cret"}
RUN_ID = a_finished_run()
RUNS = schema.include(path_regex=r"^/v1/screens/\{run_id\}")


@RUNS.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_run_endpoints_with_a_real_run_conform(case: schemathesis.Case) -> None:
    """Random run ids only ever reach the 404; with a real one the 200s (JSON and xlsx) are checked too."""
    case.path_parameters = {"run_id": RUN_ID}
    case.call_and_validate(headers=AUTH, checks=CHECKS)


# Text with lone surrogates (hypothesis and schemathesis leave them out of their strings by default).
SURROGATE_TEXT = st.text(st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010), min_size=1, max_size=4)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | SURROGATE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(SURROGATE_TEXT | st.sampled_from(["name", "values"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(body=JSON_VALUES, path=st.sampled_from(["/v1/assess", "/v1/interview"]))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_json_with_lone_surrogates_is_answered_never_a_500(body: object, path: str) -> None:
    from fastapi.testclient import TestClient

    raw = json.dumps(body, ensure_ascii=True).encode()  # \udXXX escapes: valid JSON, not valid text
    r = TestClient(app, raise_server_exceptions=False).post(
        path, content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code in (200, 422), r.text
    r.content.decode("utf-8")  # the answer itself is UTF-8 text
