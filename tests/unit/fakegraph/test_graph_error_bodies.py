"""Meta-shaped error bodies, synchronous (Graph responses) and asynchronous (webhook errors)."""

from __future__ import annotations

import pytest

from leadline.fakegraph.errors import CATALOG, graph_error_body, lookup, webhook_error


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (131047, "Re-engagement message"),
        (130429, "Rate limit hit"),
        (131056, "(Business Account, Consumer Account) pair rate limit hit"),
        (131026, "Message undeliverable"),
    ],
)
def test_graph_error_body_has_meta_shape_with_the_real_title(code, title):
    body = graph_error_body(code)

    error = body["error"]
    assert error["message"] == f"(#{code}) {title}"
    assert error["type"] == "OAuthException"
    assert error["code"] == code
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert error["error_data"]["details"] == CATALOG[code].details
    assert error["fbtrace_id"].startswith("A") and len(error["fbtrace_id"]) == 23


def test_graph_error_body_takes_a_custom_message_and_details():
    error = graph_error_body(131047, message="custom", details="why")["error"]

    assert error["message"] == "custom"
    assert error["error_data"]["details"] == "why"


def test_token_errors_have_no_error_data():
    error = graph_error_body(190, message="Invalid OAuth access token", with_error_data=False)["error"]

    assert "error_data" not in error
    assert error["code"] == 190


def test_unknown_codes_still_produce_a_well_formed_error():
    assert lookup(999999).title == "Error 999999"
    assert graph_error_body(999999)["error"]["code"] == 999999


def test_webhook_error_has_code_title_message_details_and_href():
    error = webhook_error(131026, details="Receiver is incapable of receiving this message")

    assert error == {
        "code": 131026,
        "title": "Message undeliverable",
        "message": "Message undeliverable",
        "error_data": {"details": "Receiver is incapable of receiving this message"},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
