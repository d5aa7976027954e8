"""The account configuration tables: settings, business numbers, teams and agents (rows = current state).

The ``router.integration.*`` events on stream ``account:{account_id}`` tell the same story to other
services; ``accounts.config_version`` is that stream's last sequence, so a writer that bumps it under
a row lock hands out each sequence exactly once.
"""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Integer, PrimaryKeyConstraint, Table, Text, text
from sqlalchemy.dialects.postgresql import ARRAY

from .tables import metadata

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", Text, primary_key=True),
    Column("process_type", Integer, nullable=False, server_default=text("1")),
    Column("lead_unification", Boolean, nullable=False, server_default=text("true")),
    Column("pool_wait_alert_seconds", Integer, nullable=False, server_default=text("300")),
    Column("config_version", Integer, nullable=False, server_default=text("0")),
)

business_numbers = Table(
    "business_numbers",
    metadata,
    # Meta's id is global: one number belongs to one account, which is how a webhook finds its account.
    Column("phone_number_id", Text, primary_key=True),
    Column("account_id", Text, nullable=False, index=True),
    Column("display_number", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("team_ids", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("waba_id", Text, nullable=True),  # the WhatsApp Business Account: where the number's templates live
    Column("provider", Text, nullable=False, server_default=text("'cloud_api'")),  # cloud_api | evolution
    # an Evolution number's instance (all three or none): the key itself lives only in ingest's secret
    Column("evolution_base_url", Text, nullable=True),
    Column("evolution_instance", Text, nullable=True),
    Column("evolution_api_key_secret", Text, nullable=True),
    CheckConstraint(
        "(provider = 'evolution') = (evolution_instance IS NOT NULL)",
        name="business_numbers_evolution_numbers_name_their_instance",
    ),
)

teams = Table(
    "teams",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("team_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    PrimaryKeyConstraint("account_id", "team_id"),
)

agents = Table(
    "agents",
    metadata,
    Column("account_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("team_ids", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    PrimaryKeyConstraint("account_id", "agent_id"),
)
