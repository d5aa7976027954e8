"""``leadline replay history``: rebuilt beside the live timeline while the service consumes, then swapped in."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update

from leadline.events.leads import LeadTemperatureChangedV1
from leadline.history.adapters.tables import timeline_entries
from tests.leadline_cli import leadline


async def _seed_a_lead(feed) -> uuid.UUID:
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id)
    await feed.say(conversation_id, "Olá, o Onix ainda está disponível?")
    await feed.say(conversation_id, "Está sim!", origin="agent")
    await feed.finish(conversation_id)
    await feed.lead_created(lead_id, conversation_id, wa_id)
    return lead_id


async def _rows(history, lead_id: uuid.UUID) -> list:
    async with history.sessions() as session:
        return [
            dict(row._mapping)
            for row in (
                await session.execute(
                    select(timeline_entries)
                    .where(timeline_entries.c.lead_id == lead_id)
                    .order_by(timeline_entries.c.entry_id)
                )
            ).all()
        ]


def _args(history) -> list[str]:
    return [
        "--database-url",
        history.settings.database_url,
        "--bootstrap-servers",
        history.settings.kafka_bootstrap_servers,
    ]


async def test_a_dry_run_reports_the_damage_and_changes_nothing_then_the_lead_replay_repairs_it(history, feed):
    lead_id, other_lead = await _seed_a_lead(feed), await _seed_a_lead(feed)
    await history.wait_for(lambda rows: len(rows) == 4, lead_id=lead_id)
    await history.wait_for(lambda rows: len(rows) == 4, lead_id=other_lead)
    healthy, other = await _rows(history, lead_id), await _rows(history, other_lead)
    async with history.sessions() as session, session.begin():  # a bug ate one entry and garbled another
        await session.execute(delete(timeline_entries).where(timeline_entries.c.entry_id == healthy[0]["entry_id"]))
        await session.execute(
            update(timeline_entries).where(timeline_entries.c.entry_id == healthy[1]["entry_id"]).values(text="???")
        )
        await session.execute(
            update(timeline_entries).where(timeline_entries.c.entry_id == other[0]["entry_id"]).values(text="!!!")
        )
    damaged = await _rows(history, lead_id)

    dry = await leadline("replay", "history", "--lead", str(lead_id), "--dry-run", *_args(history))
    assert dry.code == 0, dry.output
    assert "dry run: nothing changed" in dry.stdout
    assert "3 row difference(s)" in dry.stdout  # one missing row, one changed row (counted on both sides)
    assert await _rows(history, lead_id) == damaged

    fixed = await leadline("replay", "history", "--lead", str(lead_id), *_args(history))
    assert fixed.code == 0, fixed.output
    assert "swapped in" in fixed.stdout
    assert await _rows(history, lead_id) == healthy
    assert [row["text"] for row in await _rows(history, other_lead)].count("!!!") == 1  # other leads untouched


async def test_a_full_replay_while_the_service_consumes_swaps_in_the_same_timeline_and_consumption_goes_on(
    history, feed
):
    lead_id = await _seed_a_lead(feed)
    await history.wait_for(lambda rows: len(rows) == 4, lead_id=lead_id)
    before = await _rows(history, lead_id)

    replayed = await leadline("replay", "history", *_args(history))
    assert replayed.code == 0, replayed.output
    assert "swapped in" in replayed.stdout
    assert await _rows(history, lead_id) == before, "the replayed timeline equals the live one, row for row"

    # the live consumer goes on writing into the swapped-in tables, and does not apply anything twice
    await feed.send(LeadTemperatureChangedV1(lead_id=lead_id, from_temperature=None, to_temperature="hot"))
    await feed.publish(feed.sent[2])  # a redelivery of an event the replay applied
    rows = await history.wait_for(lambda rows: len(rows) == 5, lead_id=lead_id)
    assert rows[-1].kind == "temperature_changed" or any(r.temperature == "hot" for r in rows)


async def test_replaying_from_a_timestamp_keeps_the_timeline_and_adds_nothing_twice(history, feed):
    lead_id = await _seed_a_lead(feed)
    await history.wait_for(lambda rows: len(rows) == 4, lead_id=lead_id)
    before = await _rows(history, lead_id)
    since = feed.sent[0].occurred_at.isoformat()

    result = await leadline("replay", "history", "--from", since, "--lead", str(lead_id), "--dry-run", *_args(history))
    assert result.code == 0, result.output
    assert "0 row difference(s)" in result.stdout
    assert await _rows(history, lead_id) == before


async def test_bad_arguments_and_an_unreachable_database_end_in_one_line_and_a_non_zero_exit(history):
    unknown = await leadline("replay", "ledger", *_args(history))
    assert unknown.code == 2 and "unknown projection 'ledger'" in unknown.stderr
    both = await leadline("replay", "history", "--lead", "a", "--conversation", "b", *_args(history))
    assert both.code == 2 and "not both" in both.stderr
    router_since = await leadline("replay", "router", "--from", "2026-01-01T00:00:00Z", *_args(history))
    assert router_since.code == 1 and "from the beginning only" in router_since.stderr
    down = await leadline(
        "replay",
        "history",
        "--database-url",
        "postgresql://nobody@127.0.0.1:9/nothing",
        "--bootstrap-servers",
        history.settings.kafka_bootstrap_servers,
    )
    assert down.code == 1
    assert "Traceback" not in down.output and len(down.stderr.strip().splitlines()) == 1, down.stderr
