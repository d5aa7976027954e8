"""`leadline token` mints a dev JWT that the services accept (for an agent the account directory holds)."""

import jwt
from typer.testing import CliRunner

from leadline.cli.main import app
from leadline.platform.auth import TokenVerifier
from leadline.platform.tokens import Role


def test_the_token_command_mints_a_token_the_verifier_accepts(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "cli-test-secret-cli-test-secret-0123")
    result = CliRunner().invoke(
        app,
        ["token", "--agent", "ana", "--name", "Ana Souza", "--role", "seller", "--account", "acme", "--team", "vendas"],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    identity = TokenVerifier(secret="cli-test-secret-cli-test-secret-0123", issuer="leadline-dev").verify(token)
    assert (identity.agent_id, identity.name, identity.account_id) == ("ana", "Ana Souza", "acme")
    hints = jwt.decode(token, options={"verify_signature": False})  # what the page shows until it asks the directory
    assert (hints["role"], hints["teams"]) == (Role.SELLER, ["vendas"])


def test_a_bad_role_is_a_one_line_error_and_a_non_zero_exit():
    result = CliRunner().invoke(app, ["token", "--agent", "ana", "--name", "Ana", "--role", "boss"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
