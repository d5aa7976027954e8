"""ruff and mypy, configured in pyproject.toml, find nothing: `make test` fails on a finding.

ruff lints everything (E, F, I, B, UP) and checks the code is formatted as ``ruff format`` formats it; mypy is strict
for the event contract and every service's pure domain. Before committing: ``.venv/bin/ruff check --fix . &&
.venv/bin/ruff format .``.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO

BIN = Path(sys.executable).parent
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]


def run(tool: str, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing() -> None:
    result = run(
        "ruff",
        "check",
        "--no-cache",
        "--output-format",
        "concise",
        ".",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_the_event_contract_and_the_domains() -> None:
    result = run("mypy", "--config-file", "pyproject.toml", "--cache-dir", str(REPO / "var" / "mypy-cache"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted_as_ruff_formats_it() -> None:
    result = run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_rules_are_the_ones_configured(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(
        "import sys\nimport os\nfrom typing import Optional\n\n\n"
        "def f(x: Optional[int], seen=[]):\n    return x, seen, undefined\n"
    )
    result = run(
        "ruff",
        "check",
        "--no-cache",
        "--config",
        str(REPO / "pyproject.toml"),
        "--output-format",
        "concise",
        "sample.py",
        cwd=tmp_path,
    )

    found = {line.split(": ", 1)[1].split()[0] for line in result.stdout.splitlines() if ".py:" in line}
    assert {"I001", "F401", "F821", "UP045", "B006"} <= found, result.stdout


def test_mypy_is_strict_for_every_services_domain() -> None:
    domains = {f"leadline.{path.parent.name}.domain" for path in REPO.glob("services/*/src/leadline/*/domain")}
    assert CONFIG["mypy"]["strict"] is True
    assert domains and domains | {"leadline.events"} <= set(CONFIG["mypy"]["packages"])
