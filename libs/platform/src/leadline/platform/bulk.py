"""Bulk writes: many rows into one table through PostgreSQL's COPY, with the conflict rule of an INSERT.

``copy_rows`` streams the rows (asyncpg's binary ``copy_records_to_table``) into a temporary table that lives
until the transaction ends, then moves them with one ``INSERT … SELECT … ON CONFLICT``: COPY's speed, and the
same answer as a multi-row ``INSERT … ON CONFLICT`` (a rebuild meets duplicates in its topics). It runs in the
session's own transaction, so the rows commit (or roll back) with everything else the caller wrote.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import JSON, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

_staging_names = itertools.count(1)
_encode_json = msgspec.json.Encoder().encode  # to text: the asyncpg dialect's JSON codec takes text


async def copy_rows(
    session: AsyncSession,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str],
    on_conflict: str = "DO NOTHING",
) -> None:
    """Insert ``rows`` (mappings holding at least ``columns``) into ``table``; ``on_conflict`` as in SQL after
    ``ON CONFLICT`` (``"DO NOTHING"``, ``"(id) DO UPDATE SET x = EXCLUDED.x"``). JSON columns take Python values."""
    json_at = [(i, table.c[c].type.none_as_null) for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    records = [[row[c] for c in columns] for row in rows]
    for record in records:
        for i, none_as_null in json_at:
            value = record[i]
            # as SQLAlchemy writes it: None is JSON's null unless the column says SQL NULL (rows must compare equal)
            record[i] = None if value is None and none_as_null else _encode_json(value).decode()
    if not records:
        return
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection  # the asyncpg connection, inside the session's transaction
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy begins the transaction at its first statement, and statements sent to the driver itself do
        # not count: without one, the staging table (ON COMMIT DROP) would be gone before the COPY, and the rows
        # outside the caller's transaction
        await session.execute(text("SELECT 1"))
    staging = f"bulk_{table.name}_{next(_staging_names)}"
    names = ", ".join(f'"{c}"' for c in columns)
    # the table's column types by name (search_path decides which schema: a shadow replay's, or the live one)
    await driver.execute(
        f'CREATE TEMPORARY TABLE "{staging}" ON COMMIT DROP AS SELECT {names} FROM "{table.name}" WITH NO DATA'
    )
    await driver.copy_records_to_table(staging, records=records, columns=list(columns))
    await driver.execute(
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{staging}" ON CONFLICT {on_conflict}'
    )
    await driver.execute(f'DROP TABLE "{staging}"')
