"""Projections are a pure function of the event store; pool waits raise one alert each."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY as METRICS
from sqlalchemy import select, text

from leadline.router.adapters import queries
from leadline.router.adapters.pool_wait_metrics import PrometheusPoolWaits
from leadline.router.adapters.tables import conversation_view, message_view
from leadline.router.adapters.view_replay import refold_views
from leadline.router.service.pool_wait import check_pool_waits
from tests.integration.router.conftest import new_customer


async def snapshot_in(session) -> tuple[list, list]:
    conversations = (
        await session.execute(select(conversation_view).order_by(conversation_view.c.conversation_id))
    ).all()
    messages = (await session.execute(select(message_view).order_by(message_view.c.message_id))).all()
    return [tuple(r) for r in conversations], [tuple(r) for r in messages]


async def test_dropping_the_projections_and_replaying_the_event_store_gives_the_same_answer(router):
    dealer = await router.dealer()
    customer = new_customer()
    conversation_id = await dealer.open_conversation(customer)
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={"lead_id": str(uuid.uuid4())})
        await ana.post(
            f"/conversations/{conversation_id}/messages",
            json={"idempotency_key": "r1", "content": {"kind": "text", "body": "Oi!"}},
        )
        await dealer.customer_writes(customer, "Quanto custa?")
        await ana.post(f"/conversations/{conversation_id}/finish")
    await dealer.open_conversation()
    await media_states_of_one_voice_note(dealer)
    async with router.sessions() as session, session.begin():
        # one transaction that holds off appends: other apps on the shared broker may still be writing
        await session.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
        live = await snapshot_in(session)
        replayed = await refold_views(session)
        rebuilt = await snapshot_in(session)
    assert replayed > 0
    assert rebuilt == live, "row for row"


async def media_states_of_one_voice_note(dealer) -> None:
    """A voice note whose fetch failed, was retried and was stored: each state is an event the rebuild refolds."""
    from leadline.events.content import VoiceContent
    from leadline.fakegraph.samples import SAMPLES
    from tests.integration.router.test_message_media import customer_sends, failed, ingest_says, ingest_stored, media_of

    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(VoiceContent, "audio/ogg"), customer=customer
    )
    await ingest_says(dealer, failed(dealer, wamid, customer, retryable=True, code=2))
    async with dealer.client("ana") as ana:
        assert (
            await ana.post(f"/conversations/{conversation_id}/messages/{message_id}/media/retry")
        ).status_code == 202
    await ingest_stored(dealer, wamid, SAMPLES["voice"].read(), "audio/ogg", customer=customer)


def alerts() -> float:
    return METRICS.get_sample_value("leadline_router_pool_wait_alerts_total") or 0.0


async def test_a_conversation_waiting_in_the_pool_past_the_threshold_raises_one_alert(router):
    dealer = await router.dealer(pool_wait_alert_seconds=60)
    waiting = await dealer.open_conversation()
    claimed = await dealer.open_conversation()
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{claimed}/claim", json={})
    before = alerts()
    router.clock.advance(seconds=61)
    published = await check_pool_waits(
        uow=router.uow, clock=router.clock, waiting=queries.waiting_in_pools, metrics=PrometheusPoolWaits()
    )
    mine = [e for e in published if e.stream_id in (waiting, claimed)]
    assert [(e.stream_id, e.type) for e in mine] == [(waiting, "router.conversation.pool_wait_exceeded")]
    assert mine[0].payload["threshold_seconds"] == 60 and mine[0].payload["waited_seconds"] >= 60
    assert alerts() >= before + 1
    again = await check_pool_waits(uow=router.uow, clock=router.clock, waiting=queries.waiting_in_pools)
    assert not [e for e in again if e.stream_id == waiting], "one alert per conversation"
    async with dealer.client("bruno") as pool_agent, dealer.client("elisa") as other_team:
        listed = (await pool_agent.get("/conversations")).json()
        assert listed["waiting_too_long"] == 1, "the page tells every agent of the pool"
        assert [c["pool_wait_alerted"] for c in listed["items"] if c["conversation_id"] == waiting] == [True]
        assert (await other_team.get("/conversations")).json()["waiting_too_long"] == 0, "not her team's pool"


async def test_a_message_typed_on_the_phone_keeps_a_pool_conversation_new_and_its_alert_still_comes(router):
    """The product's New: waiting in the pool until someone takes it. A dealership employee answering from the
    WhatsApp Business app does not take it: only Add lead does."""
    dealer = await router.dealer(pool_wait_alert_seconds=60)
    customer = new_customer()
    waiting = await dealer.open_conversation(customer)
    await dealer.business_app_sends(customer, "Oi! Já te respondo por aqui.")
    async with dealer.client("ana") as ana:
        row = (await ana.get(f"/conversations/{waiting}")).json()
        messages = (await ana.get(f"/conversations/{waiting}/messages")).json()["items"]
    assert row["status"] == "new" and row["owner_id"] is None
    assert [(m["direction"], m["origin"]) for m in messages][-1] == ("outbound", "phone_echo"), (
        "kept in the conversation"
    )
    router.clock.advance(seconds=61)
    published = await check_pool_waits(
        uow=router.uow, clock=router.clock, waiting=queries.waiting_in_pools, metrics=PrometheusPoolWaits()
    )
    assert (waiting, "router.conversation.pool_wait_exceeded") in [(e.stream_id, e.type) for e in published]
