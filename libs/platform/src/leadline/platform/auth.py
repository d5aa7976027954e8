"""Who is calling: a bearer JWT proves an identity (which agent of which account, or which service).

Dev signs HS256 with a shared secret (``leadline token`` mints one); production
verifies RS256/ES256 against a JWKS URL. A missing or bad token is a 401 JSON error.
What the agent may do is not the token's to say: ``access`` reads it from the account directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jwt
from fastapi import Request

from .http import ApiError
from .tokens import SERVICE_CLAIM, Role

if TYPE_CHECKING:
    from .settings import ServiceSettings


@dataclass(frozen=True)
class TokenIdentity:
    """What a valid token proves: who (``agent_id``, or a service's id when ``service``) and in which account.

    The ``role`` and ``teams`` claims a token may carry are not kept: they are the page's display hints, never rights.
    """

    agent_id: str
    name: str
    account_id: str
    service: bool = False


@dataclass(frozen=True)
class AgentIdentity:
    """An authorized caller: the token's identity with the rights the account directory gives it now."""

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


#: How long a verified token is answered from memory at most (its own ``exp`` bounds it too): as long as PyJWKClient
#: keeps a JWKS key, so a key taken out of the JWKS stops being honoured within the same time.
VERIFIED_FOR_S = 300.0
#: Tokens kept verified at most (an agent's page sends the same token with every request until it renews it).
VERIFIED_TOKENS = 10_000


class TokenVerifier:
    """Verifies a bearer JWT; a token verified once is answered from memory until its ``exp`` (at most
    ``VERIFIED_FOR_S``): the signature check is most of an authorized request's CPU, and the same bytes verify the
    same way until they expire."""

    def __init__(
        self, *, secret: str | None, jwks_url: str | None = None, audience: str = "leadline", issuer: str | None = None
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("a JWT secret or a JWKS URL is required")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._audience = audience
        self._issuer = issuer
        self._verified: dict[str, tuple[TokenIdentity, float, float]] = {}  # token → identity, exp, verify again at

    def verify(self, token: str) -> TokenIdentity:
        now = time.time()
        kept = self._verified.get(token)
        if kept is not None:
            identity, expires_at, again_at = kept
            if now >= expires_at:
                del self._verified[token]
                raise InvalidToken("the token has expired")
            if now < again_at:
                return identity
        identity, expires_at = self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (identity, expires_at, now + VERIFIED_FOR_S)
        return identity

    def _decode(self, token: str) -> tuple[TokenIdentity, float]:
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256", "ES256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["sub", "exp", "account_id"]},
            )
            if not isinstance(claims["sub"], str) or not isinstance(claims["account_id"], str):
                raise ValueError("sub and account_id must be strings")
            identity = TokenIdentity(
                agent_id=claims["sub"],
                name=str(claims.get("name", claims["sub"])),
                account_id=claims["account_id"],
                service=claims.get(SERVICE_CLAIM) is True,
            )
            return identity, float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise InvalidToken(f"the token is not valid: {error}") from None

    async def __call__(self, request: Request) -> TokenIdentity:
        """FastAPI dependency: ``caller: TokenIdentity = Depends(verifier)`` (authentication only)."""
        return self.verify(bearer_token(request))


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <jwt>``; a 401 without one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("a bearer token is required (Authorization: Bearer <jwt>)")
    return token.strip()


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    """The service's verifier: JWKS (production) when ``JWT_JWKS_URL`` is set, else the dev HS256 secret."""
    if settings.jwt_jwks_url:
        return TokenVerifier(
            secret=None, jwks_url=settings.jwt_jwks_url, audience=settings.jwt_audience, issuer=settings.jwt_issuer
        )
    return TokenVerifier(
        secret=settings.jwt_secret.get_secret_value(), audience=settings.jwt_audience, issuer=settings.jwt_issuer
    )
