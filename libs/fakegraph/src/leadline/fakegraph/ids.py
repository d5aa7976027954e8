"""Identifiers shaped like the ones the WhatsApp Cloud API hands out: wamids, media ids, trace ids.

A real wamid is ``wamid.`` plus base64 of a small binary record that embeds the
customer's number and a hex message key, for example
``wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=`` decodes to
``1c 18 0b "16503879439" 15 02 00 12 18 14 "3A4A6599AEE03810144F" 00``. We build the
same layout so ids look right in logs and fixtures, and use fresh randomness so
every id is unique. Nothing should parse them: Meta documents them as opaque.
"""

from __future__ import annotations

import base64
import secrets
import string
import time

_INBOUND = b"\x12"  # marker byte seen in ids of messages a customer sent
_OUTBOUND = b"\x11"  # marker byte seen in ids of messages a business sent


def wamid(wa_id: str, *, outbound: bool = False) -> str:
    """A unique wamid for a message to or from ``wa_id`` (digits of the customer's number)."""
    digits = "".join(ch for ch in wa_id if ch.isdigit()).encode()
    key = secrets.token_hex(9 if outbound else 10).upper().encode()
    record = (
        b"\x1c\x18"
        + bytes([len(digits)])
        + digits
        + b"\x15\x02\x00"
        + (_OUTBOUND if outbound else _INBOUND)
        + b"\x18"
        + bytes([len(key)])
        + key
        + b"\x00"
    )
    return "wamid." + base64.b64encode(record).decode()


def media_id() -> str:
    """A numeric media id, 16 digits like the ones Graph returns for uploads."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def fbtrace_id() -> str:
    """An opaque trace id as found in every Graph error body."""
    alphabet = string.ascii_letters + string.digits
    return "A" + "".join(secrets.choice(alphabet) for _ in range(22))


def unix_now() -> str:
    """Unix seconds as a string, the way webhook timestamps are sent."""
    return str(int(time.time()))


def digits_of(phone: str) -> str:
    """The wa_id form of a phone number: its digits only (``+1 650-555-1234`` → ``16505551234``)."""
    return "".join(ch for ch in phone if ch.isdigit())
