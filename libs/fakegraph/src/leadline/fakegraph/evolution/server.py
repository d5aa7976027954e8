"""The fake Evolution API (v2) server: one instance's REST routes, its webhooks posted to ingest, ``/_fake`` control.

REST routes answer as Evolution does (``apikey`` header, 401 ``Unauthorized``, 404 for an unknown instance, 201 with
the sent message's ``key``): ``message/sendText``, ``message/sendMedia``, ``message/sendWhatsAppAudio``,
``chat/getBase64FromMediaMessage`` (the real sample media of ``leadline.fakegraph.samples``) and
``chat/fetchProfilePictureUrl`` with the picture it points to (``evolution/profile_photos.py``). Control: ``POST /_fake/customers/{number}/say`` (a customer writes: a
``messages.upsert`` webhook), ``POST /_fake/connection`` (a ``connection.update``), ``POST /_fake/fail`` (the next sends
are refused, or the server is "down"), ``GET /_fake/sent``, ``GET /_fake/numbers``, ``GET /_fake/healthz``, ``PUT /_fake/customers/{number}/photo``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadline.fakegraph.evolution import payloads as evo
from leadline.fakegraph.evolution.profile_photos import FakeProfilePhotos, profile_photo_router
from leadline.fakegraph.samples import sample_for

log = logging.getLogger(__name__)
JSONBody = Annotated[dict[str, Any], Body()]
OptionalBody = Annotated[dict[str, Any], Body(default_factory=dict)]
ApiKey = Annotated[str | None, Header()]


class FakeEvolutionSettings(BaseSettings):
    """One instance; ``api_key`` must be the file leadline's EVOLUTION_API_KEYS_DIR holds for it."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", validation_alias=AliasChoices("FAKE_EVOLUTION_HOST", "host"))
    port: int = Field(8011, validation_alias=AliasChoices("FAKE_EVOLUTION_PORT", "port"))
    instance: str = Field("acme-usados", validation_alias=AliasChoices("FAKE_EVOLUTION_INSTANCE", "instance"))
    number: str = Field("5511934567890", validation_alias=AliasChoices("FAKE_EVOLUTION_NUMBER", "number"))
    """The instance's own WhatsApp number, which is also leadline's id for it (deploy/dev/accounts.yaml)."""
    api_key: str = Field("dev-evolution-api-key", validation_alias=AliasChoices("FAKE_EVOLUTION_API_KEY", "api_key"))
    webhook_url: str = Field(
        "http://127.0.0.1:8001/webhooks/evolution/5511934567890",
        validation_alias=AliasChoices("FAKE_EVOLUTION_WEBHOOK_URL", "webhook_url"),
    )
    webhook_base64: bool = Field(True, validation_alias=AliasChoices("FAKE_EVOLUTION_WEBHOOK_BASE64", "webhook_base64"))
    """Media bytes in the webhook (Evolution's ``webhook_base64``); off, ingest fetches them from us."""
    auto_statuses: bool = Field(True, validation_alias=AliasChoices("FAKE_EVOLUTION_AUTO_STATUSES", "auto_statuses"))
    status_delay_seconds: float = 0.3


@dataclass
class Failure:
    status: int | None
    """None: the server is down (connections are cut)."""
    message: str
    times: int


@dataclass
class FakeEvolutionState:
    sent: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    """Media of the messages customers sent, by key id, for ``getBase64FromMediaMessage``."""
    webhooks: list[tuple[dict[str, Any], int | None]] = field(default_factory=list)
    failure: Failure | None = None
    connected: bool = True
    photos: FakeProfilePhotos = field(default_factory=FakeProfilePhotos)
    """Customers' profile photos (``chat/fetchProfilePictureUrl``); everyone shows the sample portrait at first."""


def _error(status: int, error: str, message: Any) -> JSONResponse:
    return JSONResponse({"status": status, "error": error, "response": {"message": message}}, status_code=status)


