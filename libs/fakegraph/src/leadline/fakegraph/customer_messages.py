"""Turns a control-API request "customer X says Y" into the ``messages[]`` element Cloud API would deliver."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from leadline.fakegraph import webhooks
from leadline.fakegraph.state import StoredMedia

BUILDERS: dict[str, Callable[..., webhooks.Message]] = {
    "text": webhooks.text_message,
    "image": webhooks.image_message,
    "audio": webhooks.audio_message,
    "voice": webhooks.voice_message,
    "video": webhooks.video_message,
    "gif": webhooks.gif_message,
    "document": webhooks.document_message,
    "sticker": webhooks.sticker_message,
    "location": webhooks.location_message,
    "contacts": webhooks.contacts_message,
    "reaction": webhooks.reaction_message,
    "button_reply": webhooks.button_reply_message,
    "list_reply": webhooks.list_reply_message,
    "button": webhooks.template_button_message,
    "unsupported": webhooks.unsupported_message,
}
MEDIA_KINDS = ("image", "audio", "voice", "video", "gif", "document", "sticker")
DEFAULT_FIELDS: dict[str, dict[str, Any]] = {
    "location": {
        "latitude": -23.5614,
        "longitude": -46.6559,
        "name": "Acme Motors",
        "address": "Av. Paulista, 1000 - Bela Vista, São Paulo - SP",
    },
    "contacts": {"cards": [webhooks.contact_card("Carlos Souza", "+55 11 91234-5678", phone_wa_id="5511912345678")]},
}
"""What a customer sends when the request names nothing: ``simulate say --kind location`` works bare."""


class UnknownKind(ValueError):
    """The requested message kind is not one a customer can send."""


class BadFields(ValueError):
    """The fields given do not fit the builder of the requested kind."""


def build_customer_message(
    kind: str,
    wa_id: str,
    fields: dict[str, Any],
    *,
    media: StoredMedia | None = None,
    media_url: str | None = None,
) -> webhooks.Message:
    """Call the builder for ``kind`` with ``fields`` as keywords.

    When the message refers to media the fake stores, its mime type, hash and download
    URL are filled in from the stored bytes so ingest can fetch exactly that file.
    """
    builder = BUILDERS.get(kind)
    if builder is None:
        raise UnknownKind(f"kind must be one of {sorted(BUILDERS)}, got {kind!r}")
    kwargs = {**DEFAULT_FIELDS.get(kind, {}), **fields}
    accepted = inspect.signature(builder).parameters
    if kind in MEDIA_KINDS and media is not None:
        derived = {
            "mime_type": media.mime_type,
            "sha256": webhooks.media_sha256(media.data),
            "url": media_url,
            "filename": media.filename,
        }
        for name, value in derived.items():
            if name in accepted and value is not None:
                kwargs.setdefault(name, value)
    try:
        inspect.signature(builder).bind(wa_id, **kwargs)
    except TypeError as exc:
        raise BadFields(f"fields do not fit kind {kind!r}: {exc}") from exc
    return builder(wa_id, **kwargs)
