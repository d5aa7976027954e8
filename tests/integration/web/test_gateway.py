"""The web gateway in front of a real router replica (real uvicorn, the session's broker and database).

It passes the agent APIs through unchanged — status, body, the agent's token, repeated query parameters —
streams the live feed as it happens, keeps the dev log-in off unless asked, and says 502 when a service is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import httpx
import uvicorn

from leadline.platform.auth import TokenVerifier
from leadline.platform.embedded import free_port
from leadline.web.app import create_app
from leadline.web.settings import WebSettings
from tests.conftest import REPO
from tests.integration.router.conftest import (  # noqa: F401 - fixtures
    JWT_SECRET,
    dealer,
    ingest_for_router,
    media_store,
    router,
)
from tests.integration.router.test_live_stream import live_replica, token_for, until

ACCOUNTS = str(REPO / "deploy" / "dev" / "accounts.yaml")


@contextlib.asynccontextmanager
async def gateway(tmp_path, **settings) -> AsyncIterator[str]:
    """The gateway served by uvicorn (ASGI test transports buffer whole answers: no live stream through them)."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    defaults = dict(router_url=nowhere, leads_url=nowhere, history_url=nowhere, jwt_secret=JWT_SECRET)
    async with serving(create_app(WebSettings(**(defaults | settings))), lifespan="on") as url:
        yield url


async def test_the_inbox_api_answers_through_the_gateway_exactly_as_the_router_does(router, dealer, tmp_path):  # noqa: F811
    await dealer.open_conversation(name="Marcos Pereira")
    token = token_for(dealer, "ana")
    async with live_replica(router) as replica, gateway(tmp_path, router_url=replica.base_url) as web:
        async with httpx.AsyncClient() as client:
            auth = {"Authorization": f"Bearer {token}"}
            query = [("status", "new"), ("team", "vendas"), ("team", "seminovos")]
            direct = await client.get(f"{replica.base_url}/conversations", params=query, headers=auth)
            proxied = await client.get(f"{web}/api/router/conversations", params=query, headers=auth)
            assert proxied.status_code == direct.status_code == 200
            assert proxied.json() == direct.json()
            assert [c["customer_name"] for c in proxied.json()["items"]] == ["Marcos Pereira"]
            refused = await client.get(f"{web}/api/router/conversations")
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "unauthenticated"


async def test_the_live_stream_reaches_the_browser_through_the_gateway_as_it_happens(router, dealer, tmp_path):  # noqa: F811
    token = token_for(dealer, "bruno")
    async with live_replica(router) as replica, gateway(tmp_path, router_url=replica.base_url) as web:
        events: list[tuple[str, dict]] = []
        comments: list[str] = []

        async def read(response: httpx.Response) -> None:
            name = None
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    comments.append(line[1:].strip())
                elif line.startswith("event:"):
                    name = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    events.append((name, json.loads(line.removeprefix("data:"))))

        async with httpx.AsyncClient(timeout=httpx.Timeout(15, read=None)) as client:
            async with client.stream(
                "GET",
                f"{web}/api/router/stream",
                params={"access_token": token},
                headers={"Accept": "text/event-stream"},
            ) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                reader = asyncio.create_task(read(response))
                await until(lambda: "connected" in comments, "the router's first line came through")
                conversation_id = await dealer.open_conversation(name="Julia Costa")
                await until(
                    lambda: any(d.get("conversation_id") == conversation_id for _, d in events),
                    "the opened conversation arrives through the gateway",
                )
                reader.cancel()
        assert next(n for n, d in events if d.get("conversation_id") == conversation_id) == "conversation"


async def test_with_a_metrics_port_the_gateway_facing_the_internet_answers_no_metrics(tmp_path):
    """The Ingress sends the internet to the gateway's HTTP port; Kubernetes sets METRICS_PORT for Prometheus."""
    async with gateway(tmp_path, metrics_port=free_port()) as web, httpx.AsyncClient(base_url=web) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
    async with gateway(tmp_path) as web, httpx.AsyncClient(base_url=web) as client:  # development: beside the API
        assert "leadline_http_request_seconds" in (await client.get("/metrics")).text


async def test_dev_login_is_off_unless_asked_for(tmp_path):
    async with gateway(tmp_path) as web, httpx.AsyncClient(base_url=web) as client:
        assert (await client.get("/api/config")).json() == {
            "dev_login": False,
            "request_contact_template": {"name": "pedir_contato", "language": "pt_BR"},
        }
        assert (await client.get("/api/dev/agents")).status_code == 404
        assert (
            await client.post("/api/dev/login", json={"account_id": "acme-motors", "agent_id": "ana"})
        ).status_code == 404


async def test_dev_login_lists_the_seeded_agents_and_mints_a_token_the_services_accept(tmp_path):
    async with (
        gateway(tmp_path, web_dev_login=True, web_dev_accounts_file=ACCOUNTS) as web,
        httpx.AsyncClient(base_url=web) as client,
    ):
        agents = (await client.get("/api/dev/agents")).json()["items"]
        assert {a["agent_id"] for a in agents} == {"ana", "bruno", "carla", "diego"}
        answer = (await client.post("/api/dev/login", json={"account_id": "acme-motors", "agent_id": "carla"})).json()
        identity = TokenVerifier(secret=JWT_SECRET, issuer="leadline-dev").verify(answer["token"])
        assert (identity.agent_id, identity.account_id) == ("carla", "acme-motors"), "the router's directory holds her"
        assert (
            await client.post("/api/dev/login", json={"account_id": "acme-motors", "agent_id": "zé"})
        ).status_code == 404


