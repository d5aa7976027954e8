"""The emulated Graph endpoints: send messages, upload / describe / delete / download media, list a WhatsApp Business
Account's message templates.

Order of checks on every call mirrors what a client can observe from Meta: the access
token first (401), then any injected failure (the next queued error for that endpoint),
then request validation (400), then the happy path.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from leadline.fakegraph import ids, templates
from leadline.fakegraph.errors import graph_error_body
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import Endpoint, FakeGraphState, SentMessage, StoredMedia
from leadline.fakegraph.users import WhatsAppUser
from leadline.fakegraph.validation import Rejection, validate_send
from leadline.fakegraph.webhook_sender import WebhookSender

VERSION = re.compile(r"^v\d+\.\d+$")
MEDIA_URL_LIFETIME_SECONDS = 300  # Meta's media URLs expire after five minutes


def graph_error(status: int, code: int, **kwargs: Any) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'
    return JSONResponse(graph_error_body(code, **kwargs), status_code=status, headers=headers)


def media_url(settings: FakeGraphSettings, request: Request, media: StoredMedia) -> str:
    base = settings.public_base_url.rstrip("/") or str(request.base_url).rstrip("/")
    expires = int(time.time()) + MEDIA_URL_LIFETIME_SECONDS
    return f"{base}/_media/{media.id}?mid={media.id}&ext={expires}&hash={secrets.token_urlsafe(12)}"


def graph_router(settings: FakeGraphSettings, state: FakeGraphState, sender: WebhookSender) -> APIRouter:
    router = APIRouter()

    def unauthorized(request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.query_params.get("access_token")
        if not token:
            message = "An active access token must be used to query information about the current user."
            return graph_error(401, 190, message=message, with_error_data=False)
        if token != settings.access_token:
            message = "Invalid OAuth access token - Cannot parse access token"
            return graph_error(401, 190, message=message, with_error_data=False)
        return None

    async def guard(request: Request, endpoint: Endpoint, version: str | None) -> JSONResponse | None:
        if version is not None and not VERSION.match(version):
            message = f"Unknown path components: /{version}"
            return graph_error(400, 2500, message=message, error_type="OAuthException", with_error_data=False)
        if (denied := unauthorized(request)) is not None:
            return denied
        failure = await state.take_failure(endpoint)
        if failure is not None:
            return graph_error(failure.status, failure.code, message=failure.message, details=failure.details)
        return None

    def media_not_found(media_id: str) -> JSONResponse:
        message = (
            f"Unsupported get request. Object with ID '{media_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation."
        )
        return graph_error(
            400,
            100,
            message=message,
            error_type="GraphMethodException",
            error_subcode=33,
            with_error_data=False,
        )

    @router.post("/{version}/{phone_number_id}/messages")
    async def send_message(
        version: str, phone_number_id: str, request: Request, background: BackgroundTasks
    ) -> Response:
        if (refused := await guard(request, "messages", version)) is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            return graph_error(400, 100, message="(#100) Invalid parameter", details="Body is not valid JSON.")
        checked = validate_send(body)
        if isinstance(checked, Rejection):
            return graph_error(400, checked.code, message=checked.message, details=checked.details)
        if (
            checked.type == "template"
            and (refused_template := template_refusal(body.get("template") or {})) is not None
        ):
            return refused_template
        headers = dict(request.headers)
        if checked.kind == "mark_read":
            await state.record_send(
                SentMessage("mark_read", None, version, phone_number_id, None, None, None, body, headers)
            )
            return JSONResponse({"success": True})
        # the customer as the fake knows them (a test made them write): named fully in the statuses
        user = await state.user(user_id=checked.user_id, wa_id=checked.wa_id)
        wamid = ids.wamid(checked.wa_id or (user.wa_id if user and user.wa_id else ""), outbound=True)
        await state.record_send(
            SentMessage(
                "message",
                wamid,
                version,
                phone_number_id,
                checked.to,
                checked.wa_id,
                checked.type,
                body,
                headers,
                user_id=checked.user_id,
            )
        )
        sent: dict[str, Any] = {"id": wamid}
        if checked.type == "template":
            sent["message_status"] = "accepted"
        if checked.user_id and user is None:  # a BSUID the fake never heard of: statuses name just that
            user = WhatsAppUser(user_id=checked.user_id, profile_name=None)
        if settings.auto_statuses:
            background.add_task(sender.post_sent_then_delivered, phone_number_id, wamid, checked.wa_id, user)
        # Meta answers with the input and the phone (a send to a phone) or the BSUID (a send to a BSUID)
        contact = (
            {"input": checked.to, "user_id": checked.user_id}
            if checked.user_id
            else {"input": checked.to, "wa_id": checked.wa_id}
        )
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]})

    def template_refusal(sent: dict[str, Any]) -> JSONResponse | None:
        """Meta's checks of a template send: approved in that language (132001), body parameters as many as defined (132000)."""
        language = (sent.get("language") or {}).get("code", "")
        found = templates.find(str(sent.get("name", "")), str(language))
        if found is None:
            return graph_error(404, 132001, details=f"template name ({sent.get('name')}) does not exist in {language}")
        expected, given = templates.body_parameter_count(found), templates.sent_body_parameters(sent)
        if expected != given:
            return graph_error(
                400,
                132000,
                details=f"body: number of localizable_params ({given}) does not match the "
                f"expected number of params ({expected})",
            )
        return None

    @router.get("/{version}/{waba_id}/message_templates")
    async def message_templates(
        version: str, waba_id: str, request: Request, limit: int = 25, after: str | None = None
    ) -> Response:
        """Every template of the business account, any status, a page at a time (``paging.cursors.after``/``next``)."""
        if (refused := await guard(request, "templates", version)) is not None:
            return refused
        items, next_cursor = templates.page(after, max(1, min(limit, 100)))
        paging: dict[str, Any] = {
            "cursors": {"before": after or "0", "after": next_cursor or str(len(templates.TEMPLATES))}
        }
        if next_cursor:
            paging["next"] = str(request.url.include_query_params(after=next_cursor, limit=limit))
        return JSONResponse({"data": items, "paging": paging})

    @router.post("/{version}/{phone_number_id}/media")
    async def upload_media(version: str, phone_number_id: str, request: Request) -> Response:
        if (refused := await guard(request, "media", version)) is not None:
            return refused
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - any unparsable body is Graph's "invalid parameter"
            return graph_error(400, 100, message="(#100) Invalid parameter", details="Expected multipart/form-data.")
        if form.get("messaging_product") != "whatsapp":
            return graph_error(400, 100, message="(#100) The parameter messaging_product is required.")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return graph_error(400, 100, message="(#100) The parameter file is required.")
        mime_type = str(form.get("type") or upload.content_type or "application/octet-stream")
        media = StoredMedia(ids.media_id(), await upload.read(), mime_type, upload.filename, phone_number_id)
        await state.put_media(media)
        return JSONResponse({"id": media.id})

    @router.get("/{version}/{media_id}")
    async def describe_media(version: str, media_id: str, request: Request) -> Response:
        if (refused := await guard(request, "media", version)) is not None:
            return refused
        media = await state.get_media(media_id)
        if media is None:
            return media_not_found(media_id)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": media_url(settings, request, media),
                "mime_type": media.mime_type,
                "sha256": media.sha256_hex,
                # Meta's reference documents file_size as a string; clients should accept both.
                "file_size": str(len(media.data)),
                "id": media.id,
            }
        )

    @router.delete("/{version}/{media_id}")
    async def delete_media(version: str, media_id: str, request: Request) -> Response:
        if (refused := await guard(request, "media", version)) is not None:
            return refused
        if not await state.delete_media(media_id):
            return media_not_found(media_id)
        return JSONResponse({"success": True})

    return router


def media_download_router(settings: FakeGraphSettings, state: FakeGraphState) -> APIRouter:
    """The lookaside-style URL handed out by ``GET /{media_id}``: bytes only with the bearer token."""
    router = APIRouter()

    @router.get("/_media/{media_id}")
    async def download_media(media_id: str, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer ") or header[7:].strip() != settings.access_token:
            message = "Invalid OAuth access token - Cannot parse access token"
            return graph_error(401, 190, message=message, with_error_data=False)
        failure = await state.take_failure("media_download")
        if failure is not None:
            return graph_error(failure.status, failure.code, message=failure.message, details=failure.details)
        media = await state.get_media(media_id)
        if media is None:
            return JSONResponse({"error": {"message": "Media not found", "code": 404}}, status_code=404)
        return Response(content=media.data, media_type=media.mime_type)

    return router
