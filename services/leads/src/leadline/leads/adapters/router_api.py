"""The router's agent API over HTTP (httpx): read a conversation and its messages, claim it for a lead.

The caller's bearer token is forwarded as it came, so the router applies its own visibility rules to
the agent; the recovery loop uses a service token instead (``ServiceTokenMinter``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from leadline.platform.service_client import service_client
from leadline.platform.tokens import Role, mint_token

from ..service.ports import (
    ClaimAnswer,
    Claimed,
    ClaimNotFound,
    ClaimOtherwiseRejected,
    ClaimRefused,
    RouterConversation,
    RouterMessage,
    RouterUnavailable,
)


class HttpRouter:
    def __init__(
        self, base_url: str, *, timeout_s: float = 5.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        # idle connections dropped before the router closes them: Add lead never meets one closing mid-request
        self._client = service_client(base_url, timeout=timeout_s, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except httpx.HTTPError as error:  # refused, reset, timed out: the router did not answer
            raise RouterUnavailable(f"router unreachable: {type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise RouterUnavailable(f"router answered {response.status_code}")
        return response

    async def conversation(self, conversation_id: str, token: str) -> RouterConversation | None:
        response = await self._call("GET", f"/conversations/{conversation_id}", token)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.json()
        return RouterConversation(
            conversation_id=body["conversation_id"],
            customer_name=body.get("customer_name") or "",
            customer_phone=body.get("customer_phone"),
            phone_number_id=body["phone_number_id"],
            business_display_number=body["business_display_number"],
            pool_team_ids=frozenset(body.get("pool_team_ids") or ()),
            owner_id=body.get("owner_id"),
            owner_name=body.get("owner_name"),
            lead_id=body.get("lead_id"),
            status=body.get("status", "new"),
            customer_user_id=body.get("customer_user_id"),
            customer_username=body.get("customer_username"),
        )

    async def messages(self, conversation_id: str, token: str) -> list[RouterMessage]:
        response = await self._call("GET", f"/conversations/{conversation_id}/messages", token)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [
            RouterMessage(
                direction=item["direction"],
                kind=item.get("kind", "unsupported"),
                text=item.get("text"),
                sent_at=datetime.fromisoformat(item["sent_at"]),
            )
            for item in response.json()["items"]
        ]

    async def claim(self, conversation_id: str, lead_id: str, token: str) -> ClaimAnswer:
        response = await self._call("POST", f"/conversations/{conversation_id}/claim", token, json={"lead_id": lead_id})
        if response.status_code == 200:
            return Claimed(owner_id=response.json()["owner"]["id"])
        if response.status_code == 404:
            return ClaimNotFound()
        error = _error(response)
        owner = (error.get("details") or {}).get("owner")
        if response.status_code == 409 and error.get("code") == "already_claimed" and owner:
            return ClaimRefused(owner_id=owner["id"], owner_name=owner["name"])
        return ClaimOtherwiseRejected(response.status_code, error.get("code", "refused"), error.get("message", ""))


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        return response.json().get("error") or {}
    except ValueError:
        return {"code": "refused", "message": response.text[:200]}


class ServiceTokenMinter:
    """Tokens the leads service presents to the router as itself (``SERVICE_CLAIM``): an administrator of one account,
    which the router does not look up in the account directory.

    Signed with the shared ``JWT_SECRET`` (HS256). With ``JWT_JWKS_URL`` (production) the identity
    provider must issue the service's tokens instead; see the README.
    """

    AGENT_ID = "leadline-leads"

    def __init__(self, *, secret: str, audience: str, issuer: str, ttl: timedelta = timedelta(minutes=5)) -> None:
        self._secret, self._audience, self._issuer, self._ttl = secret, audience, issuer, ttl

    def for_account(self, account_id: str) -> str:
        return mint_token(
            secret=self._secret,
            agent_id=self.AGENT_ID,
            name="leadline leads service",
            role=Role.ADMIN,
            account_id=account_id,
            teams=[],
            audience=self._audience,
            issuer=self._issuer,
            ttl=self._ttl,
            service=True,
        )
