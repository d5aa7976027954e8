"""`leadline token` mints a dev JWT that the services accept."""

from typer.testing import CliRunner

from leadline.cli.main import app
from leadline.platform.auth import TokenVerifier
from leadline.platform.tokens import Role


def test_the_token_command_mints_a_token_the_verifier_accepts(monkeypatch):
    monkeypatch.setenv("JWT_SECRET", "cli-test-secret-cli-test-secret-0123")
    result = CliRunner().invoke(app, ["token", "--agent", "ana", "--name", "Ana Souza", "--role", "seller",
                                      "--account", "acme", "--team", "vendas"])
    assert result.exit_code == 0, result.output
    agent = TokenVerifier(secret="cli-test-secret-cli-test-secret-0123", issuer="leadline-dev").verify(result.output.strip())
    assert (agent.agent_id, agent.name, agent.role, agent.team_ids) == ("ana", "Ana Souza", Role.SELLER, {"vendas"})


def test_a_bad_role_is_a_one_line_error_and_a_non_zero_exit():
    result = CliRunner().invoke(app, ["token", "--agent", "ana", "--name", "Ana", "--role", "boss"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
