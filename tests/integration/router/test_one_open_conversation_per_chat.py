"""A chat has at most one open conversation: the second opening is refused without spoiling the lane's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from leadline.router.adapters.chats import SqlChats
from leadline.router.adapters.tables import open_conversations
from leadline.router.domain.errors import ConcurrentChange
from leadline.router.service.ports import Chat


async def test_a_second_conversation_in_a_chat_is_refused_and_the_transaction_goes_on(router):
    chat = Chat("acct-open-once", "pn-1", str(uuid.uuid4()), None, None, None, None)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    async with router.sessions() as session, session.begin():
        chats = SqlChats(session)
        await chats.get_for_update(chat.account_id, chat.phone_number_id, chat.customer_id)
        await chats.open_conversation(chat, first, datetime.now(UTC))
        with pytest.raises(ConcurrentChange):
            await chats.open_conversation(chat, second, datetime.now(UTC))
        # still usable: a lane decides its other records in the same transaction
        opened = await session.scalars(
            select(open_conversations.c.conversation_id).where(open_conversations.c.customer_id == chat.customer_id)
        )
        assert [str(conversation_id) for conversation_id in opened] == [first]
