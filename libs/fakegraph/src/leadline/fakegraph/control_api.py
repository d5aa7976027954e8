"""The ``/_fake`` control API that drives the fake: customers, failures, media, inspection."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, model_validator

from leadline.fakegraph import ids, webhooks
from leadline.fakegraph.customer_messages import MEDIA_KINDS, BadFields, UnknownKind, build_customer_message
from leadline.fakegraph.errors import DEFAULT_CODE_FOR_STATUS, lookup
from leadline.fakegraph.graph_api import media_url
from leadline.fakegraph.samples import SAMPLES
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import FakeGraphState, InjectedFailure, SentMessage, StoredMedia, WebhookDelivery
from leadline.fakegraph.users import WhatsAppUser, contact_shared_on_request
from leadline.fakegraph.validation import BSUID
from leadline.fakegraph.webhook_sender import WebhookSender


class FailureRequest(BaseModel):
    """Queue ``count`` errors for ``endpoint``; give a status, a code, or both (the other is derived)."""

    endpoint: Literal["messages", "media", "media_download", "templates"]
    count: int = Field(1, ge=1, le=1000)
    status: int | None = Field(None, ge=400, le=599)
    code: int | None = None
    message: str | None = None
    details: str | None = None

    @model_validator(mode="after")
    def _derive_missing(self) -> FailureRequest:
        if self.code is None:
            self.code = DEFAULT_CODE_FOR_STATUS.get(self.status or 500, 1)
        if self.status is None:
            self.status = lookup(self.code).http_status
        return self


class MessageRequest(BaseModel):
    """A message to simulate: ``kind`` picks the builder, ``fields`` are its keyword arguments."""

    phone_number_id: str
    kind: str = "text"
    text: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    reply_to: str | None = None  # wamid the message quotes


class SayRequest(MessageRequest):
    profile_name: str | None = webhooks.DEFAULT_PROFILE_NAME  # null: the customer has no profile name
    user_id: str | None = Field(None, pattern=BSUID.pattern)  # the customer's BSUID: webhooks then name both
    parent_user_id: str | None = Field(None, pattern=BSUID.pattern)
    username: str | None = None


class UserSayRequest(MessageRequest):
    """A customer named by BSUID writes; Meta leaves their phone out unless ``shows_phone``."""

    profile_name: str | None = webhooks.DEFAULT_PROFILE_NAME
    username: str | None = None
    wa_id: str | None = Field(None, pattern=r"^[1-9]\d{6,14}$")  # their phone, which Meta may not show
    shows_phone: bool = False
    parent_user_id: str | None = Field(None, pattern=BSUID.pattern)


class ShareContactRequest(BaseModel):
    """The user taps "Share contact info" on a request-contact-info template they received."""

    phone_number_id: str
    phone: str | None = None  # default: the phone the fake knows for them


class EchoRequest(MessageRequest):
    to: str  # the customer the business wrote to from the WhatsApp Business app


class StatusRequest(BaseModel):
    phone_number_id: str
    wamid: str
    status: Literal["sent", "delivered", "read", "failed"]
    recipient_id: str | None = None  # default: the recipient recorded for that wamid
    code: int | None = None  # for "failed"; default 131026


class MediaRegistration(BaseModel):
    data_base64: str
    mime_type: str = "application/octet-stream"
    filename: str | None = None
    phone_number_id: str | None = None


def _delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"webhook_status": delivery.status_code, "error": delivery.error, "payload": delivery.payload}


def control_router(settings: FakeGraphSettings, state: FakeGraphState, sender: WebhookSender) -> APIRouter:
    router = APIRouter(prefix="/_fake")

    async def _sample_media(kind: str, phone_number_id: str) -> StoredMedia:
        """A real file of that kind under a fresh id the fake will serve, as if the customer had just sent it."""
        sample = SAMPLES[kind]
        media = StoredMedia(ids.media_id(), sample.read(), sample.mime_type, sample.filename, phone_number_id)
        await state.put_media(media)
        return media

    async def build_message(request: Request, order: MessageRequest, wa_id: str) -> webhooks.Message:
        fields = dict(order.fields)
        if order.kind == "text":
            fields.setdefault("body", order.text if order.text is not None else "Hello")
        if order.reply_to is not None and order.kind != "reaction":
            fields.setdefault(
                "context",
                webhooks.reply_context(settings.display_number_for(order.phone_number_id), order.reply_to),
            )
        if order.kind in MEDIA_KINDS and "media_id" not in fields:
            media = await _sample_media(order.kind, order.phone_number_id)
            fields["media_id"] = media.id
        else:
            media = await state.get_media(str(fields["media_id"])) if "media_id" in fields else None
        url = media_url(settings, request, media) if media is not None else None
        try:
            return build_customer_message(order.kind, wa_id, fields, media=media, media_url=url)
        except (UnknownKind, BadFields) as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/reset")
    async def reset() -> dict[str, bool]:
        await state.reset()
        return {"reset": True}

    @router.post("/failures")
    async def queue_failures(order: FailureRequest) -> dict[str, Any]:
        failure = InjectedFailure(order.endpoint, order.status or 500, order.code or 1, order.message, order.details)
        pending = await state.queue_failures(failure, order.count)
        return {
            "endpoint": order.endpoint,
            "status": failure.status,
            "code": failure.code,
            "pending": pending,
        }

    @router.get("/failures")
    async def list_failures() -> dict[str, Any]:
        return {"data": [vars(f) for f in await state.pending_failures()]}

    @router.get("/sent")
    async def list_sent(
        phone_number_id: str | None = None, to: str | None = None, kind: str | None = None
    ) -> dict[str, Any]:
        sent = await state.sent(phone_number_id=phone_number_id, to=to, kind=kind)
        return {"data": [s.as_json() for s in sent]}

    @router.get("/webhooks")
    async def list_webhooks() -> dict[str, Any]:
        return {"data": [vars(d) for d in await state.deliveries()]}

    @router.post("/media")
    async def register_media(request: Request) -> dict[str, Any]:
        """JSON ``{data_base64, mime_type, filename?}``, or raw bytes with their Content-Type."""
        content_type = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        if content_type == "application/json":
            order = MediaRegistration.model_validate(await request.json())
            try:
                data = base64.b64decode(order.data_base64, validate=True)
            except binascii.Error as exc:
                raise HTTPException(status_code=400, detail="data_base64 is not valid base64") from exc
            media = StoredMedia(ids.media_id(), data, order.mime_type, order.filename, order.phone_number_id)
        else:
            filename = request.query_params.get("filename")
            media = StoredMedia(ids.media_id(), await request.body(), content_type, filename)
        await state.put_media(media)
        return {
            "id": media.id,
            "mime_type": media.mime_type,
            "sha256": webhooks.media_sha256(media.data),
            "sha256_hex": media.sha256_hex,
            "file_size": len(media.data),
            "url": media_url(settings, request, media),
        }

    @router.post("/customers/{wa_id}/say")
    async def customer_says(wa_id: str, order: SayRequest, request: Request) -> dict[str, Any]:
        """Post the webhook Meta would send when customer ``wa_id`` writes to ``phone_number_id``.

        With ``user_id`` the webhook names the phone and the BSUID together, as Meta does for a user whose phone
        it shares (no username, or a recent interaction with the business).
        """
        message = await build_message(request, order, wa_id)
        builder = webhooks.WebhookBuilder(sender.business(order.phone_number_id))
        if order.user_id is None:
            payload = builder.inbound(message, profile_name=order.profile_name)
        else:
            user = WhatsAppUser(order.user_id, wa_id, order.parent_user_id, order.username, order.profile_name)
            await state.remember_user(user)
            payload = builder.inbound_from(user, message)
        return {"wamid": message["id"], **_delivery_json(await sender.post(payload))}

    @router.post("/users/{user_id}/say")
    async def user_says(user_id: str, order: UserSayRequest, request: Request) -> dict[str, Any]:
        """Post the webhook of a customer named by BSUID: ``from_user_id`` and ``contacts[].user_id``, no phone."""
        if not BSUID.match(user_id):
            raise HTTPException(status_code=400, detail=f"{user_id!r} is not a business-scoped user id")
        user = WhatsAppUser(
            user_id, order.wa_id, order.parent_user_id, order.username, order.profile_name, order.shows_phone
        )
        await state.remember_user(user)
        message = await build_message(request, order, order.wa_id or "")
        payload = webhooks.WebhookBuilder(sender.business(order.phone_number_id)).inbound_from(user, message)
        return {"wamid": user.sending(message)["id"], **_delivery_json(await sender.post(payload))}

    @router.post("/users/{user_id}/share_contact")
    async def user_shares_contact(user_id: str, order: ShareContactRequest) -> dict[str, Any]:
        """The user answers a request-contact-info template: a ``contacts`` message holding their own number.

        Refused (409) unless the business sent that user a template with the REQUEST_CONTACT_INFO button
        (``FAKE_GRAPH_CONTACT_REQUEST_TEMPLATES``): the button is the only way to this message.
        """
        user = await state.user(user_id=user_id)
        if user is None:
            raise HTTPException(status_code=404, detail=f"no user {user_id} has written to the fake")
        phone = order.phone or (f"+{user.wa_id}" if user.wa_id else None)
        if phone is None:
            raise HTTPException(status_code=400, detail="the fake knows no phone for this user: give one")

        def asked_for_contact(sent: SentMessage) -> bool:
            template = (sent.body.get("template") or {}).get("name")
            to_this_user = user_id in (sent.user_id, sent.to) or (user.wa_id is not None and sent.wa_id == user.wa_id)
            return sent.type == "template" and template in settings.contact_request_templates and to_this_user

        if not any(map(asked_for_contact, await state.sent(phone_number_id=order.phone_number_id, kind="message"))):
            raise HTTPException(status_code=409, detail="no request-contact-info template was sent to this user")
        message = contact_shared_on_request(user, phone)
        payload = webhooks.WebhookBuilder(sender.business(order.phone_number_id)).inbound_from(user, message)
        return {"wamid": message["id"], **_delivery_json(await sender.post(payload))}

    @router.post("/echoes")
    async def business_app_echo(order: EchoRequest, request: Request) -> dict[str, Any]:
        """Post the ``smb_message_echoes`` webhook for a message typed in the WhatsApp Business app."""
        business = sender.business(order.phone_number_id)
        message = await build_message(request, order, ids.digits_of(order.to))
        echo = webhooks.echo_of(message, business, ids.digits_of(order.to))
        return {
            "wamid": echo["id"],
            **_delivery_json(await sender.post(webhooks.WebhookBuilder(business).echoes(echo))),
        }

    @router.post("/statuses")
    async def post_status(order: StatusRequest) -> dict[str, Any]:
        """Post a status webhook (e.g. ``read`` or ``failed``) for a message sent through the fake."""
        recipient = order.recipient_id
        if recipient is None:
            matches = [s for s in await state.sent(kind="message") if s.wamid == order.wamid]
            if not matches:
                raise HTTPException(status_code=404, detail=f"no recorded send with wamid {order.wamid}")
            recipient = matches[0].wa_id or ""
        sent_to = next((s for s in await state.sent(kind="message") if s.wamid == order.wamid), None)
        user = await state.user(user_id=sent_to.user_id, wa_id=sent_to.wa_id) if sent_to else None
        delivery = await sender.post_status(
            order.phone_number_id, order.wamid, order.status, recipient or None, code=order.code, user=user
        )
        return {"wamid": order.wamid, **_delivery_json(delivery)}

    return router
