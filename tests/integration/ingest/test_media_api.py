"""Ingest's media API over its store, local disk and S3 alike: agents' files in, stored copies out in byte ranges."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from fastapi import FastAPI

from leadline.fakegraph.samples import SAMPLES
from leadline.ingest.adapters.media_store import LocalMediaStore, S3MediaStore
from leadline.ingest.domain.media_storage import media_key
from leadline.ingest.entrypoints.media_api import media_api
from leadline.platform.auth import TokenVerifier
from leadline.platform.http import install_error_handlers
from leadline.platform.tokens import mint_token
from tests.s3 import moto_s3

SECRET = "ingest-media-test-secret-0123456789"
VOICE = SAMPLES["voice"].read()
PHOTO = SAMPLES["image"].read()


@pytest.fixture(scope="module")
def s3_client():
    with moto_s3() as client_and_bucket:
        yield client_and_bucket


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalMediaStore(tmp_path / "media")
    client, bucket = request.getfixturevalue("s3_client")
    return S3MediaStore(bucket, prefix="media-api", client=client)


@pytest.fixture
async def ingest(store):
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media_api(store, TokenVerifier(secret=SECRET)))
    token = mint_token(
        secret=SECRET, agent_id="ana", name="Ana Souza", role="seller", account_id="acme", teams=["vendas"]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://ingest", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


async def stored(store, data: bytes, mime_type: str) -> str:
    key, _ = media_key(data, mime_type)
    await store.put(key, data, mime_type)
    return key


async def test_an_agents_image_is_kept_in_the_store_and_answered_as_the_replys_media(ingest, store):
    answer = await ingest.post(
        "/media", params={"kind": "image"}, content=PHOTO, headers={"Content-Type": "image/jpeg"}
    )

    assert answer.status_code == 201, answer.text
    media = answer.json()
    assert media["mime_type"] == "image/jpeg"
    assert media["stored"]["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert media["stored"]["size_bytes"] == len(PHOTO)
    assert await store.get(media["stored"]["key"]) == PHOTO
    assert media["stored"]["uri"].startswith("s3://" if isinstance(store, S3MediaStore) else "file://")


async def test_a_file_whatsapp_would_not_take_as_an_image_is_refused(ingest):
    pdf = await ingest.post(
        "/media", params={"kind": "image"}, content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}
    )
    huge = await ingest.post(
        "/media",
        params={"kind": "image"},
        content=b"\xff" * (5 * 1024 * 1024 + 1),
        headers={"Content-Type": "image/jpeg"},
    )

    assert (pdf.status_code, pdf.json()["error"]["code"]) == (415, "unsupported_media")
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "too_large")


async def test_a_stored_file_is_read_whole_with_its_type_and_length(ingest, store):
    key = await stored(store, VOICE, "audio/ogg; codecs=opus")

    answer = await ingest.get(f"/media/{key}")

    assert answer.status_code == 200
    assert answer.content == VOICE
    assert answer.headers["content-length"] == str(len(VOICE))
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["content-type"] == "audio/ogg"


async def test_a_range_request_gets_those_bytes_only_with_206_and_content_range(ingest, store):
    key = await stored(store, VOICE, "audio/ogg")

    head = await ingest.get(f"/media/{key}", headers={"Range": "bytes=0-99"})
    tail = await ingest.get(f"/media/{key}", headers={"Range": "bytes=-64"})  # what a player reads to find the duration
    rest = await ingest.get(f"/media/{key}", headers={"Range": f"bytes={len(VOICE) - 10}-"})

    assert (head.status_code, head.content) == (206, VOICE[:100])
    assert head.headers["content-range"] == f"bytes 0-99/{len(VOICE)}"
    assert head.headers["content-length"] == "100"
    assert (tail.status_code, tail.content) == (206, VOICE[-64:])
    assert tail.headers["content-range"] == f"bytes {len(VOICE) - 64}-{len(VOICE) - 1}/{len(VOICE)}"
    assert (rest.status_code, rest.content) == (206, VOICE[-10:])


async def test_a_range_past_the_end_is_416_naming_the_size_and_other_forms_get_the_whole_file(ingest, store):
    key = await stored(store, VOICE, "audio/ogg")

    past = await ingest.get(f"/media/{key}", headers={"Range": f"bytes={len(VOICE)}-"})
    several = await ingest.get(f"/media/{key}", headers={"Range": "bytes=0-9,20-29"})
    nonsense = await ingest.get(f"/media/{key}", headers={"Range": "pages=1-2"})

    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(VOICE)}"
    assert (several.status_code, several.content) == (200, VOICE)
    assert (nonsense.status_code, nonsense.content) == (200, VOICE)


async def test_an_unknown_key_or_one_leaving_the_store_is_404(ingest):
    missing = await ingest.get("/media/ab/cd/" + "0" * 64 + ".jpg")
    escaping = await ingest.get("/media/..%2F..%2Fetc%2Fpasswd")

    assert missing.status_code == 404
    assert escaping.status_code == 404


async def test_without_a_valid_token_nothing_is_read_or_kept(store):
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media_api(store, TokenVerifier(secret=SECRET)))
    key = await stored(store, VOICE, "audio/ogg")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ingest") as anonymous:
        read = await anonymous.get(f"/media/{key}")
        kept = await anonymous.post("/media", content=PHOTO, headers={"Content-Type": "image/jpeg"})
        forged = await anonymous.get(f"/media/{key}", headers={"Authorization": "Bearer not-a-jwt"})

    assert (read.status_code, kept.status_code, forged.status_code) == (401, 401, 401)
