"""Add lead: the saga that turns a conversation into a lead and claims the conversation for the agent, once.

Steps (README, "The Add lead saga"): (1) one transaction records a ``pending`` saga keyed by the request's
idempotency key, after the unification and conflict rules chose where the customer goes; (2) the
router's claim, with the agent's own token; (3a) granted: one transaction publishes the lead; (3b)
refused: the saga is abandoned and the agent told who was first. A crash between (2) and (3a) is
finished by recovery (``service.recovery``) or by the retried request, which finds the claim is its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from leadline.platform.failpoints import crash_point

from ..domain.errors import (
    AddLeadInProgress,
    ClaimLost,
    ClaimRejected,
    ConversationNotFound,
    InvalidMobile,
    LeadConflict,
    LeadsError,
    NoTeam,
)
from ..domain.events import AgentRef, ContactDetails
from ..domain.lead import Agent
from ..domain.saga import AbandonReason, AddLeadSaga, SagaState, claim_is_ours, team_for_lead
from ..domain.temperature import TemperatureRules
from ..domain.unification import (
    AttachToLead,
    Conflict,
    CustomerKeys,
    Destination,
    KnownLead,
    where_the_customer_goes,
)
from ..domain.unification import (
    LeadConflict as ConflictRecord,
)
from .common import retrying
from .completion import SagaOutcome, abandon_saga, complete_saga, conversion_point, lead_to_attach_to
from .ports import (
    Claimed,
    ClaimNotFound,
    ClaimRefused,
    Clock,
    RouterApi,
    RouterConversation,
    RouterMessage,
    RouterUnavailable,
    UnitOfWork,
    UowFactory,
)

log = structlog.get_logger(__name__)
Normalize = Callable[[str], str]


@dataclass(frozen=True)
class AddLead:
    conversation_id: str
    idempotency_key: str
    name: str
    mobile: str | None
    """Empty for a customer known only by their WhatsApp BSUID: the lead is reached on WhatsApp until they share it."""
    phone: str | None = None
    email: str | None = None
    vehicle_of_interest: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class AddLeadContext:
    uow: UowFactory
    router: RouterApi
    clock: Clock
    normalize: Normalize
    rules: TemperatureRules = TemperatureRules()
    one_at_a_time_for: timedelta = timedelta(seconds=10)
    """How long another conversation's unfinished Add lead for the same customer blocks this one."""
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))


def _details(command: AddLead, normalize: Normalize, conversation: RouterConversation | None = None) -> ContactDetails:
    """The form's numbers normalised, and the customer's WhatsApp BSUID from the conversation."""

    def normalised(raw: str | None, what: str) -> str | None:
        if not raw or not raw.strip():
            return None
        try:
            return normalize(raw)
        except ValueError as error:
            raise InvalidMobile(f"the {what} is not a phone number: {error}") from None

    return ContactDetails(
        name=command.name.strip(),
        mobile=normalised(command.mobile, "mobile"),
        phone=normalised(command.phone, "phone"),
        email=command.email or None,
        vehicle_of_interest=command.vehicle_of_interest or None,
        notes=command.notes or None,
        whatsapp_user_id=conversation.customer_user_id if conversation else None,
        whatsapp_username=conversation.customer_username if conversation else None,
    )


def _reachable(details: ContactDetails) -> ContactDetails:
    if not (details.mobile or details.phone or details.email or details.whatsapp_user_id):
        raise InvalidMobile(
            "type the customer's mobile: a lead needs a number, an email or a customer reachable on WhatsApp"
        )
    return details


def customer_of(details: ContactDetails) -> CustomerKeys:
    return CustomerKeys(details.mobile, details.whatsapp_user_id)


async def add_lead(command: AddLead, agent: Agent, token: str, ctx: AddLeadContext) -> SagaOutcome:
    """Save the Add lead form: a new lead, or the customer's conversation attached to their lead."""
    _details(command, ctx.normalize)  # a number that is not one is refused before anything else
    async with ctx.uow() as work:
        saga = await work.sagas.get(agent.account_id, command.idempotency_key)
    seen: tuple[RouterConversation | None, list[RouterMessage]] = (None, [])
    if saga is not None:
        saga.check_same_request(agent_id=agent.id, conversation_id=command.conversation_id)
        if saga.state is SagaState.CREATED:
            return SagaOutcome.of(saga)
        if not saga.may_resume:
            raise refusal_of(saga)
        saga = await _resume(saga, ctx)
    else:
        seen = await _look_first(command.conversation_id, token, ctx)
        conversation = seen[0]
        if conversation is not None and conversation.owner_id and conversation.owner_id != agent.id:
            raise ClaimLost(conversation.owner_id, conversation.owner_name or conversation.owner_id)
        saga = await _start(
            command, _reachable(_details(command, ctx.normalize, conversation)), agent, conversation, ctx
        )
        if saga.state is not SagaState.PENDING:  # the same request raced itself: answer as the first did
            return await add_lead(command, agent, token, ctx)
    return await _claim_and_finish(saga, token, ctx, seen)


