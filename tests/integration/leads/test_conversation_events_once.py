"""Each router conversation event counts once, kept by the conversation's own row; the others are passed over unread."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace

from alembic import command
from sqlalchemy import select, text

from leadline.events import ROUTER_CONVERSATIONS, Envelope
from leadline.events.golden import golden_examples
from leadline.leads.adapters.tables import conversation_activity
from leadline.leads.bootstrap import MIGRATIONS
from leadline.leads.domain.activity import ConversationActivity
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


async def test_a_batch_folds_each_conversation_event_once_however_often_it_came(services):
    def no_dead_letters():
        raise AssertionError("nothing here should be dead-lettered")

    delivery = BatchDelivery(
        services.leads_app.state.consumer, dead_letters=no_dead_letters, group="once", lanes=2, attempts=1
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
    await delivery.work_batch([Record(e.stream_id.encode(), e.to_bytes(), n) for n, e in enumerate(stream)])
    # and the whole batch again, later
    await delivery.work_batch([Record(e.stream_id.encode(), e.to_bytes(), n) for n, e in enumerate(stream)])
    for cid in conversations:
        row = await kept(services, cid)
        assert (row.customer_messages, row.last_sequence) == (3, 4)


async def test_a_conversation_written_in_a_rolled_back_savepoint_is_read_again_from_the_database(services):
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
    assert (await kept(services, cid)).lead_id == uuid.UUID(lead_id)
