"""Handler: keep each WhatsApp Web (Evolution) number's connection state as ingest reports it, for the admins' notice
("Número desconectado do WhatsApp: leia o QR code no Evolution…")."""

from __future__ import annotations

import structlog

from leadline.events import Envelope, NumberConnectionChangedV1

from ..domain.number_connections import needs_attention
from .inbound import CONSUMER, UowFactory

log = structlog.get_logger(__name__)


async def keep_number_connection(envelope: Envelope, changed: NumberConnectionChangedV1, *, uow: UowFactory) -> None:
    connection = changed.connection.value
    async with uow() as work:
        if not await work.first_delivery(CONSUMER, envelope.event_id):
            return
        account_id = await work.accounts.account_of_number(changed.phone_number_id) or envelope.account_id
        kept = await work.number_connections.keep(
            account_id, changed.phone_number_id, connection, needs_qr_code=changed.needs_qr_code, at=changed.at
        )
        await work.commit()
    if kept and needs_attention(connection):
        log.warning("whatsapp web number not connected", connection=connection, needs_qr_code=changed.needs_qr_code)
    elif kept:
        log.info("whatsapp web number connected")
