"""WhatsApp message templates as an agent uses them: the approved ones of a business number's account, their text,
and how many ``{{n}}`` body parameters each takes.

Outside the 24-hour customer-service window WhatsApp delivers only a template Meta approved. Meta keeps them per
WhatsApp Business Account (WABA); ingest reads them (``GET /{waba-id}/message_templates``), keeps them per WABA, and
the page offers the approved ones of the conversation's number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PARAMETER = re.compile(r"\{\{(\d+)\}\}")
APPROVED = "APPROVED"


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    """WhatsApp's language code (``pt_BR``)."""
    category: str
    """``UTILITY``, ``MARKETING`` or ``AUTHENTICATION``."""
    status: str
    body: str
    header: str | None = None
    footer: str | None = None
    buttons: tuple[str, ...] = field(default=())
    example: tuple[str, ...] = field(default=())
    """Meta's sample values for the body parameters, when the template has them."""

    @property
    def parameter_count(self) -> int:
        """How many body parameters a send must carry: ``{{1}}`` to ``{{n}}``."""
        return len(set(PARAMETER.findall(self.body)))

    @property
    def usable(self) -> bool:
        return self.status == APPROVED

    def rendered(self, parameters: Sequence[str]) -> str:
        """The text the customer reads: header, body with its parameters, footer."""
        body = PARAMETER.sub(lambda found: _nth(parameters, int(found.group(1))), self.body)
        return "\n\n".join(part for part in (self.header, body, self.footer) if part)


def _nth(parameters: Sequence[str], n: int) -> str:
    return parameters[n - 1] if 0 < n <= len(parameters) else f"{{{{{n}}}}}"


def template_from_graph(item: Mapping[str, Any]) -> Template:
    """One entry of Meta's ``message_templates`` list (its text components; media headers are named, not fetched)."""
    parts: dict[str, Mapping[str, Any]] = {str(c.get("type", "")).upper(): c for c in item.get("components") or []}
    header = parts.get("HEADER")
    header_text = header.get("text") if header and str(header.get("format", "TEXT")).upper() == "TEXT" else None
    body = parts.get("BODY") or {}
    examples = ((body.get("example") or {}).get("body_text") or [[]])[0]
    return Template(
        name=str(item["name"]),
        language=str(item["language"]),
        category=str(item.get("category", "")),
        status=str(item.get("status", "")),
        body=str(body.get("text", "")),
        header=header_text,
        footer=(parts.get("FOOTER") or {}).get("text"),
        buttons=tuple(str(b.get("text", "")) for b in (parts.get("BUTTONS") or {}).get("buttons") or []),
        example=tuple(str(value) for value in examples),
    )


class TemplateRefused(Exception):
    code = "template_refused"


class TemplateNotApproved(TemplateRefused):
    """No approved template by that name in that language (WhatsApp would answer 132001)."""

    code = "template_not_found"


class TemplateParameterCount(TemplateRefused):
    """The body takes a different number of parameters (WhatsApp would answer 132000)."""

    code = "template_parameters"

    def __init__(self, name: str, expected: int, given: int) -> None:
        super().__init__(f"template {name} takes {expected} body parameter(s), {given} given")
        self.expected, self.given = expected, given


def render(approved: Sequence[Template], name: str, language: str, parameters: Sequence[str]) -> str:
    """The text the customer will read, or why WhatsApp would refuse the send (checked before sending, as Meta does)."""
    found = next((t for t in approved if t.usable and t.name == name and t.language == language), None)
    if found is None:
        raise TemplateNotApproved(f"no approved template {name} in {language}")
    if len(parameters) != found.parameter_count:
        raise TemplateParameterCount(name, found.parameter_count, len(parameters))
    return found.rendered(parameters)
