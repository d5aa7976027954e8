"""A replay never wipes silently: ``leadline replay history`` refuses a source that cannot explain the timeline.

The issue's story, reproduced: a timeline filled by the live service from one broker; the broker restarts and forgets
its log (the embedded one keeps nothing; in production: a recreated topic, or the command pointed at the wrong
cluster); the topics are created again, empty. Before the guard, ``leadline replay history`` rebuilt from the empty
topics, swapped the empty timeline in and exited 0.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from sqlalchemy import delete, insert, select

from leadline.history.adapters.tables import timeline_entries
from leadline.history.bootstrap import MIGRATIONS, build, rebuild
from leadline.history.bootstrap import replayable as replayable_timeline
from leadline.history.entrypoints.settings import HistorySettings
from leadline.platform.db import connect_raw, create_engine, session_factory
from leadline.platform.embedded import EmbeddedKafka
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.projection_replay import replay_projection
from leadline.platform.replay_guard import ReplayRefused
from leadline.platform.settings import KafkaSettings
from leadline.platform.topic_admin import ensure_topics
from tests.leadline_cli import leadline

from .conftest import JWT_SECRET, Feed
from .test_replay_command import _seed_a_lead


@dataclass
class ForgottenLog:
    """A timeline the live service built from one broker, and a second broker that knows the topics but not the events."""

    database_url: str
    spare_database_url: str
    """The same timeline, copied: for the test that forces the wipe."""
    bootstrap_servers: str
    leads: list[uuid.UUID]
    conversation_id: uuid.UUID
    first_event_at: str
    entries: int

    def args(self, database_url: str | None = None) -> list[str]:
        return ["--database-url", database_url or self.database_url, "--bootstrap-servers", self.bootstrap_servers]


async def _entries(database_url: str) -> list[dict]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            return [
                dict(row._mapping)
                for row in (await session.execute(select(timeline_entries).order_by(timeline_entries.c.entry_id))).all()
            ]
    finally:
        await engine.dispose()


async def _leftover_schemas(database_url: str) -> list[str]:
    connection = await connect_raw(database_url)
    try:
        return [
            row[0]
            for row in await connection.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'replay\\_%' OR nspname LIKE 'retired\\_%'"
            )
        ]
    finally:
        await connection.close()


async def _topics(bootstrap_servers: str) -> None:
    await ensure_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap_servers))


@pytest.fixture(scope="module")
async def forgotten(infra) -> ForgottenLog:
    url = await infra.new_database("history_guard")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    first_broker = EmbeddedKafka().start()
    try:
        await _topics(first_broker.bootstrap_servers)
        settings = HistorySettings(
            database_url=url,
            kafka_bootstrap_servers=first_broker.bootstrap_servers,
            jwt_secret=JWT_SECRET,
            kafka_group_prefix=f"t{uuid.uuid4().hex[:6]}-",
        )
        app = build(settings)
        producer = AIOKafkaProducer(bootstrap_servers=first_broker.bootstrap_servers, acks="all", linger_ms=1)
        await producer.start()
        try:
            async with app.router.lifespan_context(app):
                feed = Feed(producer)
                leads = [await _seed_a_lead(feed), await _seed_a_lead(feed)]
                deadline = asyncio.get_running_loop().time() + 30
                while len(await _entries(url)) < 8:  # 4 entries per lead
                    assert asyncio.get_running_loop().time() < deadline, "the live service never built the timeline"
                    await asyncio.sleep(0.1)
        finally:
            await producer.stop()
    finally:
        first_broker.stop()
    # the broker restarts with an empty log; `leadline topics create` (or `make run`) creates the topics again
    second_broker = EmbeddedKafka().start()
    await _topics(second_broker.bootstrap_servers)
    spare = await infra.copy_of_database(url, "history_guard_spare")
    conversation_id = next(e.payload["conversation_id"] for e in feed.sent if e.type == "router.conversation.opened")
    yield ForgottenLog(
        url,
        spare,
        second_broker.bootstrap_servers,
        leads,
        uuid.UUID(conversation_id),
        feed.sent[0].occurred_at.isoformat(),
        len(await _entries(url)),
    )
    second_broker.stop()


async def test_a_replay_from_a_broker_that_forgot_its_log_is_refused_and_the_timeline_is_kept(forgotten):
    before = await _entries(forgotten.database_url)

    result = await leadline("replay", "history", *forgotten.args())

    assert result.code == 2, result.output
    paragraph = result.stderr.strip()
    assert len(paragraph.splitlines()) == 1, "one paragraph"
    assert paragraph.startswith("error: refused to replay history: its source cannot explain the projection")
    assert "The live projection has applied 10 event(s) its source does not hold" in paragraph
    assert "The source ends before the positions the live projection has recorded" in paragraph
    assert "rows no replayed event explains (8 from timeline_entries, 2 from conversations)" in paragraph
    assert "Nothing was changed" in paragraph and "refused: nothing changed" in result.stdout
    assert await _entries(forgotten.database_url) == before and len(before) == forgotten.entries == 8
    assert await _leftover_schemas(forgotten.database_url) == []


@pytest.mark.parametrize("scope", ["lead", "conversation", "since"])
async def test_a_replay_of_one_lead_one_conversation_or_since_a_time_is_refused_the_same_way(forgotten, scope):
    """In-process (the command maps any refusal to exit 2 the same way, shown above)."""
    replayable = replayable_timeline(HistorySettings(kafka_bootstrap_servers=forgotten.bootstrap_servers))
    kwargs = {
        "lead": {"scope": ("lead", str(forgotten.leads[0]))},
        "conversation": {"scope": ("conversation", str(forgotten.conversation_id))},
        "since": {"since": datetime.fromisoformat(forgotten.first_event_at)},
    }[scope]
    before = await _entries(forgotten.database_url)

    report = await replay_projection(replayable, forgotten.database_url, **kwargs)

    assert report.refused and not report.swapped
    reasons = [o.reason for o in report.objections]
    if scope == "since":  # the inbox is copied, not rebuilt: the topics hold fewer events than it records
        assert reasons == [
            "the source holds 0 event(s) in all, fewer than the 10 the live projection has applied: it "
            "was emptied or recreated, or it is not the source the projection was built from"
        ]
        assert report.unexplained == []  # --from keeps the live rows: it could not have removed any
    else:
        assert reasons[0].startswith("the live projection has applied 10 event(s) its source does not hold")
        assert reasons[1].startswith(
            "the source ends before the positions the live projection has recorded for 4 stream(s)"
        )
        assert {rows.table: rows.count for rows in report.unexplained} == {"timeline_entries": 4, "conversations": 1}
    assert await _entries(forgotten.database_url) == before
    assert await _leftover_schemas(forgotten.database_url) == []


async def test_a_dry_run_names_the_rows_the_replay_would_remove_and_why(forgotten):
    result = await leadline("replay", "history", "--dry-run", *forgotten.args())

    assert result.code == 2, result.output
    assert "a replay of history would be refused" in result.stderr
    assert "timeline_entries: 8 row(s), the event it was recorded from is not in the topics; e.g. " in result.stdout
    assert "conversations: 2 row(s), no event of this conversation is in the topics" in result.stdout
    first = min(f"{e['kind']} {e['source_key']} of lead {e['lead_id']}" for e in await _entries(forgotten.database_url))
    assert f"the event it was recorded from is not in the topics; e.g. {first}; " in result.stdout
    assert "dry run: nothing changed" in result.stdout
    assert len(await _entries(forgotten.database_url)) == 8


async def test_force_replays_anyway_and_the_report_says_it_was_forced_and_what_it_removed(forgotten):
    assert len(await _entries(forgotten.spare_database_url)) == 8

    result = await leadline("replay", "history", "--force", *forgotten.args(forgotten.spare_database_url))

    assert result.code == 0, result.output
    assert "forced past: The live projection has applied 10 event(s) its source does not hold" in result.stdout
    assert "rows no replayed event explains (removed anyway: --force)" in result.stdout
    assert "timeline_entries: 8 row(s)" in result.stdout
    assert "swapped in (forced)" in result.stdout
    assert await _entries(forgotten.spare_database_url) == []


async def test_a_timeline_row_whose_event_the_topics_never_held_refuses_the_replay(history, feed):
    """A row no replayed event explains (restored from a backup, or written by hand) is not removed silently."""
    lead_id = await _seed_a_lead(feed)
    await history.wait_for(lambda rows: len(rows) == 4, lead_id=lead_id)
    stray = dict((await history.entries(lead_id=lead_id))[0]._mapping)
    stray.pop("search")
    stray.update(entry_id=uuid.uuid4(), source_key=f"event:{uuid.uuid4()}", source_event_id=uuid.uuid4())
    async with history.sessions() as session, session.begin():
        await session.execute(insert(timeline_entries).values(**stray))
    args = [
        "--lead",
        str(lead_id),
        "--database-url",
        history.settings.database_url,
        "--bootstrap-servers",
        history.settings.kafka_bootstrap_servers,
    ]
    try:
        dry = await leadline("replay", "history", "--dry-run", *args)
        refused = await leadline("replay", "history", *args)
        assert await history.entries(lead_id=lead_id, entry_id=stray["entry_id"]), "refused: the row is still there"
    finally:
        async with history.sessions() as session, session.begin():
            await session.execute(delete(timeline_entries).where(timeline_entries.c.entry_id == stray["entry_id"]))

    assert dry.code == 2, dry.output
    assert (
        f"timeline_entries: 1 row(s), the event it was recorded from is not in the topics; e.g. {stray['kind']} "
        f"{stray['source_key']} of lead {lead_id}" in dry.stdout
    )
    assert refused.code == 2, refused.output
    assert "The rebuild would remove rows no replayed event explains (1 from timeline_entries)" in refused.stderr
    assert "applied" not in refused.stderr, "every event the live timeline applied is in the topics"


async def test_a_topic_truncated_by_retention_is_refused_before_anything_is_built(history, infra):
    """Needs a broker with DeleteRecords (Apache Kafka: LEADLINE_TEST_INFRA=containers); tansu closes the connection
    on it and keeps every log from offset 0, so on the embedded broker the rule is proven by tests/unit only."""
    topic = f"guard-truncated-{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka_settings, [(topic, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers)
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(topic, b"{}", key=str(n).encode())
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers)
    await admin.start()
    try:
        await asyncio.wait_for(admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(2)}), 10)
    except Exception as error:  # noqa: BLE001 - the capability probe
        pytest.skip(f"this broker cannot truncate a log (DeleteRecords failed: {type(error).__name__})")
    finally:
        await admin.close()
    replayable = _replayable(history, topics=[topic])
    before = await history.entries()

    report = await replay_projection(replayable, history.settings.database_url)

    assert report.refused and not report.swapped and report.diffs == []
    assert [o.reason for o in report.objections] == [
        f"topic {topic} no longer starts at offset 0 (partition 0 starts at 2): it was truncated by retention or "
        "recreated, so events the projection was built from are gone"
    ]
    assert await history.entries() == before


async def test_a_topic_the_broker_does_not_know_is_refused_even_when_forced(history):
    before = await history.entries()

    report = await replay_projection(
        _replayable(history, topics=["leadline.nowhere"]), history.settings.database_url, force=True
    )

    assert report.refused and not report.forced and not report.swapped
    assert "the broker does not know leadline.nowhere" in report.objections[0].reason
    assert await history.entries() == before


def _replayable(history, *, topics: list[str]):
    replayable = replayable_timeline(history.settings)
    replayable.topics = topics
    return replayable


async def test_the_offline_rebuild_refuses_to_empty_a_timeline_it_cannot_compare_with_its_source(history, feed):
    lead_id = await _seed_a_lead(feed)
    before = await history.wait_for(lambda rows: len(rows) == 4, lead_id=lead_id)

    with pytest.raises(ReplayRefused, match="the projection is not empty"):
        await rebuild(history.settings, history.sessions)

    assert await history.entries(lead_id=lead_id) == before
