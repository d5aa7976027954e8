"""The query API: a lead's timeline in pages, filtered by kind, and accent-insensitive search."""

from __future__ import annotations

import uuid

from .conftest import Feed


async def _finished_conversation(history, feed: Feed, texts: list[str]) -> tuple[uuid.UUID, uuid.UUID]:
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id, lead_id=lead_id)
    for n, text in enumerate(texts):
        await feed.say(conversation_id, text, origin="customer" if n % 2 == 0 else "agent")
    await feed.finish(conversation_id)
    await history.wait_for(lambda rows: any(r.kind == "conversation_finished" for r in rows), lead_id=lead_id)
    return conversation_id, lead_id


async def test_a_lead_timeline_comes_in_pages_newest_first_or_oldest_first(history, feed):
    _, lead_id = await _finished_conversation(history, feed, [f"mensagem {n}" for n in range(5)])
    async with history.client(feed.account_id) as client:
        first = (await client.get(f"/leads/{lead_id}/timeline", params={"limit": 3})).json()
        second = (
            await client.get(f"/leads/{lead_id}/timeline", params={"limit": 3, "offset": first["next_offset"]})
        ).json()
        third = (
            await client.get(f"/leads/{lead_id}/timeline", params={"limit": 3, "offset": second["next_offset"]})
        ).json()
        oldest = (await client.get(f"/leads/{lead_id}/timeline", params={"order": "oldest", "kind": "message"})).json()
    kinds = [e["kind"] for e in first["entries"] + second["entries"] + third["entries"]]
    assert kinds == ["conversation_finished"] + ["message"] * 5 + ["conversation_started"]
    assert third["next_offset"] is None and len(third["entries"]) == 1
    assert [e["text"] for e in oldest["entries"]] == [f"mensagem {n}" for n in range(5)]
    assert (
        oldest["entries"][1]["agent"] == {"id": "ana", "name": "Ana Souza"}
        and oldest["entries"][1]["direction"] == "outbound"
    )


async def test_agents_of_another_account_get_404_for_a_lead_and_a_conversation(history, feed):
    conversation_id, lead_id = await _finished_conversation(history, feed, ["Oi"])
    async with history.client("another-dealer") as client:
        lead = await client.get(f"/leads/{lead_id}/timeline")
        search = await client.get(f"/conversations/{conversation_id}/messages/search", params={"q": "oi"})
    async with history.client(feed.account_id) as client:
        missing = await client.get(f"/leads/{uuid.uuid4()}/timeline")
    assert lead.status_code == search.status_code == missing.status_code == 404
    assert lead.json()["error"]["code"] == "not_found"


async def test_the_timeline_needs_a_bearer_token(history, feed):
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=history.app), base_url="http://history") as client:
        assert (await client.get(f"/leads/{uuid.uuid4()}/timeline")).status_code == 401


async def test_search_is_portuguese_and_accent_insensitive(history, feed):
    conversation_id, _ = await _finished_conversation(
        history,
        feed,
        [
            "Não tenho entrada para o financiamento",
            "Podemos simular com a troca do seu carro",
            "Ótimo, ainda hoje?",
        ],
    )
    async with history.client(feed.account_id) as client:

        async def found(q: str) -> list[str]:
            response = await client.get(f"/conversations/{conversation_id}/messages/search", params={"q": q})
            assert response.status_code == 200, response.text
            return [m["text"] for m in response.json()["messages"]]

        assert await found("nao") == ["Não tenho entrada para o financiamento"]
        assert await found("financiamentos") == ["Não tenho entrada para o financiamento"]
        assert await found("otimo") == ["Ótimo, ainda hoje?"]
        assert await found("SIMULAR troca") == ["Podemos simular com a troca do seu carro"]
        assert await found("moto") == []
