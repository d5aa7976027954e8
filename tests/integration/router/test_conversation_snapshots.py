"""A conversation loads from its kept state; the event store stays the truth that state is checked against."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text, update

from leadline.events.common import WhatsAppUser
from leadline.router.adapters.event_store import SqlConversations
from leadline.router.adapters.snapshots import FORMAT
from leadline.router.adapters.tables import conversation_messages, conversation_snapshots
from tests.integration.router.conftest import new_customer
from tests.integration.router.test_customer_identity import send_then_status
from tests.integration.router.test_projections_and_pool_wait import media_states_of_one_voice_note

S = conversation_snapshots.c


async def a_conversation_of_every_kind_of_event(dealer) -> str:
    """Opened, claimed, answered (sent and delivered), written to, echoed from the phone, finished."""
    customer = new_customer()
    conversation_id = await dealer.open_conversation(customer)
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={"lead_id": str(uuid.uuid4())})
        sent = await ana.post(
            f"/conversations/{conversation_id}/messages",
            json={"idempotency_key": "r1", "content": {"kind": "text", "body": "Oi!"}},
        )
        await send_then_status(dealer, conversation_id, sent.json()["message_id"], WhatsAppUser(wa_id=customer))
        await dealer.customer_writes(customer, "Quanto custa?")
        await dealer.business_app_sends(customer, "Já te mando o preço")
        await ana.post(f"/conversations/{conversation_id}/finish")
    return conversation_id


async def test_every_kept_state_is_the_state_its_events_fold_to(router):
    dealer = await router.dealer()
    ours = [await a_conversation_of_every_kind_of_event(dealer), await dealer.open_conversation()]
    await media_states_of_one_voice_note(dealer)
    async with router.sessions() as session, session.begin():
        # one transaction that holds off appends: other tests on the shared database may still be writing
        await session.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
        kept_ids = (await session.scalars(select(S.conversation_id))).all()
        store = SqlConversations(session)
        for conversation_id in kept_ids:
            kept, folded = await store.get(conversation_id), await store.fold(conversation_id)
            assert kept.state() == folded.state(), conversation_id
            assert kept.message_facts() == folded.message_facts(), conversation_id
            assert kept.account_id == folded.account_id
    assert set(ours) <= set(kept_ids), "every conversation written since snapshots has one"


async def test_a_decision_about_one_message_loads_that_message_only_and_the_same_facts_of_it(router):
    dealer = await router.dealer()
    customer = new_customer()
    first_wamid = f"wamid.{uuid.uuid4().hex}"
    conversation_id = await dealer.open_conversation(customer, wamid=first_wamid)
    for n in range(5):
        await dealer.customer_writes(customer, f"mensagem {n}")
    async with router.sessions() as session:
        store = SqlConversations(session)
        about_one = await store.get(conversation_id, about_messages=[first_wamid])
        folded = await store.fold(conversation_id)
    assert about_one.state() == folded.state()
    assert about_one.message_facts() == [f for f in folded.message_facts() if f.wamid == first_wamid]
    assert len(folded.message_facts()) == 6
    assert await dealer.customer_writes(customer, "de novo", wamid=first_wamid) == [], "a redelivery is still one"


async def kept_row(router, conversation_id: str):
    async with router.sessions() as session:
        return (await session.execute(select(conversation_snapshots).where(S.conversation_id == conversation_id))).one()


async def spoil(router, conversation_id: str, **values) -> None:
    async with router.sessions() as session, session.begin():
        await session.execute(update(conversation_snapshots).where(S.conversation_id == conversation_id).values(values))


async def test_a_snapshot_of_another_format_unreadable_or_behind_its_stream_is_ignored_and_written_anew(router):
    dealer = await router.dealer()
    customer = new_customer()
    conversation_id = await dealer.open_conversation(customer)
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
    good = await kept_row(router, conversation_id)
    spoiled = [
        {"format": "0:before-an-upcaster", "state": {"status": "finished"}},  # an old format: never read
        {"state": {"no": "such shape"}},  # this format, yet unreadable
        {"version": good.version - 1},  # behind its stream
    ]
    for n, values in enumerate(spoiled):
        await spoil(router, conversation_id, **values)
        async with router.sessions() as session:
            store = SqlConversations(session)
            loaded, folded = await store.get(conversation_id), await store.fold(conversation_id)
        assert loaded.state() == folded.state(), values
        assert loaded.owner is not None and loaded.owner.id == "ana", "the events' owner, not the spoiled snapshot's"
        await dealer.customer_writes(customer, f"ainda aí? {n}")
        again = await kept_row(router, conversation_id)
        assert again.format == FORMAT and again.version > good.version and again.state["owner"]["id"] == "ana"
        good = again


async def test_a_conversation_from_before_snapshots_keeps_every_message_on_its_next_append(router):
    dealer = await router.dealer()
    customer = new_customer()
    old_wamid = f"wamid.{uuid.uuid4().hex}"
    conversation_id = await dealer.open_conversation(customer, wamid=old_wamid)
    await dealer.customer_writes(customer, "segunda")
    async with router.sessions() as session, session.begin():  # as the migration left it: events only
        await session.execute(conversation_snapshots.delete().where(S.conversation_id == conversation_id))
        await session.execute(
            conversation_messages.delete().where(conversation_messages.c.conversation_id == conversation_id)
        )
    await dealer.customer_writes(customer, "terceira")
    async with router.sessions() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(conversation_messages)
            .where(conversation_messages.c.conversation_id == conversation_id)
        )
    assert kept == 3, "all three messages, not only the one just appended"
    assert await dealer.customer_writes(customer, "primeira de novo", wamid=old_wamid) == [], "still a redelivery"
