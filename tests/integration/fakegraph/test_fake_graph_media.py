"""Media: register or upload bytes, describe them, download them only with the token, delete them."""

from __future__ import annotations

import base64
import hashlib

import pytest

pytestmark = pytest.mark.asyncio

JPEG = b"\xff\xd8\xff\xe0" + b"fake-jpeg-bytes" * 10


async def register(fake, data=JPEG, mime="image/jpeg"):
    return (
        await fake.post(
            "/_fake/media",
            json={"data_base64": base64.b64encode(data).decode(), "mime_type": mime, "filename": "car.jpg"},
        )
    ).json()


async def test_registered_media_is_described_like_graph_media_metadata(fake, auth):
    media = await register(fake)

    response = await fake.get(f"/v21.0/{media['id']}", headers=auth)

    assert response.status_code == 200
    meta = response.json()
    assert meta["messaging_product"] == "whatsapp"
    assert meta["id"] == media["id"]
    assert meta["mime_type"] == "image/jpeg"
    assert meta["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert int(meta["file_size"]) == len(JPEG)
    assert meta["url"].startswith(f"http://fake.test/_media/{media['id']}?")


async def test_registration_reports_the_webhook_form_of_the_hash(fake):
    media = await register(fake)

    assert media["sha256"] == base64.b64encode(hashlib.sha256(JPEG).digest()).decode()
    assert media["file_size"] == len(JPEG)


async def test_the_media_url_serves_the_bytes_only_with_the_bearer_token(fake, auth):
    media = await register(fake)
    url = (await fake.get(f"/v21.0/{media['id']}", headers=auth)).json()["url"]

    anonymous = await fake.get(url)
    wrong = await fake.get(url, headers={"Authorization": "Bearer nope"})
    authorized = await fake.get(url, headers=auth)

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == 190
    assert wrong.status_code == 401
    assert authorized.status_code == 200
    assert authorized.content == JPEG
    assert authorized.headers["content-type"] == "image/jpeg"


async def test_raw_bytes_can_be_registered_with_their_content_type(fake, auth):
    media = (await fake.post("/_fake/media", content=b"OggS-voice", headers={"Content-Type": "audio/ogg"})).json()

    meta = (await fake.get(f"/v21.0/{media['id']}", headers=auth)).json()

    assert meta["mime_type"] == "audio/ogg"
    assert (await fake.get(meta["url"], headers=auth)).content == b"OggS-voice"


async def test_multipart_upload_returns_an_id_that_can_be_described_and_downloaded(fake, auth):
    response = await fake.post(
        "/v21.0/106540352242922/media",
        headers=auth,
        files={"file": ("brochure.pdf", b"%PDF-1.7 brochure", "application/pdf")},
        data={"messaging_product": "whatsapp", "type": "application/pdf"},
    )

    assert response.status_code == 200
    media_id = response.json()["id"]
    assert media_id.isdigit()
    meta = (await fake.get(f"/v21.0/{media_id}", headers=auth)).json()
    assert meta["mime_type"] == "application/pdf"
    assert (await fake.get(meta["url"], headers=auth)).content == b"%PDF-1.7 brochure"


async def test_upload_without_messaging_product_is_a_meta_400(fake, auth):
    response = await fake.post(
        "/v21.0/106540352242922/media", headers=auth, files={"file": ("a.jpg", JPEG, "image/jpeg")}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_upload_needs_the_token(fake):
    response = await fake.post(
        "/v21.0/106540352242922/media",
        files={"file": ("a.jpg", JPEG, "image/jpeg")},
        data={"messaging_product": "whatsapp"},
    )

    assert response.status_code == 401


async def test_unknown_media_is_graphs_unsupported_get_request_error(fake, auth):
    response = await fake.get("/v21.0/1234567890", headers=auth)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "GraphMethodException"
    assert error["code"] == 100
    assert error["error_subcode"] == 33


async def test_deleted_media_is_gone(fake, auth):
    media = await register(fake)

    deleted = await fake.delete(f"/v21.0/{media['id']}", headers=auth)
    again = await fake.get(f"/v21.0/{media['id']}", headers=auth)

    assert deleted.json() == {"success": True}
    assert again.status_code == 400


async def test_download_failures_can_be_injected(fake, auth):
    media = await register(fake)
    url = (await fake.get(f"/v21.0/{media['id']}", headers=auth)).json()["url"]
    await fake.post("/_fake/failures", json={"endpoint": "media_download", "status": 500})

    failed = await fake.get(url, headers=auth)
    retried = await fake.get(url, headers=auth)

    assert failed.status_code == 500
    assert retried.content == JPEG


async def test_invalid_base64_is_refused(fake):
    response = await fake.post("/_fake/media", json={"data_base64": "%%%", "mime_type": "image/jpeg"})

    assert response.status_code == 400
