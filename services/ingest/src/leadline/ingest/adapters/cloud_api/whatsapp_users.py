"""Who a webhook is about: a customer named by phone (``wa_id``), business-scoped user id (BSUID) or both.

Meta's shapes since usernames (the "Business-scoped user IDs" documentation):

- ``contacts[]``: ``user_id`` (BSUID, always), ``parent_user_id`` (where parent BSUIDs are enabled),
  ``wa_id`` (the phone, left out for a user with a username and no recent interaction with the
  business) and ``profile: {name, username}``; the same array rides along ``sent``/``delivered``/
  ``read`` statuses, never ``failed`` ones;
- ``messages[]``: ``from`` (the phone, same rule as ``wa_id``), ``from_user_id``, ``from_parent_user_id``;
- ``statuses[]``: ``recipient_id`` (the phone, when the send went to one), ``recipient_user_id`` and
  ``recipient_parent_user_id`` (some providers spell it ``parent_recipient_user_id``: both are read);
- echoes: ``to`` (the phone as typed) or, for a customer known only by BSUID, ``to_user_id``.

Nothing is refused for a missing phone: a customer needs only one of phone, BSUID or parent BSUID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadline.events.common import Bsuid, WaId, WhatsAppUser
from leadline.ingest.adapters.cloud_api.reading import at, build, check, fail, items, maybe

_PHONE_PUNCTUATION = re.compile(r"[\s+().-]")
_MAX_USERNAME = 128  # WhatsAppUsername's limit in the event contract


@dataclass(frozen=True)
class Contact:
    """One ``contacts[]`` entry: the customer as this webhook names them, with their profile."""

    wa_id: str | None
    user_id: str | None
    parent_user_id: str | None
    name: str | None
    username: str | None

    def names(self, user: WhatsAppUser) -> bool:
        """Whether this entry is about ``user``: they share a phone or a BSUID."""
        return any(mine is not None and mine == theirs for mine, theirs in self._pairs(user))

    def fits(self, user: WhatsAppUser) -> bool:
        """Whether this entry could be about ``user``: nothing in it contradicts them."""
        return not any(mine is not None and theirs is not None and mine != theirs for mine, theirs in self._pairs(user))

    def _pairs(self, user: WhatsAppUser) -> tuple[tuple[str | None, str | None], ...]:
        return ((self.wa_id, user.wa_id), (self.user_id, user.user_id), (self.parent_user_id, user.parent_user_id))


def contacts_of(value: dict[str, Any], path: str) -> list[Contact]:
    """``value.contacts[]``; the first entry wins where Meta lists one customer twice."""
    contacts = []
    for contact_path, contact in items(value, "contacts", path):
        profile = maybe(contact, "profile", contact_path, dict, {})
        profile_path = at(contact_path, "profile")
        contacts.append(
            Contact(
                wa_id=_phone(contact, "wa_id", contact_path),
                user_id=maybe(contact, "user_id", contact_path, Bsuid),
                parent_user_id=maybe(contact, "parent_user_id", contact_path, Bsuid),
                name=(maybe(profile, "name", profile_path) or "").strip() or None,
                username=_username(maybe(profile, "username", profile_path)),
            )
        )
    return contacts


def sender(message: dict[str, Any], path: str, contacts: list[Contact]) -> tuple[WhatsAppUser, Contact | None]:
    """The customer who sent ``message`` and their contact entry (for the profile name and username)."""
    return _named(
        path,
        contacts,
        wa_id=_phone(message, "from", path),
        user_id=maybe(message, "from_user_id", path, Bsuid),
        parent_user_id=maybe(message, "from_parent_user_id", path, Bsuid),
        what="from, from_user_id",
    )


def recipient(status: dict[str, Any], path: str, contacts: list[Contact]) -> WhatsAppUser:
    """The customer a status is about: its own ``recipient_*`` fields, completed by the contact entry beside it."""
    parent = maybe(status, "recipient_parent_user_id", path, Bsuid) or maybe(
        status, "parent_recipient_user_id", path, Bsuid
    )
    user, _ = _named(
        path,
        contacts,
        wa_id=_phone(status, "recipient_id", path),
        user_id=maybe(status, "recipient_user_id", path, Bsuid),
        parent_user_id=parent,
        what="recipient_id, recipient_user_id",
    )
    return user


def echo_recipient(echo: dict[str, Any], path: str) -> WhatsAppUser:
    """The customer an echo was typed to: ``to`` is the number as typed (``+16505551234``), or their BSUID."""
    to = maybe(echo, "to", path)
    wa_id = check(_PHONE_PUNCTUATION.sub("", to), at(path, "to"), WaId) if to else None
    user_id = maybe(echo, "to_user_id", path, Bsuid)
    if not (wa_id or user_id):
        fail(at(path, "to"), "missing (neither to nor to_user_id)")
    return WhatsAppUser(wa_id=wa_id, user_id=user_id)


def _named(
    path: str, contacts: list[Contact], *, wa_id: str | None, user_id: str | None, parent_user_id: str | None, what: str
) -> tuple[WhatsAppUser, Contact | None]:
    named = WhatsAppUser.model_construct(wa_id=wa_id, user_id=user_id, parent_user_id=parent_user_id)
    contact = next((c for c in contacts if c.names(named)), None)
    if contact is None and len(contacts) == 1 and contacts[0].fits(named):
        contact = contacts[0]  # the one customer the change is about
    if contact is not None:  # the contact completes what the message or status itself leaves out
        wa_id, user_id = wa_id or contact.wa_id, user_id or contact.user_id
        parent_user_id = parent_user_id or contact.parent_user_id
    if not (wa_id or user_id or parent_user_id):
        fail(path, f"names no customer (none of {what}, nor a contact)")
    username = contact.username if contact else None
    return build(
        WhatsAppUser, path, wa_id=wa_id, user_id=user_id, parent_user_id=parent_user_id, username=username
    ), contact


def _phone(obj: dict[str, Any], key: str, path: str) -> str | None:
    return maybe(obj, key, path, WaId)


def _username(raw: str | None) -> str | None:
    name = (raw or "").strip().lstrip("@")
    return name[:_MAX_USERNAME] or None
