"""Every shape Meta documents since usernames is read: customers named by phone, by BSUID, or both.

Tried on 2026-11-29: a text whose contact had ``profile`` and ``user_id`` but no ``wa_id`` was refused whole
(``contacts[0].wa_id: missing``) and Meta, after retrying for 7 days, dropped it. Nothing is refused for a
missing phone now.
"""

from __future__ import annotations

from leadline.events.common import WhatsAppUser
from leadline.events.content import ContactsContent, TextContent
from leadline.fakegraph.users import WhatsAppUser as FakeUser
from leadline.fakegraph.users import contact_shared_on_request, status_contacts, status_for
from leadline.fakegraph.webhooks import BusinessNumber, WebhookBuilder, echo_of, text_message
from leadline.ingest.adapters.cloud_api.parse import parse_delivery

BUSINESS = BusinessNumber()
WEBHOOKS = WebhookBuilder(BUSINESS)
PHONE, BSUID, PARENT = "5511987651234", "BR.1502576394655843", "BR.ENT.11815799212886844830"
JOANA = FakeUser(user_id=BSUID, wa_id=PHONE, username="joana.carros", profile_name="Joana Ribeiro", shows_phone=False)
WAMID = "wamid.HBgNQlIuMTUwMjU3NjM5NDY1NTg0MxUCABEYEjlEQjE2QzA1RjJBNDc3RTNGMAA="


def test_the_message_refused_on_2026_11_29_is_read_its_customer_named_by_bsuid_and_username():
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": BUSINESS.waba_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": BUSINESS.metadata(),
                            "contacts": [
                                {"profile": {"name": "Joana Ribeiro", "username": "joana.carros"}, "user_id": BSUID}
                            ],
                            "messages": [
                                {
                                    "from_user_id": BSUID,
                                    "id": WAMID,
                                    "timestamp": "1764421331",
                                    "type": "text",
                                    "text": {"body": "Oi! O Compass ainda está à venda?"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }

    parsed = parse_delivery(body)

    assert parsed.unreadable == ()
    (received,) = parsed.received
    assert received.customer == WhatsAppUser(user_id=BSUID, username="joana.carros")
    assert received.customer_display_name == "Joana Ribeiro"
    assert received.content == TextContent(body="Oi! O Compass ainda está à venda?")
    assert received.stream_id("acct") == f"wa:{BUSINESS.phone_number_id}:{BSUID}"


def test_a_username_without_a_profile_name_is_shown_as_at_username():
    anonymous = FakeUser(user_id=BSUID, username="joana.carros", profile_name=None)

    (received,) = parse_delivery(WEBHOOKS.inbound_from(anonymous, text_message(PHONE, "Oi"))).received

    assert received.customer_display_name == "@joana.carros" and received.customer.wa_id is None


def test_a_message_naming_phone_bsuid_and_parent_bsuid_carries_all_three():
    both = FakeUser(user_id=BSUID, wa_id=PHONE, parent_user_id=PARENT, username="joana.carros")

    (received,) = parse_delivery(WEBHOOKS.inbound_from(both, text_message(PHONE, "Oi"))).received

    assert received.customer == WhatsAppUser(wa_id=PHONE, user_id=BSUID, parent_user_id=PARENT, username="joana.carros")
    assert received.stream_id("acct") == f"wa:{BUSINESS.phone_number_id}:{PHONE}", "existing chats keep their stream"


def test_the_contact_entry_completes_a_message_that_names_only_its_phone():
    message = text_message(PHONE, "Oi")
    contacts = [{"profile": {"name": "Joana", "username": "@joana.carros"}, "wa_id": PHONE, "user_id": BSUID}]
    body = WEBHOOKS.batch(
        {
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": BUSINESS.metadata(),
                "contacts": contacts,
                "messages": [message],
            },
        }
    )

    (received,) = parse_delivery(body).received

    assert received.customer == WhatsAppUser(wa_id=PHONE, user_id=BSUID, username="joana.carros")


def test_a_status_of_a_send_to_a_bsuid_is_read_from_its_recipient_user_id():
    body = WEBHOOKS.statuses(
        status_for(JOANA, WAMID, "delivered", sent_to_phone=False), contacts=status_contacts(JOANA, "delivered")
    )

    (status,) = parse_delivery(body).statuses

    assert "recipient_id" not in body["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert status.customer == WhatsAppUser(user_id=BSUID, username="joana.carros")
    assert status.status == "delivered" and status.wamid == WAMID


def test_a_failed_status_comes_without_contacts_and_is_read_from_its_bsuid_alone():
    body = WEBHOOKS.statuses(
        status_for(JOANA, WAMID, "failed", sent_to_phone=False, code=131047), contacts=status_contacts(JOANA, "failed")
    )

    (status,) = parse_delivery(body).statuses

    assert status.customer == WhatsAppUser(user_id=BSUID) and status.errors[0].code == 131047


def test_a_status_of_a_send_to_a_phone_links_the_phone_to_the_bsuid_in_its_contacts():
    known = FakeUser(user_id=BSUID, wa_id=PHONE)
    body = WEBHOOKS.statuses(
        status_for(known, WAMID, "read", sent_to_phone=True), contacts=status_contacts(known, "read")
    )

    (status,) = parse_delivery(body).statuses

    assert status.customer == WhatsAppUser(wa_id=PHONE, user_id=BSUID)


def test_both_spellings_of_the_recipients_parent_bsuid_are_read():
    for key in ("recipient_parent_user_id", "parent_recipient_user_id"):
        item = {"id": WAMID, "status": "read", "timestamp": "1764421331", "recipient_user_id": BSUID, key: PARENT}

        (status,) = parse_delivery(WEBHOOKS.statuses(item)).statuses

        assert status.customer.parent_user_id == PARENT, key


def test_a_status_naming_nobody_is_set_aside_and_the_rest_of_the_delivery_is_read():
    nobody = {"id": WAMID, "status": "read", "timestamp": "1764421331"}
    fine = status_for(JOANA, WAMID, "sent", sent_to_phone=False)

    parsed = parse_delivery(WEBHOOKS.statuses(nobody, fine))

    assert len(parsed.statuses) == 1 and "names no customer" in parsed.unreadable[0].problem


def test_an_echo_to_a_customer_known_only_by_bsuid_is_keyed_on_the_bsuid():
    echo = echo_of(text_message(PHONE, "Pode vir amanhã"), BUSINESS, PHONE)
    del echo["to"]
    echo["to_user_id"] = BSUID

    (echoed,) = parse_delivery(WEBHOOKS.echoes(echo)).echoed

    assert echoed.customer == WhatsAppUser(user_id=BSUID)


def test_the_number_shared_through_request_contact_info_arrives_as_a_contact_card_from_the_bsuid():
    (received,) = parse_delivery(
        WEBHOOKS.inbound_from(JOANA, contact_shared_on_request(JOANA, "+5511987651234"))
    ).received

    assert received.customer.user_id == BSUID and received.customer.wa_id is None
    assert isinstance(received.content, ContactsContent)
    (card,) = received.content.contacts
    assert card.answers_contact_request and card.phones[0].wa_id == PHONE


def test_a_card_shared_on_request_without_a_name_is_named_by_its_number_and_origin_may_sit_beside_it():
    message = contact_shared_on_request(JOANA, "+5511987651234")
    card = message["contacts"][0]
    del card["name"], card["origin"]
    message["origin"] = "contact_request"

    (received,) = parse_delivery(WEBHOOKS.inbound_from(JOANA, message)).received

    (shared,) = received.content.contacts
    assert shared.formatted_name == "+5511987651234" and shared.answers_contact_request
