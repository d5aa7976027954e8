"""Access: the token says who is calling, the account directory says what they may do — at every request.

``Access`` is the FastAPI dependency every service that authorizes uses instead of the bare ``TokenVerifier``: it
verifies the token (``auth``), then asks a ``RightsSource`` for the agent's rights as the directory holds them now.
The router reads its own directory tables (``router.adapters.agent_rights``); the other services read
``directory.DirectoryProjection``, their fold of the router's integration topic. A token whose agent the directory
does not know, or knows as inactive, is a 401 with its own code; the token's own ``role`` and ``teams`` claims are
never read. A service's token (``tokens.SERVICE_CLAIM``) acts as an administrator of the account it names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from typing import Annotated, Protocol

from fastapi import Query, Request

from .auth import AgentIdentity, InvalidToken, TokenIdentity, TokenVerifier, bearer_token
from .http import ApiError
from .tokens import Role


@dataclass(frozen=True)
class AgentRights:
    """An agent as the account directory holds them: role, the active teams they belong to, and whether they still work here."""

    name: str
    role: Role
    team_ids: frozenset[str]
    active: bool = True


def without_retired_teams(rights: AgentRights, retired_team_ids: Collection[str]) -> AgentRights:
    """A retired team gives no pool: an agent's rights count only those of their teams that are still active."""
    return replace(rights, team_ids=rights.team_ids - frozenset(retired_team_ids))


class RightsSource(Protocol):
    async def rights(self, account_id: str, agent_id: str) -> AgentRights | None:
        """The agent's rights now; None when the account's directory has no such agent."""


class AgentNotInDirectory(ApiError):
    def __init__(self) -> None:
        super().__init__(
            401,
            "agent_not_in_directory",
            "the account's directory has no agent with this token's identity: ask an administrator",
        )


class AgentInactive(ApiError):
    def __init__(self) -> None:
        super().__init__(401, "agent_inactive", "this agent no longer has access to the account")


class DirectoryUnavailable(ApiError):
    def __init__(self) -> None:
        super().__init__(503, "directory_unavailable", "the account directory is not loaded yet; try again shortly")


class Access:
    """``agent: AgentIdentity = Depends(access)``: authenticated by the token, authorized by the directory."""

    def __init__(self, verifier: TokenVerifier, directory: RightsSource) -> None:
        self.verifier = verifier
        self.directory = directory

    async def of_token(self, token: str) -> AgentIdentity:
        return await self.of_identity(self.verifier.verify(token))

    async def of_identity(self, identity: TokenIdentity) -> AgentIdentity:
        if identity.service:
            return AgentIdentity(identity.agent_id, identity.name, Role.ADMIN, identity.account_id)
        rights = await self.directory.rights(identity.account_id, identity.agent_id)
        if rights is None:
            raise AgentNotInDirectory()
        if not rights.active:
            raise AgentInactive()
        return AgentIdentity(identity.agent_id, rights.name, rights.role, identity.account_id, rights.team_ids)

    async def __call__(self, request: Request) -> AgentIdentity:
        return await self.of_token(bearer_token(request))

    def from_header_or_query(self) -> Callable[..., Awaitable[AgentIdentity]]:
        """A dependency for what browsers load by URL (``EventSource``, ``<img>``, ``<audio>`` cannot set headers):
        the token from the ``Authorization`` header when there is one, else from ``?access_token=``. A URL is more
        exposed than a header (proxies, browser history): such paths are kept out of traces, and the gateway does not
        log URLs."""

        async def agent(
            request: Request,
            access_token: Annotated[
                str | None,
                Query(
                    description="The agent's JWT, for clients that cannot send an Authorization header (EventSource, <img>, <audio>).",
                ),
            ] = None,
        ) -> AgentIdentity:
            if request.headers.get("authorization"):
                return await self(request)
            if not access_token:
                raise InvalidToken("a token is required: Authorization: Bearer <jwt>, or ?access_token=<jwt>")
            return await self.of_token(access_token)

        return agent
