"""Exporting schemas to files, and ``check`` telling what is missing, stale, breaking or orphaned."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from leadline.events import REGISTRY, AgentRef, ConversationFinishedV1, ConversationReleasedV1, Registry
from leadline.events.envelope import Payload
from leadline.events.router import CONVERSATION_FINISHED, CONVERSATION_RELEASED
from leadline.events.schemas import check, export_all, render, schema_document
from leadline.events.schemas.__main__ import main

FINISHED = Path(CONVERSATION_FINISHED, "v1.json")
RELEASED = Path(CONVERSATION_RELEASED, "v1.json")


def test_export_writes_one_schema_per_event_version_and_the_envelope(tmp_path: Path):
    written = export_all(tmp_path, REGISTRY)

    assert len(written) == len(REGISTRY.models()) + 1
    assert (tmp_path / "envelope.json").exists()
    assert json.loads((tmp_path / FINISHED).read_text())["x-event-type"] == CONVERSATION_FINISHED


def test_exporting_again_changes_nothing(tmp_path: Path):
    export_all(tmp_path, REGISTRY)

    assert export_all(tmp_path, REGISTRY) == []


def test_an_exported_schema_is_stable_text_with_sorted_keys(tmp_path: Path):
    export_all(tmp_path, REGISTRY)
    text = (tmp_path / FINISHED).read_text()

    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_a_compatible_change_is_exported_over_the_old_schema(tmp_path: Path):
    export_all(tmp_path, REGISTRY)
    before_reason_was_added = schema_document(ConversationReleasedV1)
    del before_reason_was_added["properties"]["reason"]
    (tmp_path / RELEASED).write_text(render(before_reason_was_added))

    assert export_all(tmp_path, REGISTRY) == [tmp_path / RELEASED]


def test_check_finds_a_missing_a_stale_and_a_breaking_schema(tmp_path: Path):
    export_all(tmp_path, REGISTRY)
    (tmp_path / FINISHED).unlink()
    stale = json.loads((tmp_path / "envelope.json").read_text())
    stale["description"] = "An older wording."
    (tmp_path / "envelope.json").write_text(render(stale))
    claimed = tmp_path / "router.conversation.claimed" / "v1.json"
    broken = json.loads(claimed.read_text())
    broken["properties"]["agent_email"] = {"type": "string"}
    claimed.write_text(render(broken))

    assert check(tmp_path, REGISTRY) == [
        "envelope.json: out of date (run export)",
        "router.conversation.claimed/v1.json: agent_email: field removed (bump the version instead)",
        f"{FINISHED}: not exported yet (run export)",
    ]


class ConversationFinishedV2(Payload):
    """A test-only V2 of ``router.conversation.finished``."""

    EVENT_TYPE = CONVERSATION_FINISHED
    SCHEMA_VERSION = 2

    conversation_id: uuid.UUID
    finished_by: AgentRef


def test_a_superseded_version_may_stay_only_while_an_upcaster_reads_it(tmp_path: Path):
    export_all(tmp_path, REGISTRY)
    registry = Registry(model for model in REGISTRY.models() if model is not ConversationFinishedV1)
    registry.register(ConversationFinishedV2)
    export_all(tmp_path, registry)

    assert check(tmp_path, registry) == [f"{FINISHED}: superseded v1 has no upcaster, so decode would refuse it"]
    registry.register_upcaster(CONVERSATION_FINISHED, 1, lambda data: {**data, "finished_by": data.pop("agent")})
    assert check(tmp_path, registry) == []


def test_the_cli_check_fails_until_the_schemas_are_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["check", "--dir", str(tmp_path)]) == 1
    assert main(["export", "--dir", str(tmp_path)]) == 0
    assert main(["check", "--dir", str(tmp_path)]) == 0
    assert "not exported yet" in capsys.readouterr().err
