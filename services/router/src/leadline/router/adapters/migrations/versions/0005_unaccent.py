"""unaccent: the inbox finds "Júlia" when an agent types "julia"

Revision ID: router_0005
Revises: router_0004
Create Date: 2026-11-29

PostgreSQL's own unaccent extension (contrib; trusted, so a database owner may create it; history's timeline
search uses it too) strips the accents of a customer's name in the inbox search (``adapters/queries.py``).
"""
from __future__ import annotations

from alembic import op

revision = "router_0005"
down_revision = "router_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


def downgrade() -> None:
    op.execute("DROP EXTENSION IF EXISTS unaccent")
