"""An Evolution API instance: the WhatsApp Web session through which a business number reaches WhatsApp."""

from __future__ import annotations

from dataclasses import dataclass


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
