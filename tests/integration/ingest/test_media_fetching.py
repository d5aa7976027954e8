"""Fetching inbound media from the (fake) Graph API into our content-addressed store, in the background."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, update

from leadline.events import MediaFetchFailedV2, MediaStoredV2
from leadline.ingest.adapters.media_store import LocalMediaStore, S3MediaStore
from leadline.ingest.adapters.tables import media_jobs
from leadline.ingest.adapters.unit_of_work import SqlUnitOfWork
from leadline.ingest.domain.retry_policy import RetryPolicy
from leadline.ingest.entrypoints.media_worker import MediaWorker
from leadline.ingest.service.media_fetching import MediaFetchPolicy, fetch_due_media
from leadline.ingest.service.ports import MediaToFetch
from tests.integration.ingest.outbound_support import ACCOUNT, CUSTOMER, PHONE_NUMBER_ID, FakeTime, half
from tests.kafka_helpers import wait_until
from tests.s3 import moto_s3

PHOTO = b"\xff\xd8\xff\xe0" + b"a customer's photo of their trade-in" * 50
POLICY = MediaFetchPolicy(retry=RetryPolicy(attempts=3, base_delay_s=10.0, max_delay_s=60.0))


async def schedule(
    ingest_db, meta, data: bytes = PHOTO, mime_type: str = "image/jpeg", wamid: str = "wamid.IN1", uow=None
) -> str:
    """Register bytes in the fake as a customer's media and schedule the job the webhook path would."""
    registered = await meta.control.register_media(data, mime_type)
    async with uow or ingest_db.uow() as uow:
        await uow.media_jobs.schedule(
            [
                MediaToFetch(
                    wamid=wamid,
                    account_id=ACCOUNT,
                    phone_number_id=PHONE_NUMBER_ID,
                    customer_wa_id=CUSTOMER,
                    provider_media_id=registered["id"],
                    mime_type=mime_type,
                )
            ]
        )
        await uow.commit()
    return registered["id"]


async def run_round(ingest_db, meta, store, time: FakeTime, policy: MediaFetchPolicy = POLICY) -> dict[str, int]:
    return await fetch_due_media(ingest_db.uow, meta.graph, store, time.clock, half, policy)


async def test_an_image_job_is_stored_under_its_sha256_and_media_stored_is_staged(ingest_db, meta, tmp_path):
    store, time = LocalMediaStore(tmp_path), FakeTime()
    media_id = await schedule(ingest_db, meta)

    assert await run_round(ingest_db, meta, store, time) == {"stored": 1}

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MediaStoredV2)
    assert event.stored.sha256 == hashlib.sha256(PHOTO).hexdigest() == (await meta.state.get_media(media_id)).sha256_hex
    assert (tmp_path / event.stored.key).read_bytes() == PHOTO
    assert event.stored.key.endswith(".jpg") and event.stored.size_bytes == len(PHOTO)
    assert (event.wamid, event.provider_media_id, event.mime_type) == ("wamid.IN1", media_id, "image/jpeg")
    [staged] = await ingest_db.staged()
    assert staged.stream_id == f"wa:{PHONE_NUMBER_ID}:{CUSTOMER}"
    [job] = await ingest_db.rows(media_jobs)
    assert (job.state, job.attempts, job.stored_key) == ("stored", 1, event.stored.key)


async def test_a_download_that_fails_once_is_stored_on_a_later_attempt(ingest_db, meta, tmp_path):
    store, time = LocalMediaStore(tmp_path), FakeTime()
    await schedule(ingest_db, meta)
    await meta.control.fail_next("media_download", 1, status=503)

    assert await run_round(ingest_db, meta, store, time) == {"retry": 1}
    assert await run_round(ingest_db, meta, store, time) == {}, "not due again before its backoff"
    assert await ingest_db.staged() == []
    time.advance(seconds=5)  # half of the 10 s backoff: the jitter the test uses
    assert await run_round(ingest_db, meta, store, time) == {"stored": 1}

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MediaStoredV2)
    [job] = await ingest_db.rows(media_jobs)
    assert (job.state, job.attempts) == ("stored", 2)


async def test_a_download_that_always_fails_ends_in_media_fetch_failed_after_the_last_attempt(
    ingest_db, meta, tmp_path
):
    store, time = LocalMediaStore(tmp_path), FakeTime()
    await schedule(ingest_db, meta)
    await meta.control.fail_next("media_download", 10, status=500)

    rounds = []
    for _ in range(3):
        rounds.append(await run_round(ingest_db, meta, store, time))
        time.advance(minutes=10)
    assert rounds == [{"retry": 1}, {"retry": 1}, {"failed": 1}]
    assert await run_round(ingest_db, meta, store, time) == {}, "a failed job is not tried again"

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MediaFetchFailedV2)
    assert event.attempts == 3 and event.retryable and event.error_code == 1
    [job] = await ingest_db.rows(media_jobs)
    assert job.state == "failed" and "HTTP 500" in job.last_error
    assert list(tmp_path.iterdir()) == []


