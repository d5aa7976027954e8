"""Every golden example of an event ingest consumes goes through ingest's translation without surprise."""

from __future__ import annotations

import pytest

from leadline.events import REGISTRY, BusinessNumberRegisteredV1, SendRequestedV1
from leadline.events.golden import golden_examples
from leadline.fakegraph.validation import AcceptedSend, validate_send
from leadline.ingest.service.sending import UnsendableContent, graph_message_body

SEND_REQUESTS = golden_examples(SendRequestedV1.EVENT_TYPE)
NUMBERS = golden_examples(BusinessNumberRegisteredV1.EVENT_TYPE)


def test_there_are_examples_to_check():
    assert SEND_REQUESTS and NUMBERS


@pytest.mark.parametrize(("case", "envelope"), SEND_REQUESTS, ids=[case for case, _ in SEND_REQUESTS])
def test_each_send_request_example_becomes_a_body_the_graph_api_accepts(case, envelope):
    request = REGISTRY.decode(envelope)
    media = {"id": "1029384756"} if getattr(request.content, "media", None) else None
    try:
        body = graph_message_body(request, media)
    except UnsendableContent as error:  # refused by name, never by crash
        assert request.content.kind == "interactive_reply", error
        return
    verdict = validate_send(body)
    assert isinstance(verdict, AcceptedSend), verdict
    assert body.get("to") == request.to.wa_id and body.get("recipient") == (
        None if request.to.wa_id else request.to.user_id
    )


@pytest.mark.parametrize(("case", "envelope"), NUMBERS, ids=[case for case, _ in NUMBERS])
def test_each_business_number_example_names_a_number_and_an_account(case, envelope):
    number = REGISTRY.decode(envelope)
    assert number.phone_number_id and envelope.account_id
