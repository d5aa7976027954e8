"""Chats (one customer on one business number): their open conversation, last customer message, lead; lead owners."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.errors import ConcurrentChange
from ..domain.identity import OpenInChat, stays_open
from ..service.ports import Chat, LeadOwner
from .tables import chats, lead_owners, open_conversations


def _by_key(table: Table) -> list[ColumnElement[bool]]:
    """A chat's key, bound (``_bound(...)`` names the values): for statements built once."""
    return [table.c[name] == bindparam(f"chat_{name}", type_=table.c[name].type) for name in CHAT_KEY]


def _bound(account_id: str, phone_number_id: str, customer_id: str) -> dict[str, object]:
    return {"chat_account_id": account_id, "chat_phone_number_id": phone_number_id, "chat_customer_id": customer_id}


CHAT_KEY = ("account_id", "phone_number_id", "customer_id")
_LOCK_CHAT = select(chats).where(*_by_key(chats)).with_for_update()
_OPEN_IN_CHAT = select(open_conversations.c.conversation_id).where(*_by_key(open_conversations))
# no savepoint to catch a unique violation in: a conflict inserts nothing, and nothing is returned
_OPEN_CONVERSATION = (
    pg_insert(open_conversations).on_conflict_do_nothing().returning(open_conversations.c.conversation_id)
)
_CUSTOMER_WROTE = (
    update(chats)
    .where(*_by_key(chats))
    .values(last_customer_message_at=bindparam("at", type_=chats.c.last_customer_message_at.type))
)


