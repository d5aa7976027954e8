"""A part of a delivery that cannot be read is set aside with its path; the rest of the delivery is read as usual."""

from __future__ import annotations

from typing import Any

import pytest

from leadline.events.content import TextContent, UnsupportedContent
from leadline.fakegraph.errors import webhook_error
from leadline.fakegraph.webhooks import (
    UNSUPPORTED_WEBHOOK_PAYLOAD,
    WebhookBuilder,
    contact,
    echo_of,
    echoes_change,
    errors_change,
    messages_change,
    reply_context,
    status,
    system_message,
    text_message,
    unrendered_errors_change,
    unrendered_message,
    unsupported_message,
)
from leadline.ingest.adapters.cloud_api.parse import parse_delivery
from tests.unit.ingest.damaged_deliveries import (
    BUSINESS,
    CUSTOMER,
    DELETE,
    SENT,
    M,
    S,
    dotted,
    found_at,
    setting,
    valid,
    wamid,
)

WEBHOOKS = WebhookBuilder(BUSINESS)
CHANGE = ("entry", 0, "changes", 0)
VALUE = (*CHANGE, "value")


def part(at: tuple[Any, ...], problem: str, received: int, statuses: int, unsupported: int | None = None) -> dict:
    return {"at": at, "problem": problem, "received": received, "statuses": statuses, "unsupported": unsupported}


# (damage, the part set aside and its problem, how many messages and statuses are still read, which message
# is kept as ``unsupported``): the delivery of ``valid()`` holds six messages (M) and one status (S).
PARTS = [
    pytest.param(
        setting(("entry", 0), "x"),
        part(("entry", 0), "entry[0]: expected an object, got a string", 0, 0),
        id="entry-not-an-object",
    ),
    pytest.param(
        setting(("entry", 0, "changes"), DELETE),
        part(("entry", 0), "entry[0].changes: missing", 0, 0),
        id="entry-without-changes",
    ),
    pytest.param(
        setting(("entry", 0, "changes", 1, "field"), 7),
        part(("entry", 0, "changes", 1), "entry[0].changes[1].field: expected a string, got an integer", 6, 0),
        id="field-not-a-string",
    ),
    pytest.param(
        setting(VALUE, None),
        part(CHANGE, "entry[0].changes[0].value: expected an object, got null", 0, 1),
        id="value-null",
    ),
    pytest.param(
        setting((*VALUE, "metadata", "phone_number_id"), DELETE),
        part(CHANGE, "entry[0].changes[0].value.metadata.phone_number_id: missing", 0, 1),
        id="no-number-id",
    ),
    pytest.param(
        setting((*VALUE, "metadata", "phone_number_id"), "+55 11 3456"),
        part(CHANGE, "entry[0].changes[0].value.metadata.phone_number_id: String should match", 0, 1),
        id="number-id-not-digits",
    ),
    pytest.param(
        setting((*VALUE, "metadata", "display_phone_number"), DELETE),
        part(M, "entry[0].changes[0].value.metadata.display_phone_number: missing", 0, 1),
        id="no-display-number-for-messages",
    ),
    pytest.param(
        setting(M, {"0": {}}), part(M, f"{dotted(M)}: expected a list, got an object", 0, 1), id="messages-not-a-list"
    ),
    pytest.param(
        setting((*M, 1), "oi"),
        part((*M, 1), f"{dotted(M)}[1]: expected an object, got a string", 5, 1),
        id="message-not-an-object",
    ),
    pytest.param(setting((*M, 1, "id"), DELETE), part((*M, 1), f"{dotted(M)}[1].id: missing", 5, 1), id="no-id"),
    # a message without ``from`` is read (Meta leaves the phone out for usernames: see test_customers_without_a_phone)
    pytest.param(
        setting((*M, 1, "from"), "+55 11 9"),
        part((*M, 1), f"{dotted(M)}[1].from: String should match", 5, 1),
        id="from-not-a-number",
    ),
    pytest.param(
        setting((*M, 2, "timestamp"), "yesterday"),
        part((*M, 2), f"{dotted(M)}[2].timestamp: not a unix time", 5, 1),
        id="time-word",
    ),
    pytest.param(
        setting((*M, 0, "id"), "ABGGFlA5Fpa"),
        part((*M, 0), f"{dotted(M)}[0].id: String should match pattern", 5, 1),
        id="not-a-wamid",
    ),
    pytest.param(
        setting((*M, 0, "type"), DELETE),
        part((*M, 0), f"{dotted(M)}[0].type: missing", 6, 1, 0),
        id="message-without-type",
    ),
    pytest.param(
        setting((*M, 0, "text"), DELETE),
        part((*M, 0), f"{dotted(M)}[0].text: missing", 6, 1, 0),
        id="text-without-text",
    ),
    pytest.param(
        setting((*M, 0, "text", "body"), 3),
        part((*M, 0), f"{dotted(M)}[0].text.body: expected a string, got an integer", 6, 1, 0),
        id="body",
    ),
    pytest.param(
        setting((*M, 2, "location", "latitude"), 123.0),
        part((*M, 2), f"{dotted(M)}[2].location.latitude: Input should be less than", 6, 1, 2),
        id="latitude",
    ),
    pytest.param(
        setting((*M, 3, "image", "mime_type"), DELETE),
        part((*M, 3), f"{dotted(M)}[3].image.mime_type: missing", 6, 1, 3),
        id="image-without-mime-type",
    ),
    pytest.param(
        setting((*M, 4, "contacts"), []),
        part((*M, 4), f"{dotted(M)}[4].contacts: Tuple should have at least 1", 6, 1, 4),
        id="no-cards",
    ),
    pytest.param(
        setting((*M, 5, "reaction", "message_id"), DELETE),
        part((*M, 5), f"{dotted(M)}[5].reaction.message_id: missing", 6, 1, 5),
        id="reaction",
    ),
    pytest.param(
        setting((*M, 0, "context"), reply_context(BUSINESS.display_phone_number, "not-a-wamid")),
        part((*M, 0), f"{dotted(M)}[0].context.id: String should match pattern", 6, 1, 0),
        id="context-id",
    ),
    pytest.param(
        setting((*VALUE, "contacts", 0, "profile", "name"), ["Ana"]),
        part((*VALUE, "contacts"), f"{dotted(VALUE)}.contacts[0].profile.name: expected a string", 6, 1),
        id="profile-name",
    ),
    pytest.param(
        setting((*S, "recipient_id"), DELETE),
        part(S, f"{dotted(S)}: names no customer (none of recipient_id, recipient_user_id", 6, 0),
        id="status-without-recipient",
    ),
    pytest.param(
        setting((*S, "errors", 0, "code"), "131026"),
        part(S, f"{dotted(S)}.errors[0].code: expected an integer, got a string", 6, 0),
        id="status-error-code-as-string",
    ),
]


