"""Claim-once under contention: the database decides, exactly one of 100 agents wins, on one replica or two."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from leadline.platform.db import create_engine, session_factory
from leadline.router.adapters.account_cache import AccountCache
from leadline.router.adapters.claim_gate import SqlClaimGate
from leadline.router.adapters.tables import events
from tests.integration.router.test_live_stream import live_replica, token_for


async def test_a_hundred_concurrent_claims_make_exactly_one_owner_and_ninety_nine_409s(router):
    dealer = await router.dealer(extra_agents=100)
    conversation_id = await dealer.open_conversation()
    clients = [dealer.client(f"seller{n}") for n in range(100)]
    try:
        answers = await asyncio.gather(*(c.post(f"/conversations/{conversation_id}/claim", json={}) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    await _exactly_one_owner(router, conversation_id, answers)


async def test_a_hundred_claims_at_once_on_two_replicas_make_exactly_one_owner(router):
    """Each replica decides its own claimers in memory; between replicas the database's claim turn and the expected
    version decide."""
    dealer = await router.dealer(extra_agents=100)
    conversation_id = await dealer.open_conversation()
    async with live_replica(router) as replica:
        here = [dealer.client(f"seller{n}") for n in range(0, 100, 2)]
        there = [
            httpx.AsyncClient(
                base_url=replica.base_url, headers={"Authorization": f"Bearer {token_for(dealer, f'seller{n}')}"}
            )
            for n in range(1, 100, 2)
        ]
        try:
            answers = await asyncio.gather(
                *(c.post(f"/conversations/{conversation_id}/claim", json={}) for c in [*here, *there])
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in [*here, *there]))
    await _exactly_one_owner(router, conversation_id, answers)


async def _exactly_one_owner(router, conversation_id: str, answers: list[httpx.Response]) -> None:
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


async def test_claims_read_with_the_account_not_yet_in_memory_never_wait_for_a_second_connection(router):
    """More claimers than connections, right after a configuration change (the account is read again): each gives its
    connection back before reading the account, so none holds one while waiting for another (a pool deadlock)."""
    dealer = await router.dealer()
    conversation_id = await dealer.open_conversation()
    engine = create_engine(router.app.state.runtime.settings.database_url, pool_size=1)  # two connections
    gate = SqlClaimGate(engine, session_factory(engine), AccountCache())
    try:
        read = await asyncio.wait_for(
            asyncio.gather(*(gate.committed(conversation_id, dealer.account_id) for _ in range(10))), timeout=10
        )
    finally:
        await engine.dispose()
    assert {claim.state.owner_id for claim in read} == {None}
    assert {claim.account.id for claim in read} == {dealer.account_id}
