"""One Evolution (Baileys) message's ``message`` object turned into contract content, kind by kind.

Pure. Evolution sends WhatsApp Web's protobuf as JSON: one key per kind (``conversation``, ``imageMessage``...) beside
keys that are no content (``messageContextInfo``; ``base64`` and ``mediaUrl``, which Evolution adds). A kind not
listed here is ``unsupported`` carrying the message as sent; a listed kind that cannot be read raises
``MalformedDelivery`` so the caller keeps the message as ``unsupported`` and quarantines the part.
"""

from __future__ import annotations

import re
from typing import Any

from leadline.events.content import (
    AudioContent,
    ContactsContent,
    Content,
    DocumentContent,
    GifContent,
    ImageContent,
    LocationContent,
    MediaRef,
    ReactionContent,
    SharedContact,
    SharedPhone,
    StickerContent,
    TextContent,
    UnsupportedContent,
    VideoContent,
    VoiceContent,
)
from leadline.ingest.adapters.cloud_api.content_kinds import copy_for_event, valid_utf8
from leadline.ingest.adapters.cloud_api.reading import at, build, check, fail, maybe, need
from leadline.ingest.domain.evolution_instances import evolution_wamid

NOT_CONTENT = frozenset({"messageContextInfo", "base64", "mediaUrl", "speechToText"})
MEDIA_KINDS = frozenset({"imageMessage", "videoMessage", "audioMessage", "documentMessage", "stickerMessage"})


def kind_of(message: dict[str, Any]) -> str | None:
    """The message's content key (``imageMessage``); None when it holds no content at all."""
    return next((key for key in message if key not in NOT_CONTENT), None)


def parse_content(message: dict[str, Any], path: str, phone_number_id: str, key_id: str) -> Content:
    """The content of ``message`` (at ``path``); media refer to the message by its key id, which is how Evolution's
    media endpoint finds them."""
    kind = kind_of(message)
    if kind is None:
        fail(path, "no content")
    part_path = at(path, kind)
    if kind == "conversation":
        return build(TextContent, part_path, body=need(message, kind, path))
    part = message[kind]
    if not isinstance(part, dict):
        return _unsupported(kind, message)
    match kind:
        case "extendedTextMessage":
            return build(TextContent, part_path, body=need(part, "text", part_path), preview_url="matchedText" in part)
        case "imageMessage":
            return build(
                ImageContent, part_path, media=_media(part, part_path, key_id), caption=_caption(part, part_path)
            )
        case "videoMessage":
            model = GifContent if maybe(part, "gifPlayback", part_path, bool, False) else VideoContent
            return build(model, part_path, media=_media(part, part_path, key_id), caption=_caption(part, part_path))
        case "audioMessage":
            model = VoiceContent if maybe(part, "ptt", part_path, bool, False) else AudioContent
            return build(model, part_path, media=_media(part, part_path, key_id))
        case "documentMessage":
            return build(
                DocumentContent,
                part_path,
                media=_media(part, part_path, key_id),
                caption=_caption(part, part_path),
                filename=_text(part, "fileName", part_path) or _text(part, "title", part_path),
            )
        case "documentWithCaptionMessage":
            inner = need(need(part, "message", part_path, dict), "documentMessage", at(part_path, "message"), dict)
            return parse_content({"documentMessage": inner}, at(part_path, "message"), phone_number_id, key_id)
        case "stickerMessage":
            return build(
                StickerContent,
                part_path,
                media=_media(part, part_path, key_id),
                animated=maybe(part, "isAnimated", part_path, bool, False),
            )
        case "locationMessage":
            return build(
                LocationContent,
                part_path,
                latitude=need(part, "degreesLatitude", part_path, float),
                longitude=need(part, "degreesLongitude", part_path, float),
                name=_text(part, "name", part_path),
                address=_text(part, "address", part_path),
                url=_text(part, "url", part_path),
            )
        case "contactMessage":
            return build(ContactsContent, part_path, contacts=(_card(part, part_path),))
        case "contactsArrayMessage":
            cards = check(need(part, "contacts", part_path, list), at(part_path, "contacts"), list)
            return build(
                ContactsContent,
                part_path,
                contacts=tuple(
                    _card(check(card, at(at(part_path, "contacts"), i), dict), at(at(part_path, "contacts"), i))
                    for i, card in enumerate(cards)
                ),
            )
        case "reactionMessage":
            reacted = need(part, "key", part_path, dict)
            return build(
                ReactionContent,
                part_path,
                reacted_to_wamid=evolution_wamid(phone_number_id, need(reacted, "id", at(part_path, "key"))),
                emoji=_text(part, "text", part_path) or "",
            )
    return _unsupported(kind, message)


def _media(part: dict[str, Any], path: str, key_id: str) -> MediaRef:
    return build(
        MediaRef,
        path,
        provider_media_id=key_id,
        mime_type=(need(part, "mimetype", path).split(";")[0].strip() or "application/octet-stream"),
    )


def _text(part: dict[str, Any], key: str, path: str) -> str | None:
    """An optional text as an event can carry it (a lone surrogate replaced): it names or describes, never keys."""
    value = maybe(part, key, path)
    return valid_utf8(value) if value else None


def _caption(part: dict[str, Any], path: str) -> str | None:
    return _text(part, "caption", path)


def _card(part: dict[str, Any], path: str) -> SharedContact:
    """A shared contact from its vCard: the name (``FN``, else the display name) and each ``TEL`` with its wa_id."""
    vcard = _text(part, "vcard", path) or ""
    name = _vcard_value(vcard, "FN") or _text(part, "displayName", path) or "Contato"
    phones = []
    for line in vcard.splitlines():
        if not line.upper().startswith(("TEL", "ITEM1.TEL", "ITEM2.TEL")) or ":" not in line:
            continue
        params, _, phone = line.partition(":")
        waid = re.search(r"waid=(\d+)", params, re.IGNORECASE)
        if phone.strip():
            phones.append(SharedPhone(phone=phone.strip(), wa_id=waid.group(1) if waid else None))
    return build(SharedContact, path, formatted_name=name, phones=tuple(phones))


def _vcard_value(vcard: str, field: str) -> str | None:
    for line in vcard.splitlines():
        name, _, value = line.partition(":")
        if name.split(";")[0].strip().upper() == field and value.strip():
            return value.strip()
    return None


def _unsupported(kind: str, message: dict[str, Any]) -> UnsupportedContent:
    """``message`` as sent, minus inline media bytes, as an event can carry it (``copy_for_event``)."""
    without_bytes = {key: value for key, value in message.items() if key != "base64"}
    return UnsupportedContent(
        original_type=valid_utf8(kind[:200]) or "unknown", raw=copy_for_event(without_bytes) or {}
    )


def unreadable(message: object) -> UnsupportedContent:
    """A message whose content cannot be read, kept as ``unsupported`` (the part is also quarantined)."""
    kind = kind_of(message) if isinstance(message, dict) else None
    return _unsupported(kind or "unknown", message if isinstance(message, dict) else {})
