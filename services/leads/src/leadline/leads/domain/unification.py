"""Lead unification: which lead a customer's conversation belongs to, and when that takes an administrator.

The customer is their mobile normalised to E.164 (``leadline.phones``: with or without +55, with or
without the ninth digit, one person is one key) and, on WhatsApp, their business-scoped user id (BSUID):
a lead is the customer's when either matches (``CustomerKeys``), so a customer who hides their number
is still one customer. The account's setting decides:

- **on** — one lead per customer in the account: a known customer's conversation is attached to their
  lead, whoever saves it. If the customer already has leads in two or more teams (made while the
  setting was off, say) nobody can tell which one is right: that is a **conflict**, refused until an
  administrator assigns the lead to one agent.
- **off** — one lead per customer *per team*: a team that already has the customer attaches to its
  lead, any other team gets a new lead of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .errors import ConflictAlreadyResolved, LeadNotInConflict


@dataclass(frozen=True)
class CustomerKeys:
    """Who a lead's customer is: the mobile (E.164) and the WhatsApp BSUID, either of them or both."""

    phone: str | None = None
    whatsapp_user_id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.phone or self.whatsapp_user_id)

    def lock_names(self) -> list[str]:
        """One lock per key, in a fixed order: decisions about one customer never run side by side."""
        return sorted(
            name
            for name in (
                self.phone and f"phone:{self.phone}",
                self.whatsapp_user_id and f"bsuid:{self.whatsapp_user_id}",
            )
            if name
        )


@dataclass(frozen=True)
class KnownLead:
    """An active lead of the customer, as the unification rule needs to see it."""

    lead_id: str
    team_id: str
    created_at: datetime


@dataclass(frozen=True)
class NewLead:
    pass


@dataclass(frozen=True)
class AttachToLead:
    lead_id: str


@dataclass(frozen=True)
class Conflict:
    lead_ids: tuple[str, ...]
    """Oldest first: the conflict is recorded on the first one's stream."""
    team_ids: tuple[str, ...]


Destination = NewLead | AttachToLead | Conflict


def where_the_customer_goes(known: Sequence[KnownLead], *, team_id: str, unification: bool) -> Destination:
    """``known`` in the order the leads were made (ties in ``created_at`` keep that order)."""
    oldest_first = sorted(known, key=lambda lead: lead.created_at)
    if unification:
        teams = sorted({lead.team_id for lead in oldest_first})
        if len(teams) > 1:
            return Conflict(tuple(lead.lead_id for lead in oldest_first), tuple(teams))
        return AttachToLead(oldest_first[0].lead_id) if oldest_first else NewLead()
    same_team = [lead for lead in oldest_first if lead.team_id == team_id]
    return AttachToLead(same_team[0].lead_id) if same_team else NewLead()


@dataclass
class LeadConflict:
    """One customer, leads in several teams. Invariant: resolved once, keeping one of its own leads."""

    conflict_id: str
    account_id: str
    customer_phone: str | None
    lead_ids: tuple[str, ...]
    team_ids: tuple[str, ...]
    kept_lead_id: str | None = None
    resolved_by: str | None = None
    merged_lead_ids: tuple[str, ...] = field(default=())
    whatsapp_user_id: str | None = None

    @property
    def is_resolved(self) -> bool:
        return self.kept_lead_id is not None

    def resolve(self, *, keep: str, by: str) -> bool:
        """False when this very resolution was already made (a retried request)."""
        if keep not in self.lead_ids:
            raise LeadNotInConflict("the lead to keep must be one of the conflicting leads")
        if self.is_resolved:
            if self.kept_lead_id == keep:
                return False
            raise ConflictAlreadyResolved(f"this conflict was already resolved keeping lead {self.kept_lead_id}")
        self.kept_lead_id, self.resolved_by = keep, by
        self.merged_lead_ids = tuple(lead for lead in self.lead_ids if lead != keep)
        return True
