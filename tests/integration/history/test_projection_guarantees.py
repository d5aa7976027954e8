"""The projection's guarantees: once per event, only what is new, whatever order the partitions deliver in."""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import select

from leadline.events import AgentRef
from leadline.events.content import ReactionContent, UnsupportedContent, VideoContent
from leadline.events.leads import (
    ConversationAttachedToLeadV1,
    ConversionPointRecordedV1,
    LeadTemperatureChangedV1,
    LeadTransferredV1,
)
from leadline.history.bootstrap import MIGRATIONS, projection
from leadline.history.entrypoints.settings import HistorySettings
from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head

from .conftest import ANA, PHONE_NUMBER_ID, RunningHistory, media


def finished(count: int = 1):
    return lambda rows: sum(r.kind == "conversation_finished" for r in rows) >= count


async def test_finished_reopened_and_finished_again_adds_only_the_new_messages(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id, lead_id=lead_id)
    await feed.say(conversation_id, "Primeira conversa")
    await feed.finish(conversation_id)
    await history.wait_for(finished(1), lead_id=lead_id)
    await feed.reopen(conversation_id)
    await feed.say(conversation_id, "Voltei: ainda tem o carro?")
    await feed.say(conversation_id, "Tem sim", origin="agent")
    await feed.finish(conversation_id)
    # a later conversation of the same chat, attached to the same lead
    later_id = uuid.uuid4()
    await feed.open(later_id, wa_id)
    await feed.send(ConversationAttachedToLeadV1(lead_id=lead_id, conversation_id=later_id))
    await feed.say(later_id, "Terceira vez")
    await feed.finish(later_id)

    rows = await history.wait_for(finished(3), lead_id=lead_id)
    texts = [r.text for r in rows if r.kind == "message"]
    assert texts == ["Primeira conversa", "Voltei: ainda tem o carro?", "Tem sim", "Terceira vez"]
    assert [r.kind for r in rows].count("conversation_started") == 2


async def test_the_same_event_delivered_twice_records_one_entry(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    opened = await feed.open(conversation_id, wa_id, lead_id=lead_id)
    await feed.say(conversation_id, "Oi")
    message = feed.sent[-1]
    await feed.publish(message, opened, message)  # redeliveries of the same event ids
    replay = message.model_copy(update={"event_id": uuid.uuid4()})  # a replay: new id, old sequence
    await feed.publish(replay)
    finish = await feed.finish(conversation_id)
    await feed.publish(finish)

    rows = await history.wait_for(finished(1), lead_id=lead_id)
    await feed.finish(conversation_id)  # a real second finish, with nothing new staged
    rows = await history.wait_for(finished(2), lead_id=lead_id)
    assert [r.kind for r in rows] == [
        "conversation_started",
        "message",
        "conversation_finished",
        "conversation_finished",
    ]


async def test_a_finished_conversation_whose_lead_arrives_later_still_lands_in_the_timeline(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id)
    await feed.say(conversation_id, "Quero o Compass")
    await feed.finish(conversation_id)
    await history.wait_for(finished(1), conversation_id=conversation_id)
    assert await history.entries(lead_id=lead_id) == []

    await feed.lead_created(lead_id, conversation_id, wa_id)
    rows = await history.wait_for(lambda rows: len(rows) == 3, lead_id=lead_id)
    assert [r.kind for r in rows] == ["conversation_started", "message", "conversation_finished"]
    async with history.sessions() as session:
        published = [
            json.loads(e)
            for e in (
                await session.execute(
                    select(OUTBOX.c.envelope).where(OUTBOX.c.key == str(lead_id)).order_by(OUTBOX.c.id)
                )
            ).scalars()
        ]
    assert [e["type"] for e in published] == ["history.timeline.entry_recorded"] * 3
    assert [e["sequence"] for e in published] == [1, 2, 3]
    assert [e["payload"]["kind"] for e in published] == ["conversation_started", "message", "conversation_finished"]


async def test_lead_events_and_conversation_milestones_are_in_one_ordered_timeline(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id)
    await feed.say(conversation_id, "Oi, vi o anúncio")
    await feed.claim(conversation_id)
    await feed.lead_created(lead_id, conversation_id, wa_id)
    await feed.send(
        ConversionPointRecordedV1(
            lead_id=lead_id,
            source="whatsapp",
            phone_number_id=PHONE_NUMBER_ID,
            display_phone_number="+55 11 4000-0001",
            conversation_id=conversation_id,
            first_message_kind="text",
            first_message_text="Oi, vi o anúncio",
            at=feed.tick(),
        )
    )
    await feed.send(
        LeadTemperatureChangedV1(
            lead_id=lead_id, from_temperature=None, to_temperature="hot", reasons=("Pediu simulação de financiamento",)
        )
    )
    await feed.send(
        LeadTransferredV1(
            lead_id=lead_id,
            from_agent=ANA,
            from_team_id="vendas",
            to_agent=AgentRef(id="bruno", name="Bruno Lima"),
            to_team_id="vendas",
        )
    )
    await feed.finish(conversation_id)

    rows = await history.wait_for(lambda rows: len(rows) == 7, lead_id=lead_id)
    assert [r.kind for r in rows] == [
        "conversation_started",
        "message",
        "claim",
        "conversion_point",
        "temperature_change",
        "transfer",
        "conversation_finished",
    ]
    assert rows[4].temperature == "hot" and rows[5].agent["id"] == "bruno" and rows[2].agent["id"] == "ana"


async def test_a_changed_keep_setting_keeps_reactions_and_unsupported_and_drops_videos(feed, infra):
    # a database of its own: these events are applied without being published, and the shared timeline must stay
    # explainable by its topics (a replay refuses a timeline holding events its source does not)
    url = await infra.new_database("history_keep")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = HistorySettings(database_url=url, history_keep_kinds="reaction,unsupported")
    engine = create_engine(url, pool_size=1)
    history = RunningHistory(app=None, sessions=session_factory(engine), settings=settings, producer=None)
    changed = projection(settings, publish=False)
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    from leadline.events.router import ConversationFinishedV1, ConversationOpenedV1, MessageAppendedV1

    envelopes = [
        feed.envelope(
            ConversationOpenedV1(
                conversation_id=conversation_id,
                phone_number_id=PHONE_NUMBER_ID,
                business_display_number="+55 11 4000-0001",
                customer_wa_id=wa_id,
                customer_phone=f"+{wa_id}",
                customer_display_name="João",
                status="new",
                team_ids=("vendas",),
                opened_by="customer",
                lead_id=lead_id,
            )
        )
    ]
    for content in (
        VideoContent(media=media("video/mp4", stored_as="v.mp4")),
        ReactionContent(reacted_to_wamid="wamid.abc", emoji="❤️"),
        UnsupportedContent(original_type="order"),
    ):
        envelopes.append(
            feed.envelope(
                MessageAppendedV1(
                    conversation_id=conversation_id,
                    message_id=uuid.uuid4(),
                    wamid=f"wamid.{uuid.uuid4().hex}",
                    direction="inbound",
                    origin="customer",
                    content=content,
                    sent_at=feed.tick(),
                    status="unanswered",
                )
            )
        )
    envelopes.append(feed.envelope(ConversationFinishedV1(conversation_id=conversation_id, agent=ANA)))
    try:
        for envelope in envelopes:  # called directly: the handler is what is under test, not the broker
            async with history.sessions() as session, session.begin():
                await changed.apply(session, envelope)

        rows = await history.entries(lead_id=lead_id)
    finally:
        await engine.dispose()
    assert [r.content["kind"] for r in rows if r.kind == "message"] == ["reaction", "unsupported"]
