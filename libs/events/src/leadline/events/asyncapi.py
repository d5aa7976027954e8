"""The AsyncAPI 3.0 document of leadline's topics, generated from the topic catalogue and the payload models.

One channel per topic (its Kafka key, partitions and retention in the Kafka bindings), one message per event
version (the envelope with ``type`` and ``schema_version`` fixed and the payload model in ``payload``), the
Kafka headers each message carries, and the operations: which service sends to and receives from which topic.
``document()`` is the whole system (exported to ``docs/asyncapi.json`` by ``python -m leadline.events.asyncapi``);
``document(service)`` is one service's part, which each service serves at ``/asyncapi``.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from leadline.events.envelope import Envelope, Payload
from leadline.events.registry import REGISTRY, Registry
from leadline.events.topics import DEAD_LETTER_POLICY, TOPICS, TopicSpec

JSON = dict[str, Any]
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
_REF_TEMPLATE = "#/components/schemas/{model}"
TRACE_HEADERS: JSON = {
    "type": "object",
    "description": "W3C trace context of the work that produced the event (OpenTelemetry); absent when untraced.",
    "properties": {
        "traceparent": {"type": "string", "description": "W3C `traceparent`: version-trace_id-span_id-flags."},
        "tracestate": {"type": "string", "description": "W3C `tracestate`, when the trace carries vendor state."},
        "baggage": {"type": "string", "description": "W3C `baggage`, when the trace carries any."},
    },
}
DEAD_LETTER_HEADERS: JSON = {
    "type": "object",
    "description": "Why and from where the event was dead-lettered (UTF-8 text).",
    "required": ["dlq.error", "dlq.traceback", "dlq.consumer", "dlq.topic", "dlq.partition", "dlq.offset"],
    "properties": {
        "dlq.error": {
            "type": "string",
            "description": "The error: `<ExceptionType>: <message>` (at most 2,000 characters).",
        },
        "dlq.traceback": {"type": "string", "description": "The end of its traceback (at most 4,000 characters)."},
        "dlq.consumer": {"type": "string", "description": "The consumer (group) that could not handle the event."},
        "dlq.topic": {"type": "string", "description": "The source topic."},
        "dlq.partition": {"type": "string", "description": "The source partition, in decimal."},
        "dlq.offset": {"type": "string", "description": "The source offset, in decimal."},
    },
}


def services(topics: tuple[TopicSpec, ...] = tuple(TOPICS.values())) -> list[str]:
    """leadline's services: whoever produces a source topic (readers outside leadline only consume)."""
    return sorted({producer for spec in topics if spec.dead_letter_of is None for producer in spec.producers})


def document(service: str | None = None, registry: Registry = REGISTRY) -> JSON:
    """The AsyncAPI document of the whole system, or of one service's operations and the channels they use."""
    names = services()
    if service is not None and service not in names:
        raise ValueError(f"{service!r} is not one of leadline's services: {', '.join(names)}")
    schemas, payload_refs = _component_schemas(registry)
    schemas.update({"TraceHeaders": TRACE_HEADERS, "DeadLetterHeaders": DEAD_LETTER_HEADERS})
    messages: JSON = {}
    channels: JSON = {}
    for spec in TOPICS.values():
        channel_messages = _messages(spec, registry, payload_refs)
        messages.update(channel_messages)
        channels[spec.name] = _channel(spec, channel_messages)
    operations = {
        f"{name}.{how}.{spec.name}": _operation(spec, how, name, channels[spec.name])
        for spec in TOPICS.values()
        for how, actors in (("send", spec.producers), ("receive", spec.consumers), ("follow", spec.followers))
        for name in actors
        if name in names and service in (None, name)
    }
    used = {operation["channel"]["$ref"].removeprefix("#/channels/") for operation in operations.values()}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": _info(service),
        "defaultContentType": "application/json",
        "servers": _servers(),
        "channels": {name: channel for name, channel in channels.items() if service is None or name in used},
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render(doc: JSON) -> str:
    """The stable text form: sorted keys, two-space indent, trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _info(service: str | None) -> JSON:
    subject = "leadline" if service is None else f"leadline {service}"
    return {
        "title": f"{subject} events",
        "version": version("leadline-events"),
        "description": (
            f"The Kafka topics {f'the {service} service sends to and receives from' if service else 'leadline uses'}, "
            "generated from `leadline.events` (topics, payload "
            "models); docs/events.md says the same in prose. Every message is one JSON envelope keyed by its "
            "`stream_id`; consumers deduplicate on `event_id`, ignore unknown fields, skip unknown event types and "
            "upcast older versions with `leadline.events.REGISTRY.decode`. Payload JSON Schemas (draft 2020-12) "
            "ship in the `leadline-events` wheel under `leadline/events/schemas/<type>/v<N>.json`."
        ),
        "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
    }


def _servers() -> JSON:
    return {
        "kafka": {
            "host": "{bootstrap_servers}",
            "protocol": "kafka",
            "description": "The Kafka cluster leadline runs against (KAFKA_BOOTSTRAP_SERVERS).",
            "variables": {"bootstrap_servers": {"description": "host:port of a broker", "default": "localhost:9092"}},
        },
    }


def _component_schemas(registry: Registry) -> tuple[JSON, dict[type[Payload], JSON]]:
    """Every payload model and the envelope as ``components.schemas``, and each payload model's ``$ref``."""
    models = registry.models()
    every: list[type[BaseModel]] = [Envelope, *models]
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(model, "validation") for model in every]
    refs, top = models_json_schema(inputs, ref_template=_REF_TEMPLATE)
    schemas: JSON = _asyncapi_discriminators(top["$defs"])
    return schemas, {model: refs[(model, "validation")] for model in models}


