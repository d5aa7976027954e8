"""Customer messages of every kind, read from real-shaped webhooks into the contract's content models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadline.events.common import WhatsAppUser
from leadline.events.content import (
    AudioContent,
    ButtonContent,
    ContactsContent,
    DocumentContent,
    GifContent,
    ImageContent,
    InteractiveReplyContent,
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
from leadline.events.ingest import MessageReceivedV2
from leadline.fakegraph.errors import webhook_error
from leadline.fakegraph.webhooks import (
    BusinessNumber,
    WebhookBuilder,
    audio_message,
    button_reply_message,
    contact_card,
    contacts_message,
    document_message,
    gif_message,
    image_message,
    list_reply_message,
    location_message,
    media_sha256,
    reaction_message,
    sticker_message,
    template_button_message,
    text_message,
    unsupported_message,
    video_message,
    voice_message,
)
from leadline.ingest.adapters.cloud_api.parse import parse_delivery

CUSTOMER = "5511987654321"
BUSINESS = BusinessNumber()
WEBHOOKS = WebhookBuilder(BUSINESS)
SENT = "1741950000"
SENT_AT = datetime(2025, 3, 14, 11, 0, tzinfo=UTC)
MEDIA_ID = "1483920675341201"
SHA = media_sha256(b"hb20-2019-prata.jpg")
EARLIER = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ2QkM4RjM1QjE5N0FCRkYwNgA="


def wamid(n: int) -> str:
    return f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNB{n:04d}AA=="


def received_one(message: dict, **inbound) -> MessageReceivedV2:
    parsed = parse_delivery(WEBHOOKS.inbound(message, **inbound))
    (received,) = parsed.received
    return received


def media(mime_type: str) -> MediaRef:
    return MediaRef(provider_media_id=MEDIA_ID, mime_type=mime_type, sha256=SHA)


KINDS = [
    pytest.param(
        text_message(CUSTOMER, "Ainda tem o HB20 2019?"), TextContent(body="Ainda tem o HB20 2019?"), id="text"
    ),
    pytest.param(
        image_message(CUSTOMER, MEDIA_ID, sha256=SHA, caption="Meu carro para troca"),
        ImageContent(media=media("image/jpeg"), caption="Meu carro para troca"),
        id="image",
    ),
    pytest.param(audio_message(CUSTOMER, MEDIA_ID, sha256=SHA), AudioContent(media=media("audio/mpeg")), id="audio"),
    pytest.param(
        voice_message(CUSTOMER, MEDIA_ID, sha256=SHA), VoiceContent(media=media("audio/ogg; codecs=opus")), id="voice"
    ),
    pytest.param(
        video_message(CUSTOMER, MEDIA_ID, sha256=SHA, caption="Barulho no motor"),
        VideoContent(media=media("video/mp4"), caption="Barulho no motor"),
        id="video",
    ),
    pytest.param(
        gif_message(CUSTOMER, MEDIA_ID, sha256=SHA), GifContent(media=media("video/mp4")), id="gif-flagged-video"
    ),
    pytest.param(
        {
            **(unflagged := gif_message(CUSTOMER, MEDIA_ID, sha256=SHA)),
            "video": {k: v for k, v in unflagged["video"].items() if k != "gif"},
        },
        VideoContent(media=media("video/mp4")),
        id="gif-without-the-flag-plays-as-a-video",
    ),
    pytest.param(
        document_message(CUSTOMER, MEDIA_ID, sha256=SHA, filename="cnh.pdf", caption="Minha CNH"),
        DocumentContent(media=media("application/pdf"), caption="Minha CNH", filename="cnh.pdf"),
        id="document",
    ),
    pytest.param(
        sticker_message(CUSTOMER, MEDIA_ID, sha256=SHA), StickerContent(media=media("image/webp")), id="sticker"
    ),
    pytest.param(
        location_message(CUSTOMER, -23.5614, -46.6559, name="Av. Paulista", address="Av. Paulista, 1578"),
        LocationContent(latitude=-23.5614, longitude=-46.6559, name="Av. Paulista", address="Av. Paulista, 1578"),
        id="location",
    ),
    pytest.param(
        contacts_message(CUSTOMER, [contact_card("Maria Souza", "+55 11 91234-5678", phone_wa_id="5511912345678")]),
        ContactsContent(
            contacts=(
                SharedContact(
                    formatted_name="Maria Souza",
                    phones=(SharedPhone(phone="+55 11 91234-5678", wa_id="5511912345678", type="CELL"),),
                ),
            )
        ),
        id="contacts",
    ),
    pytest.param(
        reaction_message(CUSTOMER, EARLIER, "❤️"),
        ReactionContent(reacted_to_wamid=EARLIER, emoji="❤️"),
        id="reaction",
    ),
    pytest.param(
        button_reply_message(CUSTOMER, "test_drive", "Agendar test drive"),
        InteractiveReplyContent(reply_type="button_reply", reply_id="test_drive", title="Agendar test drive"),
        id="button-reply",
    ),
    pytest.param(
        list_reply_message(CUSTOMER, "suv", "SUVs", description="Creta, Tracker, T-Cross"),
        InteractiveReplyContent(
            reply_type="list_reply", reply_id="suv", title="SUVs", description="Creta, Tracker, T-Cross"
        ),
        id="list-reply",
    ),
    pytest.param(
        template_button_message(CUSTOMER, "Sim, quero", payload="OFFER_YES"),
        ButtonContent(payload="OFFER_YES", text="Sim, quero"),
        id="template-button",
    ),
]


@pytest.mark.parametrize(("message", "content"), KINDS)
def test_each_message_kind_becomes_the_content_model_of_its_kind(message, content):
    assert received_one(message).content == content


def test_a_received_message_carries_the_chat_the_sender_and_whatsapps_time():
    message = text_message(CUSTOMER, "Bom dia", wamid=wamid(1), timestamp=SENT)

    received = received_one(message, profile_name="Ana Paula")

    assert received == MessageReceivedV2(
        phone_number_id=BUSINESS.phone_number_id,
        customer=WhatsAppUser(wa_id=CUSTOMER),
        wamid=wamid(1),
        display_phone_number=BUSINESS.display_phone_number,
        customer_profile_name="Ana Paula",
        customer_display_name="Ana Paula",
        sent_at=SENT_AT,
        content=TextContent(body="Bom dia"),
    )
    assert received.stream_id("acct") == f"wa:{BUSINESS.phone_number_id}:{CUSTOMER}"


def test_media_keeps_the_base64_sha256_exactly_as_the_webhook_sent_it_and_no_stored_copy():
    content = received_one(image_message(CUSTOMER, MEDIA_ID, sha256=SHA)).content

    assert content.media.sha256 == SHA and SHA.endswith("=")
    assert content.media.provider_media_id == MEDIA_ID
    assert content.media.stored is None


@pytest.mark.parametrize(("voice", "kind"), [(True, "voice"), (False, "audio")])
def test_audio_flagged_voice_is_a_voice_note_and_plain_audio_is_not(voice, kind):
    message = audio_message(CUSTOMER, MEDIA_ID, mime_type="audio/ogg; codecs=opus", voice=voice)

    assert received_one(message).content.kind == kind


def test_audio_without_a_voice_flag_is_plain_audio():
    message = audio_message(CUSTOMER, MEDIA_ID)
    del message["audio"]["voice"]

    assert isinstance(received_one(message).content, AudioContent)


@pytest.mark.parametrize("animated", [True, False])
def test_a_sticker_says_whether_it_is_animated(animated):
    content = received_one(sticker_message(CUSTOMER, MEDIA_ID, animated=animated)).content

    assert isinstance(content, StickerContent) and content.animated is animated


@pytest.mark.parametrize("emoji", [None, ""], ids=["emoji-omitted", "emoji-empty"])
def test_a_reaction_without_an_emoji_is_a_removed_reaction(emoji):
    message = reaction_message(CUSTOMER, EARLIER, None)
    if emoji is not None:
        message["reaction"]["emoji"] = emoji

    content = received_one(message).content

    assert content == ReactionContent(reacted_to_wamid=EARLIER, emoji="")
    assert content.removed


def _raw(kind: str, body: object, **extra: object) -> dict:
    return {"from": CUSTOMER, "id": wamid(7), "timestamp": SENT, "type": kind, kind: body, **extra}


UNSUPPORTED = [
    pytest.param(unsupported_message(CUSTOMER, "poll_creation", code=131051), "unsupported", 131051, id="unsupported"),
    pytest.param(gif_message(CUSTOMER, as_unsupported=True), "unsupported", 131051, id="gif-as-unsupported"),
    pytest.param(
        {"from": CUSTOMER, "id": wamid(7), "timestamp": SENT, "errors": [webhook_error(131051)], "type": "unknown"},
        "unknown",
        131051,
        id="unknown",
    ),
    pytest.param(
        _raw("system", {"body": "Ana changed her number", "wa_id": "5511912345678", "type": "user_changed_number"}),
        "system",
        None,
        id="system",
    ),
    pytest.param(
        _raw("order", {"catalog_id": "7319", "product_items": [{"product_retailer_id": "hb20", "quantity": 1}]}),
        "order",
        None,
        id="order",
    ),
    pytest.param(_raw("hologram", {"frames": 3}), "hologram", None, id="brand-new-type"),
    pytest.param(
        _raw("interactive", {"type": "nfm_reply", "nfm_reply": {"response_json": "{}", "name": "flow"}}),
        "interactive",
        None,
        id="flow-reply",
    ),
]


@pytest.mark.parametrize(("message", "original_type", "error_code"), UNSUPPORTED)
def test_unsupported_and_unknown_types_are_kept_with_their_type_error_and_raw_message(
    message, original_type, error_code
):
    content = received_one(message).content

    assert isinstance(content, UnsupportedContent)
    assert content.original_type == original_type
    assert content.error_code == error_code
    assert content.raw == message


def test_an_unsupported_message_keeps_metas_error_title_and_what_was_unsupported():
    content = received_one(unsupported_message(CUSTOMER, "poll_creation", code=131051)).content

    assert content.error_title == "Message type unknown"
    assert content.raw["unsupported"] == {"type": "poll_creation"}
