"""Evolution API webhook bodies read into the same contract payloads as the Cloud API's: every kind, echoes,
statuses, chats that are no customer, connection changes, and the parts that cannot be read."""

from __future__ import annotations

import copy
import os
import random
from datetime import UTC, datetime

import pytest

from leadline.events import DeliveryStatus
from leadline.fakegraph.evolution import payloads as evo
from leadline.fakegraph.samples import sample_for
from leadline.ingest.adapters.cloud_api.reading import MalformedDelivery
from leadline.ingest.adapters.evolution.webhooks import parse_webhook
from leadline.ingest.domain.evolution_instances import evolution_wamid

NUMBER = "5511934567890"
CUSTOMER = evo.jid("551187654321")  # a Brazilian mobile as WhatsApp Web names it: without its ninth digit
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def read(event: str, data: object):
    body = evo.envelope(event, "acme-usados", data, apikey="k")
    return parse_webhook(body, phone_number_id=NUMBER, display_number="+5511934567890", received_at=NOW)


def upsert(message: dict, **kwargs):
    return read("messages.upsert", evo.message_upsert(message, remote_jid=kwargs.pop("remote_jid", CUSTOMER), **kwargs))


def test_a_text_is_received_from_the_customer_keyed_by_the_number_and_the_message_key():
    parsed = upsert(evo.text("Oi, o Onix ainda está disponível?"), id="3EB0AAA", timestamp=1_765_108_800)

    [message] = parsed.received
    assert message.wamid == evolution_wamid(NUMBER, "3EB0AAA") == f"wamid.evo.{NUMBER}.3EB0AAA"
    assert message.phone_number_id == NUMBER
    assert message.customer.wa_id == "551187654321"
    assert message.customer_profile_name == "Joana Silva" == message.customer_display_name
    assert message.content.kind == "text" and message.content.body == "Oi, o Onix ainda está disponível?"
    assert message.sent_at == datetime.fromtimestamp(1_765_108_800, UTC)
    assert (parsed.echoed, parsed.statuses, parsed.ignored, parsed.unreadable) == ((), (), (), ())


def test_an_extended_text_with_a_quote_names_the_quoted_message():
    [message] = upsert(evo.extended_text("Esse aqui", quoted_id="3EB0BBB")).received

    assert message.content.body == "Esse aqui"
    assert message.context.replied_to_wamid == evolution_wamid(NUMBER, "3EB0BBB")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("image", "image"),
        ("video", "video"),
        ("gif", "gif"),
        ("audio", "audio"),
        ("voice", "voice"),
        ("document", "document"),
        ("sticker", "sticker"),
    ],
)
def test_every_media_kind_is_read_with_its_mime_type_and_fetched_by_its_key(kind, expected):
    [message] = upsert(evo.media(kind, caption="olha"), id="3EB0CCC").received

    assert message.content.kind == expected
    assert message.content.media.provider_media_id == "3EB0CCC"
    assert message.content.media.mime_type == sample_for(kind).mime_type.split(";")[0]
    if expected == "document":
        assert message.content.filename == "proposta-onix-2024.pdf"


def test_media_sent_in_the_webhook_comes_out_as_its_bytes():
    parsed = upsert(evo.media("image", with_base64=True), id="3EB0DDD")

    [inline] = parsed.inline_media
    assert inline.wamid == evolution_wamid(NUMBER, "3EB0DDD")
    assert inline.data == sample_for("image").read() and inline.mime_type == "image/jpeg"


def test_bytes_that_are_not_base64_are_set_aside_and_the_media_is_fetched_instead():
    message = evo.media("image") | {"base64": "not base64!!"}

    parsed = upsert(message)

    assert parsed.inline_media == () and parsed.received[0].content.kind == "image"
    assert [part.path for part in parsed.unreadable] == ["data.message.base64"]


def test_location_contact_and_reaction_are_read():
    [place] = upsert(evo.location(-23.56, -46.65, name="Acme Motors", address="Av. Paulista, 1000")).received
    [card] = upsert(evo.contact("Carlos Souza", "5511912345678")).received
    [reaction] = upsert(evo.reaction("3EB0EEE", "👍", remote_jid=CUSTOMER)).received

    assert (place.content.latitude, place.content.longitude, place.content.name) == (-23.56, -46.65, "Acme Motors")
    assert card.content.contacts[0].formatted_name == "Carlos Souza"
    assert card.content.contacts[0].phones[0].wa_id == "5511912345678"
    assert reaction.content.reacted_to_wamid == evolution_wamid(NUMBER, "3EB0EEE") and reaction.content.emoji == "👍"


