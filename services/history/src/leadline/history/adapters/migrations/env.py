"""Alembic environment of the history service."""

from leadline.history.adapters.tables import metadata
from leadline.platform.messaging_tables import MESSAGING_METADATA
from leadline.platform.migrations import run_env

run_env([metadata, MESSAGING_METADATA])