def _asyncapi_discriminators(schema: Any) -> Any:
    """Pydantic writes OpenAPI's ``discriminator: {propertyName, mapping}``; AsyncAPI's is the property name alone.

    Nothing is lost: each ``oneOf`` branch fixes its own value of that property (``const``).
    """
    if isinstance(schema, list):
        return [_asyncapi_discriminators(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        name: value["propertyName"]
        if name == "discriminator" and isinstance(value, dict) and "propertyName" in value
        else _asyncapi_discriminators(value)
        for name, value in schema.items()
    }


def _messages(spec: TopicSpec, registry: Registry, payload_refs: dict[type[Payload], JSON]) -> JSON:
    """The messages of a topic: one per event version, or for a dead-letter topic one holding any of them."""
    key = {
        "bindings": {
            "kafka": {"key": {"type": "string", "description": spec.key}, "bindingVersion": KAFKA_BINDING_VERSION}
        }
    }
    correlation = {"correlationId": {"location": "$message.payload#/correlation_id"}}
    models = [registry.model(event_type, v) for event_type in spec.event_types for v in registry.versions(event_type)]
    if spec.dead_letter_of is not None:
        return {
            f"{spec.name}.dead_letter": {
                "name": "dead_letter",
                "title": f"A dead letter of {spec.dead_letter_of}",
                "summary": "An event a consumer could not handle, unchanged, with the reason in its headers.",
                "description": DEAD_LETTER_POLICY,
                "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
                "payload": {
                    "oneOf": [{"$ref": f"#/components/messages/{_message_id(model)}/payload"} for model in models]
                },
                **correlation,
                **key,
            }
        }
    return {
        _message_id(model): {
            "name": model.EVENT_TYPE,
            "title": f"{model.EVENT_TYPE} v{model.SCHEMA_VERSION}",
            "summary": _first_line(model),
            "description": (model.__doc__ or "").strip(),
            "headers": {"$ref": "#/components/schemas/TraceHeaders"},
            "payload": _envelope_of(model, payload_refs),
            **correlation,
            **key,
        }
        for model in models
    }


def _message_id(model: type[Payload]) -> str:
    return f"{model.EVENT_TYPE}.v{model.SCHEMA_VERSION}"


def _first_line(model: type[Payload]) -> str:
    doc = (model.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else model.EVENT_TYPE


def _envelope_of(model: type[Payload], payload_refs: dict[type[Payload], JSON]) -> JSON:
    """The envelope schema with ``type`` and ``schema_version`` fixed to the model's and its payload the model."""
    return {
        "allOf": [
            {"$ref": _REF_TEMPLATE.format(model=Envelope.__name__)},
            {
                "type": "object",
                "properties": {
                    "type": {"const": model.EVENT_TYPE},
                    "schema_version": {"const": model.SCHEMA_VERSION},
                    "payload": payload_refs[model],
                },
            },
        ]
    }


def _channel(spec: TopicSpec, messages: JSON) -> JSON:
    readers = ", ".join(spec.consumers) + (
        f"; read without a group by {', '.join(spec.followers)}" if spec.followers else ""
    )
    kafka: JSON = {
        "topic": spec.name,
        "partitions": spec.partitions,
        "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": spec.retention_ms},
        "bindingVersion": KAFKA_BINDING_VERSION,
    }
    return {
        "address": spec.name,
        "title": spec.name,
        "description": f"{spec.purpose}\n\nKey: {spec.key}. Producers: {', '.join(spec.producers)}; consumers: {readers}.",
        "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"} for message_id in messages},
        "bindings": {"kafka": kafka},
    }


_HOW = {
    "send": ("send", "publishes to {topic}"),
    "receive": ("receive", "consumes {topic}"),
    "follow": ("receive", "reads {topic} on every replica without a consumer group, into a view kept in memory"),
}
"""Operation kinds: AsyncAPI knows only send and receive; a follower receives without committing offsets."""


def _operation(spec: TopicSpec, how: str, service: str, channel: JSON) -> JSON:
    action, verb = _HOW[how]
    return {
        "action": action,
        "title": f"{service} {verb.format(topic=spec.name)}",
        "channel": {"$ref": f"#/channels/{spec.name}"},
        "messages": [{"$ref": f"#/channels/{spec.name}/messages/{message_id}"} for message_id in channel["messages"]],
    }


if __name__ == "__main__":
    print(render(document()), end="")
