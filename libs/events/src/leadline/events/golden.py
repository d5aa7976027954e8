"""The golden examples: real-looking envelopes per event version that every consumer is tested against.

Layout: ``libs/events/examples/<event_type>/v<N>/<case>.json``, one full envelope per
file. They are frozen fixtures: a new version gets new files, old files stay, and
consumers must keep handling them (old versions arrive upcast). Services run their
subscribers over ``golden_examples()`` in ``tests/contract``.
"""

from __future__ import annotations

from pathlib import Path

from leadline.events.envelope import Envelope

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"
"""Where the examples live in a source checkout (``libs/events/examples``)."""


def example_paths(event_type: str | None = None, directory: Path = EXAMPLES_DIR) -> list[Path]:
    """Every example file, or those of one event type, in a stable order."""
    pattern = f"{event_type}/v*/*.json" if event_type else "*/v*/*.json"
    return sorted(directory.glob(pattern))


def golden_examples(event_type: str | None = None, directory: Path = EXAMPLES_DIR) -> list[tuple[str, Envelope]]:
    """``(case name, envelope)`` for every example; the name reads ``<type>/v<N>/<case>``."""
    return [
        (str(path.relative_to(directory).with_suffix("")), Envelope.from_bytes(path.read_bytes()))
        for path in example_paths(event_type, directory)
    ]
