"""``copy_rows``: COPY into a staging table, then one INSERT … ON CONFLICT, in the caller's transaction — also when
it is the transaction's first statement (SQLAlchemy begins a transaction lazily, at its first statement)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from leadline.platform.bulk import copy_rows

from .conftest import DELIVERIES


async def delivered(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(DELIVERIES))


async def test_a_copy_as_the_transactions_first_statement_commits_with_it(messaging_db):
    _, _, sessions = messaging_db
    async with sessions() as session, session.begin():
        await copy_rows(session, DELIVERIES, [{"event_id": uuid.uuid4()} for _ in range(3)], columns=["event_id"])
    assert await delivered(sessions) == 3


async def test_a_copy_rolls_back_with_its_transaction(messaging_db):
    _, _, sessions = messaging_db
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await copy_rows(session, DELIVERIES, [{"event_id": uuid.uuid4()}], columns=["event_id"])
            raise RuntimeError("the caller fails after the copy")
    assert await delivered(sessions) == 0