@dataclass(frozen=True)
class Outlook:
    """What saving the Add lead form will do, told in the form before the agent types anything.

    ``NewLead``; ``AttachToLead`` (the customer's lead, with its responsible agent and team: saving makes the saver
    responsible, ``completion.complete_saga``); or ``Conflict`` (leads in several teams: saving is refused until an
    administrator resolves it).
    """

    destination: Destination
    responsible: AgentRef | None = None
    team_names: tuple[str, ...] = ()
    conflict_id: str | None = None


async def outlook(conversation: RouterConversation, agent: Agent, ctx: AddLeadContext) -> Outlook:
    """The unification rule's answer for this conversation's customer, as it stands now (the save decides again).

    A conflict is recorded the first time the form sees it, so the administrators' list has it before anyone
    tries to save.
    """
    customer = CustomerKeys(conversation.customer_phone, conversation.customer_user_id)
    team_id = team_for_lead(agent, conversation.pool_team_ids) or ""
    async with ctx.uow() as work:
        known = (
            [KnownLead(*row) for row in await work.leads.active_for_customer(agent.account_id, customer)]
            if customer
            else []
        )
        destination = where_the_customer_goes(
            known, team_id=team_id, unification=await work.directory.unification(agent.account_id)
        )
        if isinstance(destination, Conflict):
            await work.sagas.lock_customer(agent.account_id, customer)
            record = await _recorded_conflict(work, agent.account_id, customer, destination, ctx)
            names = await work.directory.team_names(agent.account_id, record.team_ids)
            return Outlook(destination, team_names=tuple(names), conflict_id=record.conflict_id)
        if isinstance(destination, AttachToLead):
            lead = await lead_to_attach_to(work, destination.lead_id)
            names = await work.directory.team_names(agent.account_id, [lead.team_id] if lead.team_id else [])
            return Outlook(AttachToLead(lead.id), responsible=lead.owner, team_names=tuple(names))
    return Outlook(destination)


async def _look_first(
    conversation_id: str, token: str, ctx: AddLeadContext
) -> tuple[RouterConversation | None, list[RouterMessage]]:
    """The conversation and its messages as the agent sees them, if the router shows them now.

    Only an aid (the team whose pool it is in, a quick "someone was first", the conversion point): a
    conversation claimed meanwhile is hidden from the agent and an unreachable router shows nothing,
    and either way the claim in step 2 is what decides.
    """
    try:
        conversation = await ctx.router.conversation(conversation_id, token)
        return conversation, (await ctx.router.messages(conversation_id, token) if conversation else [])
    except RouterUnavailable:
        return None, []


async def _start(
    command: AddLead,
    details: ContactDetails,
    agent: Agent,
    conversation: RouterConversation | None,
    ctx: AddLeadContext,
) -> AddLeadSaga:
    """Step 1: decide where the customer goes and record the pending saga, one customer at a time."""
    team_id = team_for_lead(agent, conversation.pool_team_ids if conversation else frozenset())
    if team_id is None:
        raise NoTeam("you belong to no team, and a lead belongs to one")
    return await retrying(lambda: _start_once(command, details, agent, team_id, ctx))


async def _start_once(
    command: AddLead, details: ContactDetails, agent: Agent, team_id: str, ctx: AddLeadContext
) -> AddLeadSaga:
    customer = customer_of(details)
    async with ctx.uow() as work:
        await work.sagas.lock_customer(agent.account_id, customer)
        existing = await work.sagas.get(agent.account_id, command.idempotency_key)
        if existing is not None:
            existing.check_same_request(agent_id=agent.id, conversation_id=command.conversation_id)
            return existing
        now = ctx.clock()
        known = [KnownLead(*row) for row in await work.leads.active_for_customer(agent.account_id, customer)]
        destination = where_the_customer_goes(
            known, team_id=team_id, unification=await work.directory.unification(agent.account_id)
        )
        if isinstance(destination, Conflict):
            await _refuse_for_conflict(work, agent.account_id, customer, destination, ctx)
        if await work.sagas.in_flight_elsewhere(
            agent.account_id, customer, command.conversation_id, since=now - ctx.one_at_a_time_for
        ):
            raise AddLeadInProgress("another Add lead for this customer is half-way; try again in a few seconds")
        attaches = isinstance(destination, AttachToLead)
        saga = AddLeadSaga(
            account_id=agent.account_id,
            idempotency_key=command.idempotency_key,
            lead_id=destination.lead_id if attaches else ctx.new_id(),
            attaches=attaches,
            conversation_id=command.conversation_id,
            agent=AgentRef(agent.id, agent.name),
            team_id=team_id,
            details=details,
            started_at=now,
        )
        await work.sagas.start(saga)
        await work.commit()
    log.info("add lead started", lead_id=saga.lead_id, conversation_id=saga.conversation_id, attaches=attaches)
    return saga


