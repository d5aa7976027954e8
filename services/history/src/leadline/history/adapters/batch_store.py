"""The projection's storage for one rebuild batch: the handlers' reads and writes in memory, written at the end.

Only sound while nothing else writes the projection (a rebuild, with the live consumer stopped): rows are read
once, without locks, and the batch's writes go out in a few multi-row statements by ``flush``. What a batch leaves
in the tables is what ``SqlTimelineStore`` would have left handling the same events one by one; nothing is published.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Text, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.platform.bulk import copy_rows

from ..domain.timeline import (
    Entry,
    StagedMessage,
    media_key_of,
    message_source,
    stored_media_of,
    with_media,
    with_stored_media,
)
from .store import SqlTimelineStore
from .tables import conversations, staged_messages, stored_media, timeline_entries
from .translate import ENTRY_COLUMNS, entry_row, staged_row

_ABSENT = None


class BatchTimelineStore:
    """``TimelineStore`` for one batch of a rebuild; ``flush`` before its transaction commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.leads: dict[uuid.UUID, uuid.UUID | None] = {}  # every conversation seen in the batch
        self.in_table: dict[uuid.UUID, uuid.UUID | None] = {}  # conversation rows as they were before the batch
        self.staged_in_table: set[uuid.UUID] = set()  # conversations with staged rows in the table, not taken yet
        self.staged: dict[uuid.UUID, dict[uuid.UUID, tuple[StagedMessage, str]]] = {}  # not in the table yet
        self.media: dict[str, Mapping[str, Any] | None] = {}  # None: known to be absent
        self.new_media: dict[str, Mapping[str, Any]] = {}
        self.entries: dict[str, Entry] = {}  # not in the table yet, by source key
        self.without_lead: dict[uuid.UUID, list[str]] = {}  # source keys of those entries awaiting their lead
        self.leads_of_entries_in_table: dict[uuid.UUID, uuid.UUID] = {}

    async def preload(self, conversation_ids: Iterable[uuid.UUID], wamids: Iterable[str]) -> None:
        """Reads the batch's conversations and stored media in two queries instead of one per event."""
        await self._load_conversations(set(conversation_ids) - self.leads.keys())
        await self._load_media(set(wamids) - self.media.keys())

    async def _load_conversations(self, wanted: set[uuid.UUID]) -> None:
        if not wanted:
            return
        rows = await self.session.execute(
            select(conversations.c.conversation_id, conversations.c.lead_id).where(
                conversations.c.conversation_id == any_(_uuids(wanted))
            )
        )
        self.in_table.update({row.conversation_id: row.lead_id for row in rows})
        self.staged_in_table.update(
            await self.session.scalars(
                select(staged_messages.c.conversation_id)
                .distinct()
                .where(staged_messages.c.conversation_id == any_(_uuids(wanted)))
            )
        )
        for conversation_id in wanted:
            self.leads[conversation_id] = self.in_table.get(conversation_id)

    async def _load_media(self, wanted: set[str]) -> None:
        if not wanted:
            return
        rows = await self.session.execute(
            select(stored_media.c.wamid, stored_media.c.stored).where(
                stored_media.c.wamid == any_(bindparam("wamids", list(wanted), type_=ARRAY(Text)))
            )
        )
        self.media.update(dict.fromkeys(wanted, _ABSENT))
        self.media.update({row.wamid: row.stored for row in rows})

    async def lock_conversation(self, conversation_id: uuid.UUID) -> uuid.UUID | None:
        if conversation_id not in self.leads:
            await self._load_conversations({conversation_id})
        return self.leads[conversation_id]

    async def map_to_lead(self, conversation_id: uuid.UUID, lead_id: uuid.UUID) -> None:
        if await self.lock_conversation(conversation_id) is not None:
            return
        self.leads[conversation_id] = lead_id
        if conversation_id in self.in_table:
            self.leads_of_entries_in_table[conversation_id] = lead_id
        for key in self.without_lead.pop(conversation_id, ()):
            self.entries[key] = dataclasses.replace(self.entries[key], lead_id=lead_id)

    async def stage(self, message: StagedMessage, account_id: str) -> None:
        self.staged.setdefault(message.conversation_id, {}).setdefault(message.message_id, (message, account_id))

    async def set_staged_wamid(self, message_id: uuid.UUID, wamid: str) -> None:
        for pending in self.staged.values():
            if message_id in pending:
                message, account_id = pending[message_id]
                if message.wamid is None:
                    pending[message_id] = (dataclasses.replace(message, wamid=wamid), account_id)
                return
        await SqlTimelineStore(self.session, publish=False).set_staged_wamid(message_id, wamid)

    async def take_staged(self, conversation_id: uuid.UUID) -> list[StagedMessage]:
        taken: list[StagedMessage] = []
        if conversation_id not in self.leads:
            await self._load_conversations({conversation_id})
        if conversation_id in self.staged_in_table:
            self.staged_in_table.discard(conversation_id)
            taken += await SqlTimelineStore(self.session, publish=False).take_staged(conversation_id)
        taken += [message for message, _ in self.staged.pop(conversation_id, {}).values()]
        return taken

    async def stored_media_by_wamid(self, wamids: Iterable[str | None]) -> dict[str, Mapping[str, Any]]:
        wanted = {w for w in wamids if w}
        await self._load_media({w for w in wanted if w not in self.media})  # not `- keys()`: that copies them all
        return {w: self.media[w] for w in wanted if self.media[w] is not None}

    async def remember_media(self, wamid: str, stored: Mapping[str, Any]) -> None:
        if wamid not in self.media:
            await self._load_media({wamid})
        if self.media[wamid] is None:
            self.media[wamid] = self.new_media[wamid] = dict(stored)
        for key, entry in self.entries.items():
            if entry.wamid == wamid and entry.media_key is None and _lacks_stored_media(entry.content):
                self.entries[key] = dataclasses.replace(
                    entry, content=with_stored_media(entry.content, stored), media_key=stored.get("key")
                )
        rows = (
            await self.session.execute(
                select(timeline_entries.c.entry_id, timeline_entries.c.content).where(
                    timeline_entries.c.wamid == wamid, timeline_entries.c.media_key.is_(None)
                )
            )
        ).all()
        for row in rows:
            if _lacks_stored_media(row.content):
                await self.session.execute(
                    update(timeline_entries)
                    .where(timeline_entries.c.entry_id == row.entry_id)
                    .values(content=with_stored_media(row.content, stored), media_key=stored.get("key"))
                )

    async def update_message_media(self, message_id: uuid.UUID, media: Mapping[str, Any]) -> None:
        for pending in self.staged.values():
            if message_id in pending:
                message, account_id = pending[message_id]
                pending[message_id] = (
                    dataclasses.replace(message, content=with_media(message.content, media)),
                    account_id,
                )
        key = message_source(message_id)
        if key in self.entries:
            entry = self.entries[key]
            self.entries[key] = dataclasses.replace(
                entry, content=with_media(entry.content or {}, media), media_key=media_key_of(media)
            )
        await SqlTimelineStore(self.session, publish=False).update_message_media(
            message_id, media
        )  # rows already written

    async def record(self, entries: Sequence[Entry]) -> int:
        added = [entry for entry in entries if entry.source_key not in self.entries]
        for entry in added:
            self.entries[entry.source_key] = entry
            if entry.lead_id is None and entry.conversation_id is not None:
                self.without_lead.setdefault(entry.conversation_id, []).append(entry.source_key)
        return len(added)

    async def flush(self) -> None:
        """Writes what the batch changed (once, at the end of the batch: a store serves one batch)."""
        changed = [
            {"conversation_id": c, "lead_id": lead}
            for c, lead in self.leads.items()
            if c not in self.in_table or self.in_table[c] != lead
        ]
        if changed:
            await copy_rows(
                self.session,
                conversations,
                changed,
                columns=["conversation_id", "lead_id"],
                on_conflict="(conversation_id) DO UPDATE SET lead_id = EXCLUDED.lead_id",
            )
        staged = [
            staged_row(message, account_id)
            for pending in self.staged.values()
            for message, account_id in pending.values()
        ]
        await copy_rows(self.session, staged_messages, staged, columns=STAGED_COLUMNS)
        await copy_rows(
            self.session,
            stored_media,
            [{"wamid": w, "stored": s} for w, s in self.new_media.items()],
            columns=["wamid", "stored"],
        )
        await copy_rows(
            self.session,
            timeline_entries,
            [entry_row(entry) for entry in self.entries.values()],
            columns=ENTRY_COLUMNS,
            on_conflict="(source_key) DO NOTHING",
        )
        if self.leads_of_entries_in_table:
            await self.session.execute(
                update(timeline_entries)
                .where(
                    timeline_entries.c.conversation_id == bindparam("conversation"),
                    timeline_entries.c.lead_id.is_(None),
                )
                .values(lead_id=bindparam("lead")),
                [{"conversation": c, "lead": lead} for c, lead in self.leads_of_entries_in_table.items()],
            )


def _uuids(ids: Iterable[uuid.UUID]) -> Any:
    # one array parameter, not one parameter per id: a batch asks about thousands
    return bindparam("ids", list(ids), type_=ARRAY(UUID(as_uuid=True)))


def _lacks_stored_media(content: Mapping[str, Any] | None) -> bool:
    return bool(content) and "media" in content and stored_media_of(content) is None


STAGED_COLUMNS = [c.name for c in staged_messages.columns]
