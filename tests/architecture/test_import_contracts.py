"""The hexagon holds: pure domains, services that never import each other, a contract with no plumbing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_service_with_a_domain_has_a_layers_contract():
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layered = {c["containers"][0] for c in contracts if c["type"] == "layers"}
    services = {f"leadline.{p.parent.name}" for p in (REPO / "services").glob("*/src/leadline/*/domain")}
    assert services and services <= layered, f"services without a layers contract: {sorted(services - layered)}"
