"""The fake's approved message templates: a realistic pt_BR set of a car dealer, served by
``GET /{version}/{waba-id}/message_templates`` (paged by cursor, as Meta pages) and checked on every template send
the way Meta checks them: an unknown name or language is error 132001, a wrong number of body parameters 132000.
"""

from __future__ import annotations

import re
from typing import Any

PARAMETER = re.compile(r"\{\{(\d+)\}\}")


def _template(
    template_id: str,
    name: str,
    category: str,
    body: str,
    *,
    language: str = "pt_BR",
    status: str = "APPROVED",
    header: str | None = None,
    footer: str | None = None,
    buttons: list[dict[str, Any]] | None = None,
    example: list[str] | None = None,
) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if header:
        components.append({"type": "HEADER", "format": "TEXT", "text": header})
    body_component: dict[str, Any] = {"type": "BODY", "text": body}
    if example:
        body_component["example"] = {"body_text": [example]}
    components.append(body_component)
    if footer:
        components.append({"type": "FOOTER", "text": footer})
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {
        "id": template_id,
        "name": name,
        "language": language,
        "status": status,
        "category": category,
        "parameter_format": "POSITIONAL",
        "components": components,
    }


TEMPLATES: list[dict[str, Any]] = [
    _template(
        "1184652939410101",
        "retomar_atendimento",
        "UTILITY",
        "Olá, {{1}}! Aqui é {{2}}, da Acme Motors. Ainda tem interesse no {{3}}? Responda esta mensagem para "
        "continuarmos o seu atendimento.",
        header="Acme Motors",
        footer="Responda SAIR para não receber mais mensagens.",
        example=["Maria", "Ana", "Onix 2024"],
    ),
    _template(
        "1184652939410102",
        "oferta_da_semana",
        "MARKETING",
        "Oi, {{1}}! Chegaram novos seminovos revisados, com entrada a partir de {{2}}. Quer ver as fotos?",
        header="Ofertas da semana",
        footer="Responda SAIR para não receber mais ofertas.",
        buttons=[{"type": "QUICK_REPLY", "text": "Quero ver"}, {"type": "QUICK_REPLY", "text": "Agora não"}],
        example=["João", "R$ 9.900"],
    ),
    _template(
        "1184652939410103",
        "confirmar_visita",
        "UTILITY",
        "Olá, {{1}}. Sua visita à Acme Motors está confirmada para {{2}}. Até lá!",
        example=["Maria", "sábado, às 10h"],
    ),
    _template(
        "1184652939410104",
        "pedir_contato",
        "UTILITY",
        "Olá! Para continuarmos o atendimento, toque no botão abaixo e compartilhe o seu número.",
        buttons=[{"type": "REQUEST_CONTACT_INFO", "text": "Compartilhar contato"}],
    ),
    _template(
        "1184652939410105",
        "follow_up",
        "UTILITY",
        "Hi {{1}}, this is Acme Motors. Are you still interested in the {{2}}?",
        language="en_US",
        example=["Mary", "Onix 2024"],
    ),
    _template(
        "1184652939410106",
        "black_friday",
        "MARKETING",
        "Oi, {{1}}! Black Friday com taxa zero.",
        status="REJECTED",
        example=["Maria"],
    ),
]


def find(name: str, language: str) -> dict[str, Any] | None:
    return next(
        (t for t in TEMPLATES if t["name"] == name and t["language"] == language and t["status"] == "APPROVED"), None
    )


def body_parameter_count(template: dict[str, Any]) -> int:
    body = next((c["text"] for c in template["components"] if c["type"] == "BODY"), "")
    return len(set(PARAMETER.findall(body)))


def sent_body_parameters(template_send: dict[str, Any]) -> int:
    """How many body parameters a send carries (``components[type=body].parameters``)."""
    for component in template_send.get("components") or []:
        if isinstance(component, dict) and str(component.get("type", "")).lower() == "body":
            return len(component.get("parameters") or [])
    return 0


def page(after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page from cursor ``after`` (the index the previous page ended at); the next cursor or None at the end."""
    start = int(after) if after and after.isdigit() else 0
    items = TEMPLATES[start : start + limit]
    end = start + len(items)
    return items, (str(end) if end < len(TEMPLATES) else None)
