"""WhatsApp Web numbers' connection state as the router keeps it for the admins' notice: the newest report wins, only
the account's administrators read it, and a number connected again leaves the list."""

from __future__ import annotations

from datetime import timedelta

from leadline.events import WHATSAPP_INBOUND, NumberConnection, NumberConnectionChangedV1, new_envelope


async def ingest_reports(dealer, number: str, connection: NumberConnection, *, qr: bool = False, ago_s: float = 0):
    at = dealer.router.clock() - timedelta(seconds=ago_s)
    payload = NumberConnectionChangedV1(phone_number_id=number, connection=connection, needs_qr_code=qr, at=at)
    envelope = new_envelope(
        payload,
        account_id=dealer.account_id,
        stream_id=payload.stream_id(dealer.account_id),
        sequence=1,
        occurred_at=at,
    )
    await dealer.router.deliver(WHATSAPP_INBOUND, envelope)


async def test_an_administrator_sees_which_number_needs_its_qr_code_read_again(dealer):
    await ingest_reports(dealer, dealer.used_cars, NumberConnection.DISCONNECTED, qr=True)
    await ingest_reports(dealer, dealer.shared, NumberConnection.CONNECTED)

    async with dealer.client("diego") as admin, dealer.client("ana") as seller:
        listed = await admin.get("/admin/number-connections")
        refused = await seller.get("/admin/number-connections")

    assert listed.json()["items"] == [
        {
            "phone_number_id": dealer.used_cars,
            "name": "Acme Seminovos",
            "display_number": "551140000002",
            "connection": "disconnected",
            "needs_qr_code": True,
            "since": dealer.router.clock().isoformat(),
        }
    ]
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")


async def test_a_reconnected_number_leaves_the_list_and_an_older_report_does_not_bring_it_back(dealer):
    await ingest_reports(dealer, dealer.used_cars, NumberConnection.DISCONNECTED, qr=True, ago_s=60)
    await ingest_reports(dealer, dealer.used_cars, NumberConnection.CONNECTED)
    await ingest_reports(dealer, dealer.used_cars, NumberConnection.CONNECTING, ago_s=30)

    async with dealer.client("diego") as admin:
        listed = await admin.get("/admin/number-connections")

    assert listed.json()["items"] == []
