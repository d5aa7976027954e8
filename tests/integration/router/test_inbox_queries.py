"""The inbox list: search by name or number, date range, team and agent filters, paging, lead pinned first."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.integration.router.conftest import new_customer


async def test_the_inbox_searches_filters_pages_and_pins_the_leads_conversation(router):
    dealer = await router.dealer()
    marcos = await dealer.open_conversation("5511987650101", name="Marcos Silva")
    lead_id = str(uuid.uuid4())
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{marcos}/claim", json={"lead_id": lead_id})  # a claim is activity too
    router.clock.advance(minutes=1)
    julia = await dealer.open_conversation("5511987650202", name="Júlia Costa")
    router.clock.advance(seconds=1)
    joao = await dealer.open_conversation("551187650303", name="João Batista")  # WhatsApp's id without the ninth digit
    router.clock.advance(minutes=1)
    used = await dealer.open_conversation(new_customer(), name="Pedro Alves", number=dealer.used_cars)
    async with dealer.client("diego") as admin:

        async def ids(**params) -> list[str]:
            answer = await admin.get("/conversations", params=params)
            assert answer.status_code == 200, answer.text
            return [c["conversation_id"] for c in answer.json()["items"]]

        assert await ids() == [used, joao, julia, marcos], "newest activity first"
        assert await ids(q="marcos") == [marcos]
        assert await ids(q="julia") == await ids(q="JÚLIA") == await ids(q="Júlia C") == [julia], (
            "accents and case aside"
        )
        assert await ids(q="joao") == await ids(q="JOÃO") == [joao]
        assert await ids(q="_") == await ids(q="%") == [], "the agent's text is text, not a pattern"
        for typed in ("98765-0202", "+55 11 98765-0202", "11987650202", "987650202", "(11) 8765-0202", "551187650202"):
            assert await ids(q=typed) == [julia], f"by number, however it is typed: {typed}"
        for typed in ("+55 11 98765-0303", "11987650303", "987650303", "1187650303"):
            assert await ids(q=typed) == [joao], f"with or without the ninth digit: {typed}"
        assert await ids(agent="ana") == [marcos]
        assert await ids(team="seminovos") == [used, joao, julia, marcos]
        assert await ids(team="vendas") == [joao, julia, marcos], "the seminovos-only number is not in vendas' pool"
        assert await ids(limit=1, offset=1) == [joao]
        assert (await ids(lead_id=lead_id))[0] == marcos, "opened from the lead: its conversation first"
        since = (router.clock() - timedelta(seconds=30)).isoformat()
        assert await ids(since=since) == [used]
        counts = (await admin.get("/conversations")).json()["counts"]
        assert counts == {"new": 3, "unanswered": 1, "no_reply": 0, "finished": 0}
