"""One reader per Cloud API message ``type``, each giving the contract's content model; the rest is ``unsupported``.

GIFs: the contract's ``gif`` kind is "a video flagged as GIF". Meta's video webhook reference
documents no such flag, so a video object carrying ``gif: true`` (what the fake Graph API sends for
a GIF) is read as ``gif`` and any other video as ``video``: a real GIF without the flag still plays,
as a video. A GIF Meta reports as ``type: unsupported`` with ``unsupported.type: gif`` and no media
id is read as ``unsupported``, which keeps the whole message in ``raw``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from leadline.events.common import NonEmptyText, PersonName, WaId, Wamid
from leadline.events.content import (
    AudioContent,
    ButtonContent,
    ContactsContent,
    Content,
    DocumentContent,
    GifContent,
    ImageContent,
    InteractiveReplyContent,
    LocationContent,
    MediaRef,
    MimeType,
    ReactionContent,
    SharedContact,
    SharedPhone,
    StickerContent,
    TextContent,
    UnsupportedContent,
    VideoContent,
    VoiceContent,
)
from leadline.events.ingest import WhatsAppError
from leadline.ingest.adapters.cloud_api.reading import MalformedDelivery, at, build, fail, items, maybe, need
from leadline.ingest.adapters.cloud_api.statuses import whatsapp_errors

Message = dict[str, Any]
_MAX_RAW_NESTING = 32
"""No WhatsApp message nests beyond a handful of levels; pydantic refuses to serialise past 255, envelope included."""
_INTERACTIVE_REPLIES = ("button_reply", "list_reply")


def parse_content(message: Message, path: str) -> Content:
    """The content of one ``messages[]`` or ``message_echoes[]`` element; never refuses an unknown type."""
    kind = need(message, "type", path, NonEmptyText)
    reader = _READERS.get(kind)
    if reader is None:
        return unsupported(message, path, kind)
    return reader(message, path)


def unsupported(message: Message, path: str, kind: str) -> UnsupportedContent:
    """Kept, not dropped: the original type, Meta's first error if any, and the message as sent."""
    raw = copy_for_event(message)
    if raw is None:
        fail(path, "nested too deeply to keep")
    return _unsupported(kind, whatsapp_errors(message, path), raw)


def unreadable(message: Message, meta_errors: Sequence[WhatsAppError]) -> UnsupportedContent:
    """A message whose content cannot be read, kept as ``unsupported`` with Meta's error about it.

    Meta's error is the message's own ``errors[]`` when they can be read, else the change's
    ``value.errors[]`` (how Meta reports a message it could not render: an ``interactive`` without
    its body beside ``131000`` "Something went wrong", details "Unsupported webhook payload").
    What leadline could not read is not carried here: the message is also quarantined, with the problem.
    """
    try:
        own_errors = whatsapp_errors(message, "")
    except MalformedDelivery:
        own_errors = ()
    kind = message.get("type")
    original_type = valid_utf8(kind) if isinstance(kind, str) and kind.strip() else "unknown"
    return _unsupported(original_type, own_errors or tuple(meta_errors), copy_for_event(message) or {})


def _unsupported(kind: str, errors: Sequence[WhatsAppError], raw: dict[str, Any]) -> UnsupportedContent:
    first = errors[0] if errors else None
    return UnsupportedContent(
        original_type=kind,
        error_code=first.code if first else None,
        error_title=first.title if first else None,
        error_details=first.details if first else None,
        raw=raw,
    )


def copy_for_event(message: Message) -> dict[str, Any] | None:
    """A copy that shares no state with the caller's body; ``None`` when nested too deeply to travel in an event."""
    if _nesting(message) > _MAX_RAW_NESTING:
        return None
    return json.loads(valid_utf8(json.dumps(message, ensure_ascii=False)))


def valid_utf8(text: str) -> str:
    """``text`` with lone surrogates (``json.loads`` lets ``"\\ud800"`` through) replaced: an event must serialise."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _nesting(value: object) -> int:
    """How many objects and lists deep ``value`` goes, counted without recursion (stops past the limit)."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= _MAX_RAW_NESTING:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _body(message: Message, path: str, key: str) -> tuple[dict[str, Any], str]:
    """The object named by the type (``message["image"]`` for an image) and its path."""
    return need(message, key, path, dict), at(path, key)


def _media(obj: dict[str, Any], path: str) -> MediaRef:
    # ``sha256`` is kept exactly as sent (webhooks send base64); ``url`` needs our token and expires.
    return build(
        MediaRef,
        path,
        provider_media_id=need(obj, "id", path, NonEmptyText),
        mime_type=need(obj, "mime_type", path, MimeType),
        sha256=maybe(obj, "sha256", path),
    )


