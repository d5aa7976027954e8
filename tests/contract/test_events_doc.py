"""docs/events.md is what the topic catalogue and payload docstrings say, word for word."""

from __future__ import annotations

from pathlib import Path

from leadline.events import REGISTRY
from leadline.events.docs import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_committed_events_doc_is_the_generated_one():
    assert DOC.read_text() == render(), "docs/events.md is stale: run `make schemas`"


def test_the_events_doc_gives_every_event_type_a_one_line_meaning():
    event_rows = [
        line.split(" | ") for line in render().splitlines() if line.startswith("| `") and line.count("|") == 4
    ]
    meanings = {cells[0].strip("| `"): cells[2].strip(" |") for cells in event_rows}

    assert [event_type for event_type in REGISTRY.event_types() if not meanings.get(event_type)] == []
