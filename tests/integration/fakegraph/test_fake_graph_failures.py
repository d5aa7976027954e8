"""Failure injection: queued Meta errors are served first-in first-out, one per call, per endpoint."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio

TEXT = {"messaging_product": "whatsapp", "to": "5511987654321", "type": "text", "text": {"body": "hi"}}


async def send(fake, auth, messages_path):
    return await fake.post(messages_path, json=TEXT, headers=auth)


async def test_queued_failures_are_consumed_in_order_then_sends_succeed_again(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "messages", "count": 2, "status": 400, "code": 131047})
    await fake.post("/_fake/failures", json={"endpoint": "messages", "count": 1, "status": 429, "code": 130429})

    answers = [await send(fake, auth, messages_path) for _ in range(4)]

    assert [(r.status_code, r.json().get("error", {}).get("code")) for r in answers] == [
        (400, 131047),
        (400, 131047),
        (429, 130429),
        (200, None),
    ]


async def test_an_injected_error_has_meta_shape_with_the_real_title_and_details(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "messages", "count": 1, "status": 400, "code": 131056})

    error = (await send(fake, auth, messages_path)).json()["error"]

    assert error["message"] == "(#131056) (Business Account, Consumer Account) pair rate limit hit"
    assert error["type"] == "OAuthException"
    assert error["code"] == 131056
    assert error["error_data"] == {
        "messaging_product": "whatsapp",
        "details": (
            "Too many messages sent from the sender phone number to the same recipient "
            "phone number in a short period of time."
        ),
    }
    assert error["fbtrace_id"]


async def test_an_injected_error_can_carry_a_custom_message(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "messages", "code": 131026, "message": "custom text"})

    response = await send(fake, auth, messages_path)

    assert response.status_code == 400  # derived from the code
    assert response.json()["error"]["message"] == "custom text"


async def test_a_status_alone_picks_a_plausible_code(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "messages", "count": 2, "status": 503})
    await fake.post("/_fake/failures", json={"endpoint": "messages", "status": 500})

    answers = [await send(fake, auth, messages_path) for _ in range(3)]

    assert [(r.status_code, r.json()["error"]["code"]) for r in answers] == [(503, 2), (503, 2), (500, 1)]


async def test_a_failed_send_is_not_recorded(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "messages", "code": 131047})

    await send(fake, auth, messages_path)

    assert (await fake.get("/_fake/sent")).json()["data"] == []


async def test_failures_for_one_endpoint_leave_the_others_alone(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "media", "status": 500})

    sent = await send(fake, auth, messages_path)
    described = await fake.get("/v21.0/123", headers=auth)

    assert sent.status_code == 200
    assert described.status_code == 500


async def test_a_bad_token_is_refused_before_a_failure_is_consumed(fake, auth, messages_path):
    await fake.post("/_fake/failures", json={"endpoint": "messages", "code": 131047})

    unauthorized = await fake.post(messages_path, json=TEXT)
    then = await send(fake, auth, messages_path)

    assert unauthorized.status_code == 401
    assert then.json()["error"]["code"] == 131047


async def test_pending_failures_are_listed_and_cleared_by_reset(fake):
    await fake.post("/_fake/failures", json={"endpoint": "media_download", "count": 3, "status": 500})

    pending = (await fake.get("/_fake/failures")).json()["data"]
    await fake.post("/_fake/reset")

    assert [f["endpoint"] for f in pending] == ["media_download"] * 3
    assert (await fake.get("/_fake/failures")).json()["data"] == []


async def test_an_unknown_endpoint_name_is_refused(fake):
    response = await fake.post("/_fake/failures", json={"endpoint": "webhooks", "status": 500})

    assert response.status_code == 422