def create_app(
    config: FakeEvolutionSettings | None = None,
    *,
    state: FakeEvolutionState | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = config or FakeEvolutionSettings()
    state = state or FakeEvolutionState()
    app = FastAPI(title="leadline fake Evolution API", docs_url="/_fake/docs", redoc_url=None)
    app.state.fake = state

    async def post_webhook(event: str, data: dict[str, Any]) -> int | None:
        body = evo.envelope(event, settings.instance, data, apikey=settings.api_key, owner=settings.number)
        try:
            async with httpx.AsyncClient(transport=webhook_transport, timeout=10.0) as client:
                status: int | None = (await client.post(settings.webhook_url, json=body)).status_code
        except httpx.HTTPError as error:
            log.warning("webhook to %s failed: %s", settings.webhook_url, error)
            status = None
        state.webhooks.append((body, status))
        return status

    def refusal(instance: str, apikey: str | None) -> JSONResponse | None:
        if apikey != settings.api_key:
            return _error(401, "Unauthorized", "Unauthorized")
        if instance != settings.instance:
            return _error(404, "Not Found", [f'The "{instance}" instance does not exist'])
        return None

    async def sent(instance: str, apikey: str | None, number: str, message: dict[str, Any]) -> JSONResponse:
        if refused := refusal(instance, apikey):
            return refused
        if (failure := state.failure) is not None and failure.times > 0:
            failure.times -= 1
            if failure.status is None:
                raise ConnectionResetError("the fake Evolution API is down")
            return _error(
                failure.status, "Bad Request" if failure.status < 500 else "Internal Server Error", [failure.message]
            )
        if not state.connected:
            return _error(400, "Bad Request", ["Connection Closed"])
        if number.startswith("5500"):
            return _error(400, "Bad Request", [{"exists": False, "jid": evo.jid(number), "number": number}])
        key_id = "BAE5" + secrets.token_hex(6).upper()
        remote_jid = evo.jid(number)
        state.sent.append({"number": number, "key_id": key_id, "message": message})
        if settings.auto_statuses:
            asyncio.get_running_loop().create_task(statuses(key_id, remote_jid))
        answer = {
            "key": {"remoteJid": remote_jid, "fromMe": True, "id": key_id},
            "pushName": "",
            "status": "PENDING",
            "message": message,
            "messageType": evo.message_type(message),
            "messageTimestamp": int(time.time()),
            "instanceId": "b2b7e0a4-0d5f-4d5e-9c1e-6f0a1b2c3d4e",
            "source": "unknown",
        }
        return JSONResponse(answer, status_code=201)

    async def statuses(key_id: str, remote_jid: str) -> None:
        for status in ("SERVER_ACK", "DELIVERY_ACK"):
            await asyncio.sleep(settings.status_delay_seconds)
            await post_webhook("messages.update", evo.message_update(key_id, status, remote_jid=remote_jid))

    rest = APIRouter()

    @rest.post("/message/sendText/{instance}")
    async def send_text(instance: str, body: JSONBody, apikey: ApiKey = None) -> JSONResponse:
        return await sent(instance, apikey, str(body.get("number", "")), {"conversation": body.get("text", "")})

    @rest.post("/message/sendMedia/{instance}")
    async def send_media(instance: str, body: JSONBody, apikey: ApiKey = None) -> JSONResponse:
        part = f"{body.get('mediatype', 'document')}Message"
        described = {"mimetype": body.get("mimetype"), "caption": body.get("caption"), "fileName": body.get("fileName")}
        described["fileLength"] = str(len(base64.b64decode(body.get("media", ""))))
        return await sent(instance, apikey, str(body.get("number", "")), {part: described})

    @rest.post("/message/sendWhatsAppAudio/{instance}")
    async def send_audio(instance: str, body: JSONBody, apikey: ApiKey = None) -> JSONResponse:
        size = len(base64.b64decode(body.get("audio", "")))
        message = {"audioMessage": {"mimetype": "audio/ogg; codecs=opus", "ptt": True, "fileLength": str(size)}}
        return await sent(instance, apikey, str(body.get("number", "")), message)

    @rest.post("/chat/getBase64FromMediaMessage/{instance}")
    async def media(instance: str, body: JSONBody, apikey: ApiKey = None) -> JSONResponse:
        if refused := refusal(instance, apikey):
            return refused
        key_id = ((body.get("message") or {}).get("key") or {}).get("id")
        if (found := state.media.get(key_id)) is None:
            return _error(400, "Bad Request", ["Message not found"])
        data, mime_type = found
        return JSONResponse(
            {
                "mediaType": "media",
                "fileName": f"{key_id}",
                "mimetype": mime_type,
                "base64": base64.b64encode(data).decode(),
            }
        )

    control = APIRouter(prefix="/_fake")

    @control.post("/customers/{number}/say")
    async def say(number: str, order: OptionalBody) -> dict[str, Any]:
        """A customer writes (``kind``: text or a media kind with a real sample; ``from_me``: the phone's echo)."""
        kind = order.get("kind", "text")
        if kind == "text":
            message = evo.text(order.get("text") or "Olá!")
        elif kind == "location":
            message = evo.location(-23.5614, -46.6559, name="Acme Motors")
        elif kind == "contacts":
            message = evo.contact("Carlos Souza", "5511912345678")
        else:
            message = evo.media(kind, caption=order.get("text"), with_base64=settings.webhook_base64)
        key_id = evo.key_id()
        if (sample := sample_for(kind)) is not None:
            state.media[key_id] = (sample.read(), sample.mime_type)
        data = evo.message_upsert(
            message,
            remote_jid=evo.jid(number),
            from_me=bool(order.get("from_me")),
            push_name=order.get("name", "Cliente Teste"),
            id=key_id,
        )
        status = await post_webhook("messages.upsert", data)
        return {"key_id": key_id, "wamid": f"wamid.evo.{settings.number}.{key_id}", "webhook_status": status}

    @control.post("/connection")
    async def connection(order: JSONBody) -> dict[str, Any]:
        state.connected = order.get("state") == "open"
        data = evo.connection_update(settings.instance, order.get("state", "close"), int(order.get("reason", 200)))
        return {"webhook_status": await post_webhook("connection.update", data)}

    @control.post("/fail")
    async def fail(order: JSONBody) -> dict[str, Any]:
        state.failure = Failure(
            order.get("status"), order.get("message", "Internal Server Error"), order.get("times", 1)
        )
        return {"failing": order}

    @control.get("/sent")
    async def list_sent() -> list[dict[str, Any]]:
        return state.sent

    @control.get("/numbers")
    async def numbers() -> dict[str, str]:
        return {settings.number: settings.instance}

    @control.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(control)
    app.include_router(rest)
    app.include_router(profile_photo_router(state.photos, refusal=refusal))
    return app