@pytest.mark.parametrize(("damage", "expected"), PARTS)
def test_a_damaged_part_is_set_aside_with_its_path_and_problem_and_the_rest_is_read(damage, expected):
    payload = damage(valid())

    parsed = parse_delivery(payload)

    (unreadable,) = parsed.unreadable
    assert unreadable.path == dotted(expected["at"])
    assert unreadable.problem.startswith(expected["problem"])
    assert unreadable.raw == found_at(payload, expected["at"])
    assert (len(parsed.received), len(parsed.statuses)) == (expected["received"], expected["statuses"])
    unsupported = [i for i, message in enumerate(parsed.received) if isinstance(message.content, UnsupportedContent)]
    assert unsupported == ([] if expected["unsupported"] is None else [expected["unsupported"]])


def test_a_message_whose_content_cannot_be_read_is_kept_as_unsupported_with_its_type_and_raw_message():
    payload = setting((*M, 2, "location", "latitude"), 123.0)(valid())

    kept = parse_delivery(payload).received[2]

    assert kept.wamid == wamid(3) and kept.customer.wa_id == CUSTOMER
    assert kept.content == UnsupportedContent(original_type="location", raw=found_at(payload, (*M, 2)))


def test_a_message_meta_could_not_render_is_kept_as_unsupported_carrying_metas_131000_error():
    """Meta's shape: an ``interactive`` without its body, beside value-level errors[] 131000."""
    unrendered = unrendered_message(CUSTOMER, "interactive", wamid=wamid(1), timestamp=SENT)
    text = text_message(CUSTOMER, "Oi", wamid=wamid(2), timestamp=SENT)
    payload = WEBHOOKS.batch(unrendered_errors_change(BUSINESS, unrendered, text, contacts=[contact(CUSTOMER)]))

    parsed = parse_delivery(payload)

    first, second = parsed.received
    assert first.content == UnsupportedContent(
        original_type="interactive",
        error_code=131000,
        error_title="Something went wrong",
        error_details=UNSUPPORTED_WEBHOOK_PAYLOAD,
        raw=unrendered,
    )
    assert second.content == TextContent(body="Oi")
    assert [error.code for error in parsed.webhook_errors] == [131000]
    (unreadable,) = parsed.unreadable
    assert unreadable.path == f"{dotted(M)}[0]" and unreadable.problem == f"{dotted(M)}[0].interactive: missing"


def test_value_level_errors_without_messages_are_reported_and_nothing_is_set_aside():
    payload = WEBHOOKS.batch(errors_change(BUSINESS, [webhook_error(131000, details=UNSUPPORTED_WEBHOOK_PAYLOAD)]))

    parsed = parse_delivery(payload)

    assert [(e.code, e.title, e.details) for e in parsed.webhook_errors] == [
        (131000, "Something went wrong", UNSUPPORTED_WEBHOOK_PAYLOAD)
    ]
    assert parsed.received == () and parsed.unreadable == ()


