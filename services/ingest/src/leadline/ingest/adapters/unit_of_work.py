"""The ingest unit of work over SQLAlchemy: one session, one transaction, every repository."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.unit_of_work import SessionOutbox, SessionUnitOfWork

from ..service.ports import MediaJob, MediaToFetch, PhotoCheck
from .inbound_repositories import (
    SqlBusinessNumbers,
    SqlDeliveryArchive,
    SqlDeliveryStatuses,
    SqlInboundMessages,
    SqlMediaJobs,
    SqlStreamSequences,
)
from .tables import contact_photos, inbound_messages, media_jobs, send_requests
from .templates import SqlTemplates


class SqlSendRequests:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(
        self, *, request_id: UUID, conversation_id: UUID, phone_number_id: str, to_wa_id: str
    ) -> str | None:
        inserted = await self._session.scalar(
            pg_insert(send_requests)
            .values(
                request_id=request_id,
                conversation_id=conversation_id,
                phone_number_id=phone_number_id,
                to_wa_id=to_wa_id,
                state="sending",
            )
            .on_conflict_do_nothing()
            .returning(send_requests.c.request_id)
        )
        if inserted is not None:
            return None
        return await self._session.scalar(
            select(send_requests.c.state).where(send_requests.c.request_id == request_id).with_for_update()
        )

    async def finish(
        self,
        request_id: UUID,
        *,
        state: str,
        finished_at: datetime,
        attempts: int,
        wamid: str | None = None,
        error_code: int | None = None,
        only_from: Sequence[str] = ("sending",),
    ) -> bool:
        result = await self._session.execute(
            update(send_requests)
            .where(send_requests.c.request_id == request_id, send_requests.c.state.in_(list(only_from)))
            .values(state=state, finished_at=finished_at, attempts=attempts, wamid=wamid, error_code=error_code)
        )
        return result.rowcount == 1


_MEDIA_FIELDS = ("wamid", "account_id", "phone_number_id", "customer_wa_id", "provider_media_id", "mime_type")


class SqlMediaFetchQueue:
    def __init__(self, session: AsyncSession, made_due: Callable[[], None] = lambda: None) -> None:
        self._session = session
        self._made_due = made_due

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[MediaJob]:
        due = (
            select(media_jobs.c.id)
            .where(media_jobs.c.state == "pending", media_jobs.c.next_attempt_at <= now)
            .order_by(media_jobs.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")  # a locking CTE runs once: the rows it locked are the rows updated
        )
        rows = await self._session.execute(
            update(media_jobs)
            .where(media_jobs.c.id == due.c.id)
            .values(attempts=media_jobs.c.attempts + 1, next_attempt_at=now + lease)
            .returning(media_jobs)
        )
        return sorted(
            (
                MediaJob(
                    id=row.id, attempt=row.attempts, media=MediaToFetch(**{f: getattr(row, f) for f in _MEDIA_FIELDS})
                )
                for row in rows
            ),
            key=lambda job: job.id,
        )

    async def _settle(self, job: MediaJob, **values: object) -> bool:
        # The claim is still ours only if nobody re-claimed the job after our lease ran out.
        result = await self._session.execute(
            update(media_jobs)
            .where(media_jobs.c.id == job.id, media_jobs.c.state == "pending", media_jobs.c.attempts == job.attempt)
            .values(**values)
        )
        return result.rowcount == 1

    async def mark_stored(self, job: MediaJob, stored_key: str) -> bool:
        return await self._settle(job, state="stored", stored_key=stored_key, last_error=None)

    async def retry_later(self, job: MediaJob, *, at: datetime, error: str) -> bool:
        return await self._settle(job, next_attempt_at=at, last_error=error[:4000])

    async def mark_failed(self, job: MediaJob, *, error: str) -> bool:
        return await self._settle(job, state="failed", last_error=error[:4000])

    async def fetch_again(self, wamid: str, provider_media_id: str, *, now: datetime) -> str | None:
        of_message = (media_jobs.c.wamid == wamid, media_jobs.c.provider_media_id == provider_media_id)
        moved = await self._session.scalar(
            update(media_jobs)
            .where(*of_message, media_jobs.c.state == "failed")
            .values(state="pending", attempts=0, next_attempt_at=now)
            .returning(media_jobs.c.id)
        )
        if moved is not None:
            self._made_due()
            return "failed"
        return await self._session.scalar(select(media_jobs.c.state).where(*of_message))

    async def next_due(self) -> datetime | None:
        return await self._session.scalar(
            select(func.min(media_jobs.c.next_attempt_at)).where(media_jobs.c.state == "pending")  # media_jobs_due
        )


class SqlContactPhotos:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_for_update(self, stream_id: str) -> PhotoCheck | None:
        row = (
            await self._session.execute(
                select(contact_photos.c.last_checked_at, contact_photos.c.sha256)
                .where(contact_photos.c.stream_id == stream_id)
                .with_for_update()
            )
        ).first()
        return None if row is None else PhotoCheck(last_checked_at=row.last_checked_at, sha256=row.sha256)

    async def add(self, stream_id: str, checked_at: datetime) -> bool:
        inserted = await self._session.scalar(
            pg_insert(contact_photos)
            .values(stream_id=stream_id, last_checked_at=checked_at)
            .on_conflict_do_nothing()
            .returning(contact_photos.c.stream_id)
        )
        return inserted is not None

    async def set_checked(self, stream_id: str, checked_at: datetime) -> None:
        await self._session.execute(
            update(contact_photos).where(contact_photos.c.stream_id == stream_id).values(last_checked_at=checked_at)
        )

    async def set_photo(self, stream_id: str, sha256: str | None) -> None:
        await self._session.execute(
            update(contact_photos).where(contact_photos.c.stream_id == stream_id).values(sha256=sha256)
        )

    async def forget(self, stream_id: str) -> None:
        await self._session.execute(delete(contact_photos).where(contact_photos.c.stream_id == stream_id))

    async def due(
        self, phone_number_ids: Collection[str], *, customers_since: datetime, checked_before: datetime, limit: int
    ) -> list[tuple[str, str]]:
        if not phone_number_ids:
            return []
        m, p = inbound_messages.c, contact_photos.c
        rows = await self._session.scalars(
            select(m.stream_id)
            .distinct()
            .select_from(inbound_messages.outerjoin(contact_photos, p.stream_id == m.stream_id))
            .where(
                m.origin == "customer",
                m.received_at >= customers_since,  # index inbound_messages_from_customers
                or_(*(m.stream_id.startswith(f"wa:{number}:", autoescape=True) for number in sorted(phone_number_ids))),
                or_(p.stream_id.is_(None), p.last_checked_at <= checked_before),
            )
            .order_by(m.stream_id)
            .limit(limit)
        )
        return [tuple(stream_id.split(":", 2)[1:]) for stream_id in rows]  # type: ignore[misc]


class SqlUnitOfWork(SessionUnitOfWork):
    """``media_due``: called once a commit has made a media job due now, to wake this process's media worker (the
    worker polls too, slowly, for jobs other replicas stored)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, media_due: Callable[[], None] = lambda: None
    ) -> None:
        super().__init__(sessions)
        self._media_due = media_due
        self._made_media_due = False

    def bind(self, session: AsyncSession) -> None:
        self._made_media_due = False
        self.messages = SqlInboundMessages(session)
        self.statuses = SqlDeliveryStatuses(session)
        self.sequences = SqlStreamSequences(session)
        self.deliveries = SqlDeliveryArchive(session)
        self.media_jobs = SqlMediaJobs(session, made_due=self._mark_media_due)
        self.numbers = SqlBusinessNumbers(session)
        self.outbox = SessionOutbox(session)
        self.send_requests = SqlSendRequests(session)
        self.media_fetches = SqlMediaFetchQueue(session, made_due=self._mark_media_due)
        self.contact_photos = SqlContactPhotos(session)
        self.templates = SqlTemplates(session)

    def _mark_media_due(self) -> None:
        self._made_media_due = True

    async def commit(self) -> None:
        await super().commit()
        if self._made_media_due:
            self._made_media_due = False
            self._media_due()
