"""What to call a customer: their WhatsApp profile name from ``contacts[]``, else @username, else their number."""

from __future__ import annotations

import phonenumbers

_MAX_NAME = 256  # PersonName's limit in the event contract


def display_name_for(
    profile_name: str | None, wa_id: str | None, *, username: str | None = None, user_id: str | None = None
) -> str:
    """The profile name, else ``@username``, else the number in international format (``"+55 11 98765-4321"``),
    else (a customer with neither a name, a username nor a shared number) their BSUID.

    A number ``phonenumbers`` cannot read (an unknown country code) is shown as ``+`` and its digits.
    Brazilian wa_ids without the mobile ninth digit (``551187654321``) are not valid numbers to
    ``phonenumbers`` and come out unsplit (``+55 1187654321``); we show the number WhatsApp gave us
    rather than guess a digit that is not in it.
    """
    name = (profile_name or "").strip()
    if name:
        return name[:_MAX_NAME]
    if username:
        return f"@{username}"[:_MAX_NAME]
    if not wa_id:
        return user_id or "WhatsApp"
    digits = wa_id.strip().lstrip("+")
    try:
        number = phonenumbers.parse(f"+{digits}", None)
    except phonenumbers.NumberParseException:
        return f"+{digits}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
