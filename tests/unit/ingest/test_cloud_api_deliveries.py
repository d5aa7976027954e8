"""Whole deliveries: batching and order, statuses, business-app echoes, value-level errors and ignored fields."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from leadline.events.common import WhatsAppUser
from leadline.events.content import ImageContent, MediaRef, TextContent
from leadline.events.ingest import BillingConversation, DeliveryStatus, MessageEchoedV2, Pricing, WhatsAppError
from leadline.fakegraph.errors import webhook_error
from leadline.fakegraph.webhooks import (
    BusinessNumber,
    WebhookBuilder,
    contact,
    delivery,
    echo_of,
    echoes_change,
    entry,
    failed_status,
    image_message,
    messages_change,
    status,
    statuses_change,
    text_message,
)
from leadline.ingest.adapters.cloud_api.parse import ParsedDelivery, parse_delivery

CUSTOMER = "5511987654321"
OTHER_CUSTOMER = "5521999998888"
SAO_PAULO = BusinessNumber(phone_number_id="106540352242922", display_phone_number="+55 11 3456-7890")
RIO = BusinessNumber(phone_number_id="107655463353033", display_phone_number="+55 21 2345-6789", waba_id="1022901")
WEBHOOKS = WebhookBuilder(SAO_PAULO)
SENT = "1741950000"
SENT_AT = datetime(2025, 3, 14, 11, 0, tzinfo=UTC)


def wamid(n: int, *, outbound: bool = False) -> str:
    return f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCAB{'E' if outbound else 'I'}YFDNB{n:04d}AA=="


def texts(business: BusinessNumber, *numbers: int, sender: str = CUSTOMER) -> dict:
    messages = [text_message(sender, f"mensagem {n}", wamid=wamid(n)) for n in numbers]
    return messages_change(business, messages, [contact(sender)])


def test_a_batch_of_two_entries_with_two_changes_each_keeps_delivery_order():
    payload = delivery(
        [
            entry(SAO_PAULO.waba_id, [texts(SAO_PAULO, 1, 2, 3), texts(SAO_PAULO, 4, 5, sender=OTHER_CUSTOMER)]),
            entry(RIO.waba_id, [texts(RIO, 6), texts(RIO, 7, 8, 9)]),
        ]
    )

    received = parse_delivery(payload).received

    assert [r.wamid for r in received] == [wamid(n) for n in range(1, 10)]
    assert [r.content.body for r in received] == [f"mensagem {n}" for n in range(1, 10)]
    assert [r.phone_number_id for r in received] == [SAO_PAULO.phone_number_id] * 5 + [RIO.phone_number_id] * 4
    assert [r.display_phone_number for r in received] == ["+55 11 3456-7890"] * 5 + ["+55 21 2345-6789"] * 4
    assert [r.customer.wa_id for r in received][3:5] == [OTHER_CUSTOMER, OTHER_CUSTOMER]


def test_one_entry_can_mix_messages_statuses_and_echoes_and_each_lands_in_its_own_list():
    payload = WEBHOOKS.batch(
        texts(SAO_PAULO, 1),
        statuses_change(SAO_PAULO, [status(wamid(2, outbound=True), "delivered", CUSTOMER, timestamp=SENT)]),
        echoes_change(SAO_PAULO, [echo_of(text_message(CUSTOMER, "Pode vir"), SAO_PAULO, CUSTOMER, wamid=wamid(3))]),
    )

    parsed = parse_delivery(payload)

    assert [r.wamid for r in parsed.received] == [wamid(1)]
    assert [s.wamid for s in parsed.statuses] == [wamid(2, outbound=True)]
    assert [e.wamid for e in parsed.echoed] == [wamid(3)]
    assert parsed.webhook_errors == () and parsed.ignored_fields == ()


def test_sent_and_delivered_statuses_carry_billing_conversation_and_pricing_but_read_does_not():
    sent = status(wamid(1, outbound=True), "sent", CUSTOMER, timestamp=SENT, category="marketing")
    sent["conversation"]["expiration_timestamp"] = "1742036400"
    read = status(wamid(1, outbound=True), "read", CUSTOMER, timestamp=SENT)

    first, second = parse_delivery(WEBHOOKS.statuses(sent, read)).statuses

    assert first.status is DeliveryStatus.SENT
    assert first.at == SENT_AT
    assert first.customer.wa_id == CUSTOMER and first.phone_number_id == SAO_PAULO.phone_number_id
    assert first.conversation == BillingConversation(
        id=sent["conversation"]["id"], category="marketing", expires_at=datetime(2025, 3, 15, 11, 0, tzinfo=UTC)
    )
    assert first.pricing == Pricing(billable=True, pricing_model="PMP", category="marketing")
    assert second.status is DeliveryStatus.READ
    assert second.conversation is None and second.pricing is None and second.errors == ()


def test_a_failed_status_carries_metas_errors_with_their_details():
    failed = failed_status(wamid(1, outbound=True), CUSTOMER, 131047, timestamp=SENT)

    (changed,) = parse_delivery(WEBHOOKS.statuses(failed)).statuses

    assert changed.status is DeliveryStatus.FAILED
    assert changed.errors == (
        WhatsAppError(
            code=131047,
            title="Re-engagement message",
            message="Re-engagement message",
            details=failed["errors"][0]["error_data"]["details"],
        ),
    )


def test_statuses_arriving_out_of_order_are_kept_in_the_order_meta_listed_them():
    message = wamid(1, outbound=True)
    listed = [
        status(message, "read", CUSTOMER, timestamp=1741950030),
        status(message, "sent", CUSTOMER, timestamp=1741950000),
        status(message, "delivered", CUSTOMER, timestamp=1741950010),
    ]

    statuses = parse_delivery(WEBHOOKS.statuses(*listed)).statuses

    assert [s.status for s in statuses] == [DeliveryStatus.READ, DeliveryStatus.SENT, DeliveryStatus.DELIVERED]
    assert [s.at.second for s in statuses] == [30, 0, 10]


@pytest.mark.parametrize("unknown", ["deleted", "warning"])
def test_an_unknown_status_value_is_skipped_and_named_without_failing_the_others(unknown):
    odd = status(wamid(1, outbound=True), "sent", CUSTOMER, timestamp=SENT)
    odd["status"] = unknown

    parsed = parse_delivery(WEBHOOKS.statuses(odd, status(wamid(2, outbound=True), "read", CUSTOMER)))

    assert [s.wamid for s in parsed.statuses] == [wamid(2, outbound=True)]
    assert parsed.ignored_fields == (f"status:{unknown}",)


def test_an_echo_is_a_message_the_business_sent_to_the_customer_from_the_app():
    message = text_message(CUSTOMER, "Pode vir amanhã às 10h", timestamp=SENT)
    echo = echo_of(message, SAO_PAULO, CUSTOMER, wamid=wamid(1))

    parsed = parse_delivery(WEBHOOKS.echoes(echo))

    assert parsed.echoed == (
        MessageEchoedV2(
            phone_number_id=SAO_PAULO.phone_number_id,
            customer=WhatsAppUser(wa_id=CUSTOMER),
            wamid=wamid(1),
            sent_at=SENT_AT,
            content=TextContent(body="Pode vir amanhã às 10h"),
        ),
    )
    assert parsed.received == ()


@pytest.mark.parametrize("to", ["+5511987654321", "+55 11 98765-4321", "5511987654321"])
def test_an_echo_addressed_to_a_number_as_typed_is_keyed_on_the_customers_wa_id(to):
    echo = echo_of(image_message(CUSTOMER, "1483920675341201", sha256="abc="), SAO_PAULO, to, wamid=wamid(1))

    (echoed,) = parse_delivery(WEBHOOKS.echoes(echo)).echoed

    assert echoed.customer.wa_id == CUSTOMER
    assert echoed.content == ImageContent(
        media=MediaRef(provider_media_id="1483920675341201", mime_type="image/jpeg", sha256="abc=")
    )


def test_value_level_errors_are_reported_for_logging_and_produce_no_events():
    rate_limited = webhook_error(130429)
    change = {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": SAO_PAULO.metadata(), "errors": [rate_limited]},
    }

    parsed = parse_delivery(WEBHOOKS.batch(change))

    assert parsed.webhook_errors == (
        WhatsAppError(
            code=130429,
            title="Rate limit hit",
            message="Rate limit hit",
            details=rate_limited["error_data"]["details"],
        ),
    )
    assert parsed.received == () and parsed.statuses == () and parsed.echoed == ()


def test_fields_we_do_not_handle_are_listed_once_each_and_do_not_stop_the_rest():
    account_update = {"field": "account_update", "value": {"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"}}
    app_sync = {"field": "smb_app_state_sync", "value": {"state_sync": []}}
    payload = WEBHOOKS.batch(account_update, texts(SAO_PAULO, 1), app_sync, account_update)

    parsed = parse_delivery(payload)

    assert parsed.ignored_fields == ("account_update", "smb_app_state_sync")
    assert [r.wamid for r in parsed.received] == [wamid(1)]


def test_an_ignored_field_is_not_read_even_when_its_value_is_odd():
    parsed = parse_delivery(WEBHOOKS.batch({"field": "history", "value": ["not", "an", "object"]}))

    assert parsed == ParsedDelivery(received=(), echoed=(), statuses=(), webhook_errors=(), ignored_fields=("history",))


def test_a_delivery_with_no_entries_is_empty():
    assert parse_delivery(delivery([])) == ParsedDelivery((), (), (), (), ())


def test_parsing_is_deterministic_and_leaves_the_body_untouched():
    payload = WEBHOOKS.batch(
        texts(SAO_PAULO, 1, 2),
        statuses_change(SAO_PAULO, [failed_status(wamid(3, outbound=True), CUSTOMER, timestamp=SENT)]),
    )
    before = copy.deepcopy(payload)

    assert parse_delivery(payload) == parse_delivery(payload)
    assert payload == before
