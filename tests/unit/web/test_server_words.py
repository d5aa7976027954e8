"""Every refusal a service can give the page has its words in every language of the page.

The APIs answer ``{"error": {"code", "message", "details"}}``: ``message`` is English for API clients and logs;
the page shows ``error.<code>`` from ``web/js/i18n.js`` with the details as parameters (``web/js/api.js``), so a
pt-BR page never shows an English sentence. A new code without its words fails here.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO

#: The services the page talks to (through the gateway) and the platform code they share. Ingest answers Meta
#: and the router, never the page.
SOURCES = ["services/router/src", "services/leads/src", "services/history/src", "services/web/src", "libs/platform/src"]


def codes_in(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            position = {"ApiError": 1, "error_body": 0}.get(name)
            if (
                name == "__init__"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, int)
            ):
                position = 1  # super().__init__(401, "unauthenticated", ...) in a subclass of ApiError
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.add(argument.value)
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "code" for target in node.targets):
            found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def codes_the_page_can_get() -> set[str]:
    codes: set[str] = set()
    for source in SOURCES:
        for path in (REPO / source).rglob("*.py"):
            if "migrations" not in path.parts:
                codes |= codes_in(ast.parse(path.read_text(), str(path)))
    return codes | PAGE_ONLY


#: Codes the page gives itself (``web/js/api.js``): the server did not answer, or not with JSON.
PAGE_ONLY = {"network", "bad_answer"}


def words_of_the_page() -> dict[str, set[str]]:
    """The ``error.*`` keys of each language block of ``web/js/i18n.js``."""
    text = (REPO / "web" / "js" / "i18n.js").read_text()
    blocks = re.split(r'^  (?:"([\w-]+)"|(\w+)): \{$', text, flags=re.MULTILINE)
    languages: dict[str, set[str]] = {}
    for quoted, bare, body in zip(blocks[1::3], blocks[2::3], blocks[3::3], strict=True):
        languages[quoted or bare] = set(re.findall(r'"error\.(\w+)":', body))
    return languages


def test_the_scan_finds_the_codes_it_must():
    codes = codes_the_page_can_get()
    assert {
        "already_claimed",
        "outside_service_window",
        "lead_conflict",
        "unauthenticated",
        "invalid_request",
        "router_unavailable",
        "method_not_allowed",
        "kind_never_kept",
    } <= codes
    assert words_of_the_page().keys() == {"pt-BR", "en"}


@pytest.mark.parametrize("language", ["pt-BR", "en"])
def test_every_code_a_service_can_answer_has_words_in_the_page(language):
    missing = codes_the_page_can_get() - words_of_the_page()[language]
    assert not missing, f"{language} has no words for: {sorted(missing)}"
