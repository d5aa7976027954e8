"""conversations keep the router's sequence of the last event folded into them

Revision ID: leads_0005
Revises: leads_0004
Create Date: 2026-12-07

The conversation's own row says which of the router's events it has folded (``last_sequence``), read and written
with the row itself: the consumer no longer keeps a separate stream position per conversation (two statements per
event) and passes over the conversation events it has no use for without touching the database. The positions kept
so far (consumer ``leads-conversations``) are copied in, so an event delivered again after the upgrade is still
recognised; their rows stay in ``stream_positions``, unused.
"""

import sqlalchemy as sa
from alembic import op

revision = "leads_0005"
down_revision = "leads_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "conversation_activity",
        sa.Column("last_sequence", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        """
        UPDATE conversation_activity AS c SET last_sequence = p.last_sequence
        FROM stream_positions AS p
        WHERE p.consumer = 'leads-conversations' AND p.stream_id = c.conversation_id::text
        """
    )


def downgrade() -> None:
    op.drop_column("conversation_activity", "last_sequence")
