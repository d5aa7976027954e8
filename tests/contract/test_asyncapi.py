"""docs/asyncapi.json is the topic catalogue and the payload models as AsyncAPI 3.0, valid against the official
schema, true to the golden examples, and every service serves its part of it at /asyncapi."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from opentelemetry import baggage, context
from opentelemetry.sdk.trace import TracerProvider

from leadline.events import REGISTRY, golden_examples
from leadline.events.asyncapi import TRACE_HEADERS, document, render, services
from leadline.events.envelope import Envelope
from leadline.events.topics import ROUTER_CONVERSATIONS, TOPICS, WHATSAPP_INBOUND, dlq_topic, topic_for
from leadline.history.bootstrap import build as build_history
from leadline.history.entrypoints.settings import HistorySettings
from leadline.ingest.bootstrap import build as build_ingest
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.leads.bootstrap import build as build_leads
from leadline.leads.entrypoints.settings import LeadsSettings
from leadline.platform.tracing import current_trace_headers
from leadline.router.bootstrap import build as build_router
from leadline.router.entrypoints.settings import RouterSettings
from leadline.web.app import create_app as create_web
from leadline.web.settings import WebSettings

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "docs" / "asyncapi.json"
ASYNCAPI_3 = Draft7Validator(json.loads((Path(__file__).parent / "vendor" / "asyncapi" / "3.0.0.json").read_text()))
EXAMPLES = golden_examples()
SOURCE_TOPICS = [spec for spec in TOPICS.values() if spec.dead_letter_of is None]


def asyncapi_problems(doc: dict[str, Any]) -> list[str]:
    return [
        "/".join(map(str, error.absolute_path)) + f": {error.message[:200]}" for error in ASYNCAPI_3.iter_errors(doc)
    ]


@cache
def message_validator(message_id: str) -> Draft202012Validator:
    """Validates an envelope against one message's payload schema, its ``$ref``s resolved within the document."""
    return Draft202012Validator({**document(), "$ref": f"#/components/messages/{message_id}/payload"})


def message_problems(message_id: str, envelope: dict[str, Any]) -> list[str]:
    return [error.message[:200] for error in message_validator(message_id).iter_errors(envelope)]


def test_the_committed_asyncapi_document_is_the_generated_one():
    assert COMMITTED.read_text() == render(document()), "docs/asyncapi.json is stale: run `make schemas`"


@pytest.mark.parametrize("service", [None, *services()], ids=lambda service: service or "whole system")
def test_the_document_is_valid_against_the_official_asyncapi_3_schema(service):
    assert asyncapi_problems(document(service)) == []


def test_the_official_schema_catches_a_document_asyncapi_does_not_allow():
    doc = copy.deepcopy(document())
    doc["channels"][WHATSAPP_INBOUND]["bindings"]["kafka"]["partitions"] = 0
    doc["operations"]["router.send.leadline.router.conversations"]["action"] = "publish"  # AsyncAPI 2's word

    problems = asyncapi_problems(doc)

    assert any(problem.startswith(f"channels/{WHATSAPP_INBOUND}") for problem in problems), problems
    assert any(problem.startswith("operations/router.send.leadline.router.conversations") for problem in problems)