class SqlChats:
    """A chat is one customer (``adapters/customers.py``) on one business number."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_for_update(self, account_id: str, phone_number_id: str, customer_id: str) -> Chat:
        """Lock the chat row: messages of one chat are decided one at a time, whatever the concurrency."""
        key = {"account_id": account_id, "phone_number_id": phone_number_id, "customer_id": uuid.UUID(customer_id)}
        bound = _bound(account_id, phone_number_id, key["customer_id"])
        row = (await self._session.execute(_LOCK_CHAT, bound)).first()
        if row is None:  # the chat's first message
            await self._session.execute(pg_insert(chats).values(**key).on_conflict_do_nothing())
            row = (await self._session.execute(_LOCK_CHAT, bound)).one()
        # after the lock, in a statement of its own: it sees what the lock's previous holder committed
        open_id = await self._session.scalar(_OPEN_IN_CHAT, bound)
        return Chat(
            account_id,
            phone_number_id,
            customer_id,
            str(open_id) if open_id else None,
            str(row.last_conversation_id) if row.last_conversation_id else None,
            row.last_customer_message_at,
            str(row.lead_id) if row.lead_id else None,
        )

    async def open_conversation(self, chat: Chat, conversation_id: str, opened_at: datetime) -> None:
        opened = await self._session.scalar(
            _OPEN_CONVERSATION,
            {
                "account_id": chat.account_id,
                "phone_number_id": chat.phone_number_id,
                "customer_id": uuid.UUID(chat.customer_id),
                "conversation_id": conversation_id,
                "opened_at": opened_at,
            },
        )
        if opened is None:  # one open conversation per chat: someone opened it first
            raise ConcurrentChange("the chat already has an open conversation")
        await self._session.execute(
            update(chats)
            .where(*_key(chat.account_id, chat.phone_number_id, chat.customer_id))
            .values(last_conversation_id=conversation_id)
        )

    async def close_conversation(self, conversation_id: str) -> None:
        await self._session.execute(
            delete(open_conversations).where(open_conversations.c.conversation_id == conversation_id)
        )

    async def customer_wrote(self, chat: Chat, at: datetime) -> None:
        bound = _bound(chat.account_id, chat.phone_number_id, uuid.UUID(chat.customer_id))
        await self._session.execute(_CUSTOMER_WROTE, {**bound, "at": at})

    async def attach_lead(self, account_id: str, phone_number_id: str, customer_id: str, lead_id: str) -> None:
        key = {"account_id": account_id, "phone_number_id": phone_number_id, "customer_id": uuid.UUID(customer_id)}
        statement = pg_insert(chats).values(**key, lead_id=lead_id)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=list(key), set_={"lead_id": lead_id})
        )

    async def last_customer_message_at(
        self, account_id: str, phone_number_id: str, customer_id: str
    ) -> datetime | None:
        return await self._session.scalar(
            select(chats.c.last_customer_message_at).where(*_key(account_id, phone_number_id, customer_id))
        )

    async def merge_customer(self, account_id: str, merged_id: str, *, into: str) -> list[str]:
        """Number by number: the merged customer's chat joins ``into``'s (or becomes it); one open conversation stays."""
        detached: list[str] = []
        theirs = (
            await self._session.execute(
                select(chats)
                .where(chats.c.account_id == account_id, chats.c.customer_id == uuid.UUID(merged_id))
                .with_for_update()
            )
        ).all()
        for chat in theirs:
            mine = (
                await self._session.execute(
                    select(chats).where(*_key(account_id, chat.phone_number_id, into)).with_for_update()
                )
            ).first()
            if mine is None:
                await self._session.execute(
                    update(chats)
                    .where(*_key(account_id, chat.phone_number_id, merged_id))
                    .values(customer_id=uuid.UUID(into))
                )
            else:
                latest = max((mine, chat), key=lambda c: c.last_customer_message_at or _NEVER)
                await self._session.execute(delete(chats).where(*_key(account_id, chat.phone_number_id, merged_id)))
                await self._session.execute(
                    update(chats)
                    .where(*_key(account_id, chat.phone_number_id, into))
                    .values(
                        lead_id=mine.lead_id or chat.lead_id,
                        last_customer_message_at=latest.last_customer_message_at,
                        last_conversation_id=latest.last_conversation_id or mine.last_conversation_id,
                    )
                )
            detached.extend(await self._merge_open(account_id, chat.phone_number_id, merged_id, into))
        return detached

    async def _merge_open(self, account_id: str, phone_number_id: str, merged_id: str, into: str) -> list[str]:
        o = open_conversations.c
        rows = {
            str(row.customer_id): row
            for row in (
                await self._session.execute(
                    select(open_conversations).where(
                        o.account_id == account_id,
                        o.phone_number_id == phone_number_id,
                        o.customer_id.in_([uuid.UUID(merged_id), uuid.UUID(into)]),
                    )
                )
            ).all()
        }
        theirs, mine = rows.get(merged_id), rows.get(into)
        if theirs is None:
            return []
        if mine is not None:
            keep = stays_open(
                OpenInChat(str(mine.conversation_id), mine.opened_at, mine.opened_order),
                OpenInChat(str(theirs.conversation_id), theirs.opened_at, theirs.opened_order),
            )
            left = theirs if keep.conversation_id == str(mine.conversation_id) else mine
            await self._session.execute(delete(open_conversations).where(o.conversation_id == left.conversation_id))
            if left is mine:
                await self._session.execute(
                    update(open_conversations)
                    .where(o.conversation_id == theirs.conversation_id)
                    .values(customer_id=uuid.UUID(into))
                )
            return [str(left.conversation_id)]
        await self._session.execute(
            update(open_conversations)
            .where(o.conversation_id == theirs.conversation_id)
            .values(customer_id=uuid.UUID(into))
        )
        return []


_NEVER = datetime.min.replace(tzinfo=UTC)


def _key(account_id: str, phone_number_id: str, customer_id: str):
    return (
        chats.c.account_id == account_id,
        chats.c.phone_number_id == phone_number_id,
        chats.c.customer_id == uuid.UUID(customer_id),
    )


class SqlLeadOwners:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, lead_id: str) -> LeadOwner | None:
        row = (await self._session.execute(select(lead_owners).where(lead_owners.c.lead_id == lead_id))).first()
        return LeadOwner(str(row.lead_id), row.owner_id, row.owner_name, row.team_id) if row else None

    async def set(self, account_id: str, owner: LeadOwner) -> None:
        values = {"owner_id": owner.owner_id, "owner_name": owner.owner_name, "team_id": owner.team_id}
        statement = pg_insert(lead_owners).values(lead_id=owner.lead_id, account_id=account_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[lead_owners.c.lead_id], set_=values)
        )

    async def set_temperature(self, lead_id: str, temperature: str) -> None:
        await self._session.execute(
            update(lead_owners).where(lead_owners.c.lead_id == lead_id).values(temperature=temperature)
        )

    async def set_if_unknown(self, account_id: str, owner: LeadOwner) -> None:
        values = {"owner_id": owner.owner_id, "owner_name": owner.owner_name, "team_id": owner.team_id}
        await self._session.execute(
            pg_insert(lead_owners)
            .values(lead_id=owner.lead_id, account_id=account_id, **values)
            .on_conflict_do_nothing()
        )
