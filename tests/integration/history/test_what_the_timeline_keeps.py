"""What a finished conversation leaves in the lead's timeline, fed through the real topics."""

from __future__ import annotations

import uuid

from leadline.events.content import (
    AudioContent,
    ButtonContent,
    ContactsContent,
    DocumentContent,
    GifContent,
    ImageContent,
    InteractiveReplyContent,
    LocationContent,
    ReactionContent,
    SharedContact,
    SharedPhone,
    StickerContent,
    TemplateContent,
    TextContent,
    UnsupportedContent,
    VideoContent,
    VoiceContent,
)

from .conftest import media


def every_kind(wamid_of_first: str):
    return {
        "text": TextContent(body="Olá, o Onix 2024 ainda está disponível?"),
        "image": ImageContent(media=media("image/jpeg", stored_as="onix.jpg"), caption="Esse aqui"),
        "gif": GifContent(media=media("video/mp4", stored_as="gif.mp4")),
        "audio": AudioContent(media=media("audio/mpeg", stored_as="audio.mp3")),
        "voice": VoiceContent(media=media("audio/ogg", stored_as="voice.ogg")),
        "video": VideoContent(media=media("video/mp4", stored_as="test-drive.mp4")),
        "document": DocumentContent(media=media("application/pdf", stored_as="proposta.pdf"), filename="proposta.pdf"),
        "sticker": StickerContent(media=media("image/webp", stored_as="sticker.webp")),
        "location": LocationContent(latitude=-23.56, longitude=-46.65, name="Loja"),
        "contacts": ContactsContent(
            contacts=(SharedContact(formatted_name="Maria", phones=(SharedPhone(phone="+5511988887777"),)),)
        ),
        "reaction": ReactionContent(reacted_to_wamid=wamid_of_first, emoji="👍"),
        "interactive_reply": InteractiveReplyContent(reply_type="button_reply", reply_id="sim", title="Quero agendar"),
        "button": ButtonContent(payload="test-drive", text="Agendar test drive"),
        "unsupported": UnsupportedContent(original_type="order"),
    }


async def test_texts_media_and_replies_are_kept_and_stickers_contacts_locations_reactions_are_not(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id)
    first_wamid = f"wamid.{uuid.uuid4().hex}"
    for kind, content in every_kind(first_wamid).items():
        await feed.message(conversation_id, content, wamid=first_wamid if kind == "text" else None)
    await feed.claim(conversation_id, lead_id)
    await feed.finish(conversation_id)

    rows = await history.wait_for(lambda rows: any(r.kind == "conversation_finished" for r in rows), lead_id=lead_id)
    kept = [r.content["kind"] for r in rows if r.kind == "message"]
    assert kept == ["text", "image", "gif", "audio", "voice", "video", "document", "interactive_reply", "button"]
    by_kind = {r.content["kind"]: r for r in rows if r.kind == "message"}
    assert by_kind["image"].media_key == "media/onix.jpg" and by_kind["image"].text == "Esse aqui"
    assert by_kind["voice"].media_key == "media/voice.ogg"
    assert by_kind["interactive_reply"].text == "Quero agendar" and by_kind["button"].text == "Agendar test drive"
    media_refs = [r.content["media"] for r in rows if r.kind == "message" and "media" in r.content]
    assert media_refs and all(ref["stored"]["uri"].startswith("s3://") and "url" not in ref for ref in media_refs)


async def test_messages_sent_from_the_phone_are_kept_beside_the_agents_and_the_customers(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id, lead_id=lead_id)
    await feed.say(conversation_id, "Bom dia, quero financiar")
    await feed.say(conversation_id, "Claro! Qual a entrada?", origin="agent")
    await feed.say(conversation_id, "Te mando a proposta pelo celular", origin="phone_echo")
    await feed.message(conversation_id, TemplateContent(name="retorno_contato", language="pt_BR"), origin="agent")
    await feed.finish(conversation_id)

    rows = await history.wait_for(lambda rows: any(r.kind == "conversation_finished" for r in rows), lead_id=lead_id)
    messages = [(r.direction, r.origin, r.agent and r.agent["id"], r.text) for r in rows if r.kind == "message"]
    assert messages == [
        ("inbound", "customer", None, "Bom dia, quero financiar"),
        ("outbound", "agent", "ana", "Claro! Qual a entrada?"),
        ("outbound", "phone_echo", None, "Te mando a proposta pelo celular"),
        ("outbound", "agent", "ana", None),
    ]
    assert [r.kind for r in rows][0] == "conversation_started" and [r.kind for r in rows][-1] == "conversation_finished"


async def test_media_stored_after_the_finish_completes_the_entry_with_our_copy(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id, lead_id=lead_id)
    early = await feed.message(conversation_id, ImageContent(media=media("image/jpeg")))
    late = await feed.message(conversation_id, VoiceContent(media=media("audio/ogg")))
    await feed.media_stored(wa_id, early.wamid, "early.jpg")  # before the finish: picked up when it finishes
    await feed.finish(conversation_id)
    await history.wait_for(lambda rows: any(r.kind == "conversation_finished" for r in rows), lead_id=lead_id)
    await feed.media_stored(wa_id, late.wamid, "late.ogg")  # after the finish: the entry is completed

    rows = await history.wait_for(lambda rows: all(r.media_key for r in rows if r.kind == "message"), lead_id=lead_id)
    assert [r.media_key for r in rows if r.kind == "message"] == ["media/early.jpg", "media/late.ogg"]
    assert rows[1].content["media"]["stored"]["uri"] == "s3://leadline-media/media/early.jpg"


async def test_messages_wait_until_the_conversation_is_finished(history, feed):
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id, lead_id=lead_id)
    await feed.say(conversation_id, "Ainda conversando")
    marker = await feed.claim(conversation_id)
    rows = await history.wait_for(lambda rows: any(r.source_event_id == marker.event_id for r in rows), lead_id=lead_id)
    assert [r.kind for r in rows] == ["conversation_started", "claim"]
