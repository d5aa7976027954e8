"""`leadline run` says in one line what a restart keeps, and `--fresh` empties only the database it owns."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.cli.stack import Stack, StackConfig, what_a_restart_keeps


def test_with_the_embedded_broker_and_database_the_databases_are_kept_and_the_topics_start_empty():
    line = what_a_restart_keeps(embedded_broker=True, embedded_database=Path("/dev/var/postgres"))

    assert line.startswith("kept      the databases in /dev/var/postgres")
    assert "every run starts with empty topics" in line and "--fresh" in line and "\n" not in line


def test_with_your_own_database_only_the_broker_is_said_to_start_empty():
    line = what_a_restart_keeps(embedded_broker=True, embedded_database=None)

    assert "what DATABASE_URL holds" in line and "every run starts with empty topics" in line and "--fresh" not in line


def test_with_your_own_broker_and_database_nothing_needs_saying():
    assert what_a_restart_keeps(embedded_broker=False, embedded_database=None) is None


def test_a_fresh_start_refuses_to_empty_a_database_given_by_url_before_starting_anything(tmp_path):
    config = StackConfig(var_dir=tmp_path, database_url="postgresql://someone@db/prod", fresh=True)
    stack = Stack(config, say=lambda line: None)

    with pytest.raises(RuntimeError, match="--fresh empties only the embedded database"):
        stack.start()

    assert stack.kafka is None and stack.postgres is None
