"""Handler: keep each WhatsApp Web (Evolution) number's connection state as ingest reports it, for the admins' notice
("Número desconectado do WhatsApp: leia o QR code no Evolution…")."""

from __future__ import annotations

from datetime import datetime

import structlog

from leadline.events import Envelope

from ..domain.number_connections import needs_a_new_qr_code
from .inbound import CONSUMER, UowFactory

log = structlog.get_logger(__name__)


async def keep_number_connection(
    envelope: Envelope, *, phone_number_id: str, state: str, at: datetime, uow: UowFactory
) -> None:
    async with uow() as work:
        if not await work.first_delivery(CONSUMER, envelope.event_id):
            return
        account_id = await work.accounts.account_of_number(phone_number_id) or envelope.account_id
        kept = await work.number_connections.keep(account_id, phone_number_id, state, at=at)
        await work.commit()
    if kept and needs_a_new_qr_code(state):
        log.warning("whatsapp web number not connected", phone_number_id=phone_number_id, state=state)
    elif kept:
        log.info("whatsapp web number connected", phone_number_id=phone_number_id)
