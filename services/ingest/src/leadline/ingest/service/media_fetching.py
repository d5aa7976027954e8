"""Handler: fetch due media jobs from WhatsApp into our content-addressed store, in the background.

Message events never wait for this: the webhook path schedules a job and emits the
message at once; ``MediaStoredV2`` or ``MediaFetchFailedV2`` follows on the chat's stream.

A claim takes the job under ``FOR UPDATE SKIP LOCKED``, spends one attempt and leases
it, then commits, so no transaction stays open during a download and a worker that dies
mid-download only delays the job until its lease runs out. The outcome is written only
if the claim is still ours, together with its event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from leadline.events import (
    REGISTRY,
    MediaFetchFailedV2,
    MediaFetchRequestedV1,
    MediaStoredV2,
    StoredMedia,
    WhatsAppUser,
)
from leadline.events.envelope import Payload

from ..domain.evolution_instances import EvolutionNumber
from ..domain.media_storage import media_key
from ..domain.retry_policy import RetryPolicy, is_transient_http_status
from .ports import (
    Clock,
    EvolutionApi,
    EvolutionApiError,
    EvolutionApiUnreachable,
    GraphApi,
    GraphApiError,
    GraphApiUnreachable,
    MediaJob,
    MediaStore,
    MediaToFetch,
    Random,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = structlog.get_logger(__name__)
ACCESS_TOKEN_INVALID = 190


@dataclass(frozen=True)
class MediaFetchPolicy:
    """``retry.attempts`` bounds the tries; ``lease`` is how long a claimed job is left to its worker."""

    retry: RetryPolicy = RetryPolicy(attempts=5, base_delay_s=5.0, max_delay_s=600.0)
    lease: timedelta = timedelta(minutes=5)
    batch_size: int = 10


DEFAULT_MEDIA_FETCH = MediaFetchPolicy()


class _Corrupt(Exception):
    """The downloaded bytes are not the ones Meta described (hash mismatch): worth another try."""


@dataclass(frozen=True)
class _Stored:
    media: StoredMedia
    mime_type: str


async def _download_and_store(
    job: MediaJob, graph: GraphApi, store: MediaStore, evolution: tuple[EvolutionNumber, EvolutionApi] | None
) -> _Stored:
    if evolution is not None:  # the instance decrypts it for us (``getBase64FromMediaMessage``)
        number, api = evolution
        media = await api.media(number.instance, job.media.provider_media_id)
        data, mime_type = media.data, (media.mime_type or job.media.mime_type)
        key, sha256 = media_key(data, mime_type)
    else:
        info = await graph.media_info(job.media.provider_media_id)
        data = await graph.download_media(info.url)
        mime_type = info.mime_type or job.media.mime_type
        key, sha256 = media_key(data, mime_type)
        if info.sha256 and info.sha256.lower() != sha256:
            raise _Corrupt(f"sha256 {sha256} does not match Meta's {info.sha256}")
    uri = await store.put(key, data, mime_type)
    return _Stored(StoredMedia(key=key, uri=uri, size_bytes=len(data), sha256=sha256), mime_type)


def _is_worth_retrying(error: Exception) -> bool:
    if isinstance(error, GraphApiError):  # an expired token (190) heals once an administrator renews it
        return is_transient_http_status(error.status) or error.code == ACCESS_TOKEN_INVALID
    if isinstance(error, EvolutionApiError):  # and a disconnected instance once it is connected again
        return is_transient_http_status(error.status) or error.status == 400
    return isinstance(error, GraphApiUnreachable | EvolutionApiUnreachable | _Corrupt | OSError)


async def _emit(uow: UnitOfWork, payload: Payload, account_id: str, clock: Clock) -> None:
    stream_id = payload.stream_id(account_id)
    envelope = REGISTRY.encode(
        payload, account_id=account_id, sequence=await uow.sequences.next(stream_id), occurred_at=clock()
    )
    await uow.outbox.stage([envelope])


async def _record_failure(
    uow: UnitOfWork, job: MediaJob, error: Exception, policy: MediaFetchPolicy, clock: Clock, random: Random
) -> str:
    reason = f"{type(error).__name__}: {error}"
    retryable = _is_worth_retrying(error)
    if retryable and not policy.retry.gives_up_after(job.attempt):
        delay = policy.retry.delay_before(job.attempt + 1, random)
        await uow.media_fetches.retry_later(job, at=clock() + timedelta(seconds=delay), error=reason)
        return "retry"
    if await uow.media_fetches.mark_failed(job, error=reason):
        media = job.media
        await _emit(
            uow,
            MediaFetchFailedV2(
                phone_number_id=media.phone_number_id,
                customer=WhatsAppUser.of_chat_key(media.customer_wa_id),
                wamid=media.wamid,
                provider_media_id=media.provider_media_id,
                reason=reason[:1000],
                error_code=error.code if isinstance(error, GraphApiError) else None,
                attempts=job.attempt,
                retryable=retryable,
            ),
            media.account_id,
            clock,
        )
    return "failed"


async def fetch_job(
    job: MediaJob,
    uow_factory: UnitOfWorkFactory,
    graph: GraphApi,
    store: MediaStore,
    clock: Clock,
    random: Random,
    policy: MediaFetchPolicy,
    evolution: EvolutionApi | None = None,
) -> str:
    """One claimed job to its outcome: ``stored``, ``retry``, ``failed`` or ``lost`` (another worker has it now).
    Media of a number connected through Evolution API comes from its instance, any other from the Graph API."""
    media = job.media
    try:
        number = None
        if evolution is not None:
            async with uow_factory() as uow:
                number = await uow.numbers.evolution_number(media.phone_number_id)
        stored = await _download_and_store(job, graph, store, (number, evolution) if number and evolution else None)
    except (GraphApiError, GraphApiUnreachable, EvolutionApiError, EvolutionApiUnreachable, _Corrupt, OSError) as error:
        async with uow_factory() as uow:
            outcome = await _record_failure(uow, job, error, policy, clock, random)
            await uow.commit()
        log.info("media fetch failed", wamid=media.wamid, attempt=job.attempt, outcome=outcome, error=str(error))
        return outcome
    async with uow_factory() as uow:
        if not await uow.media_fetches.mark_stored(job, stored.media.key):
            return "lost"
        await _emit(
            uow,
            MediaStoredV2(
                phone_number_id=media.phone_number_id,
                customer=WhatsAppUser.of_chat_key(media.customer_wa_id),
                wamid=media.wamid,
                provider_media_id=media.provider_media_id,
                stored=stored.media,
                mime_type=stored.mime_type,
            ),
            media.account_id,
            clock,
        )
        await uow.commit()
    log.info("media stored", wamid=media.wamid, key=stored.media.key, size_bytes=stored.media.size_bytes)
    return "stored"


async def fetch_again(
    request: MediaFetchRequestedV1, account_id: str, uow_factory: UnitOfWorkFactory, clock: Clock
) -> str:
    """An agent's retry of a fetch that failed for good: the job is due now, its attempts counted afresh.

    Returns what happened: ``due`` (the worker takes it on its next round, and its outcome follows on the
    chat's stream as usual), ``already_pending`` or ``already_stored`` (nothing to do), or ``scheduled`` when
    ingest had no job for that message (then it fetches it as if the webhook had just arrived).
    """
    async with uow_factory() as uow:
        before = await uow.media_fetches.fetch_again(request.wamid, request.provider_media_id, now=clock())
        if before is None:
            await uow.media_jobs.schedule(
                [
                    MediaToFetch(
                        wamid=request.wamid,
                        account_id=account_id,
                        phone_number_id=request.phone_number_id,
                        customer_wa_id=request.customer.chat_key,
                        provider_media_id=request.provider_media_id,
                        mime_type=request.mime_type,
                    )
                ]
            )
        await uow.commit()
    outcome = {None: "scheduled", "failed": "due"}.get(before, f"already_{before}")
    log.info("media fetch requested again", wamid=request.wamid, outcome=outcome, agent_id=request.agent.id)
    return outcome


async def fetch_due_media(
    uow_factory: UnitOfWorkFactory,
    graph: GraphApi,
    store: MediaStore,
    clock: Clock,
    random: Random,
    policy: MediaFetchPolicy = DEFAULT_MEDIA_FETCH,
    evolution: EvolutionApi | None = None,
) -> dict[str, int]:
    """Claim the jobs due now and take each to its outcome; returns how many ended how."""
    async with uow_factory() as uow:
        jobs = await uow.media_fetches.claim_due(now=clock(), lease=policy.lease, limit=policy.batch_size)
        await uow.commit()
    outcomes: dict[str, int] = {}
    for job in jobs:
        outcome = await fetch_job(job, uow_factory, graph, store, clock, random, policy, evolution)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


async def seconds_until_due(uow_factory: UnitOfWorkFactory, clock: Clock) -> float | None:
    """How long until the earliest pending job falls due (0: now; None: nothing pending)."""
    async with uow_factory() as uow:
        due = await uow.media_fetches.next_due()
    return None if due is None else max(0.0, (due - clock()).total_seconds())
