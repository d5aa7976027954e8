"""Chats that existed before customers did: migration router_0004 joins the forms of one number into one chat."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from leadline.platform.db import create_engine
from leadline.platform.migrations import alembic_config, upgrade_to_head
from leadline.router.bootstrap import MIGRATIONS

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NUMBER, OTHER_NUMBER = "106540352242922", "106540352242999"


def _upgrade_to(url: str, revision: str) -> None:
    command.upgrade(alembic_config(MIGRATIONS, url), revision)


async def _execute(url: str, statements: list[tuple[str, dict]]) -> None:
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as connection:
        for statement, values in statements:
            await connection.execute(text(statement), values)
    await engine.dispose()


async def _rows(url: str, query: str) -> list:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as connection:
        rows = (await connection.execute(text(query))).all()
    await engine.dispose()
    return rows


def _view(conversation_id: uuid.UUID, wa_id: str, opened_at: datetime, number: str = NUMBER) -> tuple[str, dict]:
    return (
        "INSERT INTO conversation_view (conversation_id, account_id, status, phone_number_id, business_display_number, "
        "customer_wa_id, customer_phone, customer_name, pool_team_ids, opened_at, last_activity_at, version) VALUES "
        "(:id, 'acme', 'new', :n, '551140000001', :w, '+5511987651234', 'João', '{vendas}', :at, :at, 1)",
        {"id": conversation_id, "n": number, "w": wa_id, "at": opened_at},
    )


async def test_both_ninth_digit_forms_become_one_customer_and_one_chat_keeping_the_older_open_conversation(infra):
    url = await infra.new_database("router_migration")
    await asyncio.to_thread(_upgrade_to, url, "router_0003")
    older, younger, elsewhere, lead = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _execute(
        url,
        [
            _view(older, "551187651234", T0),
            _view(younger, "5511987651234", T0 + timedelta(hours=1)),
            _view(elsewhere, "5511987651234", T0 + timedelta(hours=2), OTHER_NUMBER),
            (
                "INSERT INTO chats (account_id, phone_number_id, customer_wa_id, last_customer_message_at, last_conversation_id, "
                "lead_id) VALUES ('acme', :n, '551187651234', :a, :c, :lead)",
                {"n": NUMBER, "a": T0 + timedelta(minutes=5), "c": older, "lead": lead},
            ),
            (
                "INSERT INTO chats (account_id, phone_number_id, customer_wa_id, last_customer_message_at, last_conversation_id) "
                "VALUES ('acme', :n, '5511987651234', :a, :c)",
                {"n": NUMBER, "a": T0 + timedelta(hours=1), "c": younger},
            ),
            (
                "INSERT INTO chats (account_id, phone_number_id, customer_wa_id, last_customer_message_at, last_conversation_id) "
                "VALUES ('acme', :n, '5511987651234', :a, :c)",
                {"n": OTHER_NUMBER, "a": T0, "c": elsewhere},
            ),
            *[
                (
                    "INSERT INTO open_conversations (account_id, phone_number_id, customer_wa_id, conversation_id) "
                    "VALUES ('acme', :n, :w, :c)",
                    {"n": n, "w": w, "c": c},
                )
                for n, w, c in (
                    (NUMBER, "551187651234", older),
                    (NUMBER, "5511987651234", younger),
                    (OTHER_NUMBER, "5511987651234", elsewhere),
                )
            ],
        ],
    )

    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)

    (customer,) = await _rows(url, "SELECT customer_id, phone, wa_id, first_seen_at FROM customers")
    assert (customer.phone, customer.wa_id, customer.first_seen_at) == ("+5511987651234", "5511987651234", T0)
    chats = await _rows(
        url,
        "SELECT phone_number_id, customer_id, lead_id, last_customer_message_at, last_conversation_id "
        "FROM chats ORDER BY phone_number_id",
    )
    assert [(c.phone_number_id, c.customer_id) for c in chats] == [
        (NUMBER, customer.customer_id),
        (OTHER_NUMBER, customer.customer_id),
    ]
    joined = chats[0]
    assert (joined.lead_id, joined.last_customer_message_at, joined.last_conversation_id) == (
        lead,
        T0 + timedelta(hours=1),
        younger,
    ), "the lead kept, the latest message and conversation"
    still_open = await _rows(
        url, "SELECT phone_number_id, conversation_id, opened_at FROM open_conversations ORDER BY phone_number_id"
    )
    assert [(o.phone_number_id, o.conversation_id, o.opened_at) for o in still_open] == [
        (NUMBER, older, T0),
        (OTHER_NUMBER, elsewhere, T0 + timedelta(hours=2)),
    ]


async def test_an_empty_router_database_migrates_to_customers_too(infra):
    url = await infra.new_database("router_migration")

    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)

    assert await _rows(url, "SELECT * FROM customers") == []
