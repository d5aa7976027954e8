"""Handler: keep the customer's WhatsApp profile photo as ingest last saw it, so the page can show it.

The photo belongs to the customer (one person across the account's numbers), not to a chat: the newest change
from any number wins. The file stays in ingest's media store; the router keeps only its key.
"""

from __future__ import annotations

import structlog

from leadline.events import ContactProfilePhotoChangedV2, Envelope

from .identity import Normalize, identify_customer, whatsapp_name
from .inbound import Clock
from .ports import CustomerPhoto, UnitOfWork

log = structlog.get_logger(__name__)


async def keep_customer_photo(
    work: UnitOfWork, envelope: Envelope, changed: ContactProfilePhotoChangedV2, *, clock: Clock, normalize: Normalize
) -> None:
    photo = CustomerPhoto(changed.photo.key, changed.photo.sha256) if changed.photo else None
    account_id = await work.accounts.account_of_number(changed.phone_number_id) or envelope.account_id
    customer = await identify_customer(
        work, account_id, whatsapp_name(changed.customer), normalize=normalize, at=clock()
    )
    kept = await work.customers.keep_photo(customer.customer_id, photo, changed_at=envelope.occurred_at)
    log.info("customer photo kept" if kept else "older customer photo ignored", removed=photo is None)
