"""``leadline events``: read a topic as decoded envelopes, and find one event by its id."""

from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import dataclass

import typer
from aiokafka import ConsumerRecord
from pydantic import ValidationError
from rich.console import Console

from leadline.events import Envelope
from leadline.events.topics import TOPICS

from . import context
from .topic_reader import read_topics

app = typer.Typer(help="Read the event streams as decoded envelopes.", no_args_is_help=True)
out = Console(highlight=False)


@dataclass(frozen=True)
class EventFilter:
    """Which envelopes an operator asked for; empty matches all."""

    conversation: str | None = None
    lead: str | None = None
    type: str | None = None

    def matches(self, envelope: Envelope) -> bool:
        payload = envelope.payload
        if self.conversation and self.conversation not in (envelope.stream_id, str(payload.get("conversation_id"))):
            return False
        if self.lead and self.lead not in (envelope.stream_id, str(payload.get("lead_id"))):
            return False
        return not self.type or envelope.type == self.type or envelope.type.startswith(self.type.rstrip("*"))


def known_topic(topic: str) -> str:
    if topic not in TOPICS:
        context.fail(f"unknown topic {topic!r}; topics: {', '.join(TOPICS)}", 2)
    return topic


def one_line(record: ConsumerRecord, envelope: Envelope) -> str:
    return (
        f"{envelope.occurred_at:%Y-%m-%d %H:%M:%S} {envelope.type:<40} stream={envelope.stream_id} "
        f"seq={envelope.sequence} id={envelope.event_id} [{record.partition}:{record.offset}]"
    )


def as_json(record: ConsumerRecord, envelope: Envelope) -> str:
    return json.dumps(
        {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "envelope": envelope.model_dump(mode="json"),
        },
        ensure_ascii=False,
    )


@app.command()
def tail(
    topic: str = typer.Argument(..., help="a topic name, e.g. leadline.router.conversations"),
    conversation: str | None = typer.Option(None, help="only this conversation's events"),
    lead: str | None = typer.Option(None, help="only this lead's events"),
    event_type: str | None = typer.Option(
        None, "--type", help="only this event type (a prefix ending in * for a family)"
    ),
    limit: int = typer.Option(20, min=1, help="how many of the latest matching events to show"),
    follow: bool = typer.Option(False, "--follow", "-f", help="keep printing new events until Ctrl-C"),
    output_json: bool = typer.Option(False, "--json", help="one JSON object per line with the whole envelope"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """The latest events of a topic, decoded; filtered by conversation, lead or type."""
    wanted = EventFilter(conversation, lead, event_type)
    show = as_json if output_json else one_line

    async def main() -> None:
        latest: deque[str] | None = deque(maxlen=limit)
        async for record in read_topics(context.kafka(bootstrap_servers), [known_topic(topic)], follow=follow):
            if record is None:  # caught up: what was there is shown, new events print as they come
                for line in latest or ():
                    print(line, flush=True)
                latest = None
                continue
            try:
                envelope = Envelope.from_bytes(record.value)
            except ValidationError:
                line = f"(not an envelope) [{record.partition}:{record.offset}]"
            else:
                if not wanted.matches(envelope):
                    continue
                line = show(record, envelope)
            if latest is None:
                print(line, flush=True)
            else:
                latest.append(line)
        for line in latest or ():
            print(line)  # plain: pipes to jq and grep without wrapping or markup

    if follow:
        out.print("[dim]following… Ctrl-C to stop[/dim]")
    context.run(main(), doing=f"reading {topic}")


@app.command()
def show(
    event_id: str = typer.Argument(..., help="the event's id (a UUID)"),
    topic: list[str] = typer.Option([], "--topic", help="search only these topics (default: all, dead letters too)"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """One event, whole: its envelope, where it is (topic, partition, offset) and its headers."""
    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        context.fail(f"not an event id: {event_id!r} (expected a UUID)", 2)
    topics = [known_topic(t) for t in topic] or list(TOPICS)
    needle = str(wanted).encode()

    async def main() -> tuple[ConsumerRecord, Envelope] | None:
        async for record in read_topics(context.kafka(bootstrap_servers), topics):
            if record is not None and needle in record.value:
                envelope = Envelope.from_bytes(record.value)
                if envelope.event_id == wanted:
                    return record, envelope
        return None

    found = context.run(main(), doing="searching the topics")
    if found is None:
        context.fail(f"no event {wanted} in {len(topics)} topic(s)")
    record, envelope = found
    out.print(f"{record.topic} partition {record.partition} offset {record.offset}")
    for key, value in record.headers or ():
        out.print(f"  header {key}: {value.decode(errors='replace')[:300]}")
    out.print_json(envelope.model_dump_json())
