"""Only a body that is no WhatsApp delivery at all fails, as ``MalformedDelivery`` naming what is wrong; nothing crashes."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from leadline.fakegraph.errors import webhook_error
from leadline.fakegraph.webhooks import (
    WebhookBuilder,
    audio_message,
    button_reply_message,
    contact,
    contact_card,
    contacts_message,
    document_message,
    echo_of,
    echoes_change,
    failed_status,
    gif_message,
    image_message,
    list_reply_message,
    location_message,
    messages_change,
    reaction_message,
    reply_context,
    status,
    statuses_change,
    sticker_message,
    template_button_message,
    text_message,
    unsupported_message,
    video_message,
    voice_message,
)
from leadline.ingest.adapters.cloud_api.parse import MalformedDelivery, ParsedDelivery, parse_delivery
from tests.unit.ingest.damaged_deliveries import (
    BUSINESS,
    CUSTOMER,
    DELETE,
    EARLIER,
    SENT,
    found_at,
    parsed_path,
    setting,
    valid,
    wamid,
)

NOT_A_DELIVERY = [
    pytest.param(lambda p: [p], "delivery: expected an object, got a list", id="body-is-a-list"),
    pytest.param(lambda p: "hello", "delivery: expected an object, got a string", id="body-is-a-string"),
    pytest.param(setting(("object",), "page"), "object: expected 'whatsapp_business_account', got 'page'", id="object"),
    pytest.param(
        setting(("object",), DELETE), "object: expected 'whatsapp_business_account', got None", id="no-object"
    ),
    pytest.param(setting(("entry",), DELETE), "entry: missing", id="no-entry"),
    pytest.param(setting(("entry",), {}), "entry: expected a list, got an object", id="entry-not-a-list"),
    pytest.param(setting(("entry",), None), "entry: expected a list, got null", id="entry-null"),
]


@pytest.mark.parametrize(("mutate", "expected"), NOT_A_DELIVERY)
def test_a_body_that_is_no_whatsapp_delivery_at_all_is_refused_naming_what_is_wrong(mutate, expected):
    payload = mutate(valid())

    with pytest.raises(MalformedDelivery) as refused:
        parse_delivery(payload)

    assert str(refused.value).startswith(expected)


def test_the_valid_delivery_the_tables_start_from_parses_whole():
    parsed = parse_delivery(valid())

    assert len(parsed.received) == 6 and len(parsed.statuses) == 1 and parsed.unreadable == ()


def rich() -> dict[str, Any]:
    """Every kind, a reply, statuses with billing and errors, an echo, value-level errors and an ignored field."""
    every_kind = [
        text_message(CUSTOMER, "Oi", context=reply_context(BUSINESS.display_phone_number, EARLIER)),
        image_message(CUSTOMER, caption="HB20"),
        audio_message(CUSTOMER),
        voice_message(CUSTOMER),
        video_message(CUSTOMER),
        gif_message(CUSTOMER),
        document_message(CUSTOMER),
        sticker_message(CUSTOMER, animated=True),
        location_message(CUSTOMER, -23.5, -46.6, name="Loja"),
        contacts_message(CUSTOMER, [contact_card("Maria Souza", "+55 11 91234-5678", phone_wa_id="5511912345678")]),
        reaction_message(CUSTOMER, EARLIER),
        button_reply_message(CUSTOMER, "yes", "Sim"),
        list_reply_message(CUSTOMER, "suv", "SUVs", description="Creta"),
        template_button_message(CUSTOMER, "Quero"),
        unsupported_message(CUSTOMER),
    ]
    for n, message in enumerate(every_kind):
        message["id"], message["timestamp"] = wamid(n), SENT
    listed = [
        status(EARLIER, "sent", CUSTOMER, timestamp=SENT),
        status(EARLIER, "read", CUSTOMER, timestamp=SENT),
        failed_status(EARLIER, CUSTOMER, timestamp=SENT),
    ]
    errors_change = {"field": "messages", "value": {"metadata": BUSINESS.metadata(), "errors": [webhook_error(130429)]}}
    echo = echo_of(image_message(CUSTOMER), BUSINESS, CUSTOMER, wamid=wamid(99))
    echo["timestamp"] = SENT
    builder = WebhookBuilder(BUSINESS)
    return builder.batch(
        messages_change(BUSINESS, every_kind, [contact(CUSTOMER)]),
        statuses_change(BUSINESS, listed),
        echoes_change(BUSINESS, [echo]),
        errors_change,
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}},
    )


_ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x", "wamid.x", [], {}, [{}], {"a": 1}, 10**30, "1741950000"]


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair in a JSON tree, parents before children."""
    found: list[tuple[Any, Any]] = []
    keys = range(len(node)) if isinstance(node, list) else node.keys() if isinstance(node, dict) else ()
    for key in list(keys):
        found.append((node, key))
        found.extend(_slots(node[key]))
    return found


def _mutated(base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        slots = _slots(payload)
        if not slots:
            break
        container, key = rng.choice(slots)
        if rng.random() < 0.4:
            del container[key]
        else:
            container[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
    return payload


def test_randomly_mutated_deliveries_parse_setting_aside_what_is_damaged_or_raise_malformed_delivery():
    rng = random.Random(20250314)
    base = rich()
    assert len(parse_delivery(base).received) == 15
    outcomes = {"whole": 0, "parts set aside": 0, "refused": 0}

    for _ in range(300):
        payload = _mutated(base, rng)
        try:
            result = parse_delivery(payload)
        except MalformedDelivery as refused:
            assert str(refused), payload
            outcomes["refused"] += 1
        else:
            assert isinstance(result, ParsedDelivery)
            for part in result.unreadable:  # each part is kept as found at its path, with its problem
                assert part.raw == found_at(payload, parsed_path(part.path)) and part.problem, part
            outcomes["parts set aside" if result.unreadable else "whole"] += 1

    assert outcomes["whole"] > 20 and outcomes["parts set aside"] > 100 and outcomes["refused"] > 5, outcomes
