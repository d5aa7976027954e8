"""Shapes of the webhook deliveries the fake builds, checked against Meta's webhook reference."""

from __future__ import annotations

import base64
import re

from leadline.fakegraph import webhooks as wh

BUSINESS = wh.BusinessNumber(
    phone_number_id="106540352242922", display_phone_number="15550783881", waba_id="102290129340398"
)
CUSTOMER = "5511987654321"


def only_message(payload: dict) -> dict:
    (message,) = payload["entry"][0]["changes"][0]["value"]["messages"]
    return message


def test_inbound_text_delivery_has_meta_envelope_metadata_contact_and_message():
    payload = wh.WebhookBuilder(BUSINESS).inbound(
        wh.text_message(CUSTOMER, "Is the Civic still available?"), profile_name="Ana Souza"
    )

    assert payload["object"] == "whatsapp_business_account"
    (entry,) = payload["entry"]
    assert entry["id"] == "102290129340398"
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}
    assert value["contacts"] == [{"profile": {"name": "Ana Souza"}, "wa_id": CUSTOMER}]
    message = value["messages"][0]
    assert message["from"] == CUSTOMER
    assert message["type"] == "text"
    assert message["text"] == {"body": "Is the Civic still available?"}


def test_contact_without_profile_name_has_no_profile_key():
    payload = wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(CUSTOMER, "hi"), profile_name=None)

    assert payload["entry"][0]["changes"][0]["value"]["contacts"] == [{"wa_id": CUSTOMER}]


def test_wamids_are_unique_base64_records_that_embed_the_customer_number():
    made = {wh.text_message(CUSTOMER, "x")["id"] for _ in range(200)}

    assert len(made) == 200
    sample = next(iter(made))
    assert sample.startswith("wamid.HBgN")  # 0x1c 0x18 then length 13 for a 13-digit number
    assert CUSTOMER.encode() in base64.b64decode(sample.removeprefix("wamid."))


def test_timestamps_are_unix_seconds_as_strings():
    message = wh.text_message(CUSTOMER, "x")
    pinned = wh.text_message(CUSTOMER, "x", timestamp=1749416383)

    assert re.fullmatch(r"\d{10}", message["timestamp"])
    assert pinned["timestamp"] == "1749416383"


def test_image_message_carries_media_id_mime_base64_sha256_and_optional_caption_and_url():
    message = wh.image_message(CUSTOMER, "1013859600285441", caption="front view", url="http://fake/_media/1")

    assert message["type"] == "image"
    image = message["image"]
    assert image["id"] == "1013859600285441"
    assert image["mime_type"] == "image/jpeg"
    assert len(base64.b64decode(image["sha256"])) == 32
    assert image["caption"] == "front view"
    assert image["url"] == "http://fake/_media/1"


def test_media_without_caption_or_url_omits_those_keys():
    image = wh.image_message(CUSTOMER, "1")["image"]

    assert "caption" not in image
    assert "url" not in image


def test_voice_note_is_audio_with_voice_true_and_opus_mime():
    message = wh.voice_message(CUSTOMER, "42")

    assert message["type"] == "audio"
    assert message["audio"]["voice"] is True
    assert message["audio"]["mime_type"] == "audio/ogg; codecs=opus"


def test_plain_audio_file_has_voice_false():
    assert wh.audio_message(CUSTOMER, "42")["audio"]["voice"] is False


def test_video_has_mp4_mime_and_caption():
    message = wh.video_message(CUSTOMER, "7", caption="test drive")

    assert message["type"] == "video"
    assert message["video"]["mime_type"] == "video/mp4"
    assert message["video"]["caption"] == "test drive"


def test_gif_arrives_as_mp4_video_flagged_gif_or_as_unsupported_gif():
    as_video = wh.gif_message(CUSTOMER, "9")
    as_unsupported = wh.gif_message(CUSTOMER, as_unsupported=True)

    assert as_video["type"] == "video"
    assert as_video["video"]["mime_type"] == "video/mp4"
    assert as_video["video"]["gif"] is True
    assert as_unsupported["type"] == "unsupported"
    assert as_unsupported["unsupported"] == {"type": "gif"}


