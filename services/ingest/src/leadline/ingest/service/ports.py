"""What the ingest handlers need from the outside world, as Protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from leadline.events.envelope import Envelope

from ..domain.evolution_instances import EvolutionInstance, EvolutionNumber
from ..domain.templates import Template


@dataclass(frozen=True)
class MediaToFetch:
    """A media file WhatsApp holds for a message, to download and store in the background."""

    wamid: str
    account_id: str
    phone_number_id: str
    customer_wa_id: str
    """The chat's customer key (``WhatsAppUser.chat_key``): their wa_id, or their BSUID when WhatsApp shared no phone."""
    provider_media_id: str
    mime_type: str


@dataclass(frozen=True)
class NewMessage:
    """A WhatsApp message about to be recorded under its wamid."""

    wamid: str
    stream_id: str
    origin: str  # customer | phone_echo
    kind: str
    event_id: UUID


@dataclass(frozen=True)
class Quarantined:
    """A signed body refused whole (``part_path`` None), or one part of a stored delivery that could not be read."""

    raw: bytes
    reason: str
    part_path: str | None = None


class InboundMessages(Protocol):
    async def record_new(self, messages: Sequence[NewMessage]) -> set[str]:
        """The wamids seen for the first time; the database's primary key decides under concurrency."""


class DeliveryStatuses(Protocol):
    async def advance_many(self, updates: Sequence[tuple[str, str]]) -> list[bool]:
        """For each (wamid, status) in order: True when it moved that message forward (and was recorded)."""


