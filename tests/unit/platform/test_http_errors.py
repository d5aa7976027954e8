"""Every service speaks the same error language: 401 for a missing or bad token, JSON always."""

from __future__ import annotations

import httpx
from fastapi import Depends, FastAPI

from leadline.platform.auth import AgentIdentity, TokenVerifier
from leadline.platform.http import ApiError, install_error_handlers
from leadline.platform.tokens import mint_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def app() -> FastAPI:
    verifier = TokenVerifier(secret=SECRET, issuer="leadline-dev")
    api = FastAPI()
    install_error_handlers(api)

    @api.get("/me")
    async def me(agent: AgentIdentity = Depends(verifier)) -> dict[str, str]:
        return {"agent": agent.agent_id}

    @api.get("/conflict")
    async def conflict() -> None:
        raise ApiError(409, "already_claimed", "Ana Souza already took this conversation", owner="ana")

    return api


async def call(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://s") as client:
        return await client.get(path, headers=headers or {})


async def test_no_token_is_a_401_json_error_with_a_bearer_challenge():
    response = await call("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_a_bad_token_is_a_401_json_error():
    response = await call("/me", {"Authorization": "Bearer nonsense"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


async def test_a_good_token_reaches_the_endpoint_as_an_agent():
    token = mint_token(secret=SECRET, agent_id="ana", name="Ana", role="seller", account_id="acme", teams=["t1"])
    response = await call("/me", {"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == {"agent": "ana"}


async def test_domain_errors_carry_a_code_a_message_and_details():
    response = await call("/conflict")
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "already_claimed",
            "message": "Ana Souza already took this conversation",
            "details": {"owner": "ana"},
        }
    }


async def test_unknown_routes_are_json_404s():
    response = await call("/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
