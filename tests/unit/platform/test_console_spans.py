"""Dev's console span exporter prints every span, also one with a bytes attribute (a Kafka record's key)."""

from __future__ import annotations

import io
import json

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from leadline.platform.tracing import console_json


def test_a_span_with_a_bytes_attribute_is_printed_with_it_as_text():
    out = io.StringIO()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=console_json)))
    with provider.get_tracer("test").start_as_current_span("leadline.whatsapp.inbound process") as span:
        span.set_attribute("messaging.kafka.message.key", b"acme:5511987654321")
        span.set_attribute("messaging.kafka.offset", 7)

    printed = json.loads(out.getvalue())
    assert printed["name"] == "leadline.whatsapp.inbound process"
    assert printed["attributes"] == {"messaging.kafka.message.key": "acme:5511987654321", "messaging.kafka.offset": 7}
