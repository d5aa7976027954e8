"""The ingest service's own tables (its database is its alone)."""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
