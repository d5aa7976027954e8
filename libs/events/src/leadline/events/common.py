"""Value types and field groups shared by every service's payloads.

Identifiers leadline mints (conversations, leads, messages, requests) are UUIDs;
identifiers that come from outside (WhatsApp, the CRM's agents and teams) are
constrained strings, passed through as the outside world spells them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints, model_validator

WaId = Annotated[str, StringConstraints(pattern=r"^[1-9]\d{6,14}$")]
"""A WhatsApp user id: the phone number's digits with country code, no ``+`` (``5511987654321``)."""

Bsuid = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$")]
"""A business-scoped user id: the user's ISO country code, a dot, up to 128 letters and digits
(``BR.1502576394655843``); a parent BSUID, shared by linked business portfolios, has ``ENT`` in between
(``BR.ENT.11815799212886844830``). Meta mints a new one when the user changes numbers."""

WhatsAppUsername = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""The username a WhatsApp user chose (``joana.silva``); shown instead of their number, changed at will: never a key."""

PhoneNumberId = Annotated[str, StringConstraints(pattern=r"^\d{1,32}$")]
"""Meta's id of a business phone number (``106540352242922``), not the number itself."""

WhatsAppBusinessAccountId = Annotated[str, StringConstraints(pattern=r"^\d{1,32}$")]
"""Meta's id of a WhatsApp Business Account (WABA, ``102290129340398``): it owns numbers and their approved templates."""

DisplayPhoneNumber = Annotated[str, StringConstraints(min_length=1, max_length=32)]
"""A business number formatted for people, as Meta shows it (``+55 11 3456-7890``)."""

E164Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
"""A phone number normalised to E.164 (``+5511987654321``); the key for lead unification."""

Wamid = Annotated[str, StringConstraints(pattern=r"^wamid\.\S+$", max_length=256)]
"""WhatsApp's message id (``wamid.HBgN...``); unique per message and per direction."""

ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
"""An id the CRM owns (agents, teams); opaque to leadline."""

AgentId = ExternalId
TeamId = ExternalId

EmailAddress = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
"""An email address, checked only for shape: whether it is real is the CRM's business."""

PersonName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
"""A name as people wrote it; never parsed."""

NonEmptyText = Annotated[str, StringConstraints(min_length=1)]


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A timezone-aware instant, normalised to UTC so equal instants compare and print equal."""

Direction = Literal["inbound", "outbound"]
"""Seen from the dealership: ``inbound`` is from the customer, ``outbound`` is to them."""


class Value(BaseModel):
    """Base of the value objects nested inside payloads: frozen and tolerant like payloads."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)


class AgentRef(Value):
    """An agent as events name them: the CRM id plus the name shown at the time."""

    id: AgentId
    name: PersonName


class WhatsAppUser(Value):
    """A WhatsApp customer as WhatsApp named them: by phone, by business-scoped user id, or both.

    Invariant: at least one of ``wa_id``, ``user_id``, ``parent_user_id``. Since 2026 Meta always names the
    BSUID and leaves the phone out for a user who adopted a username and has no recent interaction with
    the business; older events name only the phone.
    """

    wa_id: WaId | None = None
    """The phone number's digits as WhatsApp spells them, when WhatsApp shared it."""
    user_id: Bsuid | None = None
    """The business-scoped user id (BSUID)."""
    parent_user_id: Bsuid | None = None
    """The parent BSUID, where Meta enabled them for linked business portfolios."""
    username: WhatsAppUsername | None = None
    """The user's WhatsApp username, when they adopted one: for display only."""

    @model_validator(mode="after")
    def _names_someone(self) -> WhatsAppUser:
        if not (self.wa_id or self.user_id or self.parent_user_id):
            raise ValueError("a WhatsApp user is named by a phone (wa_id), a BSUID (user_id) or a parent BSUID")
        return self

    @property
    def chat_key(self) -> str:
        """What names the chat's stream: the phone when shared (as before BSUIDs existed), else the BSUID."""
        return self.wa_id or self.user_id or self.parent_user_id or ""

    @classmethod
    def of_chat_key(cls, key: str) -> WhatsAppUser:
        """The customer a chat key names (``chat_key`` read back; the username is not in the key)."""
        if key[:1].isdigit():
            return cls(wa_id=key)
        return cls(parent_user_id=key) if ".ENT." in key else cls(user_id=key)


def chat_stream_id(phone_number_id: str, customer_key: str) -> str:
    """The stream of one WhatsApp chat: a business number talking to one customer (``WhatsAppUser.chat_key``)."""
    return f"wa:{phone_number_id}:{customer_key}"


def number_stream_id(phone_number_id: str) -> str:
    """The stream of one business number's own facts (its WhatsApp Web session's connection)."""
    return f"number:{phone_number_id}"


def account_stream_id(account_id: str) -> str:
    """The stream of an account's integration settings (numbers, agents, teams)."""
    return f"account:{account_id}"
