"""``leadline dlq``: inspect dead-lettered events, redrive them after a fix, drop them with a reason.

Redrive republishes the letter unchanged (same key, so the same partition and order as its stream) to the
topic it came from; consumers deduplicate on event id, so those that handled it already skip it and the
one that failed applies it once (the topics' ``DEAD_LETTER_POLICY``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from leadline.events.topics import TOPICS

from . import context
from .dead_letters import DROP, REDRIVE, DeadLetter, decision_record, fold
from .topic_reader import read_topics

if TYPE_CHECKING:
    from leadline.platform.settings import KafkaSettings

app = typer.Typer(help="Dead-lettered events: list, show, redrive, drop.", no_args_is_help=True)
out = Console(highlight=False)

DLQ_TOPICS = [name for name, spec in TOPICS.items() if spec.dead_letter_of]


def _dlq_topics(topic: str | None) -> list[str]:
    if topic is None:
        return DLQ_TOPICS
    name = topic if topic.endswith(".dlq") else f"{topic}.dlq"
    if name not in DLQ_TOPICS:
        context.fail(f"unknown dead-letter topic {name!r}; they are: {', '.join(DLQ_TOPICS)}", 2)
    return [name]


async def _letters(kafka: KafkaSettings, topics: list[str]) -> list[DeadLetter]:
    return fold([record async for record in read_topics(kafka, topics) if record is not None])


def _pick(letters: list[DeadLetter], names: list[str]) -> list[DeadLetter]:
    picked = []
    for name in names:
        found = [letter for letter in letters if letter.named(name)]
        if not found:
            context.fail(f"no dead letter {name!r} (names look like <topic>.dlq/<partition>/<offset>, or an event id)")
        picked.extend(found)
    return picked


@app.command("list")
def list_letters(
    topic: str | None = typer.Option(None, "--topic", help="one source or dead-letter topic (default: all)"),
    show_all: bool = typer.Option(False, "--all", help="also the redriven and dropped ones"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """Dead letters waiting for a decision, with their error and the consumer that gave up."""
    letters = context.run(_letters(context.kafka(bootstrap_servers), _dlq_topics(topic)), doing="reading the DLQ")
    shown = [letter for letter in letters if show_all or letter.state == "waiting"]
    table = Table("letter", "state", "event", "consumer", "error", title=f"{len(shown)} dead letter(s)")
    for letter in shown:
        envelope = letter.envelope
        event = f"{envelope.type} {envelope.event_id}" if envelope else "(not an envelope)"
        table.add_row(letter.ref, letter.state, event, letter.consumer, letter.error[:120])
    out.print(table)


@app.command()
def show(
    name: str = typer.Argument(..., help="<topic>.dlq/<partition>/<offset> or the event id"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """One dead letter: where it came from, the error with its traceback, the event, and the decisions on it."""
    letters = context.run(_letters(context.kafka(bootstrap_servers), DLQ_TOPICS), doing="reading the DLQ")
    for letter in _pick(letters, [name]):
        out.print(f"[bold]{letter.ref}[/bold]  {letter.state}")
        out.print(
            f"from {letter.source_topic} partition {letter.headers.get('dlq.partition')} "
            f"offset {letter.headers.get('dlq.offset')}, consumer {letter.consumer}"
        )
        out.print(f"error: {letter.error}")
        out.print(letter.headers.get("dlq.traceback", ""), markup=False)
        for decision in letter.decisions:
            out.print(
                f"{decision.at} {decision.action} by {decision.by}"
                + (f": {decision.reason}" if decision.reason else "")
            )
        envelope = letter.envelope
        if envelope:
            out.print_json(envelope.model_dump_json())
        else:
            out.print(letter.value[:2000].decode(errors="replace"), markup=False)


async def _decide(kafka: KafkaSettings, letters: list[DeadLetter], action: str, reason: str) -> None:
    from leadline.platform.kafka import create_producer  # here: reading letters does not load the consumers' runtime

    producer = create_producer(kafka)
    await producer.start()
    try:
        for letter in letters:
            if action == REDRIVE:
                await producer.send_and_wait(
                    letter.source_topic,
                    value=letter.value,
                    key=letter.key,
                    headers=[("dlq.redriven_from", letter.ref.encode())],
                )
            value, headers = decision_record(letter, action, reason)
            await producer.send_and_wait(letter.dlq_topic, value=value, key=letter.key, headers=headers)
            out.print(f"{letter.ref} {'redriven to ' + letter.source_topic if action == REDRIVE else 'dropped'}")
    finally:
        await producer.stop()


@app.command()
def redrive(
    names: list[str] = typer.Argument(None, help="letters to redrive (<topic>.dlq/<partition>/<offset> or event ids)"),
    every: bool = typer.Option(False, "--all", help="every waiting letter (of --topic, or of all topics)"),
    topic: str | None = typer.Option(None, "--topic", help="with --all: only this topic's letters"),
    reason: str = typer.Option("", help="why (e.g. the fix that was deployed)"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """Republish letters to the topic they came from, after the fix is deployed."""
    if bool(names) == every:
        context.fail("name the letters to redrive, or pass --all", 2)
    kafka = context.kafka(bootstrap_servers)
    letters = context.run(_letters(kafka, _dlq_topics(topic)), doing="reading the DLQ")
    chosen = [letter for letter in letters if letter.state == "waiting"] if every else _pick(letters, names)
    already = [letter.ref for letter in chosen if letter.state != "waiting"]
    if already:
        context.fail(f"already decided: {', '.join(already)} (see `leadline dlq show`)")
    context.run(_decide(kafka, chosen, REDRIVE, reason), doing="redriving")
    out.print(f"{len(chosen)} letter(s) redriven")


@app.command()
def drop(
    names: list[str] = typer.Argument(..., help="letters to drop (<topic>.dlq/<partition>/<offset> or event ids)"),
    reason: str = typer.Option(..., help="why they will never be redriven (recorded)"),
    bootstrap_servers: str | None = context.BOOTSTRAP_OPTION,
) -> None:
    """Give up on letters, with a reason that is recorded beside them."""
    if not reason.strip():
        context.fail("a drop needs a --reason", 2)
    kafka = context.kafka(bootstrap_servers)
    chosen = _pick(context.run(_letters(kafka, DLQ_TOPICS), doing="reading the DLQ"), names)
    context.run(_decide(kafka, chosen, DROP, reason), doing="dropping")
    out.print(f"{len(chosen)} letter(s) dropped")
