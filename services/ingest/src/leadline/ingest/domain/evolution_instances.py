"""An Evolution API instance: the WhatsApp Web session through which a business number reaches WhatsApp."""

from __future__ import annotations

from dataclasses import dataclass

EVOLUTION_WAMID_PREFIX = "wamid.evo."


def evolution_wamid(phone_number_id: str, key_id: str) -> str:
    """WhatsApp Web's message id (``key.id``) as a wamid, unique per business number: both ends of a chat between two
    of the dealer's numbers see the same id, and each keeps its own message."""
    return f"{EVOLUTION_WAMID_PREFIX}{phone_number_id}.{key_id}"


def key_id_of(wamid: str | None, phone_number_id: str) -> str | None:
    """The Evolution message id inside a wamid of this number; None for any other."""
    prefix = f"{EVOLUTION_WAMID_PREFIX}{phone_number_id}."
    return wamid[len(prefix) :] if wamid and wamid.startswith(prefix) else None


@dataclass(frozen=True)
class EvolutionInstance:
    """Where the instance answers (``base_url``, its ``instance`` name) and the name of the secret holding its API
    key; the key itself is read only when needed (``EvolutionApiKeys``) and never stored or logged."""

    base_url: str
    instance: str
    api_key_secret: str


@dataclass(frozen=True)
class EvolutionNumber:
    """A business number connected through an Evolution instance, and the account it belongs to."""

    phone_number_id: str
    account_id: str
    instance: EvolutionInstance


# Baileys' DisconnectReason codes after which Evolution does not reconnect by itself (``connectionUpdate``):
# loggedOut 401, forbidden 403, and 402 / 406; only a new QR code scanned by an administrator brings the number back.
NO_RECONNECT_REASONS = frozenset({401, 402, 403, 406})
CONNECTIONS = {"open": "connected", "connecting": "connecting", "close": "disconnected", "refused": "refused"}


def connection_of(state: str, reason_code: int | None) -> tuple[str, bool]:
    """An instance's ``connection.update`` as (connection, needs a new QR code)."""
    connection = CONNECTIONS[state]
    needs_qr_code = state == "refused" or (state == "close" and reason_code in NO_RECONNECT_REASONS)
    return connection, needs_qr_code
