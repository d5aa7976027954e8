"""Shadow copies of projection tables: rebuild beside the live tables, compare, then swap in one short transaction.

A replay fills ``<shadow>.<table>`` (same columns, indexes and generated columns as the live table:
``CREATE TABLE … (LIKE … INCLUDING ALL)``) through an engine whose ``search_path`` puts the shadow schema
first, so the service's own SQL writes there unchanged while the live service keeps serving and consuming.
``diff`` says what the swap would change; ``swap_tables`` moves the live tables to a retired schema and the
shadow tables in (``ALTER TABLE … SET SCHEMA``, indexes follow, no copy); ``replace_rows`` swaps one
conversation's or lead's rows only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .db import asyncpg_url

LIVE_SCHEMA = "public"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def identifier(name: str) -> str:
    """A schema, table or column name checked to be a plain identifier (they are built into SQL text)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def shadow_engine(url: str | URL, schema: str) -> AsyncEngine:
    """An engine whose unqualified table names resolve to ``schema`` first, then the live schema."""
    return create_async_engine(
        asyncpg_url(url),
        pool_size=2,
        max_overflow=2,
        connect_args={"server_settings": {"search_path": f"{identifier(schema)},{LIVE_SCHEMA}"}},
    )


async def create_shadow(connection: AsyncConnection, schema: str, tables: list[str], *, copy_rows: bool) -> None:
    """A fresh shadow schema holding empty (or, with ``copy_rows``, copied) twins of ``tables``."""
    await connection.execute(text(f"DROP SCHEMA IF EXISTS {identifier(schema)} CASCADE"))
    await connection.execute(text(f"CREATE SCHEMA {schema}"))
    for table in map(identifier, tables):
        await connection.execute(text(f"CREATE TABLE {schema}.{table} (LIKE {LIVE_SCHEMA}.{table} INCLUDING ALL)"))
        if copy_rows:
            columns = await _stored_columns(connection, LIVE_SCHEMA, table)
            names = ", ".join(columns)
            await connection.execute(
                text(f"INSERT INTO {schema}.{table} ({names}) SELECT {names} FROM {LIVE_SCHEMA}.{table}")
            )


async def drop_schema(connection: AsyncConnection, schema: str) -> None:
    await connection.execute(text(f"DROP SCHEMA IF EXISTS {identifier(schema)} CASCADE"))


async def lock_live(connection: AsyncConnection, tables: list[str], *, timeout_s: float) -> None:
    """Stop live writers of ``tables`` until this transaction ends (they wait, then carry on)."""
    await connection.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_s * 1000)}ms'"))
    names = ", ".join(f"{LIVE_SCHEMA}.{identifier(t)}" for t in tables)
    await connection.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


@dataclass(frozen=True)
class TableDiff:
    table: str
    live_rows: int
    rebuilt_rows: int
    only_live: int
    """Rows the swap would remove or change (as they are now)."""
    only_rebuilt: int
    """Rows the swap would add or change (as they would be)."""

    @property
    def unchanged(self) -> bool:
        return self.only_live == 0 and self.only_rebuilt == 0


async def diff(
    connection: AsyncConnection, schema: str, table: str, *, scope: tuple[str, str] | None = None
) -> TableDiff:
    """Compare the live table with its shadow, row for row (optionally only rows whose ``column = value``)."""
    columns = ", ".join(await _stored_columns(connection, LIVE_SCHEMA, table))
    where, params = "", {}
    if scope:
        where, params = f" WHERE {identifier(scope[0])}::text = :scope_value", {"scope_value": scope[1]}
    live = f"SELECT {columns} FROM {LIVE_SCHEMA}.{identifier(table)}{where}"
    rebuilt = f"SELECT {columns} FROM {identifier(schema)}.{table}{where}"

    async def count(sql: str) -> int:
        return int((await connection.execute(text(f"SELECT count(*) FROM ({sql}) AS rows"), params)).scalar_one())

    return TableDiff(
        table=table,
        live_rows=await count(live),
        rebuilt_rows=await count(rebuilt),
        only_live=await count(f"{live} EXCEPT ALL {rebuilt}"),
        only_rebuilt=await count(f"{rebuilt} EXCEPT ALL {live}"),
    )


async def swap_tables(connection: AsyncConnection, schema: str, tables: list[str], *, retired: str) -> None:
    """Live tables move to ``retired``, shadow tables become live; atomic with the surrounding transaction."""
    await connection.execute(text(f"DROP SCHEMA IF EXISTS {identifier(retired)} CASCADE"))
    await connection.execute(text(f"CREATE SCHEMA {retired}"))
    for table in map(identifier, tables):
        await connection.execute(text(f"ALTER TABLE {LIVE_SCHEMA}.{table} SET SCHEMA {retired}"))
        await connection.execute(text(f"ALTER TABLE {identifier(schema)}.{table} SET SCHEMA {LIVE_SCHEMA}"))


async def replace_rows(connection: AsyncConnection, schema: str, table: str, *, column: str, value: str) -> int:
    """Live rows whose ``column = value`` replaced by the shadow's; returns how many rows are live afterwards."""
    columns = ", ".join(await _stored_columns(connection, LIVE_SCHEMA, table))
    match = f"{identifier(column)}::text = :value"
    await connection.execute(text(f"DELETE FROM {LIVE_SCHEMA}.{identifier(table)} WHERE {match}"), {"value": value})
    inserted = await connection.execute(
        text(
            f"INSERT INTO {LIVE_SCHEMA}.{table} ({columns}) SELECT {columns} FROM {identifier(schema)}.{table} WHERE {match}"
        ),
        {"value": value},
    )
    return inserted.rowcount


async def _stored_columns(connection: AsyncConnection, schema: str, table: str) -> list[str]:
    """Columns that hold data (generated columns follow from them and cannot be inserted)."""
    rows = await connection.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = :schema AND table_name = :table "
            "AND is_generated = 'NEVER' ORDER BY ordinal_position"
        ),
        {"schema": schema, "table": table},
    )
    columns = [identifier(row[0]) for row in rows]
    if not columns:
        raise LookupError(f"no table {schema}.{table}: are the service's migrations applied?")
    return columns