async def test_media_meta_no_longer_knows_fails_at_once(ingest_db, meta, tmp_path):
    store, time = LocalMediaStore(tmp_path), FakeTime()
    media_id = await schedule(ingest_db, meta)
    await meta.state.delete_media(media_id)

    assert await run_round(ingest_db, meta, store, time) == {"failed": 1}

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MediaFetchFailedV2)
    assert event.attempts == 1 and not event.retryable and event.error_code == 100


async def test_the_same_bytes_sent_in_two_messages_are_stored_once(ingest_db, meta, tmp_path):
    store, time = LocalMediaStore(tmp_path), FakeTime()
    await schedule(ingest_db, meta, wamid="wamid.FIRST")
    await schedule(ingest_db, meta, wamid="wamid.SECOND")  # forwarded again: a new media id, the same bytes

    assert await run_round(ingest_db, meta, store, time) == {"stored": 2}

    first, second = await ingest_db.staged_payloads()
    assert (first.wamid, second.wamid) == ("wamid.FIRST", "wamid.SECOND")
    assert first.provider_media_id != second.provider_media_id
    assert first.stored == second.stored
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [tmp_path / first.stored.key]


async def test_two_workers_never_claim_the_same_job(ingest_db, meta):
    time = FakeTime()
    await schedule(ingest_db, meta, wamid="wamid.A")
    await schedule(ingest_db, meta, wamid="wamid.B")
    lease = timedelta(minutes=5)

    async with ingest_db.uow() as first, ingest_db.uow() as second:
        mine = await first.media_fetches.claim_due(now=time.clock(), lease=lease, limit=1)
        theirs = await second.media_fetches.claim_due(now=time.clock(), lease=lease, limit=10)  # skips the locked row
        await first.commit()
        await second.commit()
    async with ingest_db.uow() as third:
        leased = await third.media_fetches.claim_due(now=time.clock() + timedelta(minutes=4), lease=lease, limit=10)

    assert len(mine) == 1 and len(theirs) == 1
    assert mine[0].media.wamid != theirs[0].media.wamid
    assert leased == [], "both are leased to their workers"


async def test_a_worker_that_died_mid_download_leaves_its_job_to_another_after_the_lease(ingest_db, meta, tmp_path):
    store, time = LocalMediaStore(tmp_path), FakeTime()
    await schedule(ingest_db, meta)
    async with ingest_db.uow() as uow:
        [dead_workers] = await uow.media_fetches.claim_due(now=time.clock(), lease=POLICY.lease, limit=1)
        await uow.commit()

    assert await run_round(ingest_db, meta, store, time) == {}
    time.advance(minutes=6)
    assert await run_round(ingest_db, meta, store, time) == {"stored": 1}
    async with ingest_db.uow() as uow:
        assert not await uow.media_fetches.mark_stored(dead_workers, "late/result.jpg"), "a stale claim changes nothing"
        await uow.commit()
    [job] = await ingest_db.rows(media_jobs)
    assert (job.state, job.attempts) == ("stored", 2) and job.stored_key != "late/result.jpg"


async def test_the_media_worker_is_woken_by_a_committed_job_and_fetches_until_stopped(ingest_db, meta, tmp_path):
    worker = MediaWorker(
        uow_factory=ingest_db.uow,
        graph=meta.graph,
        store=LocalMediaStore(tmp_path),
        policy=POLICY,
        poll_interval_s=600,  # only the wake can start a round in time
    )
    worker.start()
    try:
        await wait_until(lambda: asyncio.sleep(0, worker.rounds == 1), timeout_s=5)  # the first, empty round
        await schedule(ingest_db, meta, uow=SqlUnitOfWork(ingest_db.sessions, media_due=worker.wake))
        await wait_until(lambda: _staged_count(ingest_db, 1), timeout_s=10)
    finally:
        await worker.stop()
    rounds = worker.rounds
    await asyncio.sleep(0.2)

    assert worker.rounds == rounds, "a stopped worker does no more rounds"
    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MediaStoredV2)


