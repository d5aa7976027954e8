"""Rebuild from scratch: replaying the topics gives, row for row, the timeline live consumption gave."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from leadline.events.content import ImageContent, MediaUnavailable, StickerContent, VoiceContent
from leadline.events.leads import LeadTemperatureChangedV1
from leadline.history.adapters.tables import timeline_entries
from leadline.history.bootstrap import MIGRATIONS, rebuild
from leadline.platform.db import create_engine, session_factory
from leadline.platform.messaging_tables import OUTBOX
from leadline.platform.migrations import upgrade_to_head

from .conftest import media, settings_for


async def _account_rows(sessions, account_id: str) -> list:
    async with sessions() as session:
        return (
            await session.execute(
                select(timeline_entries)
                .where(timeline_entries.c.account_id == account_id)
                .order_by(timeline_entries.c.entry_id)
            )
        ).all()


async def test_a_rebuilt_timeline_equals_the_live_one_row_for_row(history, feed, infra):
    leads = []
    for n in range(3):
        conversation_id, wa_id = feed.new_chat()
        lead_id = uuid.uuid4()
        leads.append(lead_id)
        await feed.open(conversation_id, wa_id)
        await feed.say(conversation_id, f"Olá, conversa {n}")
        image = await feed.message(conversation_id, ImageContent(media=media("image/jpeg")))
        voice = await feed.message(conversation_id, VoiceContent(media=media("audio/ogg")))
        await feed.media_updated(
            voice, unavailable=MediaUnavailable(reason="WhatsApp down", error_code=2, retryable=True)
        )
        await feed.message(conversation_id, StickerContent(media=media("image/webp", stored_as="s.webp")))
        await feed.say(conversation_id, "Não sei ainda", origin="agent")
        await feed.finish(conversation_id)
        await feed.media_updated(voice)  # an agent asked for it again…
        await feed.media_updated(voice, stored_as=f"voice-{n}.ogg")  # …and it came
        await feed.reopen(conversation_id)
        await feed.say(conversation_id, "Voltei", origin="phone_echo")
        await feed.finish(conversation_id)
        await feed.lead_created(lead_id, conversation_id, wa_id)  # the lead arrives after both finishes
        await feed.media_stored(wa_id, image.wamid, f"img-{n}.jpg")
        await feed.send(LeadTemperatureChangedV1(lead_id=lead_id, from_temperature=None, to_temperature="warm"))
    await feed.publish(feed.sent[3])  # and a redelivery
    for lead_id in leads:
        await history.wait_for(
            lambda rows: len(rows) == 9 and all(r.media_key for r in rows if r.content and "media" in r.content),
            lead_id=lead_id,
        )
    live = await _account_rows(history.sessions, feed.account_id)

    url = await infra.new_database("history_rebuild")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    reports = []
    try:
        result = await rebuild(
            settings_for(infra, url, history_rebuild_batch_size=200), sessions, progress=reports.append
        )
        rebuilt = await _account_rows(sessions, feed.account_id)
        async with sessions() as session:
            published = await session.scalar(select(func.count()).select_from(OUTBOX))
    finally:
        await engine.dispose()

    assert len(live) == 27
    assert rebuilt == live
    assert published == 0  # a rebuild re-creates entries with their old ids and publishes nothing
    assert reports and reports[-1].read == result.read == result.total and result.applied > 0
