"""One try of an agent's send through the number's Evolution API instance (``sending.send_message`` retries it).

Evolution sends text, images, videos (GIFs as videos), documents and audio (every audio as a voice note, as
``sendWhatsAppAudio`` does); anything else is refused by name. The agent's name goes on text only: captions and files
go as the agent wrote them. The answer's ``key.id`` becomes the wamid statuses and echoes will name.
"""

from __future__ import annotations

from leadline.events import MediaRef, SendRequestedV2

from ..domain.evolution_instances import EvolutionNumber, evolution_wamid, key_id_of
from .ports import EvolutionApi, MediaStore, SendOnce, UnsendableContent


async def _bytes_of(ref: MediaRef, store: MediaStore | None) -> bytes:
    if ref.stored is None or store is None:
        raise UnsendableContent("Evolution numbers send media from leadline's media store; this file is not in it")
    return await store.get(ref.stored.key)


def evolution_sender(
    request: SendRequestedV2, number: EvolutionNumber, evolution: EvolutionApi, store: MediaStore | None
) -> SendOnce:
    """``send_once`` for ``request`` on ``number``: the wamid of what Evolution sent."""
    instance = number.instance

    async def send_once() -> str:
        to = request.to.wa_id
        if not to:
            raise UnsendableContent("Evolution numbers reach customers by phone number; this customer has none shared")
        content = request.content
        kind = content.kind
        match kind:
            case "text":
                quoted = key_id_of(request.reply_to_wamid, number.phone_number_id)
                key = await evolution.send_text(instance, to, request.body or "", quoted=quoted)
            case "image" | "video" | "gif" | "document":
                ref = content.media
                key = await evolution.send_media(
                    instance,
                    to,
                    mediatype={"gif": "video"}.get(kind, kind),
                    mime_type=ref.mime_type,
                    data=await _bytes_of(ref, store),
                    caption=content.caption,
                    file_name=getattr(content, "filename", None),
                )
            case "audio" | "voice":
                key = await evolution.send_audio(instance, to, await _bytes_of(content.media, store))
            case _:
                raise UnsendableContent(
                    f"Evolution numbers send text, images, videos, audio and documents; not {kind!r}"
                )
        return evolution_wamid(number.phone_number_id, key)

    return send_once
