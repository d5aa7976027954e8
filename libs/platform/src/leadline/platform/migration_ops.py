"""Migration steps shared by every service's Alembic history.

These functions are frozen once released: a change to the messaging tables is a new
function here and a new migration in each service, never an edit of an old one.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import MetaData

from .messaging_tables import (
    OUTBOX_NOTIFIES,
    OUTBOX_NOTIFIES_DROPPED,
    inbox_table,
    outbox_table,
    stream_positions_table,
)


def create_messaging_tables_v1() -> None:
    metadata = MetaData()
    for table in (outbox_table(metadata), inbox_table(metadata), stream_positions_table(metadata)):
        table.create(op.get_bind())


def drop_messaging_tables_v1() -> None:
    for name in ("stream_positions", "inbox", "outbox"):
        op.drop_table(name)


def create_outbox_notify_v1() -> None:
    """The outbox's trigger that wakes the relays (``messaging_tables.OUTBOX_NOTIFIES``)."""
    for statement in OUTBOX_NOTIFIES:
        op.execute(statement)


def drop_outbox_notify_v1() -> None:
    for statement in OUTBOX_NOTIFIES_DROPPED:
        op.execute(statement)
