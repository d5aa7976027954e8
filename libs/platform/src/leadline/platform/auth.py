"""Agent identity: bearer JWTs carrying agent id, name, role, account and teams.

Dev signs HS256 with a shared secret (``leadline token`` mints one); production
verifies RS256/ES256 against a JWKS URL. A missing or bad token is a 401 JSON error.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from typing import TYPE_CHECKING

from fastapi import Request

from .http import ApiError

if TYPE_CHECKING:
    from .settings import ServiceSettings


class Role(enum.StrEnum):
    ATTENDANT = "attendant"
    SELLER = "seller"
    ADMIN = "admin"


@dataclass(frozen=True)
class AgentIdentity:
    agent_id: str
    name: str
    role: Role
    account_id: str
    team_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class InvalidToken(ApiError):
    def __init__(self, reason: str) -> None:
        super().__init__(401, "unauthenticated", reason)


class TokenVerifier:
    def __init__(self, *, secret: str | None, jwks_url: str | None = None, audience: str = "leadline", issuer: str | None = None) -> None:
        if not secret and not jwks_url:
            raise ValueError("a JWT secret or a JWKS URL is required")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._audience = audience
        self._issuer = issuer

    def verify(self, token: str) -> AgentIdentity:
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256", "ES256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=self._audience, issuer=self._issuer,
                options={"require": ["sub", "exp", "account_id", "role"]},
            )
            return AgentIdentity(
                agent_id=claims["sub"],
                name=claims.get("name", claims["sub"]),
                role=Role(claims["role"]),
                account_id=claims["account_id"],
                team_ids=frozenset(claims.get("teams", [])),
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise InvalidToken(f"the token is not valid: {error}") from None

    async def __call__(self, request: Request) -> AgentIdentity:
        """FastAPI dependency: ``agent: AgentIdentity = Depends(verifier)``."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("a bearer token is required (Authorization: Bearer <jwt>)")
        return self.verify(token.strip())


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


def verifier_from_settings(settings: "ServiceSettings") -> TokenVerifier:
    """The service's verifier: JWKS (production) when ``JWT_JWKS_URL`` is set, else the dev HS256 secret."""
    if settings.jwt_jwks_url:
        return TokenVerifier(secret=None, jwks_url=settings.jwt_jwks_url, audience=settings.jwt_audience, issuer=settings.jwt_issuer)
    return TokenVerifier(secret=settings.jwt_secret.get_secret_value(), audience=settings.jwt_audience, issuer=settings.jwt_issuer)