async def test_an_idle_media_worker_sleeps_until_its_next_job_falls_due(ingest_db, meta, tmp_path):
    await schedule(ingest_db, meta)  # committed without waking anyone
    async with ingest_db.sessions() as session, session.begin():
        await session.execute(update(media_jobs).values(next_attempt_at=func.now() + timedelta(seconds=0.5)))
    worker = MediaWorker(
        uow_factory=ingest_db.uow, graph=meta.graph, store=LocalMediaStore(tmp_path), policy=POLICY, poll_interval_s=600
    )
    worker.start()
    try:
        await wait_until(lambda: _staged_count(ingest_db, 1), timeout_s=10)
        await asyncio.sleep(0.5)
    finally:
        await worker.stop()

    assert worker.rounds == 2, "one round found the job not yet due, the next ran when it fell due; none after"


async def _staged_count(ingest_db, expected: int) -> bool:
    return len(await ingest_db.staged()) >= expected


@pytest.fixture
def s3():
    """A real S3 endpoint on localhost (moto's server mode) with an empty bucket."""
    with moto_s3() as client_and_bucket:
        yield client_and_bucket


async def test_media_is_fetched_into_an_s3_bucket_once_under_its_key(ingest_db, meta, s3):
    s3, bucket = s3
    store, time = S3MediaStore(bucket, prefix="ingest", client=s3), FakeTime()
    await schedule(ingest_db, meta, wamid="wamid.FIRST")
    await schedule(ingest_db, meta, wamid="wamid.SECOND")

    assert await run_round(ingest_db, meta, store, time) == {"stored": 2}

    first, second = await ingest_db.staged_payloads()
    assert first.stored == second.stored
    assert first.stored.uri == f"s3://{bucket}/ingest/{first.stored.key}"
    listed = await asyncio.to_thread(s3.list_objects_v2, Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == [f"ingest/{first.stored.key}"]
    assert await store.get(first.stored.key) == PHOTO
    async with httpx.AsyncClient() as http:  # the presigned link WhatsApp would be given for an outbound send
        response = await http.get(await store.public_link(first.stored.key))
    assert response.status_code == 200 and response.content == PHOTO


def retry_request(media_id: str, wamid: str = "wamid.IN1"):
    from leadline.events import MediaFetchRequestedV1
    from leadline.events.common import AgentRef, WhatsAppUser

    return MediaFetchRequestedV1(
        conversation_id="3f2b6c1e-8a4d-4f7e-9b1a-2c5d7e9f0a13",
        message_id="7c1e5a3b-9d2f-5e8a-b4c6-1f3e5a7c9b2d",
        wamid=wamid,
        phone_number_id=PHONE_NUMBER_ID,
        customer=WhatsAppUser(wa_id=CUSTOMER),
        provider_media_id=media_id,
        mime_type="image/jpeg",
        agent=AgentRef(id="ana", name="Ana Souza"),
    )


async def test_an_agents_retry_fetches_a_failed_media_again_with_fresh_attempts(ingest_db, meta, tmp_path):
    from leadline.ingest.service.media_fetching import fetch_again

    store, time = LocalMediaStore(tmp_path), FakeTime()
    media_id = await schedule(ingest_db, meta)
    await meta.control.fail_next("media_download", 3, status=503)  # WhatsApp down for a while
    for _ in range(3):
        await run_round(ingest_db, meta, store, time)
        time.advance(minutes=10)
    [failed] = await ingest_db.staged_payloads()
    assert isinstance(failed, MediaFetchFailedV2) and failed.retryable

    assert await fetch_again(retry_request(media_id), ACCOUNT, ingest_db.uow, time.clock) == "due"
    assert await fetch_again(retry_request(media_id), ACCOUNT, ingest_db.uow, time.clock) == "already_pending"
    assert await run_round(ingest_db, meta, store, time) == {"stored": 1}

    stored = (await ingest_db.staged_payloads())[-1]
    assert isinstance(stored, MediaStoredV2) and stored.wamid == "wamid.IN1"
    [job] = await ingest_db.rows(media_jobs)
    assert (job.state, job.attempts) == ("stored", 1)
    assert await fetch_again(retry_request(media_id), ACCOUNT, ingest_db.uow, time.clock) == "already_stored"


async def test_a_retry_for_media_ingest_never_scheduled_fetches_it_as_new(ingest_db, meta, tmp_path):
    from leadline.ingest.service.media_fetching import fetch_again

    store, time = LocalMediaStore(tmp_path), FakeTime()
    registered = await meta.control.register_media(PHOTO, "image/jpeg")

    assert (
        await fetch_again(retry_request(registered["id"], "wamid.LOST"), ACCOUNT, ingest_db.uow, time.clock)
        == "scheduled"
    )
    assert await run_round(ingest_db, meta, store, time) == {"stored": 1}
    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, MediaStoredV2) and event.wamid == "wamid.LOST"
