"""Webhook bodies exactly as Evolution API v2 posts them (``WebhookController.emit``), and the parts inside them.

The envelope is ``{"event", "instance", "data", "destination", "date_time", "sender", "server_url", "apikey"}``;
``data`` of ``messages.upsert`` is one message as ``prepareMessage`` shapes it (``extendedTextMessage`` already folded
into ``conversation``), of ``messages.update`` ``{keyId, remoteJid, fromMe, status}``, of ``connection.update``
``{instance, state, statusReason}``.
"""

from __future__ import annotations

import base64
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from leadline.fakegraph.samples import sample_for

MEDIA_PARTS = {
    "image": "imageMessage",
    "video": "videoMessage",
    "gif": "videoMessage",
    "audio": "audioMessage",
    "voice": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
}


def key_id() -> str:
    """A WhatsApp Web message id as phones mint them (``3EB0`` and 16 hex digits)."""
    return "3EB0" + secrets.token_hex(8).upper()


def jid(number: str) -> str:
    """A customer's chat: their digits at ``s.whatsapp.net`` (a Brazilian mobile often without its ninth digit)."""
    return f"{number.lstrip('+')}@s.whatsapp.net"


def envelope(
    event: str, instance: str, data: Any, *, apikey: str | None, owner: str = "5511934567890", server_url: str = ""
) -> dict[str, Any]:
    return {
        "event": event,
        "instance": instance,
        "data": data,
        "destination": "",
        "date_time": datetime.now(UTC).astimezone().isoformat(timespec="milliseconds"),
        "sender": jid(owner),
        "server_url": server_url or "http://127.0.0.1:8011",
        "apikey": apikey,
    }


def text(body: str) -> dict[str, Any]:
    return {"conversation": body}


def extended_text(body: str, *, quoted_id: str | None = None) -> dict[str, Any]:
    part: dict[str, Any] = {"text": body}
    if quoted_id:
        part["contextInfo"] = {"stanzaId": quoted_id, "quotedMessage": {"conversation": "..."}}
    return {"extendedTextMessage": part}


def media(kind: str, *, caption: str | None = None, with_base64: bool = False) -> dict[str, Any]:
    """A media message of ``kind`` (image, video, gif, audio, voice, document, sticker) describing a real sample;
    ``with_base64``: the bytes ride along, as with the instance's ``webhook_base64`` on."""
    sample = sample_for(kind)
    assert sample is not None, kind
    data = sample.read()
    part: dict[str, Any] = {
        "url": f"https://mmg.whatsapp.net/v/t62.7118-24/{secrets.token_hex(8)}.enc",
        "mimetype": sample.mime_type,
        "fileSha256": base64.b64encode(secrets.token_bytes(32)).decode(),
        "fileLength": str(len(data)),
        "mediaKey": base64.b64encode(secrets.token_bytes(32)).decode(),
        "directPath": f"/v/t62.7118-24/{secrets.token_hex(8)}.enc",
    }
    if kind in ("image", "video", "gif", "document") and caption:
        part["caption"] = caption
    if kind == "gif":
        part["gifPlayback"] = True
    if kind in ("audio", "voice"):
        part["ptt"] = kind == "voice"
        part["seconds"] = 3
    if kind == "document":
        part["fileName"] = sample.filename
        part["title"] = sample.filename
    if kind == "sticker":
        part["isAnimated"] = False
    message: dict[str, Any] = {MEDIA_PARTS[kind]: part, "messageContextInfo": {"deviceListMetadataVersion": 2}}
    if with_base64:
        message["base64"] = base64.b64encode(data).decode()
    return message


def location(latitude: float, longitude: float, *, name: str | None = None, address: str | None = None) -> dict:
    part: dict[str, Any] = {"degreesLatitude": latitude, "degreesLongitude": longitude}
    if name:
        part["name"] = name
    if address:
        part["address"] = address
    return {"locationMessage": part}


def contact(name: str, phone: str) -> dict[str, Any]:
    digits = phone.lstrip("+")
    vcard = f"BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\nTEL;type=CELL;type=VOICE;waid={digits}:+{digits}\nEND:VCARD"
    return {"contactMessage": {"displayName": name, "vcard": vcard}}


def reaction(to_key_id: str, emoji: str, *, remote_jid: str, from_me: bool = True) -> dict[str, Any]:
    return {
        "reactionMessage": {
            "key": {"remoteJid": remote_jid, "fromMe": from_me, "id": to_key_id},
            "text": emoji,
            "senderTimestampMs": str(int(time.time() * 1000)),
        }
    }


def message_type(message: dict[str, Any]) -> str:
    return next((k for k in message if k not in ("messageContextInfo", "base64")), "unknown")


def message_upsert(
    message: dict[str, Any],
    *,
    remote_jid: str,
    from_me: bool = False,
    push_name: str | None = "Joana Silva",
    id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """``data`` of ``messages.upsert``."""
    return {
        "key": {"remoteJid": remote_jid, "fromMe": from_me, "id": id or key_id()},
        "pushName": ("Você" if from_me else push_name),
        "status": "SERVER_ACK" if from_me else "DELIVERY_ACK",
        "message": message,
        "messageType": message_type(message),
        "messageTimestamp": timestamp or int(time.time()),
        "instanceId": "b2b7e0a4-0d5f-4d5e-9c1e-6f0a1b2c3d4e",
        "source": "android",
    }


def message_update(id: str, status: str, *, remote_jid: str, from_me: bool = True) -> dict[str, Any]:
    """``data`` of ``messages.update``: SERVER_ACK, DELIVERY_ACK, READ, PLAYED, ERROR (or PENDING, DELETED)."""
    return {
        "keyId": id,
        "remoteJid": remote_jid,
        "fromMe": from_me,
        "participant": None,
        "status": status,
        "instanceId": "b2b7e0a4-0d5f-4d5e-9c1e-6f0a1b2c3d4e",
        "messageId": secrets.token_hex(12),
    }


def connection_update(instance: str, state: str, reason: int = 200) -> dict[str, Any]:
    """``data`` of ``connection.update``: open, connecting, close or refused, with Baileys' reason code."""
    return {"instance": instance, "state": state, "statusReason": reason}


def contacts_update(remote_jid: str, push_name: str) -> dict[str, Any]:
    return {"remoteJid": remote_jid, "pushName": push_name, "profilePicUrl": None, "instanceId": "x"}
