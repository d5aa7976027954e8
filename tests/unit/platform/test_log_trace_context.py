"""A JSON log line written inside a span names its trace and span, so logs and traces lead to each other."""

import json
import logging

import structlog
from opentelemetry.sdk.trace import TracerProvider

from leadline.platform.logging import configure_logging


def test_a_line_written_inside_a_span_names_its_trace_and_span_and_one_outside_names_none(capsys):
    configure_logging("test", fmt="json")
    tracer = TracerProvider().get_tracer("test")  # a provider of its own: the process-wide one may be set already
    with tracer.start_as_current_span("POST /webhooks/whatsapp") as span:
        structlog.get_logger("t").info("inside")
        logging.getLogger("uvicorn.error").warning("a library's line inside")
    structlog.get_logger("t").info("outside")
    inside, library, outside = (json.loads(line) for line in capsys.readouterr().err.strip().splitlines()[-3:])
    context = span.get_span_context()
    for record in (inside, library):
        assert (record["trace_id"], record["span_id"]) == (f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert "trace_id" not in outside and "span_id" not in outside
    logging.getLogger().handlers.clear()