async def test_dev_login_lists_the_agents_as_the_routers_directory_has_them_now(router, dealer, tmp_path):  # noqa: F811
    """An admin turned Bruno's access off and added Fábio: the picker follows the directory, not the file."""
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        json.dumps(
            {
                "accounts": {
                    dealer.account_id: {
                        "teams": {"vendas": {"name": "Vendas"}},
                        "agents": {
                            agent.id: {"name": agent.name, "role": str(agent.role), "teams": sorted(agent.team_ids)}
                            for agent in dealer.agents.values()
                        },
                    }
                }
            }
        )
    )
    admin = {"Authorization": f"Bearer {token_for(dealer, 'diego')}"}
    async with (
        serving(router.app) as router_url,
        gateway(tmp_path, web_dev_login=True, web_dev_accounts_file=str(accounts), router_url=router_url) as web,
        httpx.AsyncClient(base_url=web) as client,
        httpx.AsyncClient(base_url=router_url, headers=admin) as router_admin,
    ):
        before = {a["agent_id"] for a in (await client.get("/api/dev/agents")).json()["items"]}
        bruno = {"name": "Bruno Lima", "role": "seller", "teams": ["vendas"], "active": False}
        assert (await router_admin.put("/admin/agents/bruno", json=bruno)).status_code == 200
        fabio = {"name": "Fábio Nunes", "role": "seller", "teams": ["vendas"]}
        assert (await router_admin.put("/admin/agents/fabio", json=fabio)).status_code == 200

        listed = {a["agent_id"]: a for a in (await client.get("/api/dev/agents")).json()["items"]}
        refused = await client.post("/api/dev/login", json={"account_id": dealer.account_id, "agent_id": "bruno"})
        taken = await client.post("/api/dev/login", json={"account_id": dealer.account_id, "agent_id": "fabio"})

    assert "bruno" in before and "fabio" not in before
    assert "bruno" not in listed and listed["fabio"]["name"] == "Fábio Nunes"
    assert refused.status_code == 404
    assert taken.status_code == 200 and taken.json()["agent"]["agent_id"] == "fabio"


async def test_a_service_that_does_not_answer_is_a_502_and_reported_but_the_gateway_stays_ready_to_serve_the_page(
    tmp_path,
):
    async with gateway(tmp_path) as web, httpx.AsyncClient(base_url=web) as client:
        answer = await client.get("/api/leads/leads/x", headers={"Authorization": "Bearer x"})
        assert answer.status_code == 502
        assert answer.json()["error"]["code"] == "upstream_unavailable"
        assert (await client.get("/api/nothing/here")).status_code == 404
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.json()
        assert ready.json()["checks"] == {"page": "ok"}
        assert {name: state[:11] for name, state in ready.json()["reports"].items()} == {
            "router": "unavailable",
            "leads": "unavailable",
            "history": "unavailable",
        }
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/healthz")).status_code == 200


async def test_a_gateway_without_the_page_is_not_ready(tmp_path):
    async with gateway(tmp_path, web_static_dir=str(tmp_path)) as web, httpx.AsyncClient(base_url=web) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"page": "unavailable"}


async def test_the_page_is_served_and_media_pass_through_with_their_byte_ranges_until_the_agent_leaves(
    tmp_path,
    router,  # noqa: F811
    dealer,  # noqa: F811
):
    conversation_id = await dealer.open_conversation()
    async with dealer.client("ana") as ana:
        assert (await ana.post(f"/conversations/{conversation_id}/claim", json={})).status_code == 200
    token = token_for(dealer, "ana")
    image = b"\x89PNG\r\n\x1a\n" + b"an agent's photo" * 40
    async with (
        serving(router.app) as router_url,
        gateway(tmp_path, router_url=router_url) as web,
        httpx.AsyncClient(base_url=web) as client,
    ):
        page = await client.get("/")
        assert page.status_code == 200 and '<main id="view"' in page.text
        assert (await client.get("/js/main.js")).headers["content-type"].startswith("text/javascript")
        assert (await client.get("/api/media/ab/cd/x.png")).status_code == 404, "no media route of the gateway's own"
        auth = {"Authorization": f"Bearer {token}"}
        kept = await client.post(
            f"/api/router/conversations/{conversation_id}/media",
            content=image,
            headers={**auth, "Content-Type": "image/png"},
        )
        assert kept.status_code == 201, kept.text
        reply = await client.post(
            f"/api/router/conversations/{conversation_id}/messages",
            headers=auth,
            json={"idempotency_key": "gateway-photo", "content": {"kind": "image", "media": kept.json()}},
        )
        url = f"/api/router/conversations/{conversation_id}/messages/{reply.json()['message_id']}/media"
        whole = await client.get(url, params={"access_token": token})
        part = await client.get(url, params={"access_token": token}, headers={"Range": "bytes=8-15"})
        left = await client.put(
            "/api/router/admin/agents/ana",
            headers={"Authorization": f"Bearer {token_for(dealer, 'diego')}"},
            json={"name": "Ana Souza", "role": "seller", "teams": ["vendas"], "active": False},
        )
        assert left.status_code == 200, left.text
        after_leaving = await client.get(url, params={"access_token": token})  # the next request
    assert (after_leaving.status_code, after_leaving.json()["error"]["code"]) == (401, "agent_inactive")
    assert (whole.status_code, whole.content, whole.headers["content-type"]) == (200, image, "image/png")
    assert (part.status_code, part.content) == (206, image[8:16])
    assert part.headers["content-range"] == f"bytes 8-15/{len(image)}"


@contextlib.asynccontextmanager
async def serving(app, *, lifespan: str = "off") -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free port; ``lifespan="off"`` for one already running (the session's router)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan=lifespan, timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, "served")
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
