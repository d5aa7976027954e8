"""The Graph API body built for each kind of content an agent can send."""

from __future__ import annotations

import uuid

import pytest

from leadline.events import (
    AgentRef,
    ContactsContent,
    DocumentContent,
    ImageContent,
    InteractiveReplyContent,
    LocationContent,
    MediaRef,
    ReactionContent,
    SendRequestedV2,
    SharedContact,
    SharedPhone,
    StickerContent,
    TemplateContent,
    TextContent,
    VoiceContent,
)
from leadline.events.common import WhatsAppUser
from leadline.ingest.service.sending import UnsendableContent, graph_message_body

CUSTOMER = "5511987654321"
JPEG = MediaRef(provider_media_id="1013859600285441", mime_type="image/jpeg")


def request(content, *, body=None, reply_to=None, validate=True) -> SendRequestedV2:
    fields = dict(
        conversation_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        phone_number_id="106540352242922",
        to=WhatsAppUser(wa_id=CUSTOMER),
        content=content,
        agent=AgentRef(id="ana", name="Ana Souza"),
        body=body,
        reply_to_wamid=reply_to,
    )
    # Kinds the contract does not yet let router request are built without validation.
    return SendRequestedV2(**fields) if validate else SendRequestedV2.model_construct(**fields)


def test_text_is_sent_as_the_body_with_the_agents_name_not_the_bare_text():
    body = graph_message_body(request(TextContent(body="Olá!"), body="*Ana Souza:* Olá!"))

    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"body": "*Ana Souza:* Olá!", "preview_url": False},
    }


def test_a_reply_quotes_the_customers_message():
    body = graph_message_body(request(TextContent(body="Sim"), body="*Ana:* Sim", reply_to="wamid.CUSTOMER1"))

    assert body["context"] == {"message_id": "wamid.CUSTOMER1"}


def test_an_image_goes_by_the_media_given_with_the_caption_as_shown():
    image = ImageContent(media=JPEG, caption="Compass 2024")

    body = graph_message_body(request(image, body="*Ana Souza:* Compass 2024"), {"id": "1013859600285441"})

    assert body["type"] == "image"
    assert body["image"] == {"id": "1013859600285441", "caption": "*Ana Souza:* Compass 2024"}


def test_a_document_by_link_keeps_its_filename():
    document = DocumentContent(
        media=MediaRef(provider_media_id="9", mime_type="application/pdf"), filename="proposta.pdf"
    )

    body = graph_message_body(request(document), {"link": "https://media.example/proposta.pdf"})

    assert body["document"] == {"link": "https://media.example/proposta.pdf", "filename": "proposta.pdf"}


def test_a_voice_note_is_audio_flagged_as_voice():
    voice = VoiceContent(media=MediaRef(provider_media_id="7", mime_type="audio/ogg; codecs=opus"))

    body = graph_message_body(request(voice), {"id": "7"})

    assert (body["type"], body["audio"]) == ("audio", {"id": "7", "voice": True})


def test_a_media_kind_without_its_media_resolved_is_refused():
    with pytest.raises(UnsendableContent):
        graph_message_body(request(ImageContent(media=JPEG)))


def test_a_location_carries_its_coordinates_name_and_address():
    location = LocationContent(latitude=-23.56, longitude=-46.65, name="Loja Paulista", address="Av. Paulista, 1000")

    body = graph_message_body(request(location))

    assert body["location"] == {
        "latitude": -23.56,
        "longitude": -46.65,
        "name": "Loja Paulista",
        "address": "Av. Paulista, 1000",
    }


def test_a_shared_contact_becomes_a_contact_card():
    card = SharedContact(
        formatted_name="Bruno Vendas",
        phones=(SharedPhone(phone="+55 11 3456-7890", type="WORK"),),
        emails=("bruno@loja.example",),
    )

    body = graph_message_body(request(ContactsContent(contacts=(card,))))

    assert body["contacts"] == [
        {
            "name": {"formatted_name": "Bruno Vendas", "first_name": "Bruno Vendas"},
            "phones": [{"phone": "+55 11 3456-7890", "type": "WORK"}],
            "emails": [{"email": "bruno@loja.example"}],
        }
    ]


def test_a_template_fills_its_body_parameters_in_order():
    template = TemplateContent(name="retomar_conversa", language="pt_BR", parameters=("Carlos", "Compass"))

    body = graph_message_body(request(template))

    assert body["template"] == {
        "name": "retomar_conversa",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Carlos"}, {"type": "text", "text": "Compass"}]}
        ],
    }


def test_a_template_without_parameters_has_no_components():
    body = graph_message_body(request(TemplateContent(name="ola", language="pt_BR")))

    assert body["template"] == {"name": "ola", "language": {"code": "pt_BR"}}


def test_a_reaction_names_the_message_it_reacts_to_and_is_never_a_reply():
    reaction = ReactionContent(reacted_to_wamid="wamid.CUSTOMER1", emoji="👍")

    body = graph_message_body(request(reaction, reply_to="wamid.CUSTOMER1", validate=False))

    assert body["reaction"] == {"message_id": "wamid.CUSTOMER1", "emoji": "👍"} and "context" not in body


def test_a_sticker_goes_by_its_media():
    sticker = StickerContent(media=MediaRef(provider_media_id="5", mime_type="image/webp"))

    assert graph_message_body(request(sticker, validate=False), {"id": "5"})["sticker"] == {"id": "5"}


def test_a_customers_button_reply_has_no_outbound_form():
    tap = InteractiveReplyContent(reply_type="button_reply", reply_id="yes", title="Sim")

    with pytest.raises(UnsendableContent, match="interactive_reply"):
        graph_message_body(request(tap, validate=False))
