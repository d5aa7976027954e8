"""WhatsApp users as webhooks name them since usernames: phone (``wa_id``), business-scoped user id, or both.

Shapes per Meta's "Business-scoped user IDs" documentation: ``contacts[]`` carries ``user_id`` (always),
``parent_user_id`` (where enabled), ``wa_id`` (left out for a user with a username and no recent interaction
with the business) and ``profile: {name, username}``; a message carries ``from`` (the same rule) and
``from_user_id`` / ``from_parent_user_id``; a status carries ``recipient_id`` (only when the send went to a
phone), ``recipient_user_id`` / ``recipient_parent_user_id``, and ``contacts[]`` beside it except for ``failed``.
A user who taps a template's ``REQUEST_CONTACT_INFO`` button sends a ``contacts`` message whose card is
their own number with ``origin: "contact_request"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadline.fakegraph import ids, webhooks
from leadline.fakegraph.inbound_messages import Message, Timestamp, contacts_message


@dataclass(frozen=True)
class WhatsAppUser:
    """A customer as the fake names them; ``shows_phone=False`` is a username user Meta leaves the phone out for."""

    user_id: str | None = None
    wa_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    profile_name: str | None = "Test Customer"
    shows_phone: bool = True

    @property
    def phone_in_webhooks(self) -> str | None:
        return self.wa_id if self.shows_phone else None

    def contact(self, *, with_username: bool = True) -> dict[str, Any]:
        """The ``contacts[]`` element naming this user (no ``username`` in ``sent`` statuses)."""
        entry: dict[str, Any] = {}
        profile = {
            k: v for k, v in (("name", self.profile_name), ("username", self.username if with_username else None)) if v
        }
        if profile:
            entry["profile"] = profile
        for key, value in (
            ("wa_id", self.phone_in_webhooks),
            ("user_id", self.user_id),
            ("parent_user_id", self.parent_user_id),
        ):
            if value:
                entry[key] = value
        return entry

    def sending(self, message: Message) -> Message:
        """``message`` (built for a phone) as this user sends it: ``from`` only when shown, ``from_user_id`` always."""
        sent = {k: v for k, v in message.items() if k not in ("from", "from_user_id", "from_parent_user_id")}
        named = {
            "from": self.phone_in_webhooks,
            "from_user_id": self.user_id,
            "from_parent_user_id": self.parent_user_id,
        }
        return {**{k: v for k, v in named.items() if v}, **sent}

    def status_fields(self, *, sent_to_phone: bool) -> dict[str, str]:
        """The recipient fields of a status of a message sent to this user (by phone, or by BSUID)."""
        fields = {"recipient_id": self.wa_id} if sent_to_phone and self.wa_id else {}
        if self.user_id:
            fields["recipient_user_id"] = self.user_id
        if self.parent_user_id:
            fields["recipient_parent_user_id"] = self.parent_user_id
        return fields


def contact_shared_on_request(
    user: WhatsAppUser, phone: str, *, wamid: str | None = None, timestamp: Timestamp = None
) -> Message:
    """The ``contacts`` message a user sends by tapping "request contact info": their own number."""
    card = {
        "name": {"formatted_name": user.profile_name or phone, "first_name": (user.profile_name or phone).split()[0]},
        "phones": [{"phone": phone, "wa_id": ids.digits_of(phone), "type": "CELL"}],
        "origin": "contact_request",
    }
    return user.sending(
        contacts_message(ids.digits_of(phone), [card], wamid=wamid or ids.wamid(phone), timestamp=timestamp)
    )


def status_for(
    user: WhatsAppUser,
    wamid: str,
    state: str,
    *,
    sent_to_phone: bool,
    code: int | None = None,
    timestamp: Timestamp = None,
) -> dict[str, Any]:
    """A ``statuses[]`` element of a message sent to ``user`` (to their phone, or to their BSUID)."""
    if state == "failed":
        item = webhooks.failed_status(wamid, None, code or 131026, timestamp=timestamp)
    else:
        item = webhooks.status(wamid, state, None, timestamp=timestamp)
    return {**item, **user.status_fields(sent_to_phone=sent_to_phone)}


def status_contacts(user: WhatsAppUser, state: str) -> list[dict[str, Any]]:
    """The ``contacts[]`` beside a status: none for ``failed``; the username only once delivered or read."""
    return [] if state == "failed" else [user.contact(with_username=state != "sent")]
