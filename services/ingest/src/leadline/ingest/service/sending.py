"""Handler: send an agent's message through the Graph API (or an Evolution API instance), at most once per request,
and say how it went.

1. ``send_requests`` gets the request as ``sending`` and that COMMITS before Meta is
   called. Its primary key makes a redelivered request a no-op; a request found still
   ``sending`` was interrupted mid-send (a crash), so nobody knows whether Meta has it:
   it is answered "outcome unknown" and never sent again.
2. The send waits for the number's throughput slot and retries what may pass later
   (429, 5xx, rate-limit codes, connections that never opened) with backoff and jitter.
   A request that may have reached Meta (a timeout after sending) is never retried.
3. The final state and ``MessageSentV1`` / ``MessageSendFailedV1`` commit together.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import structlog

from leadline.events import REGISTRY, MediaRef, MessageSendFailedV1, MessageSentV1, SendRequestedV2, WhatsAppUser
from leadline.events.envelope import Envelope, Payload
from leadline.platform.failpoints import crash_point

from ..domain.evolution_errors import explain_evolution_error
from ..domain.meta_errors import EXPLANATIONS, RATE_LIMITS, explain_send_error
from ..domain.retry_policy import RetryPolicy, is_transient_http_status
from ..domain.send_throughput import SendThroughput
from .evolution_sending import evolution_sender
from .ports import (
    Clock,
    EvolutionApi,
    EvolutionApiError,
    EvolutionApiUnreachable,
    GraphApi,
    GraphApiError,
    GraphApiUnreachable,
    MediaStore,
    Random,
    SendOnce,
    Sleep,
    UnitOfWork,
    UnitOfWorkFactory,
    UnsendableContent,
)

log = structlog.get_logger(__name__)

DEFAULT_SEND_RETRY = RetryPolicy(attempts=5, base_delay_s=0.2, max_delay_s=10.0)
OUTCOME_UNKNOWN_TITLE = "Outcome unknown"
OUTCOME_UNKNOWN_EXPLANATION = (
    "leadline was interrupted while handing this message to WhatsApp, so it may or may not have been sent: "
    "check the conversation before resending."
)


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"
    DUPLICATE = "duplicate"
    """Already handled: nothing sent, nothing emitted."""


# --- the Graph API body ---------------------------------------------------------------------------------


def graph_message_body(request: SendRequestedV2, media: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``POST /messages`` body for a request; ``media`` is ``{"id": …}`` or ``{"link": …}`` for media kinds."""
    content = request.content
    kind = content.kind
    caption = request.body or getattr(content, "caption", None)  # ``body`` is what WhatsApp shows, prefix included

    def with_media(**extra: Any) -> dict[str, Any]:
        if media is None:
            raise UnsendableContent(f"{kind} needs its media resolved first")
        return {**media, **{name: value for name, value in extra.items() if value not in (None, "")}}

    match kind:
        case "text":
            wa_type, part = "text", {"body": request.body, "preview_url": content.preview_url}
        case "image" | "video" | "gif":
            wa_type, part = ("image" if kind == "image" else "video"), with_media(caption=caption)
        case "document":
            wa_type, part = "document", with_media(caption=caption, filename=content.filename)
        case "audio":
            wa_type, part = "audio", with_media()
        case "voice":
            wa_type, part = "audio", with_media(voice=True)  # Cloud API: a voice note is audio flagged voice
        case "sticker":
            wa_type, part = "sticker", with_media()
        case "location":
            wa_type, part = (
                "location",
                {
                    "latitude": content.latitude,
                    "longitude": content.longitude,
                    **{k: v for k, v in (("name", content.name), ("address", content.address)) if v},
                },
            )
        case "contacts":
            wa_type, part = "contacts", [_contact_card(card) for card in content.contacts]
        case "template":
            part = {"name": content.name, "language": {"code": content.language}}
            if content.parameters:
                part["components"] = [
                    {"type": "body", "parameters": [{"type": "text", "text": value} for value in content.parameters]}
                ]
            wa_type = "template"
        case "reaction":
            wa_type, part = "reaction", {"message_id": content.reacted_to_wamid, "emoji": content.emoji}
        case _:
            # interactive_reply, button and unsupported are what customers send; there is nothing to send back.
            raise UnsendableContent(f"WhatsApp has no outbound message of kind {kind!r}")
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        **recipient_fields(request.to),
        "type": wa_type,
        wa_type: part,
    }
    if request.reply_to_wamid and kind != "reaction":
        body["context"] = {"message_id": request.reply_to_wamid}
    return body


def recipient_fields(to: WhatsAppUser) -> dict[str, str]:
    """Meta's recipient: ``to`` with the phone when known, else ``recipient`` with the BSUID (the parent BSUID if
    that is all there is). Meta reads ``to`` first when both are sent, so only one is."""
    if to.wa_id:
        return {"to": to.wa_id}
    return {"recipient": to.user_id or to.parent_user_id or ""}