def test_document_has_filename_and_mime():
    document = wh.document_message(CUSTOMER, "3", filename="proposal.pdf")["document"]

    assert document["filename"] == "proposal.pdf"
    assert document["mime_type"] == "application/pdf"


def test_sticker_is_webp_with_animated_flag():
    still = wh.sticker_message(CUSTOMER, "5")["sticker"]
    moving = wh.sticker_message(CUSTOMER, "6", animated=True)["sticker"]

    assert still["mime_type"] == "image/webp"
    assert still["animated"] is False
    assert moving["animated"] is True


def test_location_has_coordinates_and_optional_name_and_address():
    pin = wh.location_message(CUSTOMER, -23.55, -46.63, name="Dealer", address="Av. Paulista 1000")
    bare = wh.location_message(CUSTOMER, 1.5, 2.5)

    assert pin["location"] == {
        "latitude": -23.55,
        "longitude": -46.63,
        "name": "Dealer",
        "address": "Av. Paulista 1000",
    }
    assert bare["location"] == {"latitude": 1.5, "longitude": 2.5}


def test_contacts_message_content_is_a_list_of_cards():
    card = wh.contact_card("Bruno Lima", "+55 11 91234-5678", phone_wa_id="5511912345678")
    message = wh.contacts_message(CUSTOMER, [card])

    assert message["type"] == "contacts"
    assert message["contacts"][0]["name"] == {"formatted_name": "Bruno Lima", "first_name": "Bruno"}
    assert message["contacts"][0]["phones"] == [
        {"phone": "+55 11 91234-5678", "type": "CELL", "wa_id": "5511912345678"}
    ]


def test_reaction_points_at_the_reacted_message_and_removal_omits_emoji():
    reacted = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjAA"
    added = wh.reaction_message(CUSTOMER, reacted, "❤️")
    removed = wh.reaction_message(CUSTOMER, reacted, None)

    assert added["reaction"] == {"message_id": reacted, "emoji": "❤️"}
    assert removed["reaction"] == {"message_id": reacted}


def test_interactive_button_and_list_replies_quote_the_business_message():
    context = wh.reply_context(BUSINESS.display_phone_number, "wamid.ORIGINAL")
    button = wh.button_reply_message(CUSTOMER, "book-test-drive", "Book a test drive", context=context)
    row = wh.list_reply_message(CUSTOMER, "suv", "SUVs", description="7 seats", context=context)

    assert button["context"] == {"from": "15550783881", "id": "wamid.ORIGINAL"}
    assert button["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "book-test-drive", "title": "Book a test drive"},
    }
    assert row["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "suv", "title": "SUVs", "description": "7 seats"},
    }


def test_template_quick_reply_is_type_button_with_payload_and_text():
    message = wh.template_button_message(CUSTOMER, "Yes, call me", payload="CALLBACK_YES")

    assert message["type"] == "button"
    assert message["button"] == {"payload": "CALLBACK_YES", "text": "Yes, call me"}


def test_unsupported_message_carries_error_131051_and_the_unsupported_type():
    message = wh.unsupported_message(CUSTOMER, "poll_creation")

    assert message["type"] == "unsupported"
    assert message["unsupported"] == {"type": "poll_creation"}
    assert message["errors"] == [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]


def test_forwarded_context_marks_forwarded_or_frequently_forwarded():
    assert wh.forwarded_context() == {"forwarded": True}
    assert wh.forwarded_context(frequently=True) == {"frequently_forwarded": True}


def test_sent_and_delivered_statuses_carry_pricing_but_read_does_not():
    sent = wh.status("wamid.A", "sent", CUSTOMER)
    delivered = wh.status("wamid.A", "delivered", CUSTOMER, timestamp=1750263773)
    read = wh.status("wamid.A", "read", CUSTOMER)

    assert sent["status"] == "sent"
    assert sent["recipient_id"] == CUSTOMER
    assert sent["pricing"]["category"] == "service"
    assert "conversation" in delivered
    assert delivered["timestamp"] == "1750263773"
    assert "pricing" not in read
    assert "conversation" not in read


