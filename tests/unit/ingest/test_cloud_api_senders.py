"""Who sent a message and how it relates to others: display names, replies, forwards, ad referrals, times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadline.events.ingest import MessageContext, MessageReceivedV2, Referral
from leadline.fakegraph.webhooks import (
    BusinessNumber,
    WebhookBuilder,
    forwarded_context,
    image_message,
    reply_context,
    text_message,
)
from leadline.ingest.adapters.cloud_api.parse import display_name_for, parse_delivery

CUSTOMER = "5511987654321"
BUSINESS = BusinessNumber()
WEBHOOKS = WebhookBuilder(BUSINESS)
SENT_AT = datetime(2025, 3, 14, 11, 0, tzinfo=UTC)
MEDIA_ID = "1483920675341201"
EARLIER = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ2QkM4RjM1QjE5N0FCRkYwNgA="


def received_one(message: dict, **inbound) -> MessageReceivedV2:
    (received,) = parse_delivery(WEBHOOKS.inbound(message, **inbound)).received
    return received


def test_without_a_profile_name_the_customer_is_called_by_their_formatted_brazilian_number():
    received = received_one(text_message(CUSTOMER, "Oi"), profile_name=None)

    assert received.customer_profile_name is None
    assert received.customer_display_name == "+55 11 98765-4321"


def test_each_sender_gets_the_profile_name_listed_for_their_own_wa_id():
    other = "5521999998888"
    change = {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": BUSINESS.metadata(),
            "contacts": [{"wa_id": other}, {"profile": {"name": "Ana Paula"}, "wa_id": CUSTOMER}],
            "messages": [
                text_message(CUSTOMER, "Oi"),
                text_message(other, "Olá"),
                text_message("5531988887777", "E aí"),
            ],
        },
    }

    received = parse_delivery(WEBHOOKS.batch(change)).received

    assert [r.customer_display_name for r in received] == ["Ana Paula", "+55 21 99999-8888", "+55 31 98888-7777"]
    assert [r.customer_profile_name for r in received] == ["Ana Paula", None, None]


@pytest.mark.parametrize(
    ("profile_name", "wa_id", "shown"),
    [
        ("Ana Paula", CUSTOMER, "Ana Paula"),
        ("  Ana  ", CUSTOMER, "Ana"),
        ("   ", CUSTOMER, "+55 11 98765-4321"),
        (None, "16505551234", "+1 650-555-1234"),
        (None, "4915112345678", "+49 1511 2345678"),
        (None, "999123456789", "+999123456789"),
        ("x" * 300, CUSTOMER, "x" * 256),
    ],
)
def test_display_name_is_the_profile_name_else_the_number_formatted_for_people(profile_name, wa_id, shown):
    assert display_name_for(profile_name, wa_id) == shown


def test_a_reply_carries_the_message_it_quotes():
    message = text_message(CUSTOMER, "Esse mesmo", context=reply_context(BUSINESS.display_phone_number, EARLIER))

    assert received_one(message).context == MessageContext(replied_to_wamid=EARLIER)


@pytest.mark.parametrize("frequently", [False, True])
def test_a_forwarded_message_says_how_often_it_was_forwarded(frequently):
    message = image_message(CUSTOMER, MEDIA_ID, context=forwarded_context(frequently=frequently))

    context = received_one(message).context

    assert context == MessageContext(forwarded=not frequently, frequently_forwarded=frequently)


def test_a_message_from_a_click_to_whatsapp_ad_carries_the_referral():
    message = text_message(CUSTOMER, "Quero saber do Creta")
    message["referral"] = {
        "source_url": "https://fb.me/3cr4Wqqkv",
        "source_id": "120214387551670093",
        "source_type": "ad",
        "headline": "Creta 2025 a partir de R$ 1.999/mês",
        "body": "Fale com um consultor agora",
        "media_type": "image",
        "image_url": "https://scontent.xx.fbcdn.net/creta.jpg",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
        "welcome_message": {"text": "Olá! Como podemos ajudar?"},
    }

    referral = received_one(message).referral

    assert referral == Referral(
        source_type="ad",
        source_id="120214387551670093",
        source_url="https://fb.me/3cr4Wqqkv",
        headline="Creta 2025 a partir de R$ 1.999/mês",
        body="Fale com um consultor agora",
        ctwa_clid="ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
    )


def test_a_message_without_context_or_referral_has_neither():
    received = received_one(text_message(CUSTOMER, "Oi"))

    assert received.context is None and received.referral is None


def test_an_integer_timestamp_is_read_as_unix_seconds_too():
    message = text_message(CUSTOMER, "Oi")
    message["timestamp"] = 1741950000

    assert received_one(message).sent_at == SENT_AT
