"""The projection's storage, inside one caller-owned transaction: staging, mapping, entries, outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import Envelope
from leadline.platform.outbox import stage_events

from ..domain.timeline import (
    Entry,
    StagedMessage,
    media_key_of,
    message_source,
    stored_media_of,
    with_media,
    with_stored_media,
)
from .tables import conversations, lead_streams, staged_messages, stored_media, timeline_entries
from .translate import entry_row, recorded_event, staged_row

# One statement for any number of entries, compiled once: rows given as parameters, not as ``values([...])`` (a
# multi-row VALUES clause is built into the statement, which SQLAlchemy then compiles again on every execution).
RECORD_ENTRIES = (
    insert(timeline_entries)
    .on_conflict_do_nothing(index_elements=[timeline_entries.c.source_key])
    .returning(*timeline_entries.c)
)

STAGE_MESSAGE = insert(staged_messages).on_conflict_do_nothing()
"""A message kept until its conversation finishes (every message of every conversation: built once, its values
given as parameters; ``values(...)`` would build the statement again each time)."""
KNOW_CONVERSATION = insert(conversations).on_conflict_do_nothing()


class SqlTimelineStore:
    """Writes of one event's handling. ``publish`` False (a rebuild) records entries without new events:
    entry ids are derived from their sources, so mirrors already hold what a rebuild re-creates."""

    def __init__(self, session: AsyncSession, *, publish: bool = True, cause: Envelope | None = None) -> None:
        self.session = session
        self.publish = publish
        self.cause = cause

    async def lock_conversation(self, conversation_id: uuid.UUID) -> uuid.UUID | None:
        """The conversation's lead (None if not known yet), holding its row until commit: a finish and a
        late lead mapping of the same conversation never interleave."""
        await self.session.execute(KNOW_CONVERSATION, {"conversation_id": conversation_id})
        return await self.session.scalar(
            select(conversations.c.lead_id).where(conversations.c.conversation_id == conversation_id).with_for_update()
        )

    async def map_to_lead(self, conversation_id: uuid.UUID, lead_id: uuid.UUID) -> None:
        """First mapping wins; entries recorded before the lead was known join it now."""
        current = await self.lock_conversation(conversation_id)
        if current is not None:
            return
        await self.session.execute(
            update(conversations).where(conversations.c.conversation_id == conversation_id).values(lead_id=lead_id)
        )
        rows = (
            await self.session.execute(
                update(timeline_entries)
                .where(timeline_entries.c.conversation_id == conversation_id, timeline_entries.c.lead_id.is_(None))
                .values(lead_id=lead_id)
                .returning(*timeline_entries.c)
            )
        ).all()
        await self._published(rows)

    async def stage(self, message: StagedMessage, account_id: str) -> None:
        await self.session.execute(STAGE_MESSAGE, staged_row(message, account_id))

    async def set_staged_wamid(self, message_id: uuid.UUID, wamid: str) -> None:
        await self.session.execute(
            update(staged_messages)
            .where(staged_messages.c.message_id == message_id, staged_messages.c.wamid.is_(None))
            .values(wamid=wamid)
        )

    async def take_staged(self, conversation_id: uuid.UUID) -> list[StagedMessage]:
        """Empties the conversation's buffer: what a later finish adds is only what comes after."""
        rows = (
            await self.session.execute(
                delete(staged_messages)
                .where(staged_messages.c.conversation_id == conversation_id)
                .returning(*staged_messages.c)
            )
        ).all()
        return [
            StagedMessage(
                message_id=r.message_id,
                conversation_id=r.conversation_id,
                kind=r.kind,
                direction=r.direction,
                origin=r.origin,
                sent_at=r.sent_at,
                content=r.content,
                source_event_id=r.source_event_id,
                sender=r.sender,
                wamid=r.wamid,
                text=r.text,
            )
            for r in rows
        ]

    async def stored_media_by_wamid(self, wamids: Iterable[str | None]) -> dict[str, Mapping[str, Any]]:
        wanted = sorted({w for w in wamids if w})
        if not wanted:
            return {}
        await self._lock_wamids(wanted)
        rows = await self.session.execute(
            select(stored_media.c.wamid, stored_media.c.stored).where(stored_media.c.wamid.in_(wanted))
        )
        return {row.wamid: row.stored for row in rows}

    async def _lock_wamids(self, wamids) -> None:
        """A finish and a media.stored for the same message arrive on different keys, so concurrently:
        both take this lock (sorted, no deadlock) so one always sees what the other committed."""
        for wamid in sorted(set(wamids)):
            await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(wamid))))

    async def remember_media(self, wamid: str, stored: Mapping[str, Any]) -> None:
        """Keeps the reference for a message not finished yet, and completes an entry recorded without it."""
        await self._lock_wamids([wamid])
        await self.session.execute(
            insert(stored_media).values(wamid=wamid, stored=dict(stored)).on_conflict_do_nothing()
        )
        rows = (
            await self.session.execute(
                select(timeline_entries.c.entry_id, timeline_entries.c.content)
                .where(timeline_entries.c.wamid == wamid, timeline_entries.c.media_key.is_(None))
                .with_for_update()
            )
        ).all()
        for row in rows:
            if row.content and "media" in row.content and stored_media_of(row.content) is None:
                await self.session.execute(
                    update(timeline_entries)
                    .where(timeline_entries.c.entry_id == row.entry_id)
                    .values(content=with_stored_media(row.content, stored), media_key=stored.get("key"))
                )

    async def update_message_media(self, message_id: uuid.UUID, media: Mapping[str, Any]) -> None:
        """A message's media as it now stands, whether the message is still staged or already in the timeline."""
        staged = await self.session.scalar(
            select(staged_messages.c.content).where(staged_messages.c.message_id == message_id).with_for_update()
        )
        if staged is not None:
            await self.session.execute(
                update(staged_messages)
                .where(staged_messages.c.message_id == message_id)
                .values(content=with_media(staged, media))
            )
        entry = (
            await self.session.execute(
                select(timeline_entries.c.entry_id, timeline_entries.c.content)
                .where(timeline_entries.c.source_key == message_source(message_id))
                .with_for_update()
            )
        ).first()
        if entry is not None and entry.content:
            await self.session.execute(
                update(timeline_entries)
                .where(timeline_entries.c.entry_id == entry.entry_id)
                .values(content=with_media(entry.content, media), media_key=media_key_of(media))
            )

    async def record(self, entries: Sequence[Entry]) -> int:
        """Adds entries not recorded before (unique source key); publishes those whose lead is known."""
        if not entries:
            return 0
        rows = (await self.session.execute(RECORD_ENTRIES, [entry_row(e) for e in entries])).all()
        await self._published([row for row in rows if row.lead_id is not None])
        return len(rows)

    async def _published(self, rows: Sequence[Any]) -> None:
        if not self.publish or not rows:
            return
        ordered = sorted(rows, key=lambda r: (str(r.lead_id), r.at, str(r.entry_id)))
        envelopes: list[Envelope] = []
        now = datetime.now(UTC)
        for lead_id in dict.fromkeys(r.lead_id for r in ordered):
            of_lead = [r for r in ordered if r.lead_id == lead_id]
            last = await self.session.scalar(
                insert(lead_streams)
                .values(lead_id=lead_id, last_sequence=len(of_lead))
                .on_conflict_do_update(
                    index_elements=[lead_streams.c.lead_id],
                    set_={"last_sequence": lead_streams.c.last_sequence + len(of_lead)},
                )
                .returning(lead_streams.c.last_sequence)
            )
            first = last - len(of_lead) + 1
            envelopes += [
                recorded_event(r, sequence=first + n, occurred_at=now, cause=self.cause) for n, r in enumerate(of_lead)
            ]
        await stage_events(self.session, envelopes)
