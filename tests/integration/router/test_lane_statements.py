"""The router's cost per customer message in a batch lane, in statements: the figure CPU follows
(``python -m leadline.bench.router_lane`` measures the CPU; this keeps the count from creeping back)."""

from __future__ import annotations

import asyncio

from leadline.bench.router_lane import measure
from leadline.platform.migrations import upgrade_to_head
from leadline.router.bootstrap import MIGRATIONS


async def test_a_message_into_an_open_conversation_takes_about_seven_statements_in_its_lane(infra):
    url = await infra.new_database("router_lane")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    figures = await measure(url, messages=30, customers=3, lanes=2)
    # lock the customer's keys, read them, lock the chat, its open conversation, the kept state, the chat's last
    # message time, then one statement appends, keeps and projects; the lane's inbox and outbox rows: one each
    assert figures["statements_per_message"] <= 7.5, figures
