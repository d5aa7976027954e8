"""Development log-in: pick one of the seeded agents and get a dev token for them.

Mounted only when ``WEB_DEV_LOGIN=true`` (``make run`` sets it); otherwise ``/api/dev/*`` is a 404 and
the page asks for a bearer JWT from the identity provider. The agents come from the same accounts file
the router applies at start-up, and their tokens are minted with the dev secret every service checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter
from pydantic import BaseModel, Field

from leadline.platform.http import ApiError
from leadline.platform.tokens import mint_token

from .settings import WebSettings


class LoginRequest(BaseModel):
    account_id: str = Field(min_length=1, max_length=64)
    agent_id: str = Field(min_length=1, max_length=64)


def seeded_agents(accounts_file: str | None) -> list[dict[str, Any]]:
    """Every active agent of every account in the file, as the log-in page lists them."""
    if not accounts_file:
        return []
    document = yaml.safe_load(Path(accounts_file).read_text(encoding="utf-8")) or {}
    agents = []
    for account_id, account in (document.get("accounts") or {}).items():
        team_names = {str(tid): str(team.get("name", tid)) for tid, team in (account.get("teams") or {}).items()}
        for agent_id, agent in (account.get("agents") or {}).items():
            if agent.get("active", True) is False:
                continue
            teams = [str(t) for t in agent.get("teams", [])]
            agents.append(
                {
                    "account_id": str(account_id),
                    "agent_id": str(agent_id),
                    "name": str(agent.get("name", agent_id)),
                    "role": str(agent.get("role", "attendant")),
                    "teams": teams,
                    "team_names": {t: team_names.get(t, t) for t in teams},
                }
            )
    return agents


def dev_login_api(settings: WebSettings) -> APIRouter:
    router = APIRouter(prefix="/api/dev", tags=["development log-in"])

    @router.get("/agents")
    async def agents() -> dict[str, Any]:
        return {"items": seeded_agents(settings.web_dev_accounts_file)}

    @router.post("/login")
    async def login(body: LoginRequest) -> dict[str, Any]:
        found = [
            a
            for a in seeded_agents(settings.web_dev_accounts_file)
            if a["account_id"] == body.account_id and a["agent_id"] == body.agent_id
        ]
        if not found:
            raise ApiError(404, "not_found", "no such seeded agent")
        agent = found[0]
        token = mint_token(
            secret=settings.jwt_secret.get_secret_value(),
            agent_id=agent["agent_id"],
            name=agent["name"],
            role=agent["role"],
            account_id=agent["account_id"],
            teams=agent["teams"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )
        return {"token": token, "agent": agent}

    return router
