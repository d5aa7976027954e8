"""Replaying a projection while its service runs: build in a shadow schema, catch up under a short lock, swap.

1. ``create_shadow``: empty twins of the projection's tables (``--from``: copies of the live rows).
2. ``build``: the service replays its source (topics or event store) into the shadow; the live service
   keeps answering and consuming meanwhile, because nothing it touches is locked.
3. One transaction locks the live tables (live writers wait), ``catch_up`` replays what arrived since
   step 2 began, ``diff`` compares shadow and live row for row, and — unless dry-run — the shadow tables
   are swapped in (all of them, or one lead's / conversation's rows). Live writers then carry on against
   the new tables; their inbox rows came along, so nothing is applied twice.

A replay never wipes silently (``leadline.platform.replay_guard``): the source is checked before step 1, and what
the live projection has recorded is checked against what the replay read in step 3, before the swap. An objection
refuses the replay (nothing swapped, the shadow dropped) unless ``force``; a dry run reports them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from . import replay_guard, shadow
from .db import create_engine
from .replay_guard import Objection, RemovalRule, UnexplainedRows

log = structlog.get_logger(__name__)

Progress = Callable[[int, int], None]
"""Called with (events read, events expected so far) as a replay goes."""


class ReplayableProjection(Protocol):
    name: str
    tables: list[str]
    """Swapped in whole (or, for a scope, row by row)."""
    lock_tables: list[str]
    """Locked against live writers during the catch-up and swap: the tables, plus any source written with them."""
    supports_since: bool
    """Whether ``since`` (replay on top of the live rows from a timestamp) makes sense for this projection."""
    scopes: Mapping[str, Mapping[str, str]]
    """Scope name (``lead``, ``conversation``) → table → column holding its id."""
    removal_rules: Mapping[str, RemovalRule]
    """Table → which of its live rows a replayed event explains if the rebuild removes them; the others refuse."""

    async def source_objections(self, *, since: datetime | None) -> list[Objection]:
        """What is wrong with the source itself (a truncated or unknown topic), checked before anything is built."""

    async def coverage_objections(
        self, connection: AsyncConnection, rebuilt: str, checkpoint: object, *, since: datetime | None
    ) -> list[Objection]:
        """Under the lock, after the catch-up: what the live projection has recorded that the replay did not read."""

    async def build(
        self, sessions: async_sessionmaker[AsyncSession], *, since: datetime | None, progress: Progress
    ) -> object:
        """Replay into the tables ``sessions`` resolve to; returns where the catch-up starts."""

    async def catch_up(self, sessions: async_sessionmaker[AsyncSession], checkpoint: object) -> int:
        """Replay what arrived after ``checkpoint``; the live tables are locked meanwhile. Returns events read."""


@dataclass
class ReplayReport:
    projection: str
    dry_run: bool
    scope: tuple[str, str] | None
    events_built: int = 0
    events_caught_up: int = 0
    diffs: list[shadow.TableDiff] = field(default_factory=list)
    swapped: bool = False
    seconds: float = 0.0
    locked_seconds: float = 0.0
    objections: list[Objection] = field(default_factory=list)
    unexplained: list[UnexplainedRows] = field(default_factory=list)
    forced: bool = False
    """``force`` overrode objections: the swap (or, dry-run, the verdict) went past them."""

    @property
    def changes(self) -> int:
        return sum(d.only_live + d.only_rebuilt for d in self.diffs)

    @property
    def objected(self) -> bool:
        return bool(self.objections or self.unexplained)

    @property
    def refused(self) -> bool:
        return self.objected and not self.forced


async def replay_projection(
    projection: ReplayableProjection,
    database_url: str,
    *,
    since: datetime | None = None,
    scope: tuple[str, str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    lock_timeout_s: float = 10.0,
) -> ReplayReport:
    """Rebuild ``projection`` beside the live one and swap it in (or, dry-run, only report the difference).

    Refused (``report.refused``, nothing changed) when the source cannot explain the live projection, unless ``force``.
    """
    if scope and scope[0] not in projection.scopes:
        raise ValueError(
            f"{projection.name} cannot be replayed for one {scope[0]}; scopes: {', '.join(projection.scopes) or 'none'}"
        )
    if since is not None and not projection.supports_since:
        raise ValueError(f"{projection.name} is replayed from the beginning only (no --from)")
    started = time.monotonic()
    report = ReplayReport(projection.name, dry_run, scope)
    report.objections = await projection.source_objections(since=since)
    report.forced = force and report.objected
    if (report.refused and not dry_run) or any(o.unreadable for o in report.objections):
        report.forced = False
        return _finished(report, started)  # refused before anything is built
    run_id = uuid.uuid4().hex[:8]
    shadow_schema, retired_schema = f"replay_{run_id}", f"retired_{run_id}"
    live_engine = create_engine(database_url, pool_size=2)
    shadow_engine = shadow.shadow_engine(database_url, shadow_schema)
    created = False
    try:
        async with live_engine.begin() as connection:
            await shadow.create_shadow(connection, shadow_schema, projection.tables, copy_rows=since is not None)
        created = True
        sessions = async_sessionmaker(shadow_engine, expire_on_commit=False)
        counter = _Counter(progress)
        checkpoint = await projection.build(sessions, since=since, progress=counter)
        report.events_built = counter.read
        async with live_engine.begin() as connection:
            locked_at = time.monotonic()
            await shadow.lock_live(connection, projection.lock_tables, timeout_s=lock_timeout_s)
            report.events_caught_up = await projection.catch_up(sessions, checkpoint)
            report.objections += await projection.coverage_objections(
                connection, shadow_schema, checkpoint, since=since
            )
            report.unexplained = await replay_guard.unexplained_removals(
                connection, shadow_schema, projection.removal_rules, scope=_scoped_columns(projection, scope)
            )
            report.forced = force and report.objected
            report.diffs = await _diffs(connection, projection, shadow_schema, scope)
            if not dry_run and not report.refused:
                await _apply(connection, projection, shadow_schema, retired_schema, scope)
                report.swapped = True
            report.locked_seconds = time.monotonic() - locked_at
    finally:
        if created:
            await _drop_schemas(live_engine, shadow_schema, retired_schema)
        await shadow_engine.dispose()
        await live_engine.dispose()
    return _finished(report, started)


def _finished(report: ReplayReport, started: float) -> ReplayReport:
    report.seconds = time.monotonic() - started
    reasons = [o.reason for o in report.objections] + [
        f"{u.count} {u.table} row(s): {u.why}" for u in report.unexplained
    ]
    if report.refused:
        log.warning("projection replay refused", projection=report.projection, dry_run=report.dry_run, reasons=reasons)
    elif report.forced:
        log.warning(
            "projection replay forced",
            projection=report.projection,
            dry_run=report.dry_run,
            reasons=reasons,
            removed={d.table: d.only_live for d in report.diffs if d.only_live},
        )
    log.info(
        "projection replayed",
        projection=report.projection,
        dry_run=report.dry_run,
        swapped=report.swapped,
        changes=report.changes,
        events=report.events_built + report.events_caught_up,
        seconds=round(report.seconds, 2),
    )
    return report


async def _drop_schemas(engine: AsyncEngine, *schemas: str) -> None:
    """The shadow goes whatever happened: a refused or failed replay leaves nothing behind."""
    try:
        async with engine.begin() as connection:
            for schema in schemas:
                await shadow.drop_schema(connection, schema)
    except Exception as error:  # noqa: BLE001 - the replay's own outcome (or error) is what the operator must see
        log.warning("replay could not drop its shadow schemas", schemas=list(schemas), error=str(error))


def _scoped_columns(
    projection: ReplayableProjection, scope: tuple[str, str] | None
) -> dict[str, tuple[str, str]] | None:
    if scope is None:
        return None
    return {table: (column, scope[1]) for table, column in projection.scopes[scope[0]].items()}


async def _diffs(
    connection: AsyncConnection, projection: ReplayableProjection, schema: str, scope: tuple[str, str] | None
) -> list[shadow.TableDiff]:
    if scope is None:
        return [await shadow.diff(connection, schema, table) for table in projection.tables]
    columns = projection.scopes[scope[0]]
    return [await shadow.diff(connection, schema, table, scope=(column, scope[1])) for table, column in columns.items()]


async def _apply(
    connection: AsyncConnection,
    projection: ReplayableProjection,
    schema: str,
    retired: str,
    scope: tuple[str, str] | None,
) -> None:
    if scope is None:
        await shadow.swap_tables(connection, schema, projection.tables, retired=retired)
        return
    for table, column in projection.scopes[scope[0]].items():
        await shadow.replace_rows(connection, schema, table, column=column, value=scope[1])


class _Counter:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.read = 0

    def __call__(self, read: int, expected: int) -> None:
        self.read = read
        if self.progress:
            self.progress(read, expected)
