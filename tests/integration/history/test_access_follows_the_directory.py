"""The history API follows the account directory: only an active agent of the account reads a timeline, from
the moment the router's integration event says so (within a second), with no call to the router."""

from __future__ import annotations

import uuid

from tests.kafka_helpers import wait_until

WITHIN_S = 1.0


async def status_and_code(client, path: str, **params) -> tuple[int, str]:
    answer = await client.get(path, params=params)
    return answer.status_code, answer.json()["error"]["code"]


async def test_an_agent_who_leaves_is_refused_within_a_second_and_one_who_returns_is_let_back_in(history, feed):
    lead, conversation = f"/leads/{uuid.uuid4()}/timeline", f"/conversations/{uuid.uuid4()}/messages/search"
    async with history.client(feed.account_id, "ana") as ana:
        assert await status_and_code(ana, lead) == (404, "not_found"), "an active agent of the account: let in"

        await history.directory_says(feed.account_id, "ana", active=False, wait=False)

        async def refused() -> bool:
            return await status_and_code(ana, lead) == (401, "agent_inactive")

        await wait_until(refused, timeout_s=WITHIN_S, interval_s=0.02)
        assert await status_and_code(ana, conversation, q="onix") == (401, "agent_inactive")

        await history.directory_says(feed.account_id, "ana", active=True, wait=False)

        async def let_back_in() -> bool:
            return await status_and_code(ana, lead) == (404, "not_found")

        await wait_until(let_back_in, timeout_s=WITHIN_S, interval_s=0.02)


async def test_a_valid_token_of_an_agent_the_directory_never_heard_of_is_refused(history, feed):
    async with history.client(feed.account_id, "ana"):
        pass  # the account's directory exists
    async with history.client_with_token(feed.account_id, "zeca") as stranger:
        assert await status_and_code(stranger, f"/leads/{uuid.uuid4()}/timeline") == (401, "agent_not_in_directory")
