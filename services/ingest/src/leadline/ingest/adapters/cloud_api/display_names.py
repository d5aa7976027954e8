"""What to call a customer: their WhatsApp profile name from ``contacts[]``, else their number formatted for people."""

from __future__ import annotations

from typing import Any

import phonenumbers

from leadline.ingest.adapters.cloud_api.reading import at, items, maybe, need

_MAX_NAME = 256  # PersonName's limit in the event contract


def display_name_for(profile_name: str | None, wa_id: str) -> str:
    """The profile name, or the number in international format (``"+55 11 98765-4321"``).

    A number ``phonenumbers`` cannot read (an unknown country code) is shown as ``+`` and its digits.
    Brazilian wa_ids without the mobile ninth digit (``551187654321``) are not valid numbers to
    ``phonenumbers`` and come out unsplit (``+55 1187654321``); we show the number WhatsApp gave us
    rather than guess a digit that is not in it.
    """
    name = (profile_name or "").strip()
    if name:
        return name[:_MAX_NAME]
    digits = wa_id.strip().lstrip("+")
    try:
        number = phonenumbers.parse(f"+{digits}", None)
    except phonenumbers.NumberParseException:
        return f"+{digits}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def profile_names(value: dict[str, Any], path: str) -> dict[str, str | None]:
    """``value.contacts[]`` as wa_id → profile name (``None`` when the customer set no name).

    The first contact wins when Meta lists a wa_id twice. wa_ids are only type-checked here:
    they are a lookup aid, and the message's own ``from`` is what gets validated.
    """
    names: dict[str, str | None] = {}
    for contact_path, contact in items(value, "contacts", path):
        wa_id = need(contact, "wa_id", contact_path)
        profile = maybe(contact, "profile", contact_path, dict, {})
        name = (maybe(profile, "name", at(contact_path, "profile")) or "").strip()
        names.setdefault(wa_id, name or None)
    return names
