"""Agent identity from bearer JWTs: good tokens give an identity (never rights), anything else is a 401."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from leadline.platform import auth
from leadline.platform.auth import InvalidToken, TokenIdentity, TokenVerifier
from leadline.platform.tokens import Role, mint_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def verifier() -> TokenVerifier:
    return TokenVerifier(secret=SECRET, issuer="leadline-dev")


def test_a_minted_token_proves_who_and_which_account_and_nothing_more():
    token = mint_token(
        secret=SECRET, agent_id="ana", name="Ana Souza", role="admin", account_id="acme", teams=["vendas", "seminovos"]
    )
    identity = verifier().verify(token)
    assert identity == TokenIdentity(agent_id="ana", name="Ana Souza", account_id="acme", service=False)
    assert not hasattr(identity, "role") and not hasattr(identity, "team_ids"), (
        "the claims are the page's hints, not rights"
    )


def test_a_service_token_says_it_is_a_service():
    token = mint_token(
        secret=SECRET,
        agent_id="leadline-leads",
        name="leads",
        role=Role.ADMIN,
        account_id="acme",
        teams=[],
        service=True,
    )
    assert verifier().verify(token).service


def test_an_expired_token_is_refused_as_expired():
    token = mint_token(
        secret=SECRET,
        agent_id="ana",
        name="Ana",
        role="admin",
        account_id="acme",
        teams=[],
        now=datetime.now(UTC) - timedelta(hours=2),
        ttl=timedelta(hours=1),
    )
    with pytest.raises(InvalidToken, match="expired") as caught:
        verifier().verify(token)
    assert caught.value.status == 401


def test_a_token_signed_with_another_secret_is_refused():
    token = mint_token(
        secret="another-secret-another-secret-another",
        agent_id="ana",
        name="Ana",
        role="admin",
        account_id="acme",
        teams=[],
    )
    with pytest.raises(InvalidToken, match="not valid"):
        verifier().verify(token)


def test_a_token_without_an_account_is_refused():
    import jwt

    token = jwt.encode(
        {
            "sub": "x",
            "role": "admin",
            "aud": "leadline",
            "iss": "leadline-dev",
            "exp": datetime.now(UTC) + timedelta(hours=1),
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(InvalidToken):
        verifier().verify(token)


def test_garbage_is_refused():
    with pytest.raises(InvalidToken):
        verifier().verify("not.a.jwt")


def test_a_verified_token_is_answered_from_memory_and_still_expires(monkeypatch):
    token = mint_token(secret=SECRET, agent_id="ana", name="Ana", role="seller", account_id="acme", teams=[])
    verifying = verifier()
    identity = verifying.verify(token)

    def no_second_check(*_: object, **__: object) -> None:
        raise jwt.InvalidSignatureError("checked again")

    monkeypatch.setattr(jwt, "decode", no_second_check)
    assert verifying.verify(token) == identity
    later = datetime.now(UTC).timestamp() + 13 * 3600  # past the token's 12 hours
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="expired"):
        verifying.verify(token)


def test_a_verified_token_is_checked_again_after_a_while(monkeypatch):
    """A key taken out of the JWKS stops being honoured within ``VERIFIED_FOR_S``, as with the key cache."""
    token = mint_token(secret=SECRET, agent_id="ana", name="Ana", role="seller", account_id="acme", teams=[])
    verifying = verifier()
    verifying.verify(token)

    def key_withdrawn(*_: object, **__: object) -> None:
        raise jwt.InvalidSignatureError("Signature verification failed")

    monkeypatch.setattr(jwt, "decode", key_withdrawn)
    later = datetime.now(UTC).timestamp() + auth.VERIFIED_FOR_S + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="not valid"):
        verifying.verify(token)
