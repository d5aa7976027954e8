"""What an agent's token says and how a development token is minted: JWT only, so the ``leadline`` command
mints one without loading a web framework (services verify tokens in ``auth``).

A token proves who is calling; its ``role`` and ``teams`` claims are display hints for the page, and no service
grants anything from them (rights come from the account directory: ``access``).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

import jwt

#: A claim only services' tokens carry (``true``): the caller is a leadline service acting for the account, not an agent.
SERVICE_CLAIM = "leadline_service"


class Role(enum.StrEnum):
    ATTENDANT = "attendant"
    SELLER = "seller"
    ADMIN = "admin"


def mint_token(
    *,
    secret: str,
    agent_id: str,
    name: str,
    role: Role | str,
    account_id: str,
    teams: list[str],
    audience: str = "leadline",
    issuer: str = "leadline-dev",
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
    service: bool = False,
) -> str:
    """A dev HS256 token; production tokens come from the identity provider. ``service``: a service's own token."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": agent_id,
        "name": name,
        "role": str(Role(role)),
        "account_id": account_id,
        "teams": teams,
        "aud": audience,
        "iss": issuer,
        "iat": issued,
        "exp": issued + ttl,
    }
    if service:
        claims[SERVICE_CLAIM] = True
    return jwt.encode(claims, secret, algorithm="HS256")
