"""``leadline replay router``: the conversation views refolded from the event store beside the live ones, then swapped."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from leadline.router.adapters.tables import conversation_view, message_view
from tests.integration.router.conftest import new_customer
from tests.leadline_cli import leadline


async def _view(router, conversation_id: str) -> tuple[dict, list[dict]]:
    async with router.sessions() as session:
        conversation = (
            await session.execute(
                select(conversation_view).where(conversation_view.c.conversation_id == uuid.UUID(conversation_id))
            )
        ).one()
        messages = (
            await session.execute(
                select(message_view)
                .where(message_view.c.conversation_id == uuid.UUID(conversation_id))
                .order_by(message_view.c.seq)
            )
        ).all()
    return dict(conversation._mapping), [dict(m._mapping) for m in messages]


async def test_a_damaged_view_is_reported_by_a_dry_run_and_repaired_by_the_replay_while_the_router_runs(router):
    dealer = await router.dealer()
    customer = new_customer()
    conversation_id = await dealer.open_conversation(customer)
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={"lead_id": str(uuid.uuid4())})
        await ana.post(
            f"/conversations/{conversation_id}/messages",
            json={"idempotency_key": "r1", "content": {"kind": "text", "body": "Oi, tudo bem?"}},
        )
    healthy = await _view(router, conversation_id)
    async with router.sessions() as session, session.begin():  # a bug in a view update
        await session.execute(
            update(conversation_view)
            .where(conversation_view.c.conversation_id == uuid.UUID(conversation_id))
            .values(status="finished", owner_id=None)
        )
    args = ["--database-url", router.app.state.runtime.settings.database_url]

    dry = await leadline("replay", "router", "--conversation", conversation_id, "--dry-run", *args)
    assert dry.code == 0, dry.output
    assert "2 row difference(s)" in dry.stdout and "dry run: nothing changed" in dry.stdout
    assert (await _view(router, conversation_id))[0]["status"] == "finished"

    fixed = await leadline("replay", "router", *args)
    assert fixed.code == 0, fixed.output
    assert "swapped in" in fixed.stdout
    assert await _view(router, conversation_id) == healthy

    # the router goes on with the swapped-in views: a new message lands in them at once
    async with dealer.client("ana") as ana:
        sent = await ana.post(
            f"/conversations/{conversation_id}/messages",
            json={"idempotency_key": "r2", "content": {"kind": "text", "body": "Posso ajudar?"}},
        )
        assert sent.status_code in (200, 201, 202), sent.text
        listed = await ana.get(f"/conversations/{conversation_id}")
    assert listed.status_code == 200
    assert len((await _view(router, conversation_id))[1]) == len(healthy[1]) + 1
