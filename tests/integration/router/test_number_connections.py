"""WhatsApp Web numbers' connection state as the router keeps it for the admins' notice: the newest report wins, only
the account's administrators read it, and a number whose session is open again leaves the list."""

from __future__ import annotations

import uuid
from datetime import timedelta

from leadline.events import Envelope
from leadline.router.service.number_connections import keep_number_connection


async def ingest_reports(dealer, number: str, state: str, *, ago_s: float = 0) -> None:
    at = dealer.router.clock() - timedelta(seconds=ago_s)
    envelope = Envelope(
        event_id=uuid.uuid4(),
        type="ingest.number.connection_changed",
        schema_version=1,
        account_id=dealer.account_id,
        stream_id=f"number:{number}",
        sequence=1,
        occurred_at=at,
        correlation_id=uuid.uuid4(),
        payload={},
    )
    await keep_number_connection(envelope, phone_number_id=number, state=state, at=at, uow=dealer.router.uow)


async def test_an_administrator_sees_which_number_needs_its_qr_code_read_again(dealer):
    await ingest_reports(dealer, dealer.used_cars, "close")
    await ingest_reports(dealer, dealer.shared, "open")

    async with dealer.client("diego") as admin, dealer.client("ana") as seller:
        listed = await admin.get("/admin/number-connections")
        refused = await seller.get("/admin/number-connections")

    assert listed.json()["items"] == [
        {
            "phone_number_id": dealer.used_cars,
            "name": "Acme Seminovos",
            "display_number": "551140000002",
            "state": "close",
            "since": dealer.router.clock().isoformat(),
        }
    ]
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")


async def test_a_reconnected_number_leaves_the_list_and_an_older_report_does_not_bring_it_back(dealer):
    await ingest_reports(dealer, dealer.used_cars, "close", ago_s=60)
    await ingest_reports(dealer, dealer.used_cars, "open")
    await ingest_reports(dealer, dealer.used_cars, "connecting", ago_s=30)

    async with dealer.client("diego") as admin:
        listed = await admin.get("/admin/number-connections")

    assert listed.json()["items"] == []
