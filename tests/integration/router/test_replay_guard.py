"""A replay never wipes silently: ``leadline replay router`` refuses an event store that cannot explain the views.

Each test gets a router database of its own, filled through the router's real write path (event store and views
in one transaction), so the damage a test does to it stays there.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, insert, select

from leadline.platform.db import create_engine, session_factory
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.projection_replay import replay_projection
from leadline.router.adapters.account_cache import AccountCache
from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork
from leadline.router.adapters.tables import conversation_view, events, message_view
from leadline.router.adapters.unit_of_work import SqlUnitOfWork
from leadline.router.bootstrap import MIGRATIONS, replayable
from tests.clock import Clock
from tests.leadline_cli import leadline

from .conftest import RunningRouter, new_customer


@dataclass
class QuietRouter:
    """A router database written by the router's own handlers, with no service consuming it."""

    database_url: str
    sessions: object
    conversations: list[str]

    async def views(self) -> tuple[list[dict], list[dict]]:
        async with self.sessions() as session:
            conversations = (
                await session.execute(select(conversation_view).order_by(conversation_view.c.conversation_id))
            ).all()
            messages = (await session.execute(select(message_view).order_by(message_view.c.message_id))).all()
        return [dict(r._mapping) for r in conversations], [dict(r._mapping) for r in messages]

    def args(self) -> list[str]:
        return ["--database-url", self.database_url]


@pytest.fixture(scope="module")
async def written_router(infra) -> tuple[str, list[str]]:
    """Two conversations of two messages each, written by the router's handlers; copied for each test."""
    url = await infra.new_database("router_guard")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    engine = create_engine(url, pool_size=2)
    sessions = session_factory(engine)
    clock, cache = Clock(), AccountCache()
    router = RunningRouter(
        app=None, uow=lambda: SqlUnitOfWork(sessions, clock=clock, account_cache=cache), sessions=sessions, clock=clock
    )
    router.config_uow = lambda: SqlConfigurationUnitOfWork(sessions)
    dealer = await router.dealer()
    conversations = []
    try:
        for _ in range(2):
            customer = new_customer()
            conversations.append(await dealer.open_conversation(customer))
            await dealer.customer_writes(customer, "Ainda tem o Onix prata?")
    finally:
        await engine.dispose()
    return url, conversations


@pytest.fixture
async def quiet_router(infra, written_router):
    url = await infra.copy_of_database(written_router[0], "router_guard")
    engine = create_engine(url, pool_size=2)
    try:
        yield QuietRouter(url, session_factory(engine), written_router[1])
    finally:
        await engine.dispose()


async def _delete_first_event(quiet_router: QuietRouter, conversation_id: str) -> None:
    async with quiet_router.sessions() as session, session.begin():
        await session.execute(delete(events).where(events.c.stream_id == conversation_id, events.c.version == 1))


async def _orphan_message(quiet_router: QuietRouter) -> dict:
    async with quiet_router.sessions() as session, session.begin():
        row = dict((await session.execute(select(message_view).limit(1))).one()._mapping)
        row.update(message_id=uuid.uuid4(), conversation_id=uuid.uuid4())
        await session.execute(insert(message_view).values(**row))
    return row


async def test_an_event_store_that_lost_a_conversations_first_event_is_refused_and_the_views_kept(quiet_router):
    damaged = quiet_router.conversations[0]
    await _delete_first_event(quiet_router, damaged)
    before = await quiet_router.views()

    result = await leadline("replay", "router", *quiet_router.args())

    assert result.code == 2, result.output
    paragraph = result.stderr.strip()
    assert len(paragraph.splitlines()) == 1, "one paragraph"
    assert paragraph.startswith("error: refused to replay router: its source cannot explain the projection")
    assert (
        f"The event store ends before what 1 conversation view(s) record ({damaged} at version 3, stored versions 2–3)"
        in paragraph
    ), paragraph
    assert await quiet_router.views() == before


async def test_a_replay_of_one_conversation_is_refused_the_same_way(quiet_router):
    damaged = quiet_router.conversations[0]
    await _delete_first_event(quiet_router, damaged)
    before = await quiet_router.views()

    report = await replay_projection(replayable(), quiet_router.database_url, scope=("conversation", damaged))

    assert report.refused and not report.swapped
    assert report.objections[0].reason.startswith("the event store ends before what 1 conversation view(s) record")
    assert await quiet_router.views() == before


async def test_a_dry_run_names_a_view_row_no_stored_event_explains_and_the_replay_refuses_it(quiet_router):
    orphan = await _orphan_message(quiet_router)
    before = await quiet_router.views()

    dry = await leadline("replay", "router", "--dry-run", *quiet_router.args())

    assert dry.code == 2, dry.output
    assert (
        f"message_view: 1 row(s), no event of its conversation is in the event store; e.g. message "
        f"{orphan['message_id']} of conversation {orphan['conversation_id']}"
    ) in dry.stdout
    assert "a replay of router would be refused" in dry.stderr
    assert "The rebuild would remove rows no replayed event explains (1 from message_view)" in dry.stderr
    assert "event store ends before" not in dry.stderr, "every view's stream is whole"
    report = await replay_projection(replayable(), quiet_router.database_url)
    assert report.refused and not report.swapped
    assert await quiet_router.views() == before


async def test_force_replays_anyway_and_the_report_says_it_was_forced_and_what_it_removed(quiet_router):
    orphan = await _orphan_message(quiet_router)
    conversations, messages = await quiet_router.views()

    forced = await leadline("replay", "router", "--force", *quiet_router.args())

    assert forced.code == 0, forced.output
    assert (
        "forced past: The rebuild would remove rows no replayed event explains (1 from message_view)." in forced.stdout
    )
    assert "rows no replayed event explains (removed anyway: --force)" in forced.stdout
    assert "swapped in (forced)" in forced.stdout
    assert await quiet_router.views() == (
        conversations,
        [m for m in messages if m["message_id"] != orphan["message_id"]],
    )


async def test_a_replay_of_a_whole_event_store_swaps_without_objection(quiet_router):
    before = await quiet_router.views()

    report = await replay_projection(replayable(), quiet_router.database_url)

    assert report.swapped and not report.objected and not report.forced
    assert report.changes == 0 and report.events_built == 6
    assert await quiet_router.views() == before
