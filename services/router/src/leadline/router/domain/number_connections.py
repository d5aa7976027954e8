"""Rule: a WhatsApp Web (Evolution) number works only while its session is connected; the page tells the account's
administrators of every number that is not, and whether only a new QR code read in Evolution brings it back."""

from __future__ import annotations

CONNECTED = "connected"
"""``ingest.number.connection_changed``'s ``connection``: connected, connecting, disconnected or refused."""


def needs_attention(connection: str) -> bool:
    return connection != CONNECTED