def test_a_kind_leadline_does_not_know_is_kept_as_unsupported_never_refused():
    [message] = upsert({"pollCreationMessageV3": {"name": "Qual cor?", "options": [{"optionName": "Azul"}]}}).received

    assert message.content.kind == "unsupported"
    assert message.content.original_type == "pollCreationMessageV3"
    assert message.content.raw["pollCreationMessageV3"]["name"] == "Qual cor?"


@pytest.mark.parametrize(
    "message",
    [
        {"imageMessage": {"caption": "sem mimetype"}},
        {"locationMessage": {"degreesLatitude": "norte"}},
        {"conversation": 42},
        {"messageContextInfo": {}},
        "not an object",
    ],
)
def test_a_message_whose_content_cannot_be_read_is_kept_as_unsupported_and_its_part_quarantined(message):
    parsed = upsert(message)

    [kept] = parsed.received
    assert kept.content.kind == "unsupported"
    [part] = parsed.unreadable
    assert part.path.startswith("data.message")


def test_what_the_phone_or_whatsapp_web_sent_is_an_echo_to_the_customer():
    parsed = upsert(evo.text("Bom dia! Temos sim."), from_me=True, id="3EB0FFF")

    assert parsed.received == ()
    [echo] = parsed.echoed
    assert echo.wamid == evolution_wamid(NUMBER, "3EB0FFF") and echo.customer.wa_id == "551187654321"
    assert echo.content.body == "Bom dia! Temos sim."


@pytest.mark.parametrize(
    ("remote_jid", "reason"),
    [
        ("120363025246125486@g.us", "group"),
        ("status@broadcast", "status"),
        ("1695135456@broadcast", "broadcast"),
        ("120363144038483540@newsletter", "newsletter"),
    ],
)
def test_chats_that_are_no_customer_are_ignored_and_counted(remote_jid, reason):
    parsed = upsert(evo.text("Promoção!"), remote_jid=remote_jid)

    assert (parsed.received, parsed.echoed, parsed.unreadable) == ((), (), ())
    assert parsed.ignored == (reason,)


def test_a_privacy_id_chat_is_read_by_the_phone_beside_it():
    data = evo.message_upsert(evo.text("oi"), remote_jid="123456789012345@lid")
    data["key"]["remoteJidAlt"] = CUSTOMER

    [message] = read("messages.upsert", data).received

    assert message.customer.wa_id == "551187654321"


def test_a_message_without_a_key_is_set_aside_with_its_path():
    data = evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER)
    del data["key"]["id"]

    parsed = read("messages.upsert", data)

    assert parsed.received == ()
    assert [part.problem for part in parsed.unreadable] == ["data.key.id: missing"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("SERVER_ACK", DeliveryStatus.SENT),
        ("DELIVERY_ACK", DeliveryStatus.DELIVERED),
        ("READ", DeliveryStatus.READ),
        ("PLAYED", DeliveryStatus.READ),
        ("ERROR", DeliveryStatus.FAILED),
    ],
)
def test_statuses_of_what_the_business_sent_map_onto_the_same_statuses(status, expected):
    parsed = read("messages.update", evo.message_update("3EB0ABC", status, remote_jid=CUSTOMER))

    [changed] = parsed.statuses
    assert changed.wamid == evolution_wamid(NUMBER, "3EB0ABC") and changed.status is expected
    assert changed.customer.wa_id == "551187654321"


@pytest.mark.parametrize(("status", "from_me"), [("PENDING", True), ("DELETED", True), ("READ", False)])
def test_statuses_that_move_nothing_are_ignored(status, from_me):
    parsed = read("messages.update", evo.message_update("3EB0ABC", status, remote_jid=CUSTOMER, from_me=from_me))

    assert parsed.statuses == () and parsed.ignored == ("status_update",)


@pytest.mark.parametrize(("state", "reason"), [("open", 200), ("close", 401), ("connecting", 200), ("refused", 428)])
def test_a_connection_update_is_read(state, reason):
    parsed = read("connection.update", evo.connection_update("acme-usados", state, reason))

    assert (parsed.connection.state, parsed.connection.reason_code) == (state, reason)


def test_contact_updates_and_unknown_events_are_accepted_and_ignored():
    for event in ("contacts.update", "CONTACTS_UPSERT", "presence.update"):
        parsed = read(event, evo.contacts_update(CUSTOMER, "Joana"))
        assert parsed.ignored == ("event",) and parsed.received == ()


