"""Claim-once under contention: the database decides, exactly one of 100 agents wins."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from leadline.router.adapters.tables import events


async def test_a_hundred_concurrent_claims_make_exactly_one_owner_and_ninety_nine_409s(router):
    dealer = await router.dealer(extra_agents=100)
    conversation_id = await dealer.open_conversation()
    clients = [dealer.client(f"seller{n}") for n in range(100)]
    try:
        answers = await asyncio.gather(*(c.post(f"/conversations/{conversation_id}/claim", json={}) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 1 and statuses.count(409) == 99, statuses
    winner = next(a.json()["owner"] for a in answers if a.status_code == 200)
    assert {a.json()["error"]["details"]["owner"]["id"] for a in answers if a.status_code == 409} == {winner["id"]}
    async with router.sessions() as session:
        claimed = await session.scalar(
            select(func.count())
            .select_from(events)
            .where(events.c.stream_id == conversation_id, events.c.type == "router.conversation.claimed")
        )
    assert claimed == 1
