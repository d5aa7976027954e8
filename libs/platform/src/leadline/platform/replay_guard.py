"""A replay never wipes silently: before a rebuilt projection replaces the live one, its source must explain it.

A replay is refused (nothing swapped, nothing left behind) when it meets an ``Objection``:

- the source is incomplete: a topic's log starts above offset 0 (truncated by retention, or recreated), or its
  events end before what the live projection has recorded (its inbox, its stream positions, a view's version);
- the rebuild would remove live rows that no replayed event explains (``RemovalRule`` per table says what
  explains a row; ``UnexplainedRows`` names them).

``--force`` overrides; the report then records that it was forced and what was removed. The checks that need the
live projection run under the replay's lock, after the catch-up, so nothing the live consumer applied escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import TopicPartition
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Integer, Text

from . import kafka_clients
from .settings import KafkaSettings
from .shadow import LIVE_SCHEMA, identifier

EXAMPLES = 5
"""Rows or streams named per objection; the counts are always complete."""


@dataclass(frozen=True)
class Objection:
    """One reason the source cannot explain the projection it would replace (a sentence an operator acts on)."""

    reason: str
    unreadable: bool = False
    """The source cannot be read at all (an unknown topic): nothing is built, even for a dry run or ``--force``."""


@dataclass(frozen=True)
class RemovalRule:
    """When a live row of a table may disappear in a rebuild.

    ``explained_if``: SQL over the live row ``live``; ``{rebuilt}`` is the rebuilt schema (its tables hold what the
    replay read, e.g. its inbox). ``names``: SQL naming the row in a report. ``why``: why an unexplained row may not go.
    """

    explained_if: str
    names: str
    why: str


@dataclass(frozen=True)
class UnexplainedRows:
    """Live rows of ``table`` the swap would remove although no replayed event explains them."""

    table: str
    count: int
    examples: tuple[str, ...]
    why: str


class ReplayRefused(Exception):
    """Raised where a replay has no report to carry its objections (an offline rebuild)."""

    def __init__(self, objections: list[Objection]) -> None:
        super().__init__("; ".join(o.reason for o in objections))
        self.objections = objections


def truncated_partitions(beginnings: Mapping[TopicPartition, int]) -> list[Objection]:
    """Topics whose log no longer starts at offset 0: events the projection was built from may be gone."""
    by_topic: dict[str, list[str]] = {}
    for tp, offset in sorted(beginnings.items()):
        if offset > 0:
            by_topic.setdefault(tp.topic, []).append(f"partition {tp.partition} starts at {offset}")
    return [
        Objection(
            f"topic {topic} no longer starts at offset 0 ({', '.join(parts)}): it was truncated by "
            "retention or recreated, so events the projection was built from are gone"
        )
        for topic, parts in by_topic.items()
    ]


async def topic_objections(kafka: KafkaSettings, topics: list[str]) -> list[Objection]:
    """Unknown or truncated source topics, read from the broker before anything is built."""
    reader = kafka_clients.consumer(kafka, group_id=None, enable_auto_commit=False)
    await reader.start()
    try:
        await reader.topics()
        unknown = [topic for topic in topics if not reader.partitions_for_topic(topic)]
        if unknown:
            return [
                Objection(
                    f"the broker does not know {', '.join(unknown)}: wrong cluster, or the topics were lost",
                    unreadable=True,
                )
            ]
        partitions = [TopicPartition(topic, p) for topic in topics for p in sorted(reader.partitions_for_topic(topic))]
        return truncated_partitions(await reader.beginning_offsets(partitions))
    finally:
        await reader.stop()


async def events_the_source_lacks(connection: AsyncConnection, rebuilt: str, consumer: str) -> list[Objection]:
    """Events the live consumer recorded in its inbox that the replay (rebuilt from scratch) never read."""
    missing = (
        f"FROM {LIVE_SCHEMA}.inbox AS live WHERE consumer = :consumer AND NOT EXISTS (SELECT 1 FROM "
        f"{identifier(rebuilt)}.inbox AS replayed WHERE replayed.consumer = live.consumer "
        "AND replayed.event_id = live.event_id)"
    )
    count = int((await connection.execute(text(f"SELECT count(*) {missing}"), {"consumer": consumer})).scalar_one())
    if not count:
        return []
    examples = (
        (
            await connection.execute(
                text(f"SELECT event_id {missing} ORDER BY handled_at LIMIT {EXAMPLES}"), {"consumer": consumer}
            )
        )
        .scalars()
        .all()
    )
    return [
        Objection(
            f"the live projection has applied {count} event(s) its source does not hold "
            f"(e.g. {', '.join(map(str, examples))})"
        )
    ]


async def fewer_events_than_applied(connection: AsyncConnection, consumer: str, held: int) -> list[Objection]:
    """A source holding fewer events in all than the live consumer's inbox records cannot be the one it read.

    ``held``: the records the source's partitions hold up to where the replay stopped (their next offsets, for logs
    starting at 0). A replay from a timestamp reads only the end of the log; this count needs no more.
    """
    applied = int(
        (
            await connection.execute(
                text(f"SELECT count(*) FROM {LIVE_SCHEMA}.inbox WHERE consumer = :consumer"), {"consumer": consumer}
            )
        ).scalar_one()
    )
    if applied <= held:
        return []
    return [
        Objection(
            f"the source holds {held} event(s) in all, fewer than the {applied} the live projection has "
            "applied: it was emptied or recreated, or it is not the source the projection was built from"
        )
    ]


async def streams_behind(
    connection: AsyncConnection, consumer: str, reached: Mapping[str, int], *, complete: bool
) -> list[Objection]:
    """Streams whose recorded position is past the last sequence the replay read.

    ``complete``: the replay read the whole source, so a recorded stream it never met ends at 0 in the source.
    """
    statement = text(
        f"SELECT live.stream_id, live.last_sequence, read.sequence, count(*) OVER () AS behind "
        f"FROM {LIVE_SCHEMA}.stream_positions AS live "
        "LEFT JOIN unnest(:streams, :sequences) AS read(stream_id, sequence) USING (stream_id) "
        "WHERE live.consumer = :consumer AND (read.sequence < live.last_sequence OR (read.sequence IS NULL AND :complete)) "
        f"ORDER BY live.stream_id LIMIT {EXAMPLES}"
    ).bindparams(bindparam("streams", type_=ARRAY(Text)), bindparam("sequences", type_=ARRAY(Integer)))
    rows = (
        await connection.execute(
            statement,
            {
                "streams": list(reached),
                "sequences": list(reached.values()),
                "consumer": consumer,
                "complete": complete,
            },
        )
    ).all()
    if not rows:
        return []
    examples = "; ".join(
        f"{row.stream_id} recorded at {row.last_sequence}, source ends at {row.sequence or 0}" for row in rows
    )
    return [
        Objection(
            f"the source ends before the positions the live projection has recorded for {rows[0].behind} "
            f"stream(s) ({examples})"
        )
    ]


async def unexplained_removals(
    connection: AsyncConnection,
    rebuilt: str,
    rules: Mapping[str, RemovalRule],
    *,
    scope: Mapping[str, tuple[str, str]] | None = None,
) -> list[UnexplainedRows]:
    """Per table with a rule: live rows no rebuilt row shares a primary key with, and that no replayed event explains.

    ``scope``: table → (column, value); only those tables, and only their rows in scope, are replaced.
    """
    found = []
    for table, rule in rules.items():
        if scope is not None and table not in scope:
            continue
        where, params = "", {}
        if scope is not None:
            column, value = scope[table]
            where, params = f" AND live.{identifier(column)}::text = :scope_value", {"scope_value": value}
        key = await _primary_key(connection, table)
        same_key = " AND ".join(f"rebuilt.{column} = live.{column}" for column in key)
        unexplained = (
            f"FROM {LIVE_SCHEMA}.{identifier(table)} AS live WHERE NOT EXISTS (SELECT 1 FROM "
            f"{identifier(rebuilt)}.{table} AS rebuilt WHERE {same_key}) "
            f"AND NOT ({rule.explained_if.format(rebuilt=rebuilt)}){where}"
        )
        count = int((await connection.execute(text(f"SELECT count(*) {unexplained}"), params)).scalar_one())
        if count:
            examples = (
                (
                    await connection.execute(
                        text(f"SELECT {rule.names} AS named {unexplained} ORDER BY named LIMIT {EXAMPLES}"), params
                    )
                )
                .scalars()
                .all()
            )
            found.append(UnexplainedRows(table, count, tuple(str(e) for e in examples), rule.why))
    return found


async def _primary_key(connection: AsyncConnection, table: str) -> list[str]:
    rows = await connection.execute(
        text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = CAST(:table AS regclass) AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)"
        ),
        {"table": f"{LIVE_SCHEMA}.{identifier(table)}"},
    )
    key = [identifier(row[0]) for row in rows]
    if not key:
        raise LookupError(f"{table} has no primary key: a replay cannot tell which of its rows it would remove")
    return key
