"""What an agent's token says (role among it) and how a development token is minted: JWT only, so the
``leadline`` command mints one without loading a web framework (services verify tokens in ``auth``)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

import jwt


class Role(enum.StrEnum):
    ATTENDANT = "attendant"
    SELLER = "seller"
    ADMIN = "admin"


def mint_token(
    *, secret: str, agent_id: str, name: str, role: Role | str, account_id: str, teams: list[str],
    audience: str = "leadline", issuer: str = "leadline-dev", ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """A dev HS256 token; production tokens come from the identity provider."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": agent_id, "name": name, "role": str(Role(role)), "account_id": account_id, "teams": teams,
        "aud": audience, "iss": issuer, "iat": issued, "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