def _contact_card(card: Any) -> dict[str, Any]:
    return {
        "name": {"formatted_name": card.formatted_name, "first_name": card.formatted_name},
        "phones": [
            {k: v for k, v in (("phone", p.phone), ("wa_id", p.wa_id), ("type", p.type)) if v} for p in card.phones
        ],
        "emails": [{"email": email} for email in card.emails],
    }


async def _media_object(
    ref: MediaRef, phone_number_id: str, graph: GraphApi, store: MediaStore | None, filename: str | None
) -> dict[str, str]:
    """Meta's id if it has the file; else a link it can fetch; else our copy uploaded to Meta."""
    if ref.provider_media_id:
        return {"id": ref.provider_media_id}
    if ref.stored is None or store is None:
        raise UnsendableContent("the media is stored in leadline but no media store is configured")
    if link := await store.public_link(ref.stored.key):
        return {"link": link}
    data = await store.get(ref.stored.key)
    try:
        return {"id": await graph.upload_media(phone_number_id, data, ref.mime_type, filename)}
    except GraphApiUnreachable as error:  # an upload that may have arrived sends nothing: safe to try again
        raise GraphApiUnreachable(f"media upload: {error}", may_have_arrived=False) from error


# --- pacing and retrying ---------------------------------------------------------------------------------


async def wait_for_send_slot(throughput: SendThroughput, phone_number_id: str, clock: Clock, sleep: Sleep) -> None:
    """Hold the send until the number's token bucket allows it (Meta's per-number throughput)."""
    delay = throughput.wait_before_send(phone_number_id, clock().timestamp())
    if delay > 0:
        await sleep(delay)


def _is_transient(error: GraphApiError) -> bool:
    return is_transient_http_status(error.status) or error.code in RATE_LIMITS


@dataclass(frozen=True)
class _Delivered:
    wamid: str
    attempts: int


@dataclass(frozen=True)
class _NotDelivered:
    """What to tell the agent; ``error_code`` is None when Meta never answered."""

    state: str  # failed | outcome_unknown
    attempts: int
    error_code: int | None
    title: str
    explanation: str
    retryable: bool


def _refused(error: GraphApiError, attempts: int) -> _NotDelivered:
    transient = _is_transient(error)
    explained = explain_send_error(error.code, error.title, error.details or error.message)
    if transient and error.code not in EXPLANATIONS:
        explanation = f"WhatsApp kept refusing the message ({error.title}) through {attempts} tries; try again later."
        return _NotDelivered("failed", attempts, error.code, explained.title, explanation, retryable=True)
    return _NotDelivered(
        "failed",
        attempts,
        error.code,
        explained.title,
        explained.explanation,
        retryable=explained.retryable or transient,
    )


def graph_sender(request: SendRequestedV2, graph: GraphApi, store: MediaStore | None) -> SendOnce:
    """One try of the request through the Graph API; its media is resolved (uploaded) once, on the first try."""
    body: dict[str, Any] | None = None

    async def send_once() -> str:
        nonlocal body
        if body is None:
            media_ref = getattr(request.content, "media", None)
            filename = getattr(request.content, "filename", None)
            media = (
                None
                if media_ref is None
                else await _media_object(media_ref, request.phone_number_id, graph, store, filename)
            )
            body = graph_message_body(request, media)
        return await graph.send_message(request.phone_number_id, body)

    return send_once


def _evolution_refused(error: EvolutionApiError | None, attempts: int) -> _NotDelivered:
    explained = explain_evolution_error(error.status if error else None, error.message if error else "")
    return _NotDelivered("failed", attempts, None, explained.title, explained.explanation, explained.retryable)


async def _deliver(
    send_once: SendOnce,
    phone_number_id: str,
    throughput: SendThroughput,
    clock: Clock,
    sleep: Sleep,
    random: Random,
    retry: RetryPolicy,
) -> _Delivered | _NotDelivered:
    """Try ``send_once`` until it is delivered, refused for good, may have arrived, or the tries run out."""
    for attempt in range(1, retry.attempts + 1):
        if attempt > 1:
            await sleep(retry.delay_before(attempt, random))
        try:
            await wait_for_send_slot(throughput, phone_number_id, clock, sleep)
            return _Delivered(await send_once(), attempt)
        except UnsendableContent as error:
            return _NotDelivered("failed", attempt, None, "Cannot be sent", str(error), retryable=False)
        except GraphApiError as error:
            if not _is_transient(error) or retry.gives_up_after(attempt):
                return _refused(error, attempt)
            log.info("send refused for now; retrying", attempt=attempt, status=error.status, code=error.code)
        except EvolutionApiError as error:
            if not is_transient_http_status(error.status) or retry.gives_up_after(attempt):
                return _evolution_refused(error, attempt)
            log.info("Evolution refused the send for now; retrying", attempt=attempt, status=error.status)
        except (GraphApiUnreachable, EvolutionApiUnreachable) as error:
            if error.may_have_arrived:
                log.warning("send outcome unknown", attempt=attempt, error=str(error))
                return _NotDelivered(
                    "outcome_unknown",
                    attempt,
                    None,
                    OUTCOME_UNKNOWN_TITLE,
                    OUTCOME_UNKNOWN_EXPLANATION,
                    retryable=False,
                )
            if retry.gives_up_after(attempt):
                if isinstance(error, EvolutionApiUnreachable):
                    return _evolution_refused(None, attempt)
                return _NotDelivered(
                    "failed",
                    attempt,
                    None,
                    "WhatsApp unreachable",
                    f"leadline could not reach WhatsApp in {attempt} tries; the message was not sent. Try again later.",
                    retryable=True,
                )
            log.info("WhatsApp unreachable; retrying", attempt=attempt, error=str(error))
    raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover


