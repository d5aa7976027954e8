"""Schemathesis against each real service's published OpenAPI: no 500s, and every answer matches its schema.

Cases are generated from each operation's schema (``/openapi.json`` of the running process) and sent over HTTP with a
valid token of the ``fuzz`` account's administrator (an account of its own, so whatever the fuzzer changes touches
no other test). Hypothesis is bounded and derandomized, so a CI failure reproduces locally; shrinking is skipped to
keep the run short (the failing case is printed as a curl command). ``GET /stream`` never ends and is left to the
live-stream tests.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

MAX_EXAMPLES = 25
NEVER_ENDS = {("GET", "/stream")}


def fuzz_operation(operation, *, base_url: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            timeout=15,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )

    run()


@pytest.mark.parametrize("service", ["router", "leads", "history", "ingest"])
def test_no_generated_request_gets_a_500_or_an_answer_outside_its_schema(stack, service):
    base_url = stack.urls[service]
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = stack.accounts["fuzz"].headers("diego")
    failures, fuzzed = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in NEVER_ENDS:
            continue
        fuzzed += 1
        try:
            fuzz_operation(operation, base_url=base_url, headers=headers)
        except Exception as error:  # every operation is fuzzed; all failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:3000])
    assert fuzzed, "the schema has operations"
    assert not failures, "\n\n".join(failures)
