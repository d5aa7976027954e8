"""Agent identity in a service: bearer JWTs carrying agent id, name, role, account and teams (``tokens``).

Dev signs HS256 with a shared secret (``leadline token`` mints one); production
verifies RS256/ES256 against a JWKS URL. A missing or bad token is a 401 JSON error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jwt
from fastapi import Request

from .http import ApiError
from .tokens import Role

if TYPE_CHECKING:
    from .settings import ServiceSettings


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


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    """The service's verifier: JWKS (production) when ``JWT_JWKS_URL`` is set, else the dev HS256 secret."""
    if settings.jwt_jwks_url:
        return TokenVerifier(secret=None, jwks_url=settings.jwt_jwks_url, audience=settings.jwt_audience, issuer=settings.jwt_issuer)
    return TokenVerifier(secret=settings.jwt_secret.get_secret_value(), audience=settings.jwt_audience, issuer=settings.jwt_issuer)