# --- the handler -----------------------------------------------------------------------------------------


def _failure_event(request: SendRequestedV2, result: _NotDelivered) -> MessageSendFailedV1:
    return MessageSendFailedV1(
        request_id=request.request_id,
        conversation_id=request.conversation_id,
        error_code=result.error_code,
        error_title=result.title,
        explanation=result.explanation,
        retryable=result.retryable,
    )


async def _emit(uow: UnitOfWork, payload: Payload, caused_by: Envelope, clock: Clock) -> None:
    stream_id = payload.stream_id(caused_by.account_id)
    envelope = REGISTRY.encode(
        payload,
        account_id=caused_by.account_id,
        sequence=await uow.sequences.next(stream_id),
        occurred_at=clock(),
        caused_by=caused_by,
    )
    await uow.outbox.stage([envelope])


async def send_message(
    request: SendRequestedV2,
    envelope: Envelope,
    uow_factory: UnitOfWorkFactory,
    graph: GraphApi,
    throughput: SendThroughput,
    clock: Clock,
    sleep: Sleep,
    random: Random,
    *,
    media_store: MediaStore | None = None,
    retry: RetryPolicy = DEFAULT_SEND_RETRY,
    evolution: EvolutionApi | None = None,
) -> SendOutcome:
    """Send ``request`` once and stage its result; see the module docstring for the guarantees. A number connected
    through Evolution API sends through ``evolution`` (``evolution_sending``), any other through ``graph``."""
    bound = log.bind(request_id=str(request.request_id), conversation_id=str(request.conversation_id))
    async with uow_factory() as uow:
        earlier = await uow.send_requests.start(
            request_id=request.request_id,
            conversation_id=request.conversation_id,
            phone_number_id=request.phone_number_id,
            to_wa_id=request.to.chat_key,
        )
        if earlier == "sending":  # interrupted mid-send: Meta may have it, so it must not go again
            unknown = _NotDelivered(
                "outcome_unknown", 0, None, OUTCOME_UNKNOWN_TITLE, OUTCOME_UNKNOWN_EXPLANATION, False
            )
            await uow.send_requests.finish(request.request_id, state="outcome_unknown", finished_at=clock(), attempts=0)
            await _emit(uow, _failure_event(request, unknown), envelope, clock)
            await uow.commit()
            bound.warning("send request found interrupted; reported outcome unknown, not resent")
            return SendOutcome.OUTCOME_UNKNOWN
        if earlier is not None:
            bound.info("duplicate send request ignored", state=earlier)
            return SendOutcome.DUPLICATE
        evolution_number = await uow.numbers.evolution_number(request.phone_number_id)
        await uow.commit()  # ``sending`` is durable before Meta hears of the message

    if evolution_number is not None and evolution is not None:
        send_once = evolution_sender(request, evolution_number, evolution, media_store)
    else:
        send_once = graph_sender(request, graph, media_store)
    result = await _deliver(send_once, request.phone_number_id, throughput, clock, sleep, random, retry)
    crash_point("ingest.send.after_meta_answered")

    async with uow_factory() as uow:
        # A redelivery may have declared the request outcome_unknown meanwhile; the real outcome still wins.
        only_from = ("sending", "outcome_unknown")
        if isinstance(result, _Delivered):
            if await uow.send_requests.finish(
                request.request_id,
                state="sent",
                finished_at=clock(),
                attempts=result.attempts,
                wamid=result.wamid,
                only_from=only_from,
            ):
                sent = MessageSentV1(
                    request_id=request.request_id,
                    conversation_id=request.conversation_id,
                    wamid=result.wamid,
                    sent_at=clock(),
                )
                await _emit(uow, sent, envelope, clock)
        elif await uow.send_requests.finish(
            request.request_id,
            state=result.state,
            finished_at=clock(),
            attempts=result.attempts,
            error_code=result.error_code,
            only_from=only_from,
        ):
            await _emit(uow, _failure_event(request, result), envelope, clock)
        await uow.commit()
    if isinstance(result, _Delivered):
        bound.info("message sent", wamid=result.wamid, attempts=result.attempts)
        return SendOutcome.SENT
    bound.info("message not sent", state=result.state, error_code=result.error_code, attempts=result.attempts)
    return SendOutcome.OUTCOME_UNKNOWN if result.state == "outcome_unknown" else SendOutcome.FAILED
