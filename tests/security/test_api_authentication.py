"""Every agent endpoint of every service, over real HTTP: no or bad token → 401; a valid token of an agent the account
directory does not hold → 401 ``agent_not_in_directory``; another account's token → 404, for every kind of resource.

The endpoints are enumerated from each service's FastAPI app (``app.routes`` of ``bootstrap.build()``), not listed by
hand, so a route added without authentication fails here. Left out: the operational endpoints (health, readiness,
metrics, the OpenAPI and AsyncAPI documents) and ingest's webhook, which Meta signs instead (``test_webhook_probes``).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Any

import jwt
import pytest
from fastapi.routing import iter_route_contexts

from leadline.history.bootstrap import build as build_history
from leadline.history.entrypoints.settings import HistorySettings
from leadline.ingest.bootstrap import build as build_ingest
from leadline.ingest.entrypoints.settings import IngestSettings
from leadline.leads.bootstrap import build as build_leads
from leadline.leads.entrypoints.settings import LeadsSettings
from leadline.platform.tokens import mint_token
from leadline.router.bootstrap import build as build_router
from leadline.router.entrypoints.settings import RouterSettings
from tests.security.conftest import JWT_SECRET, expired_token

UNAUTHENTICATED_BY_DESIGN = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/asyncapi",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/webhooks/whatsapp",
    # Evolution API authenticates with the instance's API key instead (tests/integration/ingest: 401 / 404 probes)
    "/webhooks/evolution/{phone_number_id}",
    "/webhooks/evolution/{phone_number_id}/{event}",
}
NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:1/none"  # the apps are only inspected, never started
APPS = {
    "ingest": lambda: build_ingest(IngestSettings(database_url=NOWHERE)),
    "router": lambda: build_router(RouterSettings(database_url=NOWHERE)),
    "leads": lambda: build_leads(LeadsSettings(database_url=NOWHERE)),
    "history": lambda: build_history(HistorySettings(database_url=NOWHERE)),
}
#: Path parameters that name one account's resource: another account asking for it must get a 404.
RESOURCES = ("conversation_id", "lead_id", "conflict_id", "phone_number_id")
#: Ingest's API is called by the router with the agent's token, after the router authorized the agent; it checks the
#: token only (it is not behind the gateway), so the directory's refusals are the other services'.
AUTHENTICATES_ONLY = {"ingest"}
#: Bodies valid enough to get past validation, so a cross-account request reaches the handler.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/conversations/{conversation_id}/claim"): {},
    ("POST", "/conversations/{conversation_id}/messages"): {
        "idempotency_key": "sec-1",
        "content": {"kind": "text", "body": "Bom dia!"},
    },
    ("POST", "/leads/{lead_id}/transfer"): {"to_agent_id": "ana", "to_team_id": "vendas"},
    ("POST", "/admin/conflicts/{conflict_id}/resolve"): {"lead_id": str(uuid.uuid4()), "agent_id": "ana"},
    ("PUT", "/admin/business-numbers/{phone_number_id}"): {
        "display_number": "5511400000099",
        "name": "Outra",
        "teams": ["vendas"],
    },
    ("PUT", "/admin/teams/{team_id}"): {"name": "Vendas"},
    ("PUT", "/admin/agents/{agent_id}"): {"name": "Ana Souza", "role": "seller", "teams": ["vendas"]},
    ("PUT", "/admin/settings"): {"process_type": 1},
    ("POST", "/admin/configuration"): {},
}
#: Reads of a message's file: the seeded conversation holds none, so this account's read is a 404 too; the owner's
#: 200 beside other agents' and accounts' 404 is shown in tests/integration/router/test_message_media.py (the customer's photo:
#: test_customer_photos.py).
FILES = {
    ("GET", "/conversations/{conversation_id}/messages/{message_id}/media"),
    ("GET", "/conversations/{conversation_id}/customer-photo"),  # 404 until a photo is known; authorized the same way
}
#: Query parameters a route requires.
PARAMS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/conversations/{conversation_id}/messages/search"): {"q": "Onix"}
}


def agent_routes() -> list[tuple[str, str, str]]:
    """(service, method, path) of every route an agent calls."""
    routes = []
    for service, build in APPS.items():
        for route in iter_route_contexts(build().routes):  # included routers flattened, with their prefixes
            if route.path not in UNAUTHENTICATED_BY_DESIGN:
                routes += [(service, method, route.path) for method in sorted((route.methods or {"GET"}) - {"HEAD"})]
    return routes


ROUTES = agent_routes()


def test_the_enumeration_finds_every_services_agent_endpoints():
    services = {service for service, _, _ in ROUTES}
    assert services == {"router", "leads", "history", "ingest"}, (
        "ingest's is its media API, called with the agent's token"
    )
    assert len(ROUTES) >= 20, ROUTES


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def bad_credentials(stack) -> dict[str, dict[str, str]]:
    a = stack.accounts["a"]
    claims = {
        "sub": "diego",
        "role": "admin",
        "account_id": a.id,
        "aud": "leadline",
        "iss": "leadline-dev",
        "exp": 4_102_444_800,
    }
    return {
        "no header": {},
        "bare scheme": {"Authorization": "Bearer"},
        "basic scheme": {"Authorization": "Basic ZGllZ286c2VjcmV0"},
        "not a JWT": {"Authorization": "Bearer not-a-jwt"},
        "expired": {"Authorization": f"Bearer {expired_token(a)}"},
        "wrong signature": {"Authorization": f"Bearer {a.token(secret='another-secret-another-secret-0123456789')}"},
        "alg none": {"Authorization": f"Bearer {jwt.encode(claims, key=None, algorithm='none')}"},
        "wrong audience": {"Authorization": f"Bearer {a.token(audience='someone-else')}"},
        "no account": {
            "Authorization": "Bearer "
            + jwt.encode({k: v for k, v in claims.items() if k != "account_id"}, JWT_SECRET, algorithm="HS256")
        },
    }


@pytest.fixture(scope="module")
async def clients(stack):
    """One client per service for the whole module: hundreds of requests, not hundreds of clients and connections."""
    async with contextlib.AsyncExitStack() as opened:
        yield {service: await opened.enter_async_context(stack.client(service)) for service in stack.urls}


async def call(clients, service: str, method: str, path: str, values: dict[str, str], headers: dict[str, str]):
    body = BODIES.get((method, path), None)
    return await clients[service].request(
        method,
        fill(path, values),
        json=body if method in ("POST", "PUT") else None,
        headers=headers,
        params=PARAMS.get((method, path), {}),
    )


def values_of(stack, seeded) -> dict[str, str]:
    return {
        "conversation_id": seeded.conversation_id,
        "lead_id": seeded.lead_id,
        "conflict_id": str(uuid.uuid4()),
        "phone_number_id": stack.accounts["a"].number.phone_number_id,
        "team_id": "vendas",
        "agent_id": "ana",
        "message_id": str(uuid.uuid4()),
        "key": f"ab/cd/{uuid.uuid4().hex}.jpg",
    }


async def test_every_agent_endpoint_refuses_a_missing_or_bad_token_with_401(stack, seeded, clients):
    values, failures, checked, credentials = values_of(stack, seeded), [], 0, bad_credentials(stack)
    for service, method, path in ROUTES:
        for what, headers in credentials.items():
            answer = await call(clients, service, method, path, values, headers)
            checked += 1
            if answer.status_code != 401 or answer.json().get("error", {}).get("code") != "unauthenticated":
                failures.append(f"{service} {method} {path} with {what}: {answer.status_code} {answer.text[:160]}")
    assert not failures, "\n".join(failures)
    assert checked == len(ROUTES) * len(bad_credentials(stack))


async def test_every_agent_endpoint_refuses_a_valid_token_of_an_agent_the_directory_does_not_hold(
    stack, seeded, clients
):
    a = stack.accounts["a"]
    values, failures = values_of(stack, seeded), []
    nobodys = mint_token(
        secret=JWT_SECRET, agent_id="diego", name="Diego", role="admin", account_id="sec-nobody", teams=[]
    )
    strangers = {
        "unknown agent claiming admin": a.headers("zeca"),
        "agent of an account nobody configured": {"Authorization": f"Bearer {nobodys}"},
    }
    routes = [(s, m, p) for s, m, p in ROUTES if s not in AUTHENTICATES_ONLY]
    for service, method, path in routes:
        for what, headers in strangers.items():
            answer = await call(clients, service, method, path, values, headers)
            if answer.status_code != 401 or answer.json().get("error", {}).get("code") != "agent_not_in_directory":
                failures.append(f"{service} {method} {path} with {what}: {answer.status_code} {answer.text[:160]}")
    assert {s for s, _, _ in routes} == {"router", "leads", "history"}
    assert not failures, "\n".join(failures)


async def test_the_live_stream_refuses_a_bad_token_in_its_query_too(stack):
    for what, headers in bad_credentials(stack).items():
        token = headers.get("Authorization", "").removeprefix("Bearer ").removeprefix("Basic ")
        async with stack.client("router") as router:
            answer = await router.get("/stream", params={"access_token": token} if token else {})
        assert answer.status_code == 401, (what, answer.text)


async def test_another_accounts_token_finds_nothing_of_this_account(stack, seeded, clients):
    a, b = stack.accounts["a"], stack.accounts["b"]
    values, failures = values_of(stack, seeded), []
    secrets = (seeded.conversation_id, seeded.lead_id, a.id, seeded.customer[-8:])
    for service, method, path in ROUTES:
        if path == "/stream":
            continue  # never ends; what it shows another account is the authorization matrix's business
        names = set(re.findall(r"\{(\w+)\}", path))
        for agent in ("diego", "ana"):  # b's admin and b's seller
            answer = await call(clients, service, method, path, values, b.headers(agent))
            where = f"{service} {method} {path} as b's {agent}: {answer.status_code} {answer.text[:200]}"
            if answer.status_code >= 500:
                failures.append(where)
            if any(secret in answer.text for secret in secrets):
                failures.append(f"{where}: mentions account a's data")
            if names & set(RESOURCES):
                expected = 404
                if answer.status_code != expected and not (
                    agent == "ana" and path.startswith("/admin") and answer.status_code == 403
                ):
                    failures.append(f"{where}: expected {expected}")
    assert not failures, "\n".join(failures)


async def test_the_same_reads_with_this_accounts_token_succeed_so_the_404s_mean_something(stack, seeded, clients):
    values, a = values_of(stack, seeded), stack.accounts["a"]
    reads = [
        (s, m, p)
        for s, m, p in ROUTES
        if m == "GET" and {"conversation_id", "lead_id"} & set(re.findall(r"\{(\w+)\}", p)) and (m, p) not in FILES
    ]
    assert len(reads) >= 5
    for service, method, path in reads:
        answer = await call(clients, service, method, path, values, a.headers())
        assert answer.status_code == 200, f"{service} {path}: {answer.status_code} {answer.text[:200]}"
