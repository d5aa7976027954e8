"""A rebuild shared by worker processes leaves the tables as the serial rebuild does, whatever order the topics
interleave in: leads and media met before or after the conversations they belong to."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from leadline.events.content import ImageContent
from leadline.events.leads import LeadTemperatureChangedV1
from leadline.history.adapters.tables import conversations, staged_messages, stored_media, timeline_entries
from leadline.history.bootstrap import MIGRATIONS, REPLAY_STAGES, rebuild
from leadline.history.entrypoints.subscribers import TOPICS
from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import INBOX, STREAM_POSITIONS
from leadline.platform.migrations import upgrade_to_head

from .conftest import media, settings_for


async def _rebuilt(infra, workers: int, account_id: str, conversation_ids: list[uuid.UUID], wamids: list[str]):
    url = await infra.new_database(f"history_replay_{workers}_workers")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        settings = settings_for(infra, url, history_rebuild_batch_size=7, history_rebuild_workers=workers)
        result = await rebuild(settings, sessions)
        async with sessions() as session:
            tables = {
                name: (await session.execute(statement)).all()
                for name, statement in {
                    "entries": select(timeline_entries)
                    .where(timeline_entries.c.account_id == account_id)
                    .order_by(timeline_entries.c.entry_id),
                    "conversations": select(conversations)
                    .where(conversations.c.conversation_id.in_(conversation_ids))
                    .order_by(conversations.c.conversation_id),
                    "staged": select(staged_messages)
                    .where(staged_messages.c.account_id == account_id)
                    .order_by(staged_messages.c.message_id),
                    "media": select(stored_media)
                    .where(stored_media.c.wamid.in_(wamids))
                    .order_by(stored_media.c.wamid),
                    "inbox": select(INBOX.c.consumer, INBOX.c.event_id).order_by(INBOX.c.event_id),
                    "positions": select(STREAM_POSITIONS).order_by(STREAM_POSITIONS.c.stream_id),
                }.items()
            }
    finally:
        await engine.dispose()
    return result, tables


def test_the_stages_of_a_parallel_replay_cover_every_topic_once():
    staged = [topic for stage in REPLAY_STAGES for topic in stage]
    assert sorted(staged) == sorted(TOPICS)


async def test_a_parallel_rebuild_gives_the_same_tables_as_a_serial_one(feed, infra):
    conversation_ids, wamids = [], []
    for n in range(4):
        conversation_id, wa_id = feed.new_chat()
        conversation_ids.append(conversation_id)
        lead_id = uuid.uuid4()
        if n == 0:  # the lead first, the conversation later: the finish finds its lead in the tables
            await feed.lead_created(lead_id, conversation_id, wa_id)
        await feed.open(conversation_id, wa_id, lead_id=lead_id if n == 1 else None)
        await feed.claim(conversation_id)
        await feed.say(conversation_id, f"Olá, conversa {n}")
        image = await feed.message(conversation_id, ImageContent(media=media("image/jpeg")))
        wamids.append(image.wamid)
        if n == 2:  # media stored before the finish: the entry is written with it
            await feed.media_stored(wa_id, image.wamid, f"img-{n}.jpg")
        await feed.say(conversation_id, "Tudo certo", origin="agent")
        await feed.finish(conversation_id)
        if n != 2:  # stored after the finish: the entry written earlier gets it
            await feed.media_stored(wa_id, image.wamid, f"img-{n}.jpg")
        if n >= 2:  # the lead after the finish: the entries written earlier get it
            await feed.lead_created(lead_id, conversation_id, wa_id)
        await feed.say(conversation_id, "Mais uma coisa")  # staged: its conversation is not finished again
        await feed.send(LeadTemperatureChangedV1(lead_id=lead_id, from_temperature=None, to_temperature="hot"))
    await feed.publish(feed.sent[5])  # a redelivery

    serial, in_serial = await _rebuilt(infra, 1, feed.account_id, conversation_ids, wamids)
    parallel, in_parallel = await _rebuilt(infra, 2, feed.account_id, conversation_ids, wamids)

    assert len(in_serial["entries"]) == 4 * 7  # started, claim, 3 messages, finished, the temperature
    assert all(row.lead_id for row in in_serial["entries"])
    assert all(row.media_key for row in in_serial["entries"] if row.content and "media" in row.content)
    assert len(in_serial["staged"]) == 4
    for table, rows in in_serial.items():
        assert in_parallel[table] == rows, table
    assert (parallel.read, parallel.applied, parallel.skipped) == (serial.read, serial.applied, serial.skipped)
    assert parallel.positions == serial.positions and parallel.reached == serial.reached
