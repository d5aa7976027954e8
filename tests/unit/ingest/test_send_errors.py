"""Meta's error bodies read into ``GraphApiError``: code, title, message and details."""

from __future__ import annotations

import json

from leadline.fakegraph.errors import graph_error_body
from leadline.ingest.adapters.graph_api import graph_api_error


def test_a_synchronous_send_error_keeps_metas_code_title_and_details():
    body = json.dumps(graph_error_body(131047)).encode()

    error = graph_api_error(400, body)

    assert (error.status, error.code, error.title) == (400, 131047, "Re-engagement message")
    assert error.message == "(#131047) Re-engagement message"
    assert error.details.startswith("Message failed to send because more than 24 hours")


def test_an_error_with_a_user_title_prefers_it():
    body = json.dumps(
        {
            "error": {
                "message": "(#131056) pair rate limit",
                "code": 131056,
                "error_user_title": "Pair rate limit hit",
                "error_user_msg": "Wait a moment.",
            }
        }
    ).encode()

    error = graph_api_error(400, body)

    assert (error.code, error.title, error.details) == (131056, "Pair rate limit hit", "Wait a moment.")


def test_a_token_error_without_error_data_has_no_details():
    body = json.dumps(graph_error_body(190, message="Invalid OAuth access token", with_error_data=False)).encode()

    error = graph_api_error(401, body)

    assert (error.status, error.code, error.title, error.details) == (401, 190, "Invalid OAuth access token", None)


def test_a_body_that_is_not_metas_keeps_the_http_status():
    error = graph_api_error(502, b"<html>Bad Gateway</html>")

    assert (error.status, error.code, error.title) == (502, None, "HTTP 502")
    assert error.message == "<html>Bad Gateway</html>"
