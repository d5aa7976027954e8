"""The runbook and README name only commands, options and metrics that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main

from leadline.cli.main import app

REPO = Path(__file__).resolve().parents[3]
DOCS = [REPO / "docs" / "runbook.md", REPO / "README.md", REPO / "docs" / "scaling.md"]
COMMAND = re.compile(r"`(leadline [^`]+)`|^(leadline [^#\n]+)", re.MULTILINE)
METRIC = re.compile(r"\bleadline_[a-z_]+_(?:total|seconds|conversations)\b")


def _commands(text: str) -> list[list[str]]:
    found = []
    for inline, block in COMMAND.findall(text):
        words = shlex.split((inline or block).replace("…", "").replace("<", "").replace(">", ""))
        found.append(words[1:])
    return found


def resolve(words: list[str]) -> object:
    """The command the words name, checking every --option they use; raises on anything unknown."""
    command = typer.main.get_command(app)
    rest = list(words)
    while rest and hasattr(command, "commands") and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    if hasattr(command, "commands") and rest and not rest[0].startswith("-"):
        raise LookupError(f"no command {rest[0]!r} in {command.name}")
    options = {
        opt for param in command.params for opt in getattr(param, "opts", []) + getattr(param, "secondary_opts", [])
    }
    for word in rest:
        if word.startswith("-") and word.split("=")[0] not in options:
            raise LookupError(f"{command.name} has no option {word}")
    return command


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_leadline_command_in_the_docs_exists_with_its_options(doc):
    commands = _commands(doc.read_text())
    if doc.name == "runbook.md":
        assert len(commands) > 15
    for words in commands:
        resolve(words)


def test_the_checker_refuses_a_command_or_option_that_does_not_exist():
    with pytest.raises(LookupError):
        resolve(["dlq", "purge"])
    with pytest.raises(LookupError):
        resolve(["replay", "history", "--everything"])
    resolve(["dlq", "drop", "x", "--reason", "y"])


def test_every_metric_the_runbook_names_is_exported_by_the_code():
    code = "\n".join(p.read_text() for root in ("libs", "services") for p in (REPO / root).rglob("*.py"))
    exported = set(re.findall(r'"(leadline_[a-z_]+)"', code))
    for name in set(METRIC.findall((REPO / "docs" / "runbook.md").read_text())):
        assert name in exported or name.removesuffix("_total") in exported, name
