"""Rule: a WhatsApp Web (Evolution) number is usable only while its session is open; otherwise an administrator must
read a new QR code in Evolution, and the page tells them so."""

from __future__ import annotations

OPEN, CONNECTING, CLOSED = "open", "connecting", "close"


def needs_a_new_qr_code(state: str) -> bool:
    """Any state but ``open``: closed (logged out, the phone unlinked it) or stuck connecting (a QR code waits)."""
    return state != OPEN
