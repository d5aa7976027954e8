"""A small valid delivery and a way to damage one place in it, shared by the malformed and unreadable-part tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from leadline.fakegraph.webhooks import (
    BusinessNumber,
    contact,
    contact_card,
    contacts_message,
    delivery,
    entry,
    failed_status,
    image_message,
    location_message,
    messages_change,
    reaction_message,
    statuses_change,
    text_message,
)

CUSTOMER = "5511987654321"
BUSINESS = BusinessNumber()
SENT = "1741950000"
EARLIER = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ2QkM4RjM1QjE5N0FCRkYwNgA="
DELETE = object()
"""``setting(path, DELETE)`` removes the key instead of setting it."""
M = ("entry", 0, "changes", 0, "value", "messages")
S = ("entry", 0, "changes", 1, "value", "statuses", 0)


def wamid(n: int) -> str:
    return f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNB{n:04d}AA=="


def valid() -> dict[str, Any]:
    """Two texts, a location, an image, a contacts card and a reaction (``M``), then a failed status (``S``)."""
    messages = [
        text_message(CUSTOMER, "Oi", wamid=wamid(1), timestamp=SENT),
        text_message(CUSTOMER, "Tudo bem?", wamid=wamid(2), timestamp=SENT),
        location_message(CUSTOMER, -23.56, -46.65, wamid=wamid(3), timestamp=SENT),
        image_message(CUSTOMER, "1483920675341201", wamid=wamid(4), timestamp=SENT),
        contacts_message(CUSTOMER, [contact_card("Maria Souza", "+55 11 91234-5678")], wamid=wamid(5), timestamp=SENT),
        reaction_message(CUSTOMER, EARLIER, wamid=wamid(6), timestamp=SENT),
    ]
    failed = failed_status(EARLIER, CUSTOMER, timestamp=SENT)
    changes = [messages_change(BUSINESS, messages, [contact(CUSTOMER)]), statuses_change(BUSINESS, [failed])]
    return delivery([entry(BUSINESS.waba_id, changes)])


def setting(path: tuple[Any, ...], new: Any) -> Callable[[dict], Any]:
    """A mutation that sets (or with ``DELETE`` removes) the value at ``path`` of a delivery."""

    def mutate(payload: dict) -> Any:
        *parents, last = path
        target = payload
        for key in parents:
            target = target[key]
        if new is DELETE:
            del target[last]
        else:
            target[last] = new
        return payload

    return mutate


def dotted(path: tuple[Any, ...]) -> str:
    """``("entry", 0, "changes")`` as the parser names it: ``entry[0].changes``."""
    text = ""
    for key in path:
        text = f"{text}[{key}]" if isinstance(key, int) else f"{text}.{key}" if text else key
    return text


def found_at(payload: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        payload = payload[key]
    return payload


def parsed_path(path: str) -> tuple[Any, ...]:
    """The parser's ``entry[0].changes`` back as ``("entry", 0, "changes")``."""
    return tuple(int(index) if index else key for key, index in re.findall(r"(\w+)|\[(\d+)\]", path))