def _text(message: Message, path: str) -> Content:
    text, path = _body(message, path, "text")
    return TextContent(body=need(text, "body", path, NonEmptyText))


def _image(message: Message, path: str) -> Content:
    image, path = _body(message, path, "image")
    return ImageContent(media=_media(image, path), caption=maybe(image, "caption", path))


def _audio(message: Message, path: str) -> Content:
    audio, path = _body(message, path, "audio")
    if maybe(audio, "voice", path, bool, False):
        return VoiceContent(media=_media(audio, path))
    return AudioContent(media=_media(audio, path))


def _video(message: Message, path: str) -> Content:
    video, path = _body(message, path, "video")
    kind = GifContent if maybe(video, "gif", path, bool, False) else VideoContent
    return kind(media=_media(video, path), caption=maybe(video, "caption", path))


def _document(message: Message, path: str) -> Content:
    document, path = _body(message, path, "document")
    return DocumentContent(
        media=_media(document, path),
        caption=maybe(document, "caption", path),
        filename=maybe(document, "filename", path),
    )


def _sticker(message: Message, path: str) -> Content:
    sticker, path = _body(message, path, "sticker")
    return StickerContent(media=_media(sticker, path), animated=maybe(sticker, "animated", path, bool, False))


def _location(message: Message, path: str) -> Content:
    location, path = _body(message, path, "location")
    return build(
        LocationContent,
        path,
        latitude=need(location, "latitude", path, float),
        longitude=need(location, "longitude", path, float),
        name=maybe(location, "name", path),
        address=maybe(location, "address", path),
        url=maybe(location, "url", path),
    )


def _contacts(message: Message, path: str) -> Content:
    # ``origin`` (``contact_request``: the answer to a "request contact info" button) is in the card, or beside it
    origin = maybe(message, "origin", path)
    cards = [_card(card, card_path, origin) for card_path, card in items(message, "contacts", path, required=True)]
    return build(ContactsContent, path, contacts=tuple(cards))  # an empty list fails at ``<message>.contacts``


def _card(card: dict[str, Any], path: str, origin: str | None = None) -> SharedContact:
    """A shared card; one shared on request may come as just the number (and a vCard), named by that number."""
    origin = maybe(card, "origin", path) or origin
    name = need(card, "name", path, dict) if origin != "contact_request" else maybe(card, "name", path, dict, {})
    phones = [
        SharedPhone(
            phone=need(phone, "phone", phone_path, NonEmptyText),
            wa_id=maybe(phone, "wa_id", phone_path, WaId),
            type=maybe(phone, "type", phone_path),
        )
        for phone_path, phone in items(card, "phones", path)
    ]
    emails = [need(email, "email", email_path) for email_path, email in items(card, "emails", path)]
    formatted = (
        maybe(name, "formatted_name", at(path, "name"), PersonName)
        if origin == "contact_request"
        else (need(name, "formatted_name", at(path, "name"), PersonName))
    )
    return SharedContact(
        formatted_name=formatted or (phones[0].phone if phones else "WhatsApp"),
        phones=tuple(phones),
        emails=tuple(emails),
        origin=origin,
    )


def _reaction(message: Message, path: str) -> Content:
    # Meta omits ``emoji`` (or sends it empty) when the customer takes the reaction back.
    reaction, path = _body(message, path, "reaction")
    return ReactionContent(
        reacted_to_wamid=need(reaction, "message_id", path, Wamid),
        emoji=maybe(reaction, "emoji", path, str, ""),
    )


def _interactive(message: Message, path: str) -> Content:
    interactive, interactive_path = _body(message, path, "interactive")
    reply_type = need(interactive, "type", interactive_path)
    if reply_type not in _INTERACTIVE_REPLIES:  # flow replies (nfm_reply) and whatever comes next
        return unsupported(message, path, "interactive")
    reply, reply_path = _body(interactive, interactive_path, reply_type)
    return InteractiveReplyContent(
        reply_type=reply_type,
        reply_id=need(reply, "id", reply_path, NonEmptyText),
        title=need(reply, "title", reply_path),
        description=maybe(reply, "description", reply_path),
    )


def _button(message: Message, path: str) -> Content:
    button, path = _body(message, path, "button")
    return ButtonContent(payload=maybe(button, "payload", path), text=need(button, "text", path))


_READERS: dict[str, Callable[[Message, str], Content]] = {
    "text": _text,
    "image": _image,
    "audio": _audio,
    "video": _video,
    "document": _document,
    "sticker": _sticker,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    "interactive": _interactive,
    "button": _button,
}