@pytest.mark.parametrize("body", [[], "text", {"instance": "acme-usados"}, {"event": 5}])
def test_a_body_that_is_no_webhook_at_all_is_malformed(body):
    with pytest.raises(MalformedDelivery):
        parse_webhook(body, phone_number_id=NUMBER, display_number="+5511934567890", received_at=NOW)


def test_text_that_is_no_valid_unicode_is_kept_as_unsupported_and_still_serialises():
    parsed = upsert(evo.text("oi \ud800"))

    [kept] = parsed.received
    assert kept.content.kind == "unsupported" and len(parsed.unreadable) == 1
    assert "\\ud800" not in kept.model_dump_json() and kept.model_dump_json()


def test_an_unknown_kind_nested_too_deeply_to_travel_is_kept_without_its_raw_copy():
    deep: dict = {}
    node = deep
    for _ in range(300):
        node["x"] = {}
        node = node["x"]

    [kept] = upsert({"someFutureMessage": deep}).received

    assert kept.content.original_type == "someFutureMessage" and kept.content.raw == {}
    assert kept.model_dump_json()


def test_inline_media_bytes_never_travel_in_an_unsupported_copy():
    message = {"someFutureMessage": {"a": 1}, "base64": "AAAA"}

    [kept] = upsert(message).received

    assert kept.content.raw == {"someFutureMessage": {"a": 1}}


def test_a_profile_name_that_cannot_travel_leaves_the_customer_shown_by_their_number():
    parsed = upsert(evo.text("oi"), push_name="Jo\ud800ana")

    [message] = parsed.received
    assert message.customer_profile_name is None and message.customer_display_name.startswith("+55")
    assert [part.path for part in parsed.unreadable] == ["data.pushName"]


@pytest.mark.parametrize(
    "timestamp",
    [{"low": 1_765_108_800, "high": 0, "unsigned": False}, "1765108800", 1_765_108_800],
    ids=["protobuf Long", "digits", "integer"],
)
def test_a_message_time_is_read_however_evolution_spells_it(timestamp):
    data = evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER)
    data["messageTimestamp"] = timestamp

    [message] = read("messages.upsert", data).received

    assert message.sent_at == datetime.fromtimestamp(1_765_108_800, UTC)


@pytest.mark.parametrize("timestamp", [{"low": "x", "high": "y"}, -5, "soon", None, True])
def test_a_message_time_that_cannot_be_read_sets_the_message_aside(timestamp):
    data = evo.message_upsert(evo.text("oi"), remote_jid=CUSTOMER)
    data["messageTimestamp"] = timestamp

    parsed = read("messages.upsert", data)

    assert parsed.received == () and [p.path for p in parsed.unreadable] == ["data"]


JUNK = [None, 0, -1, 10**30, 1.5, True, "", "x", "\ud800", [], {}, [None], {"a": None}]


def _paths(value, path=()):
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*path, key))


def test_any_value_anywhere_replaced_by_junk_is_read_or_set_aside_never_a_crash():
    rng = random.Random(int(os.environ.get("FUZZ_SEED", "19")))
    samples = [
        evo.envelope("messages.upsert", "i", evo.message_upsert(m, remote_jid=CUSTOMER), apikey="k")
        for m in (
            evo.text("oi"),
            evo.extended_text("oi", quoted_id="3EB0Q"),
            evo.media("document", caption="c", with_base64=True),
            evo.media("gif"),
            evo.location(1.0, 2.0, name="n"),
            evo.contact("C", "5511912345678"),
            evo.reaction("3EB0R", "👍", remote_jid=CUSTOMER),
        )
    ]
    samples.append(
        evo.envelope("messages.update", "i", evo.message_update("3EB0S", "READ", remote_jid=CUSTOMER), apikey="k")
    )
    samples.append(evo.envelope("connection.update", "i", evo.connection_update("i", "close", 401), apikey="k"))
    for case in range(400):
        body = copy.deepcopy(rng.choice(samples))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice([p for p in _paths(body) if p])
            parent = body
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
        try:
            parsed = parse_webhook(body, phone_number_id=NUMBER, display_number="+5511934567890", received_at=NOW)
        except MalformedDelivery:
            continue
        for fact in (*parsed.received, *parsed.echoed, *parsed.statuses):
            assert fact.model_dump_json(), (case, fact)
