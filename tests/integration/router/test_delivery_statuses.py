"""An agent's message shows how far WhatsApp took it, whichever of WhatsApp's status and ingest's send result the
router decides first.

The send result (it names the message's wamid) comes on ``whatsapp.outbound`` keyed by conversation; WhatsApp's
statuses come on ``whatsapp.inbound`` keyed by chat. One fetched batch decides the two lanes at the same time, and the
WhatsApp Cloud API reports "sent" and "delivered" right after its answer, so the status is often first.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from leadline.events.common import WhatsAppUser
from leadline.router.adapters.tables import early_delivery_statuses
from tests.integration.router.conftest import new_customer


async def agent_message(dealer) -> tuple[str, str, str]:
    """A customer writes, Ana claims and answers: (conversation, Ana's message, the customer's number)."""
    phone = new_customer()
    conversation_id = (await dealer.customer_writes(phone))[0].stream_id
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        answer = await ana.post(
            f"/conversations/{conversation_id}/messages",
            json={"idempotency_key": uuid.uuid4().hex, "content": {"kind": "text", "body": "Temos sim!"}},
        )
    return conversation_id, answer.json()["message_id"], phone


async def delivery_shown(dealer, conversation_id: str) -> list[str]:
    async with dealer.client("ana") as ana:
        items = (await ana.get(f"/conversations/{conversation_id}/messages")).json()["items"]
    return [item["delivery"] for item in items if item["direction"] == "outbound"]


async def kept(dealer, wamid: str) -> int:
    async with dealer.router.sessions() as session:
        return await session.scalar(
            select(func.count()).select_from(early_delivery_statuses).where(early_delivery_statuses.c.wamid == wamid)
        )


async def test_statuses_decided_before_the_send_result_wait_for_it_and_then_move_the_delivery(dealer):
    conversation_id, message_id, phone = await agent_message(dealer)
    wamid = f"wamid.{uuid.uuid4().hex}"

    await dealer.whatsapp_reports(wamid, WhatsAppUser(wa_id=phone), "delivered")
    await dealer.whatsapp_reports(wamid, WhatsAppUser(wa_id=phone), "read")
    assert await kept(dealer, wamid) == 2
    assert await delivery_shown(dealer, conversation_id) == ["pending"]

    await dealer.ingest_sent(conversation_id, message_id, wamid)

    assert await delivery_shown(dealer, conversation_id) == ["read"]
    assert await kept(dealer, wamid) == 0


async def test_a_status_and_its_send_result_decided_at_the_same_time_end_with_the_status(dealer):
    for _ in range(8):  # either may win the wamid's turn: whichever does, the other sees its commit
        conversation_id, message_id, phone = await agent_message(dealer)
        wamid = f"wamid.{uuid.uuid4().hex}"

        await asyncio.gather(
            dealer.whatsapp_reports(wamid, WhatsAppUser(wa_id=phone)),
            dealer.ingest_sent(conversation_id, message_id, wamid),
        )

        assert await delivery_shown(dealer, conversation_id) == ["delivered"]
        assert await kept(dealer, wamid) == 0


async def test_a_status_of_a_message_leadline_never_sent_is_kept_a_day_at_most(dealer):
    stale, fresh = f"wamid.{uuid.uuid4().hex}", f"wamid.{uuid.uuid4().hex}"
    await dealer.whatsapp_reports(stale, WhatsAppUser(wa_id=new_customer()))
    async with dealer.router.sessions() as session, session.begin():
        await session.execute(
            early_delivery_statuses.update()
            .where(early_delivery_statuses.c.wamid == stale)
            .values(kept_at=func.now() - func.make_interval(0, 0, 0, 1, 1))
        )

    await dealer.whatsapp_reports(fresh, WhatsAppUser(wa_id=new_customer()))

    assert (await kept(dealer, stale), await kept(dealer, fresh)) == (0, 1)