async def _refuse_for_conflict(
    work: UnitOfWork, account_id: str, customer: CustomerKeys, conflict: Conflict, ctx: AddLeadContext
) -> None:
    """The customer is in two teams: record the conflict and refuse."""
    record = await _recorded_conflict(work, account_id, customer, conflict, ctx)
    names = await work.directory.team_names(account_id, record.team_ids)
    raise LeadConflict(record.conflict_id, names, record.team_ids, record.lead_ids)


async def _recorded_conflict(
    work: UnitOfWork, account_id: str, customer: CustomerKeys, conflict: Conflict, ctx: AddLeadContext
) -> ConflictRecord:
    """The customer's open conflict, recorded (and announced once, on its oldest lead) the first time it is seen.

    The caller holds the customer's lock (``sagas.lock_customer``): one record per conflict.
    """
    record = await work.conflicts.open_for_customer(account_id, customer)
    if record is not None:
        return record
    now = ctx.clock()
    record = ConflictRecord(
        ctx.new_id(),
        account_id,
        customer.phone,
        conflict.lead_ids,
        conflict.team_ids,
        whatsapp_user_id=customer.whatsapp_user_id,
    )
    await work.conflicts.add(record, now)
    oldest = await work.leads.get(conflict.lead_ids[0])
    assert oldest is not None
    oldest.note_conflict(record.conflict_id, team_ids=conflict.team_ids, lead_ids=conflict.lead_ids, at=now)
    await work.commit()
    log.warning("lead conflict detected", conflict_id=record.conflict_id, teams=list(conflict.team_ids))
    return record


async def _resume(saga: AddLeadSaga, ctx: AddLeadContext) -> AddLeadSaga:
    """The same request again: a pending saga goes on; one abandoned for want of an answer starts over."""
    if saga.state is SagaState.PENDING:
        return saga
    async with ctx.uow() as work:
        current = await work.sagas.get(saga.account_id, saga.idempotency_key, for_update=True)
        assert current is not None
        if current.state is SagaState.ABANDONED and current.may_resume:
            current = current.resumed(ctx.clock())
            await work.sagas.save(current, ctx.clock())
            await work.commit()
    if current.state is SagaState.ABANDONED:
        raise refusal_of(current)
    return current


async def _claim_and_finish(
    saga: AddLeadSaga, token: str, ctx: AddLeadContext, seen: tuple[RouterConversation | None, list[RouterMessage]]
) -> SagaOutcome:
    """Steps 2 and 3: the router's claim decides; a refusal naming ourselves is our own earlier claim."""
    answer = await ctx.router.claim(saga.conversation_id, saga.lead_id, token)
    if isinstance(answer, ClaimRefused) and answer.owner_id == saga.agent.id:
        current = await ctx.router.conversation(saga.conversation_id, token)
        if current is not None and claim_is_ours(saga, owner_id=current.owner_id, conversation_lead_id=current.lead_id):
            answer = Claimed(owner_id=saga.agent.id)
    if isinstance(answer, Claimed):
        crash_point("leads.after_claim")  # claimed, not yet published: recovery or a retry must finish it
        conversation, messages = seen
        if conversation is None:
            conversation = await ctx.router.conversation(saga.conversation_id, token)
            messages = await ctx.router.messages(saga.conversation_id, token) if conversation else []
        point = conversion_point(saga.conversation_id, conversation, messages)
        return await complete_saga(saga, point, uow=ctx.uow, clock=ctx.clock, rules=ctx.rules)
    if isinstance(answer, ClaimRefused):
        refusal = {"owner_id": answer.owner_id, "owner_name": answer.owner_name}
        saga = await abandon_saga(saga, AbandonReason.LOST, refusal, uow=ctx.uow, clock=ctx.clock)
    elif isinstance(answer, ClaimNotFound):
        saga = await abandon_saga(saga, AbandonReason.NOT_FOUND, None, uow=ctx.uow, clock=ctx.clock)
    else:
        refusal = {"status": str(answer.status), "code": answer.code, "message": answer.message}
        saga = await abandon_saga(saga, AbandonReason.REJECTED, refusal, uow=ctx.uow, clock=ctx.clock)
    if saga.state is SagaState.CREATED:  # recovery saw the claim first and completed it meanwhile
        return SagaOutcome.of(saga)
    raise refusal_of(saga)


def refusal_of(saga: AddLeadSaga) -> LeadsError:
    """What an abandoned saga answers, the first time and on every retry."""
    refusal = saga.refusal or {}
    if saga.abandon_reason is AbandonReason.LOST:
        return ClaimLost(refusal.get("owner_id", ""), refusal.get("owner_name", ""))
    if saga.abandon_reason is AbandonReason.REJECTED:
        return ClaimRejected(
            int(refusal.get("status", 409)), refusal.get("code", "refused"), refusal.get("message", "")
        )
    return ConversationNotFound("no such conversation")
