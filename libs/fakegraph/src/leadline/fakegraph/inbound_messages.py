"""Builders of ``messages[]`` elements, one per kind a customer can send, shaped per Meta's reference.

Every builder takes the customer's ``wa_id`` first and accepts the same optional
keywords: ``wamid`` (default: a fresh one), ``timestamp`` (default: now, unix
seconds as a string) and ``context`` (reply or forward metadata, see
``reply_context`` / ``forwarded_context``). They return plain dicts, so a test can
tweak any field before wrapping the message in a delivery with ``leadline.fakegraph.webhooks``.

Media messages carry ``id``, ``mime_type``, ``sha256`` (base64 of the file's
SHA-256, as webhooks send it) and, when given, ``url``. GIFs: Meta's video reference
documents no GIF flag; WhatsApp itself marks a GIF as a video played as a GIF, and the fake
says so with ``gif: true`` on the ``video`` object (``gif_message``), which ingest reads as a
GIF. Meta also lists ``gif`` among ``unsupported.type`` values, which
``gif_message(..., as_unsupported=True)`` reproduces.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from leadline.fakegraph import ids
from leadline.fakegraph.errors import webhook_error

Message = dict[str, Any]
Timestamp = str | int | None
Context = dict[str, Any] | None


def _message(
    wa_id: str,
    kind: str,
    content: dict[str, Any],
    *,
    wamid: str | None,
    timestamp: str | int | None,
    context: dict[str, Any] | None,
) -> Message:
    message: Message = {
        "from": wa_id,
        "id": wamid or ids.wamid(wa_id),
        "timestamp": str(timestamp) if timestamp is not None else ids.unix_now(),
    }
    if context is not None:
        message["context"] = context
    message["type"] = kind
    message[kind] = content
    return message


def reply_context(business_display_number: str, replied_wamid: str) -> dict[str, str]:
    """``context`` of a message that quotes (or taps a button on) an earlier business message."""
    return {"from": business_display_number, "id": replied_wamid}


def forwarded_context(*, frequently: bool = False) -> dict[str, bool]:
    """``context`` of a forwarded message (``frequently_forwarded`` past five forwards)."""
    return {"frequently_forwarded": True} if frequently else {"forwarded": True}


def media_sha256(data: bytes) -> str:
    """The ``sha256`` value webhooks carry for a media file: base64 of its SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _media(media_id: str | None, mime_type: str, sha256: str | None, url: str | None, **extra: Any) -> dict[str, Any]:
    media_id = media_id or ids.media_id()
    content: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    content["mime_type"] = mime_type
    content["sha256"] = sha256 or media_sha256(media_id.encode())
    content["id"] = media_id
    if url is not None:
        content["url"] = url
    return content


def text_message(
    wa_id: str, body: str, *, wamid: str | None = None, timestamp: Timestamp = None, context: Context = None
) -> Message:
    return _message(wa_id, "text", {"body": body}, wamid=wamid, timestamp=timestamp, context=context)


def image_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    mime_type: str = "image/jpeg",
    sha256: str | None = None,
    caption: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content = _media(media_id, mime_type, sha256, url, caption=caption)
    return _message(wa_id, "image", content, wamid=wamid, timestamp=timestamp, context=context)


def audio_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    mime_type: str = "audio/mpeg",
    sha256: str | None = None,
    voice: bool = False,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content = _media(media_id, mime_type, sha256, url)
    content["voice"] = voice
    return _message(wa_id, "audio", content, wamid=wamid, timestamp=timestamp, context=context)


def voice_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    mime_type: str = "audio/ogg; codecs=opus",
    sha256: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    """A push-to-talk voice note: an ``audio`` message with ``voice: true``."""
    return audio_message(
        wa_id,
        media_id,
        mime_type=mime_type,
        sha256=sha256,
        voice=True,
        url=url,
        wamid=wamid,
        timestamp=timestamp,
        context=context,
    )


def video_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    mime_type: str = "video/mp4",
    sha256: str | None = None,
    caption: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content = _media(media_id, mime_type, sha256, url, caption=caption)
    return _message(wa_id, "video", content, wamid=wamid, timestamp=timestamp, context=context)


def gif_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    as_unsupported: bool = False,
    caption: str | None = None,
    sha256: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    """A GIF: an mp4 ``video`` flagged ``gif: true`` (see the module docstring), or unsupported."""
    if as_unsupported:
        return unsupported_message(wa_id, "gif", wamid=wamid, timestamp=timestamp, context=context)
    message = video_message(
        wa_id,
        media_id,
        mime_type="video/mp4",
        sha256=sha256,
        caption=caption,
        url=url,
        wamid=wamid,
        timestamp=timestamp,
        context=context,
    )
    message["video"]["gif"] = True
    return message


def document_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    filename: str = "document.pdf",
    mime_type: str = "application/pdf",
    sha256: str | None = None,
    caption: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content = _media(media_id, mime_type, sha256, url, caption=caption, filename=filename)
    return _message(wa_id, "document", content, wamid=wamid, timestamp=timestamp, context=context)


