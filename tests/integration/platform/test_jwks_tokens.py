"""Production identity: RS256 agent tokens verified against a JWKS URL (served here on localhost)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from leadline.platform.auth import InvalidToken, TokenVerifier


@pytest.fixture(scope="module")
def identity_provider():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [public_jwk | {"kid": "idp-key-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def token(key, **overrides) -> str:
    claims = {
        "sub": "carla",
        "name": "Carla Dias",
        "role": "admin",
        "account_id": "acme",
        "teams": ["seminovos"],
        "aud": "leadline",
        "iss": "https://id.acme.example",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    return jwt.encode(claims | overrides, key, algorithm="RS256", headers={"kid": "idp-key-1"})


def test_a_token_signed_by_the_identity_provider_is_accepted(identity_provider):
    key, jwks_url = identity_provider
    verifier = TokenVerifier(secret=None, jwks_url=jwks_url, issuer="https://id.acme.example")
    identity = verifier.verify(token(key))
    assert (identity.agent_id, identity.account_id, identity.service) == ("carla", "acme", False)


def test_a_token_signed_by_another_key_is_refused(identity_provider):
    _, jwks_url = identity_provider
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(secret=None, jwks_url=jwks_url, issuer="https://id.acme.example")
    with pytest.raises(InvalidToken):
        verifier.verify(token(stranger))


def test_an_hs256_token_is_refused_when_a_jwks_is_configured(identity_provider):
    _, jwks_url = identity_provider
    verifier = TokenVerifier(secret=None, jwks_url=jwks_url, issuer="https://id.acme.example")
    forged = jwt.encode(
        {
            "sub": "x",
            "role": "admin",
            "account_id": "acme",
            "aud": "leadline",
            "iss": "https://id.acme.example",
            "exp": datetime.now(UTC) + timedelta(minutes=5),
        },
        "guessable",
        algorithm="HS256",
        headers={"kid": "idp-key-1"},
    )
    with pytest.raises(InvalidToken):
        verifier.verify(forged)