def test_an_unsupported_message_carries_metas_131051_code_title_and_details_and_is_not_set_aside():
    message = unsupported_message(CUSTOMER, "poll_creation", code=131051, wamid=wamid(1), timestamp=SENT)

    parsed = parse_delivery(WEBHOOKS.inbound(message))

    (received,) = parsed.received
    assert (received.content.error_code, received.content.error_title, received.content.error_details) == (
        131051,
        "Message type unknown",
        "Message type is currently not supported.",
    )
    assert parsed.unreadable == ()


def test_a_system_message_without_contacts_is_kept_as_unsupported_system():
    message = system_message(CUSTOMER, "5511912345678", wamid=wamid(1), timestamp=SENT)

    parsed = parse_delivery(WEBHOOKS.batch(messages_change(BUSINESS, [message], [])))

    (received,) = parsed.received
    assert received.content.original_type == "system" and received.content.raw == message
    assert parsed.unreadable == ()


def test_unreadable_value_level_errors_are_set_aside_and_the_messages_beside_them_are_read():
    change = errors_change(BUSINESS, [{"code": "oops"}], [text_message(CUSTOMER, "Oi", wamid=wamid(1), timestamp=SENT)])

    parsed = parse_delivery(WEBHOOKS.batch(change))

    assert [message.content for message in parsed.received] == [TextContent(body="Oi")]
    (unreadable,) = parsed.unreadable
    assert unreadable.path == f"{dotted(VALUE)}.errors" and unreadable.raw == [{"code": "oops"}]


def test_a_status_with_unreadable_errors_is_set_aside_and_the_other_statuses_are_read():
    bad = status(wamid(1), "failed", CUSTOMER, timestamp=SENT, errors=[{"title": "no code"}])
    good = status(wamid(2), "read", CUSTOMER, timestamp=SENT)

    parsed = parse_delivery(WEBHOOKS.statuses(bad, good))

    assert [changed.wamid for changed in parsed.statuses] == [wamid(2)]
    assert [part.path for part in parsed.unreadable] == [f"{dotted(VALUE)}.statuses[0]"]


def test_an_echo_to_something_that_is_not_a_number_is_set_aside_at_its_to():
    echo = echo_of(text_message(CUSTOMER, "Oi"), BUSINESS, "cliente vip", wamid=wamid(1))

    parsed = parse_delivery(WEBHOOKS.batch(echoes_change(BUSINESS, [echo])))

    assert parsed.echoed == ()
    (unreadable,) = parsed.unreadable
    assert unreadable.problem.startswith(f"{dotted(VALUE)}.message_echoes[0].to: ")


def test_an_echo_whose_content_cannot_be_read_is_kept_as_unsupported():
    echo = echo_of(text_message(CUSTOMER, "Oi"), BUSINESS, CUSTOMER, wamid=wamid(1))
    del echo["text"]

    parsed = parse_delivery(WEBHOOKS.batch(echoes_change(BUSINESS, [echo])))

    (echoed,) = parsed.echoed
    assert echoed.content == UnsupportedContent(original_type="text", raw=echo)
    assert [part.path for part in parsed.unreadable] == [f"{dotted(VALUE)}.message_echoes[0]"]


@pytest.mark.parametrize("depth", [300, 900])  # 300: an event's JSON cannot hold it; 900: json.loads still takes it
def test_a_message_nested_too_deeply_for_an_event_is_kept_as_unsupported_without_its_raw_and_set_aside(depth):
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    payload = setting((*M, 0), {**found_at(valid(), (*M, 0)), "type": "hologram", "hologram": deep})(valid())

    parsed = parse_delivery(payload)

    kept = parsed.received[0]
    assert (kept.content.original_type, kept.content.raw) == ("hologram", {})
    kept.model_dump_json()  # the event can be written
    (unreadable,) = parsed.unreadable
    assert unreadable.path == f"{dotted(M)}[0]" and unreadable.problem.endswith("nested too deeply to keep")


@pytest.mark.parametrize("field", ["body", "type"])
def test_a_lone_surrogate_json_lets_through_never_reaches_an_event_that_cannot_be_written(field):
    message = text_message(CUSTOMER, "Oi", wamid=wamid(1), timestamp=SENT)
    if field == "body":
        message["text"]["body"] = "Oi \ud83d"  # what json.loads makes of "Oi \\ud83d": half an emoji
    else:
        message["type"] = "text\ud83d"

    parsed = parse_delivery(WEBHOOKS.inbound(message))

    (kept,) = parsed.received
    kept.model_dump_json()  # the event can be written
    assert kept.content.kind == "unsupported" and "\ud83d" not in kept.content.model_dump_json()
    assert [part.path for part in parsed.unreadable] == [f"{dotted(M)}[0]"]
