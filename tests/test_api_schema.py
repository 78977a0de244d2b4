"""Property-based API tests from the OpenAPI schema (schemathesis): no 500s, responses match the schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
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
