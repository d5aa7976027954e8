"""The compatibility guard names each kind of breaking change and lets an optional field through."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, create_model

from leadline.events import REGISTRY
from leadline.events.common import AgentId, AgentRef
from leadline.events.content import Content, ImageContent, TextContent, VoiceContent
from leadline.events.schemas import breaking_changes, schema_document


def changes(old: type[BaseModel], new: type[BaseModel]) -> list[str]:
    return breaking_changes(schema_document(old), schema_document(new))


class Status(StrEnum):
    NEW = "new"
    FINISHED = "finished"


class StatusWithoutFinished(StrEnum):
    NEW = "new"


class StatusWithArchived(StrEnum):
    NEW = "new"
    FINISHED = "finished"
    ARCHIVED = "archived"


class Claimed(BaseModel):
    """Before the edit."""

    agent: AgentRef
    team_id: str
    waited_seconds: int
    note: str | None = None
    status: Status = Status.NEW
    source: Literal["pool"] = "pool"


def edited(**replacements: tuple[object, object] | None) -> type[BaseModel]:
    """``Claimed`` as someone edited it: each keyword replaces a field with ``(type, default)``, or removes it."""
    fields: dict[str, object] = {name: (info.annotation, info) for name, info in Claimed.model_fields.items()}
    for name, spec in replacements.items():
        if spec is None:
            del fields[name]
        else:
            fields[name] = spec
    return create_model("Claimed", __doc__="After the edit.", **fields)


def test_an_identical_model_has_no_breaking_change():
    assert changes(Claimed, edited()) == []


def test_adding_an_optional_field_is_compatible():
    assert changes(Claimed, edited(lead_id=(str | None, None))) == []


def test_rewording_documentation_is_compatible():
    assert changes(Claimed, edited(team_id=(Annotated[str, Field(description="The pool's team.")], ...))) == []


def test_removing_a_field_is_breaking():
    assert changes(Claimed, edited(team_id=None)) == ["team_id: field removed"]


def test_removing_an_optional_field_is_breaking_too_because_its_meaning_is_lost():
    assert changes(Claimed, edited(note=None)) == ["note: field removed"]


def test_changing_a_fields_type_is_breaking():
    assert changes(Claimed, edited(waited_seconds=(float, ...))) == [
        "waited_seconds: type changed from integer to number"
    ]


def test_making_an_optional_field_required_is_breaking():
    assert changes(Claimed, edited(note=(str | None, ...))) == ["note: optional field became required"]


def test_adding_a_required_field_is_breaking():
    assert changes(Claimed, edited(lead_id=(str, ...))) == ["lead_id: new required field"]


def test_removing_an_enum_value_is_breaking():
    assert changes(Claimed, edited(status=(StatusWithoutFinished, "new"))) == [
        "status: enum values removed: ['finished']"
    ]


def test_adding_an_enum_value_is_breaking_because_old_consumers_refuse_it():
    assert changes(Claimed, edited(status=(StatusWithArchived, "new"))) == [
        "status: enum values added, which consumers on the old model refuse: ['archived']"
    ]


def test_renaming_a_constant_is_breaking():
    assert changes(Claimed, edited(source=(Literal["team_pool"], "team_pool"))) == [
        "source: constant changed from 'pool' to 'team_pool'"
    ]


def test_renaming_the_event_type_is_breaking():
    old, new = schema_document(Claimed), schema_document(edited())
    old["x-event-type"], new["x-event-type"] = "router.conversation.claimed", "router.conversation.taken"

    assert breaking_changes(old, new) == [
        "payload: event type renamed from 'router.conversation.claimed' to 'router.conversation.taken'"
    ]


def test_making_a_field_nullable_is_breaking_and_so_is_the_reverse():
    assert changes(Claimed, edited(team_id=(str | None, ...))) == [
        "team_id: may now be null, which consumers on the old model refuse"
    ]
    assert changes(edited(team_id=(str | None, ...)), Claimed) == ["team_id: no longer accepts null"]


def test_tightening_or_loosening_a_constraint_is_breaking():
    assert changes(Claimed, edited(team_id=(Annotated[str, Field(max_length=32)], ...))) == [
        "team_id: maxLength changed from None to 32"
    ]


def test_a_change_inside_a_referenced_model_is_found_with_its_path():
    class Agent(BaseModel):
        id: AgentId

    assert changes(Claimed, edited(agent=(Agent, ...))) == ["agent.name: field removed"]


def test_renaming_a_referenced_model_without_changing_it_is_compatible():
    renamed_agent = type("Attendant", (AgentRef,), {"__doc__": AgentRef.__doc__})

    assert changes(Claimed, edited(agent=(renamed_agent, ...))) == []


def test_removing_or_adding_a_content_kind_is_breaking():
    class Message(BaseModel):
        content: Annotated[TextContent | ImageContent, Field(discriminator="kind")]

    class Reworked(BaseModel):
        content: Annotated[TextContent | VoiceContent, Field(discriminator="kind")]

    assert changes(Message, Reworked) == [
        "content: variant image removed",
        "content: variant voice added, which consumers on the old model refuse",
    ]


def test_a_change_inside_one_content_kind_names_the_kind():
    class SignedText(BaseModel):
        kind: Literal["text"] = "text"
        body: str
        signature: str

    class Message(BaseModel):
        content: Content

    class Reworked(BaseModel):
        content: Annotated[SignedText | ImageContent, Field(discriminator="kind")]

    assert "content<text>.signature: new required field" in changes(Message, Reworked)


def test_kinds_of_optional_content_are_still_told_apart_by_kind():
    class Entry(BaseModel):
        content: Content | None = None

    class Reworked(BaseModel):
        content: Annotated[TextContent, Field(discriminator="kind")] | None = None

    assert "content: variant image removed" in changes(Entry, Reworked)


@pytest.mark.parametrize("model", REGISTRY.models(), ids=lambda model: model.__name__)
def test_every_current_model_is_compatible_with_itself(model):
    assert breaking_changes(schema_document(model), schema_document(model)) == []
