"""Sending through the fake's ``POST /{version}/{phone_number_id}/messages``."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio

TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+55 11 98765-4321",
    "type": "text",
    "text": {"preview_url": False, "body": "Your test drive is booked."},
}


async def test_an_accepted_send_answers_like_cloud_api(fake, auth, messages_path):
    response = await fake.post(messages_path, json=TEXT, headers=auth)

    assert response.status_code == 200
    answer = response.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+55 11 98765-4321", "wa_id": "5511987654321"}]
    (message,) = answer["messages"]
    assert message["id"].startswith("wamid.HBg")


async def test_every_accepted_send_is_recorded_with_body_and_headers(fake, auth, messages_path):
    answer = (await fake.post(messages_path, json=TEXT, headers={**auth, "X-Request-Id": "req-1"})).json()

    (sent,) = (await fake.get("/_fake/sent")).json()["data"]
    assert sent["wamid"] == answer["messages"][0]["id"]
    assert sent["phone_number_id"] == "106540352242922"
    assert sent["version"] == "v21.0"
    assert sent["to"] == "+55 11 98765-4321"
    assert sent["wa_id"] == "5511987654321"
    assert sent["type"] == "text"
    assert sent["body"] == TEXT
    assert sent["headers"]["x-request-id"] == "req-1"
    assert sent["headers"]["authorization"] == auth["Authorization"]


async def test_recorded_sends_can_be_filtered_by_number_and_recipient(fake, auth, messages_path):
    await fake.post(messages_path, json=TEXT, headers=auth)
    await fake.post("/v21.0/222/messages", json={**TEXT, "to": "5511900000000"}, headers=auth)

    by_number = (await fake.get("/_fake/sent", params={"phone_number_id": "222"})).json()["data"]
    by_recipient = (await fake.get("/_fake/sent", params={"to": "5511987654321"})).json()["data"]

    assert [s["to"] for s in by_number] == ["5511900000000"]
    assert [s["phone_number_id"] for s in by_recipient] == ["106540352242922"]


async def test_wamids_of_successive_sends_are_unique(fake, auth, messages_path):
    ids = {(await fake.post(messages_path, json=TEXT, headers=auth)).json()["messages"][0]["id"] for _ in range(20)}

    assert len(ids) == 20


async def test_a_template_send_is_accepted_with_message_status_accepted(fake, auth, messages_path):
    template = {
        "messaging_product": "whatsapp",
        "to": "5511987654321",
        "type": "template",
        "template": {
            "name": "confirmar_visita",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Maria"}, {"type": "text", "text": "sábado, às 10h"}],
                }
            ],
        },
    }

    answer = (await fake.post(messages_path, json=template, headers=auth)).json()

    assert answer["messages"][0]["message_status"] == "accepted"


async def test_a_template_meta_would_refuse_is_refused_as_meta_does(fake, auth, messages_path):
    def send(name: str, language: str, *parameters: str) -> dict:
        return {
            "messaging_product": "whatsapp",
            "to": "5511987654321",
            "type": "template",
            "template": {
                "name": name,
                "language": {"code": language},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}],
            },
        }

    unknown = await fake.post(messages_path, json=send("follow_up", "pt_BR", "Maria", "Onix"), headers=auth)
    short = await fake.post(messages_path, json=send("confirmar_visita", "pt_BR", "Maria"), headers=auth)
    assert unknown.json()["error"]["code"] == 132001, "follow_up exists in en_US only"
    assert short.status_code == 400 and short.json()["error"]["code"] == 132000


async def test_a_missing_token_is_a_meta_oauth_401_and_nothing_is_recorded(fake, auth, messages_path):
    response = await fake.post(messages_path, json=TEXT)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "OAuthException"
    assert error["code"] == 190
    assert error["message"]
    assert error["fbtrace_id"]
    assert (await fake.get("/_fake/sent")).json()["data"] == []


async def test_a_wrong_token_is_a_meta_oauth_401(fake, auth, messages_path):
    response = await fake.post(messages_path, json=TEXT, headers={"Authorization": "Bearer not-the-token"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190
    assert "invalid_token" in response.headers["www-authenticate"]


async def test_the_token_may_also_come_as_the_access_token_query_parameter(fake, auth, messages_path):
    response = await fake.post(messages_path, json=TEXT, params={"access_token": auth["Authorization"].split()[1]})

    assert response.status_code == 200


async def test_an_invalid_body_is_a_meta_400_with_details_and_is_not_recorded(fake, auth, messages_path):
    response = await fake.post(messages_path, headers=auth, json={**TEXT, "text": {"preview_url": True}})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 131008
    assert error["message"] == "(#131008) Required parameter is missing"
    assert error["error_data"] == {
        "messaging_product": "whatsapp",
        "details": "Parameter 'text.body' is required.",
    }
    assert (await fake.get("/_fake/sent")).json()["data"] == []


async def test_a_body_that_is_not_json_is_a_meta_400(fake, auth, messages_path):
    response = await fake.post(messages_path, headers=auth, content=b"not json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_a_path_without_a_graph_version_is_rejected(fake, auth, messages_path):
    response = await fake.post("/latest/106540352242922/messages", json=TEXT, headers=auth)

    assert response.status_code == 400
    assert "Unknown path components" in response.json()["error"]["message"]


async def test_mark_as_read_answers_success_and_is_recorded_as_a_read_receipt(fake, auth, messages_path):
    response = await fake.post(
        messages_path,
        headers=auth,
        json={"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"},
    )

    assert response.json() == {"success": True}
    (receipt,) = (await fake.get("/_fake/sent", params={"kind": "mark_read"})).json()["data"]
    assert receipt["body"]["message_id"] == "wamid.X"
    assert receipt["wamid"] is None


async def test_reset_forgets_everything_sent(fake, auth, messages_path):
    await fake.post(messages_path, json=TEXT, headers=auth)

    await fake.post("/_fake/reset")

    assert (await fake.get("/_fake/sent")).json()["data"] == []
    assert (await fake.get("/_fake/healthz")).json() == {"status": "ok"}
