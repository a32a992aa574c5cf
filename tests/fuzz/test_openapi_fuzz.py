"""Every operation of every service, fuzzed from the app's own OpenAPI document.

No 5xx, every status code documented, every body in its documented content type and
schema, every documented header as documented: once with a token that holds the right
(so the fuzzer gets past 401 and 403), once with no valid token on every write route,
which must then be refused before anything is read or written.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import (
    AREA,
    SEEDED,
    SEEDED_ON_POSTGRES,
    Seeded,
    Served,
    bearer,
    openapi_document,
    valid_bodies,
)
from tests.fuzz.hooks import (
    flatmap_query,
    hostile_variants,
    seeded_bodies,
    seeded_path_parameters,
)

pytestmark = pytest.mark.fuzz

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# derandomize: the same cases on every run and every machine, so CI cannot flake.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
DOCUMENT = openapi_document()


WRITES = ["POST", "PUT", "DELETE"]


def _schema(seeded: Seeded, **include: Any) -> schemathesis.BaseSchema:
    made = schemathesis.openapi.from_dict(DOCUMENT)
    made.hook(seeded_path_parameters(seeded))
    made.hook(seeded_bodies(seeded))
    made.hook(flatmap_query)
    return made.include(**include) if include else made


schema = _schema(SEEDED)
# Refusing a caller without a token does not depend on the body's edge cases: no
# coverage phase here, which halves the module's time.
writes = _schema(SEEDED, method=WRITES)
writes.config.phases.update(phases=["examples", "fuzzing"])
# Edge cases of shape were covered on SQLite; PostgreSQL differs in what text it takes.
on_postgres = _schema(SEEDED_ON_POSTGRES)
on_postgres.config.phases.update(phases=["examples", "fuzzing"])


def token_for(case: Case) -> str:
    """The commander may do most things; forecasts are written by the office on duty."""
    return "dev-office-duty" if case.path.startswith("/forecast/") else "dev-hq-commander"


def test_the_fuzzed_document_is_the_one_served(served: Served) -> None:
    assert served.openapi == DOCUMENT
    assert {"/healthz", "/readyz", "/metrics"} <= set(DOCUMENT["paths"])
    prefixes = {path.split("/")[1] for path in DOCUMENT["paths"]}
    assert {"forecast", "alerting", "response", "notify"} <= prefixes


@FUZZ
@schema.parametrize()
def test_every_operation_with_a_token(case: Case, served: Served) -> None:
    case.call_and_validate(base_url=served.base_url, headers=bearer(token_for(case)), checks=CHECKS)


def _refused_unread(response: Response) -> bool:
    """A 422 for a request nothing could be read from: a body that is not JSON at all
    (FastAPI reads it before any dependency) or a NUL character anywhere."""
    detail = response.json().get("detail")
    if isinstance(detail, str):
        return detail.startswith("body: not JSON") or "a NUL character is not allowed" in detail
    return all(issue.get("type") == "json_invalid" for issue in detail)


@FUZZ
@writes.parametrize()
def test_write_operations_without_a_token(case: Case, served: Served) -> None:
    response = case.call_and_validate(base_url=served.base_url, checks=CHECKS)
    assert "401" in case.operation.definition.raw["responses"], (
        f"{case.operation.label} writes without declaring it needs a token"
    )
    refused = response.status_code in (401, 405) or (
        response.status_code == 422 and _refused_unread(response)
    )
    assert refused, f"{case.operation.label} answered {response.status_code} without a token"


@pytest.mark.postgres
@FUZZ
@on_postgres.parametrize()
def test_every_operation_on_postgresql(case: Case, served_on_postgres: Served) -> None:
    case.call_and_validate(
        base_url=served_on_postgres.base_url, headers=bearer(token_for(case)), checks=CHECKS
    )


@pytest.mark.postgres
@pytest.mark.parametrize("label", sorted(valid_bodies()))
def test_hostile_strings_in_valid_bodies_on_postgresql(
    label: str, served_on_postgres: Served
) -> None:
    """Every string of a body that passes every rule, one at a time, made hostile: blind
    fuzzing rarely gets a body that far, so this is swept rather than sampled."""
    operation = on_postgres.find_operation_by_label(label)
    assert operation is not None, label
    path_parameters = {"district": AREA} if "{district}" in label else None
    for body in valid_bodies()[label]:
        media_type = "text/csv" if isinstance(body, str) else "application/json"
        for variant in hostile_variants(body):
            case = operation.Case(
                body=variant, media_type=media_type, path_parameters=path_parameters
            )
            case.call_and_validate(
                base_url=served_on_postgres.base_url,
                headers=bearer(token_for(case)),
                checks=CHECKS,
            )
