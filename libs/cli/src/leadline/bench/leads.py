"""The leads service's CPU per router event, in-process: ``python -m leadline.bench.leads [--conversations N]``.

The router's conversation events of customers writing in the pool (and of conversations that belong to a lead) are
fed to the leads consumer exactly as a fetched batch reaches it (``BatchDelivery.work_batch``, the lanes, the
savepoints, the inbox), against an embedded PostgreSQL; no broker: what is measured is what leads spends per record
once aiokafka has it. Reports process CPU time (``time.process_time``) per event and per customer message, for:

- ``pool``: per conversation, opened and its status change, then customer messages, each with the status changes,
  pool-wait alerts and delivery updates the router publishes beside them (events leads has no use for);
- ``lead``: conversations claimed for a lead; customer messages and agents' answers (each answer with its send
  request and delivery updates), every message re-assessing the lead's temperature;
- ``unused``: only events leads has no use for (status changes, pool waits, delivery updates): the floor.

Each scenario also reports the statements sent to PostgreSQL per event (savepoints count).

For a profile: ``py-spy record --nonblocking --format raw -o leads.txt -- python -m leadline.bench.leads --runs 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

from leadline.bench.infra import Record, migrated_database
from leadline.events import ROUTER_CONVERSATIONS, topic_for
from leadline.leads.adapters.unit_of_work import SqlUnitOfWork
from leadline.leads.domain import events as ev
from leadline.leads.domain.lead import Lead
from leadline.leads.domain.temperature import TemperatureRules
from leadline.leads.entrypoints.subscribers import register_subscribers
from leadline.platform.batches import BatchConsumer, BatchDelivery
from leadline.platform.db import create_engine, session_factory

if TYPE_CHECKING:
    from leadline.platform.embedded import EmbeddedPostgres

EXAMPLES = Path(__file__).resolve().parents[5] / "libs" / "events" / "examples"
ACCOUNT = "bench-motors"
BATCH = 500  # what one fetch hands the consumer (``subscribe_batches``' max_records)


def _example(event_type: str, version: int, name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / event_type / f"v{version}" / f"{name}.json").read_text())["payload"]


class _Conversation:
    """One conversation's events as the router would publish them, with their stream sequence."""

    def __init__(self, at: datetime) -> None:
        self.id = str(uuid.uuid4())
        self.sequence = 0
        self.at = at
        self.customer_messages = 0

    def event(self, event_type: str, version: int, payload: dict[str, Any]) -> tuple[str, bytes]:
        self.sequence += 1
        self.at += timedelta(seconds=1)
        event_id = str(uuid.uuid4())
        envelope = {
            "event_id": event_id,
            "type": event_type,
            "schema_version": version,
            "occurred_at": self.at.isoformat(),
            "account_id": ACCOUNT,
            "stream_id": self.id,
            "sequence": self.sequence,
            "correlation_id": event_id,
            "causation_id": None,
            "payload": {**payload, "conversation_id": self.id},
        }
        return topic_for(event_type), json.dumps(envelope).encode()

    def opened(self) -> tuple[str, bytes]:
        return self.event(
            "router.conversation.opened",
            2,
            _example("router.conversation.opened", 2, "by_a_customer_known_only_by_bsuid"),
        )

    def status(self, before: str, after: str) -> tuple[str, bytes]:
        return self.event("router.conversation.status_changed", 1, {"from_status": before, "to_status": after})

    def customer_message(self) -> tuple[str, bytes]:
        self.customer_messages += 1
        payload = _example("router.conversation.message_appended", 1, "text")
        payload.update(message_id=str(uuid.uuid4()), wamid=f"wamid.{uuid.uuid4().hex}", sent_at=self.at.isoformat())
        return self.event("router.conversation.message_appended", 1, payload)

    def answer(self) -> tuple[str, bytes]:
        payload = _example("router.conversation.message_appended", 1, "text_from_agent")
        payload.update(message_id=str(uuid.uuid4()), sent_at=self.at.isoformat())
        return self.event("router.conversation.message_appended", 1, payload)

    def send_requested(self) -> tuple[str, bytes]:
        payload = _example("router.message.send_requested", 2, "text_to_a_bsuid")
        payload.update(request_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()))
        return self.event("router.message.send_requested", 2, payload)

    def delivery(self, state: str) -> tuple[str, bytes]:
        payload = _example("router.conversation.message_delivery_updated", 1, "read")
        payload.update(message_id=str(uuid.uuid4()), delivery=state)
        return self.event("router.conversation.message_delivery_updated", 1, payload)

    def pool_wait(self) -> tuple[str, bytes]:
        return self.event(
            "router.conversation.pool_wait_exceeded",
            1,
            _example("router.conversation.pool_wait_exceeded", 1, "ten_minutes"),
        )

    def claimed(self, lead_id: str) -> tuple[str, bytes]:
        payload = _example("router.conversation.claimed", 1, "from_team_pool")
        return self.event("router.conversation.claimed", 1, {**payload, "lead_id": lead_id})


def pool_conversation(messages: int, at: datetime) -> tuple[_Conversation, list[tuple[str, bytes]]]:
    """A customer writing in the pool: nobody has claimed the conversation; nobody answers."""
    conversation = _Conversation(at)
    events = [conversation.opened()]
    for n in range(messages):
        events.append(conversation.customer_message())
        if n == 0:
            events.append(conversation.status("new", "unanswered"))
        if n % 5 == 4:
            events.append(conversation.pool_wait())
    return conversation, events


