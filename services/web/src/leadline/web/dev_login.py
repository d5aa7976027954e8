"""Development log-in: pick one of the seeded agents and get a dev token for them.

Mounted only when ``WEB_DEV_LOGIN=true`` (``make run`` sets it); otherwise ``/api/dev/*`` is a 404 and
the page asks for a bearer JWT from the identity provider. The accounts come from the same accounts file
the router applies at start-up; their agents as the router's directory has them now (an admin may have added one,
or turned someone's access off since), read with a dev token of the account's administrator, or as the file names
them while the router does not answer. Tokens are minted with the dev secret every service checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import APIRouter
from pydantic import BaseModel, Field

from leadline.platform.http import ApiError
from leadline.platform.tokens import mint_token

from .settings import WebSettings


class LoginRequest(BaseModel):
    account_id: str = Field(min_length=1, max_length=64)
    agent_id: str = Field(min_length=1, max_length=64)


def accounts_in(accounts_file: str | None) -> dict[str, dict[str, Any]]:
    if not accounts_file:
        return {}
    document = yaml.safe_load(Path(accounts_file).read_text(encoding="utf-8")) or {}
    return {str(account_id): account for account_id, account in (document.get("accounts") or {}).items()}


def active_agents(account_id: str, account: dict[str, Any]) -> list[dict[str, Any]]:
    """The active agents of one account, as the log-in page lists them (the file's or the directory's document)."""
    team_names = {str(tid): str(team.get("name", tid)) for tid, team in (account.get("teams") or {}).items()}
    agents = []
    for agent_id, agent in (account.get("agents") or {}).items():
        if agent.get("active", True) is False:
            continue
        teams = [str(t) for t in agent.get("teams", [])]
        agents.append(
            {
                "account_id": account_id,
                "agent_id": str(agent_id),
                "name": str(agent.get("name", agent_id)),
                "role": str(agent.get("role", "attendant")),
                "teams": teams,
                "team_names": {t: team_names.get(t, t) for t in teams},
            }
        )
    return agents


def dev_login_api(settings: WebSettings, client: httpx.AsyncClient) -> APIRouter:
    router = APIRouter(prefix="/api/dev", tags=["development log-in"])

    def token(agent: dict[str, Any]) -> str:
        return mint_token(
            secret=settings.jwt_secret.get_secret_value(),
            agent_id=agent["agent_id"],
            name=agent["name"],
            role=agent["role"],
            account_id=agent["account_id"],
            teams=agent["teams"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )

    async def as_the_directory_has_it(account_id: str, account: dict[str, Any]) -> dict[str, Any]:
        admin = next((a for a in active_agents(account_id, account) if a["role"] == "admin"), None)
        if admin is None:
            return account
        try:
            answer = await client.get(
                f"{settings.router_url.rstrip('/')}/admin/configuration",
                headers={"Authorization": f"Bearer {token(admin)}"},
                timeout=settings.upstream_timeout_s,
            )
        except httpx.HTTPError:
            return account
        return answer.json()["configuration"] if answer.status_code == 200 else account

    async def agents_of(account_id: str, account: dict[str, Any]) -> list[dict[str, Any]]:
        return active_agents(account_id, await as_the_directory_has_it(account_id, account))

    @router.get("/agents")
    async def list_agents() -> dict[str, Any]:
        accounts = accounts_in(settings.web_dev_accounts_file)
        return {"items": [agent for item in accounts.items() for agent in await agents_of(*item)]}

    @router.post("/login")
    async def login(body: LoginRequest) -> dict[str, Any]:
        account = accounts_in(settings.web_dev_accounts_file).get(body.account_id)
        agents = await agents_of(body.account_id, account) if account is not None else []
        found = [agent for agent in agents if agent["agent_id"] == body.agent_id]
        if not found:
            raise ApiError(404, "not_found", "no such active agent")
        return {"token": token(found[0]), "agent": found[0]}

    return router
