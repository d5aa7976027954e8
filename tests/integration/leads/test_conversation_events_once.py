"""Each router conversation event counts once, kept by the conversation's own row; the others are passed over unread."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace

import pytest
from alembic import command
from sqlalchemy import event, select, text

from leadline.events import ROUTER_CONVERSATIONS, Envelope
from leadline.events.golden import golden_examples
from leadline.leads.adapters.tables import conversation_activity, leads
from leadline.leads.bootstrap import MIGRATIONS
from leadline.leads.domain.activity import ConversationActivity
from leadline.leads.domain.errors import ConcurrentChange
from leadline.leads.domain.events import AgentRef, ContactDetails
from leadline.leads.domain.lead import Lead
from leadline.leads.service.ports import ConversationRecord
from leadline.platform.batches import BatchDelivery
from leadline.platform.db import create_engine
from leadline.platform.migrations import alembic_config, upgrade_to_head

A = conversation_activity.c


def example(name: str) -> Envelope:
    return dict(golden_examples())[name]


def in_conversation(envelope: Envelope, conversation_id: str, sequence: int, **payload: object) -> Envelope:
    return envelope.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "stream_id": conversation_id,
            "sequence": sequence,
            "payload": {**envelope.payload, "conversation_id": conversation_id, **payload},
        }
    )


async def kept(services, conversation_id: str):
    async with services.leads_app.state.runtime.sessions() as session:
        query = select(conversation_activity).where(A.conversation_id == uuid.UUID(conversation_id))
        return (await session.execute(query)).first()


async def test_an_event_delivered_again_or_late_is_folded_once_and_an_unused_one_is_never_decoded(services):
    consumer, cid = services.leads_app.state.consumer, str(uuid.uuid4())
    opened = in_conversation(example("router.conversation.opened/v2/by_a_customer_known_only_by_bsuid"), cid, 1)
    message = in_conversation(example("router.conversation.message_appended/v1/text"), cid, 2)
    # a status change leads has no use for, with a payload no model would accept: it is passed over from its type
    unused = in_conversation(
        example("router.conversation.status_changed/v1/unanswered_to_no_reply"), cid, 3, to_status=42
    )
    later = in_conversation(example("router.conversation.message_appended/v1/text"), cid, 4)
    for envelope in (opened, message, message, unused, message, later, opened):
        await consumer.decide_alone(ROUTER_CONVERSATIONS, envelope)
    row = await kept(services, cid)
    assert (row.customer_messages, row.last_sequence) == (2, 4)
    assert row.opened_by == opened.payload["opened_by"]


async def test_an_unused_event_of_a_conversation_leads_has_not_seen_leaves_no_row(services):
    cid = str(uuid.uuid4())
    unused = in_conversation(example("router.conversation.status_changed/v1/unanswered_to_no_reply"), cid, 1)
    assert await services.leads_app.state.consumer.decide_alone(ROUTER_CONVERSATIONS, unused) == []
    assert await kept(services, cid) is None


async def test_the_upgrade_keeps_what_the_stream_positions_said_each_conversation_had_folded(infra):
    url = await infra.new_database("leads_positions")
    await asyncio.to_thread(command.upgrade, alembic_config(MIGRATIONS, url), "leads_0004")
    followed, unknown = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO conversation_activity (conversation_id, account_id) VALUES (:c, 'acme'), (:u, 'acme')"
                ),
                {"c": followed, "u": unknown},
            )
            await connection.execute(
                text(
                    "INSERT INTO stream_positions (consumer, stream_id, last_sequence) VALUES "
                    "('leads-conversations', :c, 7), ('someone-else', :u, 9)"
                ),
                {"c": str(followed), "u": str(unknown)},
            )
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        async with engine.connect() as connection:
            rows = dict((await connection.execute(select(A.conversation_id, A.last_sequence))).all())
    finally:
        await engine.dispose()
    assert rows == {followed: 7, unknown: 0}


@dataclass(frozen=True)
class Record:
    """What the batch consumer reads of a fetched Kafka record."""

    key: bytes
    value: bytes
    offset: int
    topic: str = ROUTER_CONVERSATIONS
    partition: int = 0
    headers: tuple = ()


def flat(values) -> list:
    if isinstance(values, dict):
        values = values.values()
    if isinstance(values, list | tuple):
        return [each for value in values for each in flat(value)]
    return [values]


class ConversationWrites:
    """The statements that write the rows of ``conversations`` (other tests' consumers share the engine)."""

    def __init__(self, services, conversations: list[str]) -> None:
        self.count, self._ids = 0, {uuid.UUID(cid) for cid in conversations}
        self._engine = services.leads_app.state.runtime.engine.sync_engine

    def _seen(self, conn, cursor, statement, parameters, *_) -> None:
        if statement.startswith("INSERT INTO conversation_activity") and self._ids & set(flat(parameters)):
            self.count += 1

    def __enter__(self):
        event.listen(self._engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_):
        event.remove(self._engine, "before_cursor_execute", self._seen)


async def test_a_batch_folds_each_conversation_event_once_however_often_it_came_and_writes_each_row_once(services):
    def no_dead_letters():
        raise AssertionError("nothing here should be dead-lettered")

    delivery = BatchDelivery(  # two lanes, however few the records
        services.leads_app.state.consumer,
        dead_letters=no_dead_letters,
        group="once",
        lanes=2,
        attempts=1,
        records_per_lane=1,
    )
    conversations = [str(uuid.uuid4()) for _ in range(3)]
    events = {
        cid: [
            in_conversation(example("router.conversation.opened/v2/by_a_customer_known_only_by_bsuid"), cid, 1),
            *(in_conversation(example("router.conversation.message_appended/v1/text"), cid, n) for n in (2, 3, 4)),
        ]
        for cid in conversations
    }
    # each conversation's events in order, the second and third delivered again right behind themselves
    stream = [e for cid in conversations for e in [*events[cid][:2], *events[cid][1:3], *events[cid][2:]]]
    records = [Record(e.stream_id.encode(), e.to_bytes(), n) for n, e in enumerate(stream)]
    with ConversationWrites(services, conversations) as first:
        await delivery.work_batch(records)
    with ConversationWrites(services, conversations) as again:  # the whole batch again, later
        await delivery.work_batch(records)
    for cid in conversations:
        row = await kept(services, cid)
        assert (row.customer_messages, row.last_sequence) == (3, 4)
    # each lane writes what its conversations' events left once, as it commits; events seen before write nothing
    assert (first.count, again.count) == (2, 0)


async def test_what_a_rolled_back_savepoint_decided_of_a_conversation_is_forgotten_and_the_rest_written_at_commit(
    services,
):
    cid, uow = str(uuid.uuid4()), services.leads_uow
    opened = ConversationRecord(cid, "acme", opened_by="customer", activity=ConversationActivity(cid), last_sequence=1)
    async with services.leads_app.state.runtime.sessions() as session, session.begin():
        async with uow().joining(session) as work:
            assert await work.conversations.get(cid, for_update=True) is None
            assert await work.conversations.save(opened, at=None)
            await work.commit()
        async with uow().joining(session) as work:
            assert await work.conversations.get(cid, for_update=True) == opened  # held by the transaction
            assert await work.conversations.save(replace(opened, opened_by="lead_owner", last_sequence=2), at=None)
            # no commit: this savepoint is undone
        async with uow().joining(session) as work:
            assert await work.conversations.get(cid, for_update=True) == opened
            lead_id = str(uuid.uuid4())
            await work.conversations.link(cid, "acme", lead_id)
            assert (await work.conversations.get(cid)) == replace(opened, lead_id=lead_id)
            await work.commit()
        assert await kept(services, cid) is None  # nothing written before the transaction commits
    row = await kept(services, cid)
    assert (row.opened_by, row.last_sequence, row.lead_id) == ("customer", 1, uuid.UUID(lead_id))


async def test_a_lead_claimed_and_written_to_in_one_batch_is_assessed_with_what_the_lane_has_not_written_yet(
    services,
):
    now, cid, lead_id = services.clock(), str(uuid.uuid4()), str(uuid.uuid4())
    async with services.leads_uow() as work:
        work.leads.add(
            Lead.create(
                lead_id,
                "acme",
                details=ContactDetails(name="Cliente", mobile="+5511987650000"),
                responsible=AgentRef("ana", "Ana Souza"),
                team_id="vendas",
                conversation_id=str(uuid.uuid4()),
                idempotency_key=f"once-{lead_id}",
                point=None,
                at=now,
            )
        )
        await work.commit()
    stream = [
        in_conversation(example("router.conversation.opened/v2/by_a_customer_known_only_by_bsuid"), cid, 1),
        in_conversation(example("router.conversation.claimed/v1/from_team_pool"), cid, 2, lead_id=lead_id),
        in_conversation(example("router.conversation.message_appended/v1/text"), cid, 3, sent_at=now.isoformat()),
    ]
    delivery = BatchDelivery(services.leads_app.state.consumer, dead_letters=None, group="once", lanes=1, attempts=1)
    await delivery.work_batch([Record(e.stream_id.encode(), e.to_bytes(), n) for n, e in enumerate(stream)])
    # the conversation became the lead's and the customer wrote, both in the lane's memory when the lead was assessed
    async with services.leads_app.state.runtime.sessions() as session:
        temperature = await session.scalar(select(leads.c.temperature).where(leads.c.lead_id == uuid.UUID(lead_id)))
    assert temperature == "warm"
    assert (await kept(services, cid)).lead_id == uuid.UUID(lead_id)


async def test_a_lane_whose_conversation_another_consumer_moved_past_meanwhile_fails_to_commit(services):
    cid, uow, sessions = str(uuid.uuid4()), services.leads_uow, services.leads_app.state.runtime.sessions
    mine = ConversationRecord(cid, "acme", opened_by="customer", activity=ConversationActivity(cid), last_sequence=2)
    with pytest.raises(ConcurrentChange):
        async with sessions() as session, session.begin():
            async with uow().joining(session) as work:
                assert await work.conversations.get(cid, for_update=True) is None  # no row yet: nothing locked
                await work.conversations.save(mine, at=None)
                await work.commit()
            async with uow() as other:  # another replica, after a rebalance, got further first
                assert await other.conversations.save(replace(mine, opened_by="lead_owner", last_sequence=3), at=None)
                await other.commit()
    row = await kept(services, cid)
    assert (row.opened_by, row.last_sequence) == ("lead_owner", 3)
