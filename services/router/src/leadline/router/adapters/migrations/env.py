"""Alembic environment of the router service."""

import leadline.router.adapters.account_tables  # noqa: F401  (registers its tables on metadata)
from leadline.platform.messaging_tables import MESSAGING_METADATA
from leadline.platform.migrations import run_env
from leadline.router.adapters.tables import metadata

run_env([metadata, MESSAGING_METADATA])
