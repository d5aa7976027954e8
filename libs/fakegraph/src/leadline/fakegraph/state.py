"""The fake's whole memory: recorded sends, stored media, queued failures and webhook deliveries.

Everything lives in this one object behind one ``asyncio.Lock``; there is no database
and nothing survives a restart (``reset`` empties it on demand).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from leadline.fakegraph.users import WhatsAppUser

Endpoint = Literal["messages", "media", "media_download", "templates"]
ENDPOINTS: tuple[Endpoint, ...] = ("messages", "media", "media_download", "templates")


@dataclass(frozen=True)
class SentMessage:
    """One accepted ``/messages`` call: a message (``kind="message"``) or a read receipt (``"mark_read"``)."""

    kind: str
    wamid: str | None
    version: str
    phone_number_id: str
    to: str | None
    wa_id: str | None
    type: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float = field(default_factory=time.time)
    user_id: str | None = None
    """The BSUID the message went to (``recipient``), for a customer known only by one."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredMedia:
    """Media bytes the fake can serve, whether uploaded through Graph or registered by a test."""

    id: str
    data: bytes
    mime_type: str
    filename: str | None = None
    phone_number_id: str | None = None

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class InjectedFailure:
    """An error response queued for the next call to one endpoint."""

    endpoint: Endpoint
    status: int
    code: int
    message: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook POST the fake made (or tried to make) to the configured target."""

    target: str
    payload: dict[str, Any]
    signature: str
    status_code: int | None
    error: str | None
    sent_at: float = field(default_factory=time.time)


class FakeGraphState:
    """In-memory state shared by all requests.

    Invariants:
    - failures for an endpoint are consumed first-in first-out, one per call;
    - sends and deliveries are kept in arrival order;
    - every mutation happens under ``self._lock``.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._sent: list[SentMessage] = []
        self._media: dict[str, StoredMedia] = {}
        self._failures: dict[Endpoint, deque[InjectedFailure]] = {e: deque() for e in ENDPOINTS}
        self._deliveries: list[WebhookDelivery] = []
        self._users: dict[str, WhatsAppUser] = {}  # Meta's contact book, as far as the fake plays it: by BSUID

    async def remember_user(self, user: WhatsAppUser) -> None:
        async with self._lock:
            if user.user_id:
                self._users[user.user_id] = user

    async def user(self, *, user_id: str | None = None, wa_id: str | None = None) -> WhatsAppUser | None:
        """A user a test made write, by BSUID (or parent BSUID) or by phone."""
        async with self._lock:
            return next(
                (
                    u
                    for u in self._users.values()
                    if (user_id and user_id in (u.user_id, u.parent_user_id)) or (wa_id and u.wa_id == wa_id)
                ),
                None,
            )

    async def record_send(self, sent: SentMessage) -> None:
        async with self._lock:
            self._sent.append(sent)

    async def sent(
        self, *, phone_number_id: str | None = None, to: str | None = None, kind: str | None = None
    ) -> list[SentMessage]:
        async with self._lock:
            return [
                s
                for s in self._sent
                if (phone_number_id is None or s.phone_number_id == phone_number_id)
                and (to is None or to in (s.to, s.wa_id, s.user_id))
                and (kind is None or s.kind == kind)
            ]

    async def put_media(self, media: StoredMedia) -> None:
        async with self._lock:
            self._media[media.id] = media

    async def get_media(self, media_id: str) -> StoredMedia | None:
        async with self._lock:
            return self._media.get(media_id)

    async def delete_media(self, media_id: str) -> bool:
        async with self._lock:
            return self._media.pop(media_id, None) is not None

    async def queue_failures(self, failure: InjectedFailure, count: int) -> int:
        async with self._lock:
            self._failures[failure.endpoint].extend([failure] * count)
            return len(self._failures[failure.endpoint])

    async def take_failure(self, endpoint: Endpoint) -> InjectedFailure | None:
        async with self._lock:
            queue = self._failures[endpoint]
            return queue.popleft() if queue else None

    async def pending_failures(self) -> list[InjectedFailure]:
        async with self._lock:
            return [f for e in ENDPOINTS for f in self._failures[e]]

    async def record_delivery(self, delivery: WebhookDelivery) -> None:
        async with self._lock:
            self._deliveries.append(delivery)

    async def deliveries(self) -> list[WebhookDelivery]:
        async with self._lock:
            return list(self._deliveries)

    async def reset(self) -> None:
        async with self._lock:
            self._sent.clear()
            self._media.clear()
            for queue in self._failures.values():
                queue.clear()
            self._deliveries.clear()
            self._users.clear()
