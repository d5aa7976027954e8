"""timeline tables

Revision ID: history_0002
Revises: history_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "history_0002"
down_revision = "history_0001"
branch_labels = None
depends_on = None


# Accent-insensitive Portuguese search: unaccent runs as a dictionary of a text search configuration
# (not as a function call), so to_tsvector('history_pt_unaccent', ...) stays immutable and can feed a
# stored generated column and its GIN index. The embedded PostgreSQL ships unaccent (checked).
SEARCH_CONFIGURATION = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION history_pt_unaccent (COPY = pg_catalog.portuguese)",
    "ALTER TEXT SEARCH CONFIGURATION history_pt_unaccent "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, portuguese_stem",
]


def upgrade() -> None:
    for statement in SEARCH_CONFIGURATION:
        op.execute(statement)
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id"),
        comment="Conversation → lead; its row is also the lock that orders a conversation's writers.",
    )
    op.create_table(
        "lead_streams",
        sa.Column("lead_id", sa.UUID(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
        comment="The sequence of the last history.timeline.entry_recorded published per lead.",
    )
    op.create_table(
        "staged_messages",
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("sender", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("wamid", sa.Text(), nullable=True),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
        comment="Messages of conversations not finished yet.",
    )
    op.create_index(op.f("ix_staged_messages_conversation_id"), "staged_messages", ["conversation_id"], unique=False)
    op.create_table(
        "stored_media",
        sa.Column("wamid", sa.Text(), nullable=False),
        sa.Column("stored", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("wamid"),
        comment="Our stored copy of each message's media, from ingest.media.stored.",
    )
    op.create_table(
        "timeline_entries",
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("agent", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("temperature", sa.Text(), nullable=True),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("wamid", sa.Text(), nullable=True),
        sa.Column("media_key", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('history_pt_unaccent'::regconfig, coalesce(text, ''))", persisted=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("entry_id"),
        sa.UniqueConstraint("source_key"),
    )
    op.create_index("timeline_entries_conversation", "timeline_entries", ["conversation_id"], unique=False)
    op.create_index("timeline_entries_lead_at", "timeline_entries", ["lead_id", "at", "entry_id"], unique=False)
    op.create_index("timeline_entries_search", "timeline_entries", ["search"], unique=False, postgresql_using="gin")
    op.create_index(
        "timeline_entries_wamid",
        "timeline_entries",
        ["wamid"],
        unique=False,
        postgresql_where=sa.text("wamid IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "timeline_entries_wamid", table_name="timeline_entries", postgresql_where=sa.text("wamid IS NOT NULL")
    )
    op.drop_index("timeline_entries_search", table_name="timeline_entries", postgresql_using="gin")
    op.drop_index("timeline_entries_lead_at", table_name="timeline_entries")
    op.drop_index("timeline_entries_conversation", table_name="timeline_entries")
    op.drop_table("timeline_entries")
    op.drop_table("stored_media")
    op.drop_index(op.f("ix_staged_messages_conversation_id"), table_name="staged_messages")
    op.drop_table("staged_messages")
    op.drop_table("lead_streams")
    op.drop_table("conversations")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS history_pt_unaccent")
