"""WhatsApp message content: one model per kind, told apart by ``kind``, with media by reference."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from leadline.events import (
    MEDIA_KINDS,
    Content,
    ContentKind,
    ImageContent,
    InboundContent,
    MediaRef,
    OutboundContent,
    ReactionContent,
    StoredMedia,
    TextContent,
    is_media,
    text_of,
)
from leadline.events.content import kinds_of

CONTENT = TypeAdapter(Content)
INBOUND = TypeAdapter(InboundContent)
OUTBOUND = TypeAdapter(OutboundContent)
WA_MEDIA = {"provider_media_id": "1483920675341201", "mime_type": "image/jpeg"}
STORED = StoredMedia(key="autoprime-sp/2025/03/14/hb20.jpg", uri="s3://leadline-media/autoprime-sp/2025/03/14/hb20.jpg",
                     size_bytes=248311, sha256="0" * 64)  # fmt: skip


def test_content_is_read_as_the_model_its_kind_names():
    image = CONTENT.validate_python({"kind": "image", "media": WA_MEDIA, "caption": "Meu HB20 2019"})

    assert image == ImageContent(media=MediaRef(**WA_MEDIA), caption="Meu HB20 2019")


def test_content_of_a_kind_nobody_knows_is_refused():
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        CONTENT.validate_python({"kind": "order", "catalog_id": "1"})


def test_the_kind_is_written_first_and_required_by_the_schema_of_every_kind():
    for kind, model in kinds_of(Content).items():
        assert next(iter(model.model_fields)) == "kind"
        assert "kind" in model.model_json_schema()["required"], kind


def test_content_kind_names_exactly_the_kinds_of_the_content_union():
    assert set(get_args(ContentKind)) == set(kinds_of(Content))


def test_media_kinds_are_exactly_the_kinds_that_carry_a_media_file():
    carrying_media = {kind for kind, model in kinds_of(Content).items() if "media" in model.model_fields}

    assert MEDIA_KINDS == carrying_media
    assert is_media("voice") and is_media("gif") and not is_media("text") and not is_media("location")


def test_media_known_neither_to_whatsapp_nor_to_our_store_is_refused():
    with pytest.raises(ValidationError, match="provider_media_id or a stored copy"):
        MediaRef(mime_type="image/jpeg")


def test_media_an_agent_uploads_is_referenced_by_our_stored_copy_alone():
    assert MediaRef(mime_type="image/jpeg", stored=STORED).provider_media_id is None


def test_a_mime_type_with_parameters_is_accepted_and_a_bare_word_is_not():
    assert MediaRef(provider_media_id="1", mime_type="audio/ogg; codecs=opus").mime_type == "audio/ogg; codecs=opus"
    with pytest.raises(ValidationError):
        MediaRef(provider_media_id="1", mime_type="ogg")


def test_our_stored_copy_has_a_lowercase_hex_sha256():
    with pytest.raises(ValidationError):
        StoredMedia(key="k", uri="s3://b/k", size_bytes=1, sha256="Jh9o7rZ2m0a1kQ0bq6x8Yj4l1cQ2PzV3uT5wX6yZ7aA=")


def test_an_empty_reaction_emoji_means_the_reaction_was_removed():
    wamid = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNFQjA="

    assert ReactionContent(reacted_to_wamid=wamid, emoji="").removed
    assert not ReactionContent(reacted_to_wamid=wamid, emoji="👍").removed


def test_a_customer_cannot_send_a_template():
    with pytest.raises(ValidationError):
        INBOUND.validate_python({"kind": "template", "name": "retomada_atendimento", "language": "pt_BR"})


@pytest.mark.parametrize("kind", ["sticker", "reaction", "interactive_reply", "button", "gif", "unsupported"])
def test_an_agent_cannot_send_content_only_customers_or_whatsapp_produce(kind):
    assert kind not in kinds_of(OutboundContent)


def test_every_kind_is_either_something_a_customer_or_an_agent_can_send():
    assert set(kinds_of(InboundContent)) | set(kinds_of(OutboundContent)) == set(kinds_of(Content))


def test_a_template_language_is_whatsapps_code():
    with pytest.raises(ValidationError):
        OUTBOUND.validate_python({"kind": "template", "name": "retomada", "language": "Português"})


def test_content_is_frozen():
    text = TextContent(body="Olá")

    with pytest.raises(ValidationError):
        text.body = "Tchau"  # type: ignore[misc]


def test_text_of_finds_the_words_in_text_captions_and_replies():
    assert text_of(TextContent(body="Olá")) == "Olá"
    assert text_of(ImageContent(media=MediaRef(**WA_MEDIA), caption="Meu HB20")) == "Meu HB20"
    assert text_of(ImageContent(media=MediaRef(**WA_MEDIA))) is None
