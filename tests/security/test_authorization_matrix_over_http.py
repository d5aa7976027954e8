"""The router's authorization matrix (tests/integration/router/test_authorization_matrix.py) sent over real HTTP.

Same oracle, same situations, same checks, but every agent request goes through a uvicorn server on a free port
(httpx to 127.0.0.1) instead of the ASGI transport. Sampled deterministically to keep it short: for each situation an
agent is checked when its cell (process, role, status, team link, relation to the owner, claimed or not) has not
been checked yet, or every ``EVERY``-th agent otherwise; so every cell the full matrix reaches is checked at least
once over HTTP (asserted below). The live stream is left to the in-process matrix.
"""

from __future__ import annotations

import contextlib
from itertools import product

import httpx
import pytest

from leadline.platform.auth import mint_token
from leadline.platform.embedded import free_port

from tests.integration.leads.conftest import serve_in_background
from tests.integration.router.conftest import JWT_SECRET, media_store, router  # noqa: F401 - the session's in-process router
from tests.integration.router.test_authorization_matrix import STATUSES, VIEWERS, cell, open_matrix, recipes

EVERY = 5


@pytest.fixture(scope="module")
async def router_url(router):  # noqa: F811
    """The running router app behind a real HTTP server (its lifespan is the fixture's)."""
    port = free_port()
    server, task = await serve_in_background(router.app, port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def http_client(base_url: str):
    def client_for(dealer, who: str) -> httpx.AsyncClient:
        agent = dealer.agents[who]
        token = mint_token(secret=JWT_SECRET, agent_id=agent.id, name=agent.name, role=str(agent.role),
                           account_id=dealer.account_id, teams=sorted(agent.team_ids))
        return httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=15)

    return client_for


@pytest.mark.parametrize("process_type", [1, 2], ids=["process 1", "process 2"])
async def test_the_authorization_matrix_holds_over_http(router, router_url, process_type, capsys):  # noqa: F811
    async with contextlib.AsyncExitStack() as stack:
        matrix = await open_matrix(stack, router, process_type, client_for=http_client(router_url))
        sampled = 0
        for index, recipe in enumerate(recipes()):
            c = await matrix.build(recipe)
            viewers = [who for n, who in enumerate(VIEWERS)
                       if cell(matrix.people[who], c) not in matrix.cells or (index + n) % EVERY == 0]
            sampled += len(viewers)
            for who, action in await matrix.check_situation(c, viewers):
                await matrix.check_success_on_a_copy(recipe, who, action)
        await matrix.check_inbox_lists()

    required = {(f"process {process_type}", role, status, linked, rel)
                for role, status, linked, rel in product(("attendant", "seller", "admin"), STATUSES,
                                                         ("linked", "not linked"), ("owner", "other"))
                if not (rel == "owner" and status == "new")}
    covered = {c[:5] for c in matrix.cells}
    with capsys.disabled():
        print(f"\nauthorization matrix over HTTP, process {process_type}: {len(matrix.cells)} cells, "
              f"{sampled} agent-situations sampled, {matrix.checks} checks, {len(matrix.failures)} failed")
    assert required <= covered, f"cells never checked over HTTP: {sorted(required - covered)}"
    assert not matrix.failures, "\n".join(matrix.failures[:40])
