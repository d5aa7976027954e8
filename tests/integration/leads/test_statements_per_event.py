"""What the leads consumer sends PostgreSQL per router event, counted (not timed) with the bench's own scenarios.

Before a conversation's row carried its position and a lane wrote each conversation once, every event cost five to
seven statements; these budgets keep the per-event path from coming back.
"""

from __future__ import annotations

import asyncio

from leadline.bench.leads import measure
from leadline.leads.bootstrap import MIGRATIONS
from leadline.platform.migrations import upgrade_to_head


async def test_the_events_leads_has_no_use_for_and_pool_messages_run_almost_no_statement_of_their_own(infra):
    url = await infra.new_database("leads_statements")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    figures = await measure(url, conversations=4, messages=10)
    assert figures["unused statements/event"] == 0  # not even a NOTIFY: the lane wrote no outbox row
    assert figures["pool statements/event"] < 1  # a read and a write per conversation and lane
    assert figures["lead statements/event"] < 3.5  # a lead's load, its conversations and its review per message
