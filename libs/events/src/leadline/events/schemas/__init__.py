"""JSON Schema of every payload version, exported to files committed with the code, and checked.

Layout: ``<event_type>/v<N>.json`` plus ``envelope.json`` beside this module, so they ship in the
``leadline-events`` wheel (``SCHEMA_DIR``). The files are the contract non-Python consumers read and the baseline the compatibility guard
compares models against: ``export_all`` refuses to overwrite a schema with a breaking
change, so the only way forward is a new version (and an upcaster).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from leadline.events.envelope import Envelope, Payload
from leadline.events.registry import REGISTRY, Registry
from leadline.events.schemas.compat import Schema, breaking_changes

SCHEMA_DIR = Path(__file__).resolve().parent
"""Where the committed schemas live: ``libs/events/src/leadline/events/schemas`` in a checkout, in the installed package
otherwise."""

ENVELOPE_FILE = "envelope.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class BreakingSchemaChange(Exception):
    """A model changed incompatibly without a new version; nothing was exported."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__("breaking changes, bump the version instead:\n  " + "\n  ".join(changes))
        self.changes = changes


def schema_document(model: type[BaseModel]) -> Schema:
    """The JSON Schema of a payload model (what consumers accept), tagged with its type and version."""
    document = model.model_json_schema(mode="validation")
    document["$schema"] = _DIALECT
    if issubclass(model, Payload):
        document["x-event-type"] = model.EVENT_TYPE
        document["x-schema-version"] = model.SCHEMA_VERSION
    return document


def render(document: Schema) -> str:
    """The stable text form: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_path(directory: Path, event_type: str, version: int) -> Path:
    return directory / event_type / f"v{version}.json"


def expected_files(registry: Registry = REGISTRY) -> dict[Path, Schema]:
    """Relative path -> schema document for every registered model, plus the envelope."""
    files = {Path(ENVELOPE_FILE): schema_document(Envelope)}
    for model in registry.models():
        files[schema_path(Path(), model.EVENT_TYPE, model.SCHEMA_VERSION)] = schema_document(model)
    return files


def committed_files(directory: Path) -> dict[Path, Schema]:
    """Relative path -> schema document for every schema file under ``directory``."""
    return {path.relative_to(directory): json.loads(path.read_text()) for path in sorted(directory.rglob("*.json"))}


def export_all(directory: Path = SCHEMA_DIR, registry: Registry = REGISTRY) -> list[Path]:
    """Write every model's schema; returns the files that changed.

    Raises ``BreakingSchemaChange`` (and writes nothing) if any existing file would
    change incompatibly. Schemas of superseded versions are left in place.
    """
    committed = committed_files(directory) if directory.exists() else {}
    changes = [
        f"{path}: {change}"
        for path, document in expected_files(registry).items()
        if path in committed
        for change in breaking_changes(committed[path], document)
    ]
    if changes:
        raise BreakingSchemaChange(changes)
    written = []
    for path, document in expected_files(registry).items():
        target = directory / path
        if not target.exists() or target.read_text() != render(document):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(document))
            written.append(target)
    return written


def check(directory: Path = SCHEMA_DIR, registry: Registry = REGISTRY) -> list[str]:
    """Everything wrong between the committed schemas and the models; empty when in step."""
    committed = committed_files(directory) if directory.exists() else {}
    problems = []
    for path, document in expected_files(registry).items():
        if path not in committed:
            problems.append(f"{path}: not exported yet (run export)")
            continue
        breaking = breaking_changes(committed[path], document)
        problems += [f"{path}: {change} (bump the version instead)" for change in breaking]
        if not breaking and render(committed[path]) != render(document):
            problems.append(f"{path}: out of date (run export)")
    problems += [f"{path}: {problem}" for path, problem in _orphans(committed, registry)]
    return problems


def _orphans(committed: dict[Path, Any], registry: Registry) -> list[tuple[Path, str]]:
    """Committed schemas of versions no model reads; only upcastable old versions may stay."""
    orphans = []
    for path in sorted(committed.keys() - expected_files(registry).keys()):
        event_type, version = path.parent.name, path.stem.removeprefix("v")
        if not version.isdigit():
            orphans.append((path, "not a schema file: expected <event_type>/v<N>.json"))
        elif event_type not in registry.event_types():
            orphans.append((path, "no model reads this event type"))
        elif (event_type, int(version)) not in registry.upcasters():
            orphans.append((path, f"superseded v{version} has no upcaster, so decode would refuse it"))
    return orphans


__all__ = [
    "SCHEMA_DIR",
    "BreakingSchemaChange",
    "breaking_changes",
    "check",
    "export_all",
    "render",
    "schema_document",
]
