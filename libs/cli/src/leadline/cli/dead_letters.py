"""Dead letters as an operator sees them: each one with its error and what was decided about it.

Decisions are records on the dead-letter topic itself, beside the letters (header ``dlq.action``: ``redrive``
or ``drop``, with who, when and why), so the DLQ is its own ledger, kept as long as the letters (30 days).
A letter is named ``<dlq topic>/<partition>/<offset>`` or by its event id.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from leadline.events import Envelope

from .topic_reader import header

ACTION = "dlq.action"
REDRIVE, DROP = "redrive", "drop"


@dataclass
class Decision:
    action: str
    by: str
    at: str
    reason: str


@dataclass
class DeadLetter:
    dlq_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    decisions: list[Decision] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.dlq_topic}/{self.partition}/{self.offset}"

    @property
    def source_topic(self) -> str:
        return self.headers.get("dlq.topic") or self.dlq_topic.removesuffix(".dlq")

    @property
    def error(self) -> str:
        return self.headers.get("dlq.error", "?")

    @property
    def consumer(self) -> str:
        return self.headers.get("dlq.consumer", "?")

    @property
    def envelope(self) -> Envelope | None:
        try:
            return Envelope.from_bytes(self.value)
        except ValidationError:
            return None

    @property
    def state(self) -> str:
        """waiting, redriven or dropped: the last decision."""
        if not self.decisions:
            return "waiting"
        return {REDRIVE: "redriven", DROP: "dropped"}[self.decisions[-1].action]

    def named(self, name: str) -> bool:
        envelope = self.envelope
        return name == self.ref or (envelope is not None and name == str(envelope.event_id))


def fold(records: list[ConsumerRecord]) -> list[DeadLetter]:
    """Letters in topic order, each with the decisions recorded after it."""
    letters: dict[str, DeadLetter] = {}
    for record in records:
        action = header(record, ACTION)
        if action is None:
            letter = DeadLetter(
                record.topic,
                record.partition,
                record.offset,
                record.key,
                record.value,
                {k: v.decode(errors="replace") for k, v in record.headers or ()},
            )
            letters[letter.ref] = letter
            continue
        decision = json.loads(record.value)
        if (letter := letters.get(decision["ref"])) is not None:
            letter.decisions.append(Decision(action, decision["by"], decision["at"], decision.get("reason", "")))
    return list(letters.values())


def decision_record(letter: DeadLetter, action: str, reason: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The value and headers of the record that writes a decision down."""
    value = json.dumps(
        {"ref": letter.ref, "action": action, "reason": reason, "by": operator(), "at": datetime.now(UTC).isoformat()}
    ).encode()
    return value, [(ACTION, action.encode()), ("dlq.ref", letter.ref.encode())]


def operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