class StreamSequences(Protocol):
    async def reserve(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Reserve ``count`` sequences per stream; returns the first of each, locked until commit."""

    async def next(self, stream_id: str) -> int:
        """Reserve one sequence of one stream."""


class DeliveryArchive(Protocol):
    async def archive_many(self, deliveries: Sequence[tuple[bytes, int]]) -> None:
        """Archive raw bodies with the number of events each produced."""

    async def quarantine(self, items: Sequence[Quarantined]) -> None:
        """Keep bodies or parts that could not be read, for inspection; nothing is emitted for them."""


class MediaJobs(Protocol):
    async def schedule(self, media: Sequence[MediaToFetch]) -> None: ...


class BusinessNumbers(Protocol):
    async def accounts_for(self, phone_number_ids: Collection[str]) -> dict[str, str]: ...

    async def register(
        self,
        phone_number_id: str,
        account_id: str,
        waba_id: str | None = None,
        evolution: EvolutionInstance | None = None,
    ) -> None: ...

    async def evolution_number(self, phone_number_id: str) -> EvolutionNumber | None:
        """The number's Evolution instance; None for a Cloud API number or one no account named."""

    async def evolution_numbers(self) -> list[EvolutionNumber]:
        """Every number connected through an Evolution instance."""

    async def waba_of(self, phone_number_id: str) -> str | None: ...

    async def wabas(self) -> list[str]: ...


class Outbox(Protocol):
    async def stage(self, envelopes: Sequence[Envelope]) -> None: ...


class Templates(Protocol):
    async def replace(self, waba_id: str, templates: Sequence[Template], synced_at: datetime) -> None: ...

    async def of(self, waba_id: str) -> tuple[list[Template], datetime | None]: ...


class UnitOfWork(Protocol):
    """One transaction over the ingest database; leaving without ``commit`` rolls back."""

    messages: InboundMessages
    statuses: DeliveryStatuses
    sequences: StreamSequences
    deliveries: DeliveryArchive
    media_jobs: MediaJobs
    numbers: BusinessNumbers
    outbox: Outbox
    send_requests: SendRequests
    media_fetches: MediaFetchQueue
    contact_photos: ContactPhotos
    templates: Templates

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
"""The wall clock, timezone-aware UTC; tests pass a fake one."""
Sleep = Callable[[float], Awaitable[None]]
Random = Callable[[], float]
"""Uniform in [0, 1): the jitter of retry delays."""


# --- outbound: send requests -------------------------------------------------------------


class SendRequests(Protocol):
    """``send_requests``: its primary key makes each request be sent at most once."""

    async def start(
        self, *, request_id: UUID, conversation_id: UUID, phone_number_id: str, to_wa_id: str
    ) -> str | None:
        """Record the request as ``sending``; None when it is new, else the state it already had (row locked)."""

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
        """Move a request from one of ``only_from`` to its final ``state``; False if it was in none of them."""


# --- inbound media: the fetch queue ------------------------------------------------------


@dataclass(frozen=True)
class MediaJob:
    """A claimed media download; ``attempt`` counts this try (the claim spent it)."""

    id: int
    attempt: int
    media: MediaToFetch


class MediaFetchQueue(Protocol):
    """``media_jobs`` as a work queue: claims are row-locked and leased, so no two workers fetch one job."""

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[MediaJob]:
        """Take up to ``limit`` pending jobs due at ``now`` (``FOR UPDATE SKIP LOCKED``), leased until now + lease."""

    async def mark_stored(self, job: MediaJob, stored_key: str) -> bool:
        """False when the job is no longer this claim's (its lease ran out and another worker took it)."""

    async def retry_later(self, job: MediaJob, *, at: datetime, error: str) -> bool: ...

    async def mark_failed(self, job: MediaJob, *, error: str) -> bool: ...

    async def fetch_again(self, wamid: str, provider_media_id: str, *, now: datetime) -> str | None:
        """Make a job that failed for good due now with fresh attempts; returns the state it was in (None: no job)."""

    async def next_due(self) -> datetime | None:
        """When the earliest pending job falls due (None: no job is pending)."""


class MediaNotStored(LookupError):
    """No object under this key in the media store."""


class MediaStore(Protocol):
    """Where our copies of media live, content-addressed: a key always names the same bytes."""

    async def put(self, key: str, data: bytes, mime_type: str) -> str:
        """Store ``data`` under ``key`` (a no-op if it is already there); returns the object's URI."""

    async def get(self, key: str) -> bytes: ...

    async def size(self, key: str) -> int:
        """The object's size in bytes; ``MediaNotStored`` when there is none."""

    def stream(self, key: str, first: int, last: int) -> AsyncIterator[bytes]:
        """Bytes ``first`` to ``last`` (inclusive) of the object, a chunk at a time."""

    async def public_link(self, key: str) -> str | None:
        """A URL WhatsApp can download the object from, or None if this store cannot offer one."""


# --- the WhatsApp Graph API --------------------------------------------------------------


class GraphApiError(Exception):
    """Meta answered with an error object (``{"error": {"code", "message", "error_data": {"details"}}}``)."""

    def __init__(
        self, status: int, code: int | None, title: str, message: str | None = None, details: str | None = None
    ) -> None:
        super().__init__(f"HTTP {status}, code {code}: {title}" + (f" ({details})" if details else ""))
        self.status = status
        self.code = code
        self.title = title
        self.message = message
        self.details = details


class GraphApiUnreachable(Exception):
    """No answer from Meta. ``may_have_arrived`` is False only when the request surely never left us."""

    def __init__(self, reason: str, *, may_have_arrived: bool) -> None:
        super().__init__(reason)
        self.may_have_arrived = may_have_arrived


@dataclass(frozen=True)
class InlineMedia:
    """A message's media bytes sent in its webhook (Evolution's ``message.base64``): stored at once, never fetched."""

    wamid: str
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class ConnectionChange:
    """An Evolution instance's ``connection.update``."""

    state: str
    """open | connecting | close | refused, as Evolution (Baileys) names it."""
    reason_code: int | None
    """Baileys' ``DisconnectReason`` (401: logged out, a new QR code must be scanned)."""


class EvolutionApiError(Exception):
    """An Evolution API server answered with an error: its HTTP status and what it said (``response.message``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Evolution API answered {status}: {message}")
        self.status = status
        self.message = message


class EvolutionApiUnreachable(Exception):
    """No answer from the Evolution API server; ``may_have_arrived``: the request may have reached it."""

    def __init__(self, reason: str, *, may_have_arrived: bool) -> None:
        super().__init__(reason)
        self.may_have_arrived = may_have_arrived


SendOnce = Callable[[], Awaitable[str]]
"""One try of a send on the number's channel: the wamid of what was sent, or a provider error."""


class UnsendableContent(Exception):
    """The request's content has no form on the number's channel (or its media cannot be reached)."""


@dataclass(frozen=True)
class EvolutionMedia:
    data: bytes
    mime_type: str


class EvolutionApi(Protocol):
    """An Evolution API server's REST routes, any instance (``adapters/evolution/client.py``); each returns the
    WhatsApp message id (``key.id``) of what it sent."""

    async def send_text(
        self, instance: EvolutionInstance, number: str, text: str, *, quoted: str | None = None
    ) -> str: ...

    async def send_media(
        self,
        instance: EvolutionInstance,
        number: str,
        *,
        mediatype: str,
        mime_type: str,
        data: bytes,
        caption: str | None = None,
        file_name: str | None = None,
    ) -> str: ...

    async def send_audio(self, instance: EvolutionInstance, number: str, data: bytes) -> str: ...

    async def media(self, instance: EvolutionInstance, message_key_id: str) -> EvolutionMedia: ...


@dataclass(frozen=True)
class MediaInfo:
    """What ``GET /{media-id}`` tells: a short-lived download URL and what to expect from it."""

    url: str
    mime_type: str
    sha256: str | None
    file_size: int | None


class GraphApi(Protocol):
    """The Cloud API calls ingest makes; failures raise ``GraphApiError`` or ``GraphApiUnreachable``."""

    async def send_message(self, phone_number_id: str, body: Mapping[str, Any]) -> str:
        """POST ``/{phone_number_id}/messages``; returns the wamid Meta gave the message."""

    async def upload_media(
        self, phone_number_id: str, data: bytes, mime_type: str, filename: str | None = None
    ) -> str: ...

    async def media_info(self, media_id: str) -> MediaInfo: ...

    async def download_media(self, url: str) -> bytes: ...


# --- contacts' profile photos ------------------------------------------------------------


class ProfilePhotosUnsupported(Exception):
    """The provider cannot tell us customers' profile photos (the WhatsApp Cloud API cannot)."""


@dataclass(frozen=True)
class ProfilePhoto:
    data: bytes
    mime_type: str


class ProfilePhotoProvider(Protocol):
    supports_profile_photos: bool

    async def profile_photo(self, phone_number_id: str, wa_id: str) -> ProfilePhoto | None:
        """The customer's current photo; None when they have none or hide it. Raises ``ProfilePhotosUnsupported``."""


@dataclass(frozen=True)
class PhotoCheck:
    last_checked_at: datetime
    sha256: str | None


class ContactPhotos(Protocol):
    """``contact_photos``: when each chat's photo was last asked for, and the hash of what we saw."""

    async def get_for_update(self, stream_id: str) -> PhotoCheck | None: ...

    async def add(self, stream_id: str, checked_at: datetime) -> bool:
        """Insert the first check of a chat; False if a concurrent refresh inserted it first."""

    async def set_checked(self, stream_id: str, checked_at: datetime) -> None: ...

    async def due(
        self, phone_number_ids: Collection[str], *, customers_since: datetime, checked_before: datetime, limit: int
    ) -> list[tuple[str, str]]:
        """(number, customer) of chats on these numbers whose customer wrote since ``customers_since`` and whose photo
        was never looked at, or last before ``checked_before``."""

    async def set_photo(self, stream_id: str, sha256: str | None) -> None: ...

    async def forget(self, stream_id: str) -> None:
        """Drop a chat's check (a first refresh that failed), so the next one is due at once."""