def test_failed_status_carries_meta_error_with_title_message_details_and_href():
    failed = wh.failed_status("wamid.A", CUSTOMER, 131047)

    assert failed["status"] == "failed"
    (error,) = failed["errors"]
    assert error["code"] == 131047
    assert error["title"] == "Re-engagement message"
    assert error["message"] == "Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]
    assert error["href"].startswith("https://developers.facebook.com/")


def test_status_delivery_has_statuses_and_no_contacts_or_messages():
    payload = wh.WebhookBuilder(BUSINESS).statuses(wh.status("wamid.A", "delivered", CUSTOMER))
    value = payload["entry"][0]["changes"][0]["value"]

    assert payload["entry"][0]["changes"][0]["field"] == "messages"
    assert [s["id"] for s in value["statuses"]] == ["wamid.A"]
    assert "messages" not in value
    assert "contacts" not in value


def test_business_app_echo_is_from_the_business_number_to_the_customer_in_smb_message_echoes():
    echo = wh.echo_of(wh.text_message(CUSTOMER, "Here's the price list"), BUSINESS, CUSTOMER)
    payload = wh.WebhookBuilder(BUSINESS).echoes(echo)
    change = payload["entry"][0]["changes"][0]

    assert change["field"] == "smb_message_echoes"
    (sent,) = change["value"]["message_echoes"]
    assert sent["from"] == "15550783881"
    assert sent["to"] == CUSTOMER
    assert sent["type"] == "text"
    assert sent["text"] == {"body": "Here's the price list"}
    assert sent["id"].startswith("wamid.")
    assert "contacts" not in change["value"]


def test_one_delivery_can_batch_several_messages_changes_and_entries():
    other = wh.BusinessNumber("200000000000001", "15550000001", "300000000000001")
    two_senders = wh.WebhookBuilder(BUSINESS).inbound(
        wh.text_message(CUSTOMER, "a"), wh.text_message("5511900000000", "b")
    )
    mixed = wh.WebhookBuilder(BUSINESS).batch(
        wh.messages_change(BUSINESS, [wh.text_message(CUSTOMER, "c")], [wh.contact(CUSTOMER)]),
        wh.statuses_change(BUSINESS, [wh.status("wamid.B", "read", CUSTOMER)]),
    )
    accounts = wh.delivery(
        [
            wh.entry(BUSINESS.waba_id, [wh.statuses_change(BUSINESS, [wh.status("wamid.C", "sent", CUSTOMER)])]),
            wh.entry(
                other.waba_id,
                [wh.messages_change(other, [wh.text_message(CUSTOMER, "d")], [wh.contact(CUSTOMER, None)])],
            ),
        ]
    )

    value = two_senders["entry"][0]["changes"][0]["value"]
    assert [m["text"]["body"] for m in value["messages"]] == ["a", "b"]
    assert [c["wa_id"] for c in value["contacts"]] == [CUSTOMER, "5511900000000"]
    assert len(mixed["entry"]) == 1
    assert [("statuses" in c["value"]) for c in mixed["entry"][0]["changes"]] == [False, True]
    assert [e["id"] for e in accounts["entry"]] == [BUSINESS.waba_id, "300000000000001"]
    assert accounts["entry"][1]["changes"][0]["value"]["metadata"]["phone_number_id"] == "200000000000001"


def test_builders_return_fresh_dicts_a_test_can_mutate():
    payload = wh.WebhookBuilder(BUSINESS).inbound(wh.text_message(CUSTOMER, "x"))
    only_message(payload)["text"]["body"] = "changed"

    assert only_message(payload)["text"]["body"] == "changed"
    assert wh.text_message(CUSTOMER, "x")["text"]["body"] == "x"
