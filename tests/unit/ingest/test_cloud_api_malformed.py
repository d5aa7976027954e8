"""Bodies that are not Cloud API deliveries fail as ``MalformedDelivery`` naming the path, and only so."""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from typing import Any

import pytest
from leadline.fakegraph.errors import webhook_error
from leadline.fakegraph.webhooks import (
    BusinessNumber,
    WebhookBuilder,
    audio_message,
    button_reply_message,
    contact,
    contact_card,
    contacts_message,
    delivery,
    document_message,
    echo_of,
    echoes_change,
    entry,
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

CUSTOMER = "5511987654321"
BUSINESS = BusinessNumber()
SENT = "1741950000"
EARLIER = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ2QkM4RjM1QjE5N0FCRkYwNgA="
MSG = "entry[0].changes[0].value.messages"
STATUS = "entry[0].changes[1].value.statuses[0]"


def wamid(n: int) -> str:
    return f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNB{n:04d}AA=="


def valid() -> dict[str, Any]:
    """A small valid delivery: two texts, a location, an image, a contacts card and a reaction, then a failed status."""
    messages = [
        text_message(CUSTOMER, "Oi", wamid=wamid(1), timestamp=SENT),
        text_message(CUSTOMER, "Tudo bem?", wamid=wamid(2), timestamp=SENT),
        location_message(CUSTOMER, -23.56, -46.65, wamid=wamid(3), timestamp=SENT),
        image_message(CUSTOMER, "1483920675341201", wamid=wamid(4), timestamp=SENT),
        contacts_message(CUSTOMER, [contact_card("Maria Souza", "+55 11 91234-5678")], wamid=wamid(5), timestamp=SENT),
        reaction_message(CUSTOMER, EARLIER, wamid=wamid(6), timestamp=SENT),
    ]
    failed = failed_status(EARLIER, CUSTOMER, timestamp=SENT)
    changes = [messages_change(BUSINESS, messages, [contact(CUSTOMER)]), statuses_change(BUSINESS, [failed])]
    return delivery([entry(BUSINESS.waba_id, changes)])


def setting(path: tuple[Any, ...], new: Any) -> Callable[[dict], Any]:
    def mutate(payload: dict) -> Any:
        *parents, last = path
        target = payload
        for key in parents:
            target = target[key]
        if new is _DELETE:
            del target[last]
        else:
            target[last] = new
        return payload

    return mutate


_DELETE = object()
M = ("entry", 0, "changes", 0, "value", "messages")
S = ("entry", 0, "changes", 1, "value", "statuses", 0)

MALFORMED = [
    pytest.param(lambda p: [p], "delivery: expected an object, got a list", id="body-is-a-list"),
    pytest.param(lambda p: "hello", "delivery: expected an object, got a string", id="body-is-a-string"),
    pytest.param(setting(("object",), "page"), "object: expected 'whatsapp_business_account', got 'page'", id="object"),
    pytest.param(setting(("entry",), _DELETE), "entry: missing", id="no-entry"),
    pytest.param(setting(("entry",), {}), "entry: expected a list, got an object", id="entry-not-a-list"),
    pytest.param(setting(("entry", 0), "x"), "entry[0]: expected an object, got a string", id="entry-item"),
    pytest.param(setting(("entry", 0, "changes"), _DELETE), "entry[0].changes: missing", id="no-changes"),
    pytest.param(
        setting(("entry", 0, "changes", 1, "field"), 7),
        "entry[0].changes[1].field: expected a string, got an integer",
        id="field-not-a-string",
    ),
    pytest.param(
        setting(("entry", 0, "changes", 0, "value"), None),
        "entry[0].changes[0].value: expected an object, got null",
        id="value-null",
    ),
    pytest.param(
        setting(("entry", 0, "changes", 0, "value", "metadata", "phone_number_id"), _DELETE),
        "entry[0].changes[0].value.metadata.phone_number_id: missing",
        id="no-phone-number-id",
    ),
    pytest.param(
        setting(("entry", 0, "changes", 0, "value", "metadata", "phone_number_id"), "+55 11 3456"),
        "entry[0].changes[0].value.metadata.phone_number_id: String should match pattern",
        id="phone-number-id-not-digits",
    ),
    pytest.param(
        setting(("entry", 0, "changes", 0, "value", "metadata", "display_phone_number"), _DELETE),
        "entry[0].changes[0].value.metadata.display_phone_number: missing",
        id="no-display-number-for-messages",
    ),
    pytest.param(setting(M, {"0": {}}), f"{MSG}: expected a list, got an object", id="messages-not-a-list"),
    pytest.param(setting((*M, 1, "id"), _DELETE), f"{MSG}[1].id: missing", id="message-without-id"),
    pytest.param(setting((*M, 1, "from"), _DELETE), f"{MSG}[1].from: missing", id="message-without-from"),
    pytest.param(setting((*M, 2, "timestamp"), _DELETE), f"{MSG}[2].timestamp: missing", id="message-without-time"),
    pytest.param(setting((*M, 2, "timestamp"), "yesterday"), f"{MSG}[2].timestamp: not a unix time", id="time-word"),
    pytest.param(setting((*M, 2, "timestamp"), 1.7e9), f"{MSG}[2].timestamp: not a unix time", id="time-float"),
    pytest.param(setting((*M, 2, "timestamp"), "9" * 13), f"{MSG}[2].timestamp: not a unix time", id="time-huge"),
    pytest.param(setting((*M, 2, "timestamp"), True), f"{MSG}[2].timestamp: not a unix time", id="time-bool"),
    pytest.param(setting((*M, 0, "id"), "ABGGFlA5Fpa"), f"{MSG}[0].id: String should match pattern", id="not-a-wamid"),
    pytest.param(setting((*M, 0, "from"), "+55 11 98765-4321"), f"{MSG}[0].from: String should match", id="from"),
    pytest.param(setting((*M, 0, "type"), _DELETE), f"{MSG}[0].type: missing", id="message-without-type"),
    pytest.param(setting((*M, 0, "type"), ""), f"{MSG}[0].type: String should have at least 1", id="empty-type"),
    pytest.param(setting((*M, 0, "text"), _DELETE), f"{MSG}[0].text: missing", id="text-without-text"),
    pytest.param(
        setting((*M, 0, "text", "body"), 3), f"{MSG}[0].text.body: expected a string, got an integer", id="body"
    ),
    pytest.param(
        setting((*M, 2, "location", "latitude"), 123.0),
        f"{MSG}[2].location.latitude: Input should be less than or equal to 90",
        id="latitude-out-of-range",
    ),
    pytest.param(setting((*M, 3, "image", "mime_type"), _DELETE), f"{MSG}[3].image.mime_type: missing", id="mime"),
    pytest.param(setting((*M, 3, "image", "id"), ""), f"{MSG}[3].image.id: String should have at least 1", id="media"),
    pytest.param(setting((*M, 4, "contacts"), []), f"{MSG}[4].contacts: Tuple should have at least 1", id="no-cards"),
    pytest.param(
        setting((*M, 4, "contacts", 0, "name"), _DELETE), f"{MSG}[4].contacts[0].name: missing", id="card-without-name"
    ),
    pytest.param(
        setting((*M, 5, "reaction", "message_id"), _DELETE), f"{MSG}[5].reaction.message_id: missing", id="reaction"
    ),
    pytest.param(
        setting((*M, 0, "context"), reply_context(BUSINESS.display_phone_number, "not-a-wamid")),
        f"{MSG}[0].context.id: String should match pattern",
        id="context-id",
    ),
    pytest.param(
        setting(("entry", 0, "changes", 0, "value", "contacts", 0, "profile", "name"), ["Ana"]),
        "entry[0].changes[0].value.contacts[0].profile.name: expected a string, got a list",
        id="profile-name",
    ),
    pytest.param(setting((*S, "recipient_id"), _DELETE), f"{STATUS}.recipient_id: missing", id="status-recipient"),
    pytest.param(setting((*S, "status"), None), f"{STATUS}.status: expected a string, got null", id="status-null"),
    pytest.param(
        setting((*S, "errors", 0, "code"), "131026"),
        f"{STATUS}.errors[0].code: expected an integer, got a string",
        id="error-code-as-string",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), MALFORMED)
def test_a_malformed_delivery_is_refused_naming_what_is_wrong_and_where(mutate, expected):
    payload = mutate(valid())

    with pytest.raises(MalformedDelivery) as refused:
        parse_delivery(payload)

    assert str(refused.value).startswith(expected)


def test_the_valid_delivery_the_table_starts_from_parses():
    parsed = parse_delivery(valid())

    assert len(parsed.received) == 6 and len(parsed.statuses) == 1


def test_an_echo_to_something_that_is_not_a_number_is_refused_at_its_to():
    echo = echo_of(text_message(CUSTOMER, "Oi"), BUSINESS, "cliente vip", wamid=wamid(1))
    payload = delivery([entry(BUSINESS.waba_id, [echoes_change(BUSINESS, [echo])])])

    with pytest.raises(MalformedDelivery, match=r"^entry\[0\]\.changes\[0\]\.value\.message_echoes\[0\]\.to: "):
        parse_delivery(payload)


def test_an_unsupported_message_nested_too_deeply_to_keep_is_refused_not_crashed():
    payload = valid()
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(900):  # json.loads takes this; copying it recursively does not
        inner["a"] = {}
        inner = inner["a"]
    payload["entry"][0]["changes"][0]["value"]["messages"][0].update(type="hologram", hologram=deep)

    with pytest.raises(MalformedDelivery, match=rf"^{re.escape(MSG)}\[0\]: nested too deeply"):
        parse_delivery(payload)


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


def test_randomly_mutated_deliveries_only_ever_parse_or_raise_malformed_delivery():
    rng = random.Random(20250314)
    base = rich()
    assert len(parse_delivery(base).received) == 15
    outcomes = {"parsed": 0, "malformed": 0}

    for _ in range(300):
        payload = _mutated(base, rng)
        try:
            result = parse_delivery(payload)
        except MalformedDelivery as refused:
            assert str(refused), payload
            outcomes["malformed"] += 1
        else:
            assert isinstance(result, ParsedDelivery)
            outcomes["parsed"] += 1

    assert outcomes["parsed"] > 20 and outcomes["malformed"] > 20, outcomes
