"""Why the leads service refuses a request, in the product's words; ``code`` is stable for API clients."""

from __future__ import annotations


class LeadsError(Exception):
    code = "refused"


class LeadNotFound(LeadsError):
    """Missing, or not visible to this agent: indistinguishable on purpose (no existence leak)."""

    code = "not_found"


class ConversationNotFound(LeadsError):
    code = "not_found"


class ClaimLost(LeadsError):
    """Someone else pressed "Add lead" first: the conversation, and so the customer, is theirs."""

    code = "already_claimed"

    def __init__(self, owner_id: str, owner_name: str) -> None:
        super().__init__(f"{owner_name} already took this conversation")
        self.owner_id = owner_id
        self.owner_name = owner_name


class ClaimRejected(LeadsError):
    """The router refused the claim for another reason (finished, not in your pool); its words are passed on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class LeadConflict(LeadsError):
    """The customer already has leads in two or more teams: an administrator must choose one agent."""

    code = "lead_conflict"

    def __init__(
        self, conflict_id: str, team_names: list[str], team_ids: tuple[str, ...], lead_ids: tuple[str, ...]
    ) -> None:
        super().__init__(
            f"this customer is registered in teams {_listed(team_names)}; an administrator must assign the lead to one agent"
        )
        self.conflict_id = conflict_id
        self.team_names = tuple(team_names)
        self.team_ids = team_ids
        self.lead_ids = lead_ids


class AddLeadInProgress(LeadsError):
    """Another "Add lead" for the same customer (another conversation) is half-way: one at a time per customer."""

    code = "lead_in_progress"


class IdempotencyKeyReused(LeadsError):
    code = "idempotency_key_reused"


class InvalidMobile(LeadsError):
    code = "invalid_phone"


class NoTeam(LeadsError):
    """A lead belongs to one team; an agent in none cannot own one."""

    code = "no_team"


class NotYourLead(LeadsError):
    code = "forbidden"


class AdminsOnly(LeadsError):
    code = "forbidden"


class UnknownAgent(LeadsError):
    code = "unknown_agent"


class LeadMerged(LeadsError):
    """The lead was unified into another by an administrator; act on the lead it was merged into."""

    code = "lead_merged"


class ConflictNotFound(LeadsError):
    code = "not_found"


class ConflictAlreadyResolved(LeadsError):
    code = "conflict_already_resolved"


class LeadNotInConflict(LeadsError):
    code = "lead_not_in_conflict"


class ConcurrentChange(LeadsError):
    """Someone else changed the lead first; the handler reloads and decides again."""

    code = "concurrent_change"


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