def test_every_topic_is_a_channel_and_every_event_version_a_message_keyed_as_the_catalogue_says():
    doc = document()
    assert set(doc["channels"]) == set(TOPICS)
    for spec in SOURCE_TOPICS:
        channel = doc["channels"][spec.name]
        expected = {f"{event_type}.v{v}" for event_type in spec.event_types for v in REGISTRY.versions(event_type)}
        assert set(channel["messages"]) == expected, spec.name
        assert channel["bindings"]["kafka"]["partitions"] == spec.partitions
        assert channel["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == spec.retention_ms
        for message_id in expected:
            message = doc["components"]["messages"][message_id]
            assert message["bindings"]["kafka"]["key"]["description"] == spec.key
    assert {f"{model.EVENT_TYPE}.v{model.SCHEMA_VERSION}" for model in REGISTRY.models()} <= set(
        doc["components"]["messages"]
    )


def test_every_reference_in_the_document_points_at_something():
    doc = document()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return ([node["$ref"]] if isinstance(node.get("$ref"), str) else []) + [
                ref for value in node.values() for ref in refs(value)
            ]
        return [ref for value in node for ref in refs(value)] if isinstance(node, list) else []

    def resolve(ref: str) -> Any:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    found = refs(doc)
    assert len(found) > 100
    missing = [ref for ref in found if not ref.startswith("#/") or not _resolves(resolve, ref)]
    assert missing == []


def _resolves(resolve: Any, ref: str) -> bool:
    try:
        resolve(ref)
    except (KeyError, TypeError):
        return False
    return True


@pytest.mark.parametrize(("name", "envelope"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_every_golden_example_matches_its_message_and_its_dead_letter(name: str, envelope: Envelope):
    wire = json.loads(envelope.to_bytes())
    topic = topic_for(envelope.type)

    assert message_problems(f"{envelope.type}.v{envelope.schema_version}", wire) == []
    assert message_problems(f"{dlq_topic(topic)}.dead_letter", wire) == []


def test_a_message_refuses_another_version_a_missing_field_and_another_topics_event():
    [(_, claimed)] = golden_examples("router.conversation.claimed")[:1]
    wire = json.loads(claimed.to_bytes())
    without_team = copy.deepcopy(wire)
    del without_team["payload"]["team_id"]

    assert message_problems("router.conversation.claimed.v1", {**wire, "schema_version": 2}) != []
    assert message_problems("router.conversation.claimed.v1", without_team) != []
    assert message_problems(f"{dlq_topic(WHATSAPP_INBOUND)}.dead_letter", wire) != []


def test_a_services_document_holds_its_own_operations_and_the_channels_they_use():
    doc = document("router")

    assert all(operation_id.startswith("router.") for operation_id in doc["operations"])
    assert doc["operations"][f"router.send.{ROUTER_CONVERSATIONS}"]["action"] == "send"
    assert doc["operations"][f"router.receive.{WHATSAPP_INBOUND}"]["action"] == "receive"
    assert doc["operations"][f"router.follow.{ROUTER_CONVERSATIONS}"]["action"] == "receive"  # the live feed
    history = document("history")["operations"]  # its directory fold reads the integration topic, groupless
    assert history["history.follow.leadline.router.integration"]["title"].startswith("history reads")
    assert "history.receive.leadline.router.integration" not in history
    used = {operation["channel"]["$ref"].removeprefix("#/channels/") for operation in doc["operations"].values()}
    assert set(doc["channels"]) == used
    with pytest.raises(ValueError, match="not one of leadline's services"):
        document("crm")


def test_the_trace_headers_producers_write_are_the_ones_declared():
    tracer = TracerProvider().get_tracer("asyncapi-test")
    token = context.attach(baggage.set_baggage("tenant", "acme-motors"))
    try:
        with tracer.start_as_current_span("produce"):
            headers = current_trace_headers()  # what the outbox stores with each event and relays as Kafka headers
    finally:
        context.detach(token)

    assert {"traceparent", "baggage"} <= set(headers) <= set(TRACE_HEADERS["properties"])


def _apps() -> dict[str, Any]:
    database, kafka = "postgresql://nobody@127.0.0.1:1/none", "127.0.0.1:1"  # never reached: no lifespan runs
    apps = {
        name: build(settings(database_url=database, kafka_bootstrap_servers=kafka))
        for name, build, settings in (
            ("ingest", build_ingest, IngestSettings),
            ("router", build_router, RouterSettings),
            ("leads", build_leads, LeadsSettings),
            ("history", build_history, HistorySettings),
        )
    }
    apps["web"] = create_web(WebSettings())
    return apps


async def test_every_service_serves_its_document_at_asyncapi():
    served = {}
    for name, app in _apps().items():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            response = await client.get("/asyncapi")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "application/json"
        served[name] = response.json()

    assert served == {**{name: document(name) for name in services()}, "web": document()}
