"""The committed JSON Schemas are the models exactly, and no model breaks the schema of its version.

If a model changed compatibly, re-export (``make schemas``). If these tests call the
change breaking, keep the old model, add a ``V2`` with an upcaster, and export again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import create_model

from leadline.events import REGISTRY, ConversationClaimedV1, Registry
from leadline.events.envelope import Payload
from leadline.events.router import CONVERSATION_CLAIMED
from leadline.events.schemas import (
    BreakingSchemaChange,
    breaking_changes,
    check,
    committed_files,
    expected_files,
    export_all,
    render,
    schema_document,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "libs" / "events" / "src" / "leadline" / "events" / "schemas"
COMMITTED = committed_files(SCHEMA_DIR)
EXPECTED = expected_files(REGISTRY)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=str)
def test_every_model_has_its_schema_committed_exactly_as_exported(path: Path):
    assert path in COMMITTED, f"{path} is not exported: run `make schemas`"
    assert (SCHEMA_DIR / path).read_text() == render(EXPECTED[path]), f"{path} is stale: run `make schemas`"


@pytest.mark.parametrize("path", sorted(COMMITTED.keys() & EXPECTED.keys()), ids=str)
def test_no_committed_schema_is_broken_by_the_current_model_of_its_version(path: Path):
    assert breaking_changes(COMMITTED[path], EXPECTED[path]) == []


def test_the_committed_schemas_hold_nothing_but_versions_someone_can_still_read():
    assert check(SCHEMA_DIR, REGISTRY) == []


def _without_field(model: type[Payload], field: str, *, version: int = 1) -> type[Payload]:
    """A copy of ``model`` as someone might carelessly edit it: one field deleted."""
    base = type("Base", (Payload,), {"EVENT_TYPE": model.EVENT_TYPE, "SCHEMA_VERSION": version})
    fields = {name: (info.annotation, info) for name, info in model.model_fields.items() if name != field}
    return create_model(model.__name__, __base__=base, __doc__=model.__doc__, **fields)


def test_deleting_a_field_from_a_model_is_reported_against_the_committed_schema():
    edited = _without_field(ConversationClaimedV1, "team_id")
    committed = COMMITTED[Path(CONVERSATION_CLAIMED, "v1.json")]

    assert breaking_changes(committed, schema_document(edited)) == ["team_id: field removed"]


def _registry_with(replacement: type[Payload]) -> Registry:
    registry = Registry(model for model in REGISTRY.models() if model is not ConversationClaimedV1)
    registry.register(replacement)
    return registry


def test_exporting_a_breaking_edit_is_refused_and_writes_nothing(tmp_path: Path):
    export_all(tmp_path, REGISTRY)
    before = (tmp_path / CONVERSATION_CLAIMED / "v1.json").read_text()

    with pytest.raises(BreakingSchemaChange) as refused:
        export_all(tmp_path, _registry_with(_without_field(ConversationClaimedV1, "team_id")))

    assert refused.value.changes == [f"{Path(CONVERSATION_CLAIMED, 'v1.json')}: team_id: field removed"]
    assert (tmp_path / CONVERSATION_CLAIMED / "v1.json").read_text() == before


def test_the_same_edit_as_a_new_version_exports_beside_the_old_schema(tmp_path: Path):
    export_all(tmp_path, REGISTRY)
    registry = Registry(REGISTRY.models())
    registry.register(_without_field(ConversationClaimedV1, "team_id", version=2))

    export_all(tmp_path, registry)

    written = json.loads((tmp_path / CONVERSATION_CLAIMED / "v2.json").read_text())
    assert "team_id" not in written["properties"]
    assert (tmp_path / CONVERSATION_CLAIMED / "v1.json").read_text() == render(
        COMMITTED[Path(CONVERSATION_CLAIMED, "v1.json")]
    )
