"""Handler: keep each WhatsApp Web (Evolution) number's connection state as ingest reports it, for the admins' notice
("Número desconectado do WhatsApp: leia o QR code no Evolution…")."""

from __future__ import annotations

import structlog

from leadline.events import Envelope, NumberConnectionChangedV1

from ..domain.number_connections import needs_attention
from .ports import UnitOfWork

log = structlog.get_logger(__name__)


async def keep_number_connection(work: UnitOfWork, envelope: Envelope, changed: NumberConnectionChangedV1) -> None:
    connection = changed.connection.value
    account_id = await work.accounts.account_of_number(changed.phone_number_id) or envelope.account_id
    kept = await work.number_connections.keep(
        account_id, changed.phone_number_id, connection, needs_qr_code=changed.needs_qr_code, at=changed.at
    )
    if kept and needs_attention(connection):
        log.warning("whatsapp web number not connected", connection=connection, needs_qr_code=changed.needs_qr_code)
    elif kept:
        log.info("whatsapp web number connected")
