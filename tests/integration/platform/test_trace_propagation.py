"""One trace spans services: the outbox keeps the writer's trace context and Kafka headers carry it on."""

from __future__ import annotations

import httpx
from opentelemetry import trace

from leadline.platform.kafka import create_producer
from leadline.platform.outbox import OutboxRelay, stage_events
from leadline.platform.tracing import configure_tracing, context_from_headers
from leadline.router.bootstrap import build as build_router
from leadline.router.entrypoints.settings import RouterSettings
from tests.kafka_helpers import new_topic, read_topic, test_envelope
from tests.tracing import recorded_spans, server_span


async def test_an_event_published_later_by_the_relay_carries_the_trace_of_the_request_that_wrote_it(
    infra, messaging_db
):
    _, _, sessions = messaging_db
    topic = await new_topic(infra.bootstrap_servers, "traced")
    if not hasattr(trace.get_tracer_provider(), "add_span_processor"):  # as every service does at start
        configure_tracing("test")
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("POST /webhooks/whatsapp") as request_span:
        async with sessions() as session, session.begin():
            await stage_events(session, [test_envelope("chat-1", 1)], topic=topic)
        trace_id = request_span.get_span_context().trace_id

    producer = create_producer(infra.kafka_settings)
    await producer.start()
    try:
        await OutboxRelay(sessions, producer).relay_once()  # runs outside the request's span
    finally:
        await producer.stop()

    [record] = await read_topic(infra.bootstrap_servers, topic, expected=1)
    headers = dict(record.headers)
    assert b"traceparent" in {name.encode() for name in headers}
    carried = trace.get_current_span(context_from_headers(record.headers)).get_span_context()
    assert carried.trace_id == trace_id
    assert carried.span_id == request_span.get_span_context().span_id, "consumers continue the writer's span"


PROBES = ("/healthz", "/readyz", "/metrics")
#: The router's untraced paths (``untraced_paths``): its stream and media URLs may carry a token in the query.
WITH_CREDENTIALS_IN_THE_QUERY = ("/stream", "/conversations/c1/messages/m1/media", "/conversations/c1/customer-photo")


async def test_a_service_request_continues_the_callers_trace_and_probes_are_not_traced(infra):
    app = build_router(
        RouterSettings(
            database_url=await infra.new_database("traced"),
            kafka_bootstrap_servers=infra.bootstrap_servers,
            kafka_group_prefix="traced-",
        )
    )
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = {"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"}
    with recorded_spans() as spans:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router") as client:
            response = await client.get("/openapi.json", headers=traceparent)
            for probe in (*PROBES, *WITH_CREDENTIALS_IN_THE_QUERY):
                await client.get(probe, headers=traceparent)
    assert response.status_code == 200 and response.headers["x-request-id"]
    span = server_span(spans, "/openapi.json")
    assert span is not None, "FastAPI's OpenTelemetry support opens a server span per request"
    assert format(span.context.trace_id, "032x") == caller_trace
    assert span.parent.span_id == 0x00F067AA0BA902B7
    assert [server_span(spans, probe) for probe in (*PROBES, *WITH_CREDENTIALS_IN_THE_QUERY)] == [None] * 6
