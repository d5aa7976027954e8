"""customers: one per person across phone, BSUID and parent BSUID; chats keyed by customer

Revision ID: router_0004
Revises: router_0003
Create Date: 2026-11-30

Chats were keyed by the ``wa_id`` WhatsApp gave, so the two forms of a Brazilian mobile (with and without the
ninth digit) were two chats, and a customer named only by BSUID had none. Existing chats become customers keyed by
their number normalised (``leadline.phones``): both forms of one number are one customer, their chats on one
business number one chat (the lead, the latest customer message and the last conversation kept). Where both forms
had an open conversation, the older one stays the chat's open one (the router's README, "Customer identity"); the
younger stays open where it is, answerable and finishable by its owner.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "router_0004"
down_revision = "router_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("wa_id", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("parent_user_id", sa.Text(), nullable=True),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_order", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("merged_into", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    for name, column in (
        ("one_customer_per_phone", "phone"),
        ("one_customer_per_bsuid", "user_id"),
        ("one_customer_per_parent_bsuid", "parent_user_id"),
    ):
        op.create_index(
            name, "customers", ["account_id", column], unique=True, postgresql_where=sa.text(f"{column} IS NOT NULL")
        )
    op.add_column("conversation_view", sa.Column("customer_user_id", sa.Text(), nullable=True))
    op.add_column("conversation_view", sa.Column("customer_username", sa.Text(), nullable=True))
    op.add_column("conversation_view", sa.Column("customer_id", sa.UUID(), nullable=True))
    op.alter_column("conversation_view", "customer_wa_id", nullable=True)
    op.alter_column("conversation_view", "customer_phone", nullable=True)
    op.add_column("chats", sa.Column("customer_id", sa.UUID(), nullable=True))
    op.add_column("open_conversations", sa.Column("customer_id", sa.UUID(), nullable=True))
    op.add_column("open_conversations", sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "open_conversations", sa.Column("opened_order", sa.BigInteger(), sa.Identity(always=True), nullable=False)
    )
    _join_existing_chats(op.get_bind())
    op.drop_constraint("chats_pkey", "chats", type_="primary")
    op.drop_constraint("one_open_conversation_per_chat", "open_conversations", type_="primary")
    op.drop_column("chats", "customer_wa_id")
    op.drop_column("open_conversations", "customer_wa_id")
    op.alter_column("chats", "customer_id", nullable=False)
    op.alter_column("open_conversations", "customer_id", nullable=False)
    op.create_primary_key("chats_pkey", "chats", ["account_id", "phone_number_id", "customer_id"])
    op.create_primary_key(
        "one_open_conversation_per_chat", "open_conversations", ["account_id", "phone_number_id", "customer_id"]
    )


def _normalised(wa_id: str) -> str:
    from leadline.phones import InvalidPhone, normalize_phone

    try:
        return normalize_phone(wa_id)
    except InvalidPhone:
        return f"+{wa_id}"  # as the router keeps a number no numbering plan knows


def _join_existing_chats(bind: sa.engine.Connection) -> None:
    chats = bind.execute(
        sa.text(
            "SELECT account_id, phone_number_id, customer_wa_id, last_customer_message_at, "
            "last_conversation_id, lead_id FROM chats"
        )
    ).all()
    first_seen = dict(
        ((row.account_id, row.customer_wa_id), row.opened)
        for row in bind.execute(
            sa.text("SELECT account_id, customer_wa_id, min(opened_at) AS opened FROM conversation_view GROUP BY 1, 2")
        )
    )
    customers: dict[tuple[str, str], dict] = {}
    for chat in chats:
        key = (chat.account_id, _normalised(chat.customer_wa_id))
        seen = first_seen.get((chat.account_id, chat.customer_wa_id)) or datetime.now(UTC)
        customer = customers.setdefault(
            key,
            {
                "customer_id": uuid.uuid4(),
                "wa_id": chat.customer_wa_id,
                "first_seen_at": seen,
                "latest": chat.last_customer_message_at,
            },
        )
        customer["first_seen_at"] = min(customer["first_seen_at"], seen)
        if chat.last_customer_message_at and (
            customer["latest"] is None or chat.last_customer_message_at > customer["latest"]
        ):
            customer["wa_id"], customer["latest"] = (
                chat.customer_wa_id,
                chat.last_customer_message_at,
            )  # the latest spelling
    for (account_id, phone), customer in customers.items():
        bind.execute(
            sa.text(
                "INSERT INTO customers (customer_id, account_id, phone, wa_id, first_seen_at) "
                "VALUES (:id, :account, :phone, :wa_id, :seen)"
            ),
            {
                "id": customer["customer_id"],
                "account": account_id,
                "phone": phone,
                "wa_id": customer["wa_id"],
                "seen": customer["first_seen_at"],
            },
        )
    by_chat: dict[tuple[str, str, uuid.UUID], list] = {}
    for chat in chats:
        customer_id = customers[(chat.account_id, _normalised(chat.customer_wa_id))]["customer_id"]
        by_chat.setdefault((chat.account_id, chat.phone_number_id, customer_id), []).append(chat)
    opened_at = dict(bind.execute(sa.text("SELECT conversation_id, opened_at FROM conversation_view")).all())
    open_rows = {
        (row.account_id, row.phone_number_id, row.customer_wa_id): row.conversation_id
        for row in bind.execute(
            sa.text("SELECT account_id, phone_number_id, customer_wa_id, conversation_id FROM open_conversations")
        )
    }
    for (account_id, number, customer_id), forms in by_chat.items():
        _join_forms(bind, account_id, number, customer_id, forms, open_rows, opened_at)


def _join_forms(
    bind: sa.engine.Connection,
    account_id: str,
    number: str,
    customer_id: uuid.UUID,
    forms: list,
    open_rows: dict,
    opened_at: dict,
) -> None:
    """The chats of one customer on one number (one per form of the number) become one; one open conversation stays."""
    latest = max(forms, key=lambda chat: chat.last_customer_message_at or datetime.min.replace(tzinfo=UTC))
    lead_id = latest.lead_id or next((chat.lead_id for chat in forms if chat.lead_id), None)
    for chat in forms:
        if chat is not latest:
            bind.execute(
                sa.text("DELETE FROM chats WHERE account_id = :a AND phone_number_id = :n AND customer_wa_id = :w"),
                {"a": account_id, "n": number, "w": chat.customer_wa_id},
            )
    bind.execute(
        sa.text(
            "UPDATE chats SET customer_id = :c, lead_id = :lead WHERE account_id = :a AND phone_number_id = :n "
            "AND customer_wa_id = :w"
        ),
        {"c": customer_id, "lead": lead_id, "a": account_id, "n": number, "w": latest.customer_wa_id},
    )
    open_ids = [
        open_rows[(account_id, number, chat.customer_wa_id)]
        for chat in forms
        if (account_id, number, chat.customer_wa_id) in open_rows
    ]
    if not open_ids:
        return
    stays = min(
        open_ids,
        key=lambda cid: (opened_at.get(cid) is not None, opened_at.get(cid) or datetime.min.replace(tzinfo=UTC)),
    )
    for conversation_id in open_ids:
        if conversation_id == stays:
            bind.execute(
                sa.text("UPDATE open_conversations SET customer_id = :c, opened_at = :at WHERE conversation_id = :id"),
                {"c": customer_id, "at": opened_at.get(conversation_id), "id": conversation_id},
            )
        else:  # stays open in its stream, no longer the chat's open conversation
            bind.execute(sa.text("DELETE FROM open_conversations WHERE conversation_id = :id"), {"id": conversation_id})


def downgrade() -> None:
    """Irreversible by design: restore the database from a backup taken before this revision instead."""
    raise RuntimeError(
        "router_0004 cannot be downgraded: chats joined by customer cannot be split back into the "
        "forms of their numbers; restore a backup taken before this revision"
    )
