"""Handler: one round of profile-photo refreshes: the customers who wrote lately to a number whose provider can read
photos, and whose photo was not looked at within the period, each refreshed at most as fast as their instance allows.

Cheap by construction: one indexed query finds the due chats (most rounds find none); a provider is asked only for
those; a provider that fails is left alone until the next round (its remaining chats stay due, the claims are given
back by ``refresh_profile_photo``).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from ..domain.profile_photos import DEFAULT_REFRESH_EVERY
from ..domain.send_throughput import SendThroughput
from .ports import Clock, MediaStore, ProfilePhotoProvider, Sleep, UnitOfWorkFactory
from .profile_photos import refresh_profile_photo

log = structlog.get_logger(__name__)
FAILED = "failed"


@dataclass(frozen=True)
class PhotoSource:
    """A business number whose provider can read customers' photos; ``instance`` is what its rate limit is per (an
    Evolution instance: one WhatsApp Web session, which WhatsApp throttles as a whole)."""

    phone_number_id: str
    instance: str
    provider: ProfilePhotoProvider


@dataclass(frozen=True)
class PhotoRefreshPolicy:
    every: timedelta = DEFAULT_REFRESH_EVERY
    recent: timedelta = timedelta(days=30)
    """Customers who wrote within this long (an open or recent conversation) have their photo kept fresh."""
    batch_size: int = 200


async def refresh_due_photos(
    sources: Sequence[PhotoSource],
    *,
    uow_factory: UnitOfWorkFactory,
    store: MediaStore,
    clock: Clock,
    pace: SendThroughput,
    monotonic: Callable[[], float],
    sleep: Sleep = asyncio.sleep,
    policy: PhotoRefreshPolicy = PhotoRefreshPolicy(),
    default_account_id: str = "default",
) -> Counter[str]:
    """Refresh every due photo on ``sources``; returns how many ended how (``PhotoRefresh`` values, ``failed``)."""
    by_number = {source.phone_number_id: source for source in sources if source.provider.supports_profile_photos}
    if not by_number:
        return Counter()
    now = clock()
    async with uow_factory() as uow:
        due = await uow.contact_photos.due(
            list(by_number),
            customers_since=now - policy.recent,
            checked_before=now - policy.every,
            limit=policy.batch_size,
        )
        accounts = await uow.numbers.accounts_for({phone_number_id for phone_number_id, _ in due})
    per_instance: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for phone_number_id, customer in due:
        per_instance[by_number[phone_number_id].instance].append((phone_number_id, customer))
    outcomes: Counter[str] = Counter()

    async def refresh_on(instance: str, chats: list[tuple[str, str]]) -> None:
        for phone_number_id, customer in chats:
            wait = pace.wait_before_send(instance, monotonic())
            if wait > 0:
                await sleep(wait)
            try:
                outcome = await refresh_profile_photo(
                    account_id=accounts.get(phone_number_id, default_account_id),
                    phone_number_id=phone_number_id,
                    customer_wa_id=customer,
                    uow_factory=uow_factory,
                    provider=by_number[phone_number_id].provider,
                    store=store,
                    clock=clock,
                    every=policy.every,
                )
            except Exception as error:  # provider down: the rest of this instance waits for the next round
                log.warning("profile photo refresh failed", instance=instance, error=str(error))
                outcomes[FAILED] += 1
                return
            outcomes[outcome.value] += 1

    await asyncio.gather(*(refresh_on(instance, chats) for instance, chats in per_instance.items()))
    return outcomes


PhotoSources = Callable[[], Awaitable[Sequence[PhotoSource]]]
"""The numbers that can read photos now (the account configuration may add one at any time)."""


async def profile_photo_round(sources: PhotoSources, **round_options: Any) -> Counter[str]:
    """One round (``ServiceRuntime.run_every`` repeats it): the due photos of every photo-capable instance."""
    outcomes = await refresh_due_photos(await sources(), **round_options)
    if outcomes:
        log.info("profile photos refreshed", **outcomes)
    return outcomes
