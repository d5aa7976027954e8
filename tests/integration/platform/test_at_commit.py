"""``held_until_commit``: one holder per transaction, written once as it commits — never at a savepoint's release,
never after a rollback — and a failing write fails the commit."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.platform.at_commit import held_until_commit
from leadline.platform.inbox import first_deliveries
from leadline.platform.messaging_tables import INBOX


async def record_ids(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    await first_deliveries(session, [("held", event_id) for event_id in ids])


def held(session: AsyncSession) -> list[uuid.UUID]:
    return held_until_commit(session, "test.held", list, record_ids)


async def recorded(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(INBOX).where(INBOX.c.consumer == "held"))


async def test_a_transaction_writes_what_its_savepoints_held_once_as_it_commits(messaging_db):
    _, _, sessions = messaging_db
    ids = [uuid.uuid4() for _ in range(3)]
    async with sessions() as session, session.begin():
        for event_id in ids:
            async with session.begin_nested():
                held(session).append(event_id)
                assert held(session) is held(session)  # one holder for the transaction
        assert await recorded(sessions) == 0  # the savepoints' releases wrote nothing
    assert await recorded(sessions) == 3


async def test_a_rolled_back_transaction_writes_nothing_and_the_next_one_starts_empty(messaging_db):
    _, _, sessions = messaging_db
    async with sessions() as session:
        async with session.begin():
            held(session).append(uuid.uuid4())
            await session.rollback()
        async with session.begin():
            assert held(session) == []
            held(session).append(uuid.uuid4())
    assert await recorded(sessions) == 1


async def test_a_failing_write_fails_the_commit(messaging_db):
    _, _, sessions = messaging_db

    async def refuse(session: AsyncSession, holder: list) -> None:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        async with sessions() as session, session.begin():
            await first_deliveries(session, [("held", uuid.uuid4())])
            held_until_commit(session, "test.refused", list, refuse)
    assert await recorded(sessions) == 0