def lead_conversation(lead_id: str, messages: int, at: datetime) -> tuple[_Conversation, list[tuple[str, bytes]]]:
    """A conversation claimed for a lead: the customer writes and the seller answers, turn by turn."""
    conversation = _Conversation(at)
    events = [conversation.opened(), conversation.claimed(lead_id)]
    for n in range(messages):
        if n % 2 == 0:
            events.append(conversation.customer_message())
        else:
            events += [conversation.send_requested(), conversation.answer()]
            events += [conversation.delivery(state) for state in ("sent", "delivered", "read")]
    return conversation, events


def unused_events(messages: int, at: datetime) -> tuple[_Conversation, list[tuple[str, bytes]]]:
    """Only events leads has no use for: a conversation's status changes, pool waits and delivery updates."""
    conversation = _Conversation(at)
    events = [conversation.status("new", "unanswered"), conversation.pool_wait()]
    events += [conversation.delivery(("sent", "delivered", "read")[n % 3]) for n in range(messages)]
    return conversation, events


def interleaved(streams: list[list[tuple[str, bytes]]]) -> Iterator[Record]:
    """The streams' events in the order of a busy partition: each stream in order, streams taking turns."""
    offset = 0
    queues = [list(reversed(events)) for events in streams]
    keys = [json.loads(events[0][1])["stream_id"].encode() for events in streams]
    while any(queues):
        for key, queue in zip(keys, queues, strict=True):
            if queue:
                topic, value = queue.pop()
                yield Record(topic, key, value, 0, offset)
                offset += 1


class _Statements:
    """How many statements the engine sends (each a round trip to PostgreSQL; savepoints count)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self._engine = engine.sync_engine
        event.listen(self._engine, "before_cursor_execute", self._one)

    def _one(self, *_: Any) -> None:
        self.count += 1

    def stop(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._one)


class _Runtime:
    """What ``register_subscribers`` needs of a ``ServiceRuntime``: the sessions; the consumer is handed back."""

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions

    def consume(self, consumer: BatchConsumer) -> BatchConsumer:
        return consumer


async def _leads(uow: Any, count: int, at: datetime) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with uow() as work:
        for n, lead_id in enumerate(ids):
            work.leads.add(
                Lead.create(
                    lead_id,
                    ACCOUNT,
                    details=ev.ContactDetails(name=f"Cliente {n}", mobile=f"+55119{n:08d}"),
                    responsible=ev.AgentRef("ana", "Ana Souza"),
                    team_id="vendas",
                    conversation_id=str(uuid.uuid4()),
                    idempotency_key=f"bench-{lead_id}",
                    point=None,
                    at=at,
                )
            )
        await work.commit()
    return ids


async def measure(url: str, *, conversations: int, messages: int, lanes: int = 10) -> dict[str, float]:
    """CPU per event and per customer message of each scenario, on a fresh database at ``url``."""
    engine = create_engine(url, pool_size=lanes)
    sessions = session_factory(engine)
    at = datetime.now(UTC) - timedelta(days=1)
    uow = lambda: SqlUnitOfWork(sessions, clock=lambda: at)  # noqa: E731
    consumer = register_subscribers(_Runtime(sessions), uow=uow, clock=lambda: at, rules=TemperatureRules())  # type: ignore[arg-type]

    def no_dead_letters() -> Any:
        raise RuntimeError("a benchmark event failed")

    delivery = BatchDelivery(consumer, dead_letters=no_dead_letters, group="bench-leads", lanes=lanes, attempts=1)
    figures: dict[str, float] = {}
    try:
        lead_ids = await _leads(uow, conversations, at)
        scenarios = {
            "pool": [pool_conversation(messages, at) for _ in range(conversations)],
            "lead": [lead_conversation(lead_id, messages, at) for lead_id in lead_ids],
            "unused": [unused_events(messages, at) for _ in range(conversations)],
        }
        for name, built in scenarios.items():
            records = list(interleaved([events for _, events in built]))
            assert all(record.topic == ROUTER_CONVERSATIONS for record in records)
            statements = _Statements(engine)
            started = time.process_time()
            for first in range(0, len(records), BATCH):
                await delivery.work_batch(records[first : first + BATCH])
            spent = time.process_time() - started
            statements.stop()
            customer_messages = sum(conversation.customer_messages for conversation, _ in built)
            figures[f"{name} events"] = len(records)
            figures[f"{name} ms/event"] = 1000 * spent / len(records)
            if customer_messages:
                figures[f"{name} ms/customer message"] = 1000 * spent / customer_messages
            figures[f"{name} statements/event"] = statements.count / len(records)
    finally:
        await engine.dispose()
    return figures


def main() -> None:
    from leadline.platform.embedded import EmbeddedPostgres

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--var-dir", type=Path, default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-leads-") as scratch:
        run_benchmark(arguments, EmbeddedPostgres(Path(arguments.var_dir or scratch) / "postgres").start())


def run_benchmark(arguments: argparse.Namespace, postgres: EmbeddedPostgres) -> None:
    try:
        # a first, small round compiles and caches every statement (SQLAlchemy, asyncpg): the runs measure the steady state
        asyncio.run(
            measure(asyncio.run(migrated_database(postgres.url, "leads")), conversations=5, messages=arguments.messages)
        )
        runs = []
        for _ in range(arguments.runs):
            url = asyncio.run(migrated_database(postgres.url, "leads"))
            runs.append(asyncio.run(measure(url, conversations=arguments.conversations, messages=arguments.messages)))
        for name in runs[0]:
            values = [run[name] for run in runs]
            print(f"{name:32} median {statistics.median(values):8.3f}   runs {', '.join(f'{v:.3f}' for v in values)}")
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
