"""Agent identity from bearer JWTs: good tokens give an identity, anything else is a 401."""

from datetime import UTC, datetime, timedelta

import pytest

from leadline.platform.auth import InvalidToken, TokenVerifier
from leadline.platform.tokens import Role, mint_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def verifier() -> TokenVerifier:
    return TokenVerifier(secret=SECRET, issuer="leadline-dev")


def test_a_minted_token_carries_agent_role_account_and_teams():
    token = mint_token(secret=SECRET, agent_id="ana", name="Ana Souza", role="seller", account_id="acme", teams=["vendas", "seminovos"])
    agent = verifier().verify(token)
    assert (agent.agent_id, agent.name, agent.role, agent.account_id) == ("ana", "Ana Souza", Role.SELLER, "acme")
    assert agent.team_ids == {"vendas", "seminovos"}
    assert not agent.is_admin


def test_an_expired_token_is_refused_as_expired():
    token = mint_token(secret=SECRET, agent_id="ana", name="Ana", role="admin", account_id="acme", teams=[],
                       now=datetime.now(UTC) - timedelta(hours=2), ttl=timedelta(hours=1))
    with pytest.raises(InvalidToken, match="expired") as caught:
        verifier().verify(token)
    assert caught.value.status == 401


def test_a_token_signed_with_another_secret_is_refused():
    token = mint_token(secret="another-secret-another-secret-another", agent_id="ana", name="Ana", role="admin", account_id="acme", teams=[])
    with pytest.raises(InvalidToken, match="not valid"):
        verifier().verify(token)


def test_an_unknown_role_is_refused():
    import jwt

    token = jwt.encode({"sub": "x", "role": "boss", "account_id": "acme", "aud": "leadline", "iss": "leadline-dev",
                        "exp": datetime.now(UTC) + timedelta(hours=1)}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        verifier().verify(token)


def test_garbage_is_refused():
    with pytest.raises(InvalidToken):
        verifier().verify("not.a.jwt")
