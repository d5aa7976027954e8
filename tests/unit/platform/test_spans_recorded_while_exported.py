"""Spans are recorded only while something exports them; unrecorded ones still carry the trace on."""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadline.platform.tracing import _Provider


def test_a_span_nobody_exports_is_not_recorded_but_has_its_ids_and_then_one_is_recorded_once_exported():
    provider = _Provider(resource=Resource.create({"service.name": "leadline-test"}))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("unexported") as span:
        assert not span.is_recording()
        assert span.get_span_context().is_valid, "trace and span ids go on in traceparent and logs"
        with tracer.start_as_current_span("its child") as child:
            assert child.get_span_context().trace_id == span.get_span_context().trace_id

    exported = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    with tracer.start_as_current_span("exported") as span:
        assert span.is_recording()
    assert [s.name for s in exported.get_finished_spans()] == ["exported"]
