"""What the fake's ``/messages`` accepts and rejects, mirroring Cloud API's synchronous checks."""

from __future__ import annotations

import pytest

from leadline.fakegraph.validation import AcceptedSend, Rejection, validate_send


def body(**overrides):
    base = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+55 11 98765-4321",
        "type": "text",
        "text": {"body": "Hello"},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_text_send_is_accepted_with_the_digits_of_to_as_wa_id():
    result = validate_send(body())

    assert result == AcceptedSend(kind="message", to="+55 11 98765-4321", wa_id="5511987654321", type="text")


def test_an_absent_type_defaults_to_text_like_cloud_api():
    result = validate_send({"messaging_product": "whatsapp", "to": "5511987654321", "text": {"body": "x"}})

    assert isinstance(result, AcceptedSend)
    assert result.type == "text"


def test_missing_messaging_product_is_graph_error_100():
    result = validate_send(body(messaging_product=None))

    assert isinstance(result, Rejection)
    assert result.code == 100
    assert result.message == "(#100) The parameter messaging_product is required."


def test_wrong_messaging_product_is_rejected():
    result = validate_send(body(messaging_product="instagram"))

    assert isinstance(result, Rejection)
    assert result.code == 100


def test_missing_to_is_rejected():
    result = validate_send(body(to=None))

    assert isinstance(result, Rejection)
    assert result.message == "(#100) The parameter to is required."


def test_unknown_type_is_rejected_naming_the_allowed_types():
    result = validate_send(body(type="carousel", carousel={}))

    assert isinstance(result, Rejection)
    assert result.code == 100
    assert "TEXT" in result.message and "carousel" in result.message


def test_text_without_body_is_a_missing_parameter():
    result = validate_send(body(text={"preview_url": False}))

    assert result == Rejection(131008, "Parameter 'text.body' is required.")


def test_text_longer_than_4096_characters_is_invalid():
    result = validate_send(body(text={"body": "x" * 4097}))

    assert isinstance(result, Rejection)
    assert result.code == 131009


def test_type_without_its_matching_object_is_a_missing_parameter():
    result = validate_send(body(type="image", text=None))

    assert result == Rejection(131008, "Parameter 'image' is required.")


@pytest.mark.parametrize("kind", ["image", "audio", "video", "document", "sticker"])
def test_media_needs_an_id_or_a_link(kind):
    missing = validate_send(body(type=kind, text=None, **{kind: {"caption": "x"}}))
    by_id = validate_send(body(type=kind, text=None, **{kind: {"id": "1013859600285441"}}))
    by_link = validate_send(body(type=kind, text=None, **{kind: {"link": "https://example.com/a"}}))

    assert isinstance(missing, Rejection) and missing.code == 131008
    assert isinstance(by_id, AcceptedSend)
    assert isinstance(by_link, AcceptedSend)


def test_media_with_both_id_and_link_is_invalid():
    result = validate_send(body(type="image", text=None, image={"id": "1", "link": "https://example.com/a"}))

    assert isinstance(result, Rejection)
    assert result.code == 131009


def test_template_needs_a_name_and_a_language_code():
    no_name = validate_send(body(type="template", text=None, template={"language": {"code": "pt_BR"}}))
    no_language = validate_send(body(type="template", text=None, template={"name": "follow_up"}))
    good = validate_send(
        body(type="template", text=None, template={"name": "follow_up", "language": {"code": "pt_BR"}})
    )

    assert no_name == Rejection(131008, "Parameter 'template.name' is required.")
    assert no_language == Rejection(131008, "Parameter 'template.language.code' is required.")
    assert isinstance(good, AcceptedSend)


def test_interactive_buttons_need_type_action_and_body_text():
    no_action = validate_send(
        body(type="interactive", text=None, interactive={"type": "button", "body": {"text": "Pick"}})
    )
    no_body = validate_send(body(type="interactive", text=None, interactive={"type": "button", "action": {}}))
    bad_type = validate_send(body(type="interactive", text=None, interactive={"type": "wheel", "action": {}}))
    good = validate_send(
        body(
            type="interactive",
            text=None,
            interactive={
                "type": "button",
                "body": {"text": "Pick"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
            },
        )
    )

    assert no_action == Rejection(131008, "Parameter 'interactive.action' is required.")
    assert no_body == Rejection(131008, "Parameter 'interactive.body.text' is required.")
    assert isinstance(bad_type, Rejection) and bad_type.code == 131009
    assert isinstance(good, AcceptedSend)


def test_reaction_needs_message_id_and_accepts_an_empty_emoji_to_remove_it():
    no_target = validate_send(body(type="reaction", text=None, reaction={"emoji": "👍"}))
    removal = validate_send(body(type="reaction", text=None, reaction={"message_id": "wamid.X", "emoji": ""}))

    assert no_target == Rejection(131008, "Parameter 'reaction.message_id' is required.")
    assert isinstance(removal, AcceptedSend)


def test_location_needs_numeric_latitude_and_longitude():
    no_longitude = validate_send(body(type="location", text=None, location={"latitude": -23.5}))
    good = validate_send(body(type="location", text=None, location={"latitude": "-23.5", "longitude": -46.6}))

    assert no_longitude == Rejection(131008, "Parameter 'location.longitude' is required.")
    assert isinstance(good, AcceptedSend)


def test_contacts_need_a_non_empty_list_of_named_cards():
    empty = validate_send(body(type="contacts", text=None, contacts=[]))
    unnamed = validate_send(body(type="contacts", text=None, contacts=[{"phones": []}]))
    good = validate_send(body(type="contacts", text=None, contacts=[{"name": {"formatted_name": "Ana"}}]))

    assert empty == Rejection(131008, "Parameter 'contacts' is required.")
    assert unnamed == Rejection(131008, "Parameter 'contacts[0].name.formatted_name' is required.")
    assert isinstance(good, AcceptedSend)


def test_reply_context_must_name_a_message_id():
    bad = validate_send(body(context={"id": "wamid.X"}))
    good = validate_send(body(context={"message_id": "wamid.X"}))

    assert isinstance(bad, Rejection) and bad.code == 131009
    assert isinstance(good, AcceptedSend)


def test_mark_as_read_is_accepted_without_to_or_type():
    result = validate_send({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"})
    missing_id = validate_send({"messaging_product": "whatsapp", "status": "read"})

    assert result == AcceptedSend(kind="mark_read")
    assert missing_id == Rejection(131008, "Parameter 'message_id' is required.")


def test_a_body_that_is_not_an_object_is_rejected():
    result = validate_send(["not", "an", "object"])

    assert isinstance(result, Rejection)
    assert result.code == 100