def sticker_message(
    wa_id: str,
    media_id: str | None = None,
    *,
    animated: bool = False,
    sha256: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content = _media(media_id, "image/webp", sha256, url)
    content["animated"] = animated
    return _message(wa_id, "sticker", content, wamid=wamid, timestamp=timestamp, context=context)


def location_message(
    wa_id: str,
    latitude: float,
    longitude: float,
    *,
    name: str | None = None,
    address: str | None = None,
    url: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    content.update({k: v for k, v in {"name": name, "address": address, "url": url}.items() if v is not None})
    return _message(wa_id, "location", content, wamid=wamid, timestamp=timestamp, context=context)


def contact_card(
    formatted_name: str, phone: str, *, first_name: str | None = None, phone_wa_id: str | None = None
) -> dict[str, Any]:
    """One shared contact card, in the ``contacts[]`` shape of a contacts message."""
    name: dict[str, Any] = {
        "formatted_name": formatted_name,
        "first_name": first_name or formatted_name.split()[0],
    }
    phone_entry: dict[str, Any] = {"phone": phone, "type": "CELL"}
    if phone_wa_id is not None:
        phone_entry["wa_id"] = phone_wa_id
    return {"name": name, "phones": [phone_entry]}


def contacts_message(
    wa_id: str,
    cards: list[dict[str, Any]],
    *,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    """A message sharing contact cards; unlike other kinds its content is a list."""
    message = _message(wa_id, "contacts", {}, wamid=wamid, timestamp=timestamp, context=context)
    message["contacts"] = cards
    return message


def reaction_message(
    wa_id: str,
    reacted_wamid: str,
    emoji: str | None = "👍",
    *,
    wamid: str | None = None,
    timestamp: Timestamp = None,
) -> Message:
    """A reaction to an earlier message; ``emoji=None`` is a removed reaction (Meta omits the key)."""
    content: dict[str, Any] = {"message_id": reacted_wamid}
    if emoji is not None:
        content["emoji"] = emoji
    return _message(wa_id, "reaction", content, wamid=wamid, timestamp=timestamp, context=None)


def button_reply_message(
    wa_id: str,
    button_id: str,
    title: str,
    *,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    content = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
    return _message(wa_id, "interactive", content, wamid=wamid, timestamp=timestamp, context=context)


def list_reply_message(
    wa_id: str,
    row_id: str,
    title: str,
    *,
    description: str | None = None,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    reply: dict[str, Any] = {"id": row_id, "title": title}
    if description is not None:
        reply["description"] = description
    content = {"type": "list_reply", "list_reply": reply}
    return _message(wa_id, "interactive", content, wamid=wamid, timestamp=timestamp, context=context)


def template_button_message(
    wa_id: str,
    text: str,
    payload: str | None = None,
    *,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    """A tap on a template's quick-reply button: ``type: "button"`` with ``payload`` and ``text``."""
    content = {"payload": payload if payload is not None else text, "text": text}
    return _message(wa_id, "button", content, wamid=wamid, timestamp=timestamp, context=context)


def unsupported_message(
    wa_id: str,
    unsupported_type: str = "poll_creation",
    *,
    code: int = 131051,
    wamid: str | None = None,
    timestamp: Timestamp = None,
    context: Context = None,
) -> Message:
    """A message Cloud API cannot show (polls, edits, view-once…): errors plus ``unsupported.type``."""
    message: Message = {
        "from": wa_id,
        "id": wamid or ids.wamid(wa_id),
        "timestamp": str(timestamp) if timestamp is not None else ids.unix_now(),
    }
    if context is not None:
        message["context"] = context
    message["errors"] = [webhook_error(code, with_href=False)]
    message["type"] = "unsupported"
    message["unsupported"] = {"type": unsupported_type}
    return message


def system_message(
    wa_id: str,
    new_wa_id: str,
    *,
    profile_name: str = "Test Customer",
    wamid: str | None = None,
    timestamp: Timestamp = None,
) -> Message:
    """The customer changed their number (``user_changed_number``); Meta sends it with no ``contacts[]``."""
    body = f"User {profile_name} changed from {wa_id} to {new_wa_id}"
    content = {"body": body, "wa_id": new_wa_id, "type": "user_changed_number"}
    return _message(wa_id, "system", content, wamid=wamid, timestamp=timestamp, context=None)


def unrendered_message(
    wa_id: str, kind: str = "interactive", *, wamid: str | None = None, timestamp: Timestamp = None
) -> Message:
    """A message Meta could not render: its ``type`` but not the object of that type.

    Meta sends it beside a value-level ``errors[]`` (``unrendered_errors_change`` in ``webhooks``):
    code 131000 "Something went wrong", details "Unsupported webhook payload".
    """
    return {
        "from": wa_id,
        "id": wamid or ids.wamid(wa_id),
        "timestamp": str(timestamp) if timestamp is not None else ids.unix_now(),
        "type": kind,
    }
