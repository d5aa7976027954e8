"""Posts signed webhook deliveries to the configured target (leadline ingest) and remembers each attempt."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from leadline.fakegraph import users, webhooks
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import FakeGraphState, WebhookDelivery
from leadline.fakegraph.users import WhatsAppUser

log = logging.getLogger(__name__)


class WebhookSender:
    """Signs like Meta (``X-Hub-Signature-256`` over the exact body bytes) and POSTs to ``webhook_url``.

    A target that is down or answers an error is recorded, not raised: the fake must keep
    serving Graph calls while ingest restarts, the way Meta does (minus its retries).
    """

    def __init__(
        self,
        settings: FakeGraphSettings,
        state: FakeGraphState,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._state = state
        self._transport = transport

    def business(self, phone_number_id: str) -> webhooks.BusinessNumber:
        return webhooks.BusinessNumber(
            phone_number_id=phone_number_id,
            display_phone_number=self._settings.display_number_for(phone_number_id),
            waba_id=self._settings.waba_id,
        )

    async def post(self, payload: dict[str, Any]) -> WebhookDelivery:
        body, headers = webhooks.signed_request(payload, self._settings.app_secret)
        headers["User-Agent"] = "facebookexternalua"
        target = self._settings.webhook_url
        status_code: int | None = None
        error: str | None = None
        try:
            # A client per post keeps the fake free of connection state across tests and restarts.
            async with httpx.AsyncClient(transport=self._transport, timeout=10.0) as client:
                response = await client.post(target, content=body, headers=headers)
            status_code = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("webhook to %s failed: %s", target, error)
        delivery = WebhookDelivery(
            target=target,
            payload=payload,
            signature=headers["X-Hub-Signature-256"],
            status_code=status_code,
            error=error,
        )
        await self._state.record_delivery(delivery)
        return delivery

    async def post_status(
        self,
        phone_number_id: str,
        wamid: str,
        state: str,
        recipient_id: str | None,
        *,
        code: int | None = None,
        user: WhatsAppUser | None = None,
    ) -> WebhookDelivery:
        """A status of a send to ``recipient_id`` (a phone) or, with ``recipient_id=None``, to ``user``'s BSUID.

        With a known ``user`` the status names them as Meta does since BSUIDs (``recipient_user_id``, and the
        ``contacts[]`` beside every status but ``failed``).
        """
        builder = webhooks.WebhookBuilder(self.business(phone_number_id))
        if user is not None:
            item = users.status_for(user, wamid, state, sent_to_phone=recipient_id is not None, code=code)
            return await self.post(builder.statuses(item, contacts=users.status_contacts(user, state)))
        if state == "failed":
            item = webhooks.failed_status(wamid, recipient_id, code or 131026)
        else:
            item = webhooks.status(wamid, state, recipient_id)
        return await self.post(builder.statuses(item))

    async def post_sent_then_delivered(
        self, phone_number_id: str, wamid: str, recipient_id: str | None, user: WhatsAppUser | None = None
    ) -> None:
        """The ticks a healthy send earns: ``sent``, a short pause, then ``delivered``."""
        await self.post_status(phone_number_id, wamid, "sent", recipient_id, user=user)
        if self._settings.status_delay_seconds > 0:
            await asyncio.sleep(self._settings.status_delay_seconds)
        await self.post_status(phone_number_id, wamid, "delivered", recipient_id, user=user)
