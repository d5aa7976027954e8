"""The conversation aggregate: one customer talking to one business number, from opening to finish.

Invariants:
- at most one owner at a time; the first claim wins, later ones are refused naming the owner (claim-once);
- the status follows the last message's direction (New while unclaimed in the pool);
- a WhatsApp message (wamid) is appended once; a reply's idempotency key sends once;
- a finished conversation takes no more messages: the customer's next message opens a new one.
State is a fold of the conversation's events; commands append new events to ``pending``. The state can also be
given (``state`` and ``message_facts``) and taken back (``restore``), so a store need not fold the whole stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from . import events as ev
from .agents import Account, Agent, ProcessType
from .errors import (
    AlreadyClaimed,
    ConversationFinished,
    ConversationNotFound,
    CustomerTalkingElsewhere,
    MediaFetchNotRetryable,
    MediaNotFound,
    NotAllowedToSend,
    NoTemplatesOnThisNumber,
    NotInAgentsPool,
    OpenConversationInPool,
    OutsideServiceWindow,
)
from .identity import WhatsAppName
from .media import fetching_again, media_fetch_may_be_retried, with_fetch_failed, with_stored_copy
from .rules import (
    FINISHED,
    NEW,
    UNANSWERED,
    ConversationStatus,
    Delivery,
    Direction,
    OpenedBy,
    Origin,
    agent_signed_text,
    delivery_moves_forward,
    may_answer,
    may_claim,
    may_see,
    pool_wait_exceeded,
    service_window_applies,
    status_after_message,
    team_for_claim,
    within_service_window,
)
from .state import ConversationState, MessageFacts


class Conversation:
    def __init__(self, conversation_id: str, account_id: str) -> None:
        self.id = conversation_id
        self.account_id = account_id
        self.version = 0
        self.pending: list[ev.DomainEvent] = []
        self.opened: ev.ConversationOpened | None = None
        self.status: ConversationStatus = NEW
        self.owner: ev.AgentRef | None = None
        self.owner_team_id: str | None = None
        self.owner_can_send = True
        self.pool_team_ids: frozenset[str] = frozenset()
        self.collaborator_ids: frozenset[str] = frozenset()
        self.lead_id: str | None = None
        self.pool_wait_alerted = False
        self.was_in_pool = False  # opened unowned, or handed to a pool: its pool's agents have seen it
        self.wamids: set[str] = set()
        self.deliveries: dict[str, Delivery] = {}  # outbound message id -> delivery status
        self.message_of_request: dict[str, str] = {}
        self.message_of_wamid: dict[str, str] = {}
        self.media: dict[str, dict[str, Any]] = {}  # message id -> its media as it now stands

    # ---- state -------------------------------------------------------------------------------------------
    @classmethod
    def rehydrate(cls, conversation_id: str, account_id: str, history: Iterable[ev.DomainEvent]) -> Conversation:
        conversation = cls(conversation_id, account_id)
        for event in history:
            conversation._apply(event)
        return conversation

    def state(self) -> ConversationState:
        return ConversationState(
            version=self.version,
            opened=self.opened,
            status=self.status,
            owner=self.owner,
            owner_team_id=self.owner_team_id,
            owner_can_send=self.owner_can_send,
            pool_team_ids=self.pool_team_ids,
            collaborator_ids=self.collaborator_ids,
            lead_id=self.lead_id,
            pool_wait_alerted=self.pool_wait_alerted,
            was_in_pool=self.was_in_pool,
        )

    def message_facts(self, message_ids: Iterable[str] | None = None) -> list[MessageFacts]:
        """The facts of these messages (of every message it knows, when None), in the order they arrived."""
        wamids_of: dict[str, list[str]] = {}
        for wamid, message_id in self.message_of_wamid.items():
            wamids_of.setdefault(message_id, []).append(wamid)
        known = dict.fromkeys([*wamids_of, *self.deliveries, *self.message_of_request, *self.media])
        wanted = known if message_ids is None else [m for m in dict.fromkeys(message_ids) if m in known]
        facts = []
        for message_id in wanted:
            wamids = wamids_of.get(message_id, [])
            appended = next((w for w in wamids if w in self.wamids), None)
            facts.append(
                MessageFacts(
                    message_id=message_id,
                    wamid=appended,
                    sent_as=next((w for w in reversed(wamids) if w != appended), None),
                    delivery=self.deliveries.get(message_id),
                    requested=message_id in self.message_of_request,
                    media=self.media.get(message_id),
                )
            )
        return facts

    def pending_message_ids(self) -> list[str]:
        """The messages whose facts the pending events changed."""
        touched: dict[str, None] = {}
        for event in self.pending:
            match event:
                case ev.SendRequested():
                    touched[event.request_id] = None
                case ev.MessageAppended() | ev.MessageDeliveryUpdated() | ev.MessageMediaUpdated():
                    touched[event.message_id] = None
        return list(touched)

    @classmethod
    def restore(
        cls, conversation_id: str, account_id: str, state: ConversationState, messages: Iterable[MessageFacts]
    ) -> Conversation:
        """The conversation as ``state`` left it, knowing only the facts of ``messages``.

        Enough for decisions about those messages (and for every decision about no message in particular).
        """
        conversation = cls(conversation_id, account_id)
        conversation.version, conversation.opened, conversation.status = state.version, state.opened, state.status
        conversation.owner, conversation.owner_team_id = state.owner, state.owner_team_id
        conversation.owner_can_send = state.owner_can_send
        conversation.pool_team_ids, conversation.collaborator_ids = state.pool_team_ids, state.collaborator_ids
        conversation.lead_id, conversation.pool_wait_alerted = state.lead_id, state.pool_wait_alerted
        conversation.was_in_pool = state.was_in_pool
        for facts in messages:
            if facts.wamid is not None:
                conversation.wamids.add(facts.wamid)
                conversation.message_of_wamid[facts.wamid] = facts.message_id
            if facts.sent_as is not None:
                conversation.message_of_wamid[facts.sent_as] = facts.message_id
            if facts.delivery is not None:
                conversation.deliveries[facts.message_id] = facts.delivery
            if facts.requested:
                conversation.message_of_request[facts.message_id] = facts.message_id
            if facts.media is not None:
                conversation.media[facts.message_id] = facts.media
        return conversation

    @property
    def is_open(self) -> bool:
        return self.opened is not None and self.status != FINISHED

    def _record(self, event: ev.DomainEvent) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: ev.DomainEvent) -> None:
        self.version += 1
        match event:
            case ev.ConversationOpened():
                self.opened, self.status, self.owner = event, event.status, event.owner
                self.pool_team_ids, self.lead_id = frozenset(event.team_ids), event.lead_id
                self.was_in_pool = event.owner is None
            case ev.MessageAppended():
                self.status = event.status
                if event.wamid:
                    self.wamids.add(event.wamid)
                    self.message_of_wamid[event.wamid] = event.message_id
                if event.direction == Direction.OUTBOUND:
                    self.deliveries.setdefault(event.message_id, Delivery.SENT if event.wamid else Delivery.PENDING)
                if isinstance(event.content.get("media"), dict):
                    self.media[event.message_id] = event.content["media"]
            case ev.ConversationClaimed():
                self.owner, self.lead_id = event.agent, event.lead_id or self.lead_id
                self.owner_team_id = event.team_id
            case ev.ConversationTransferred():
                self.owner, self.owner_can_send = event.to_agent, event.can_send
                self.owner_team_id = event.to_team_id
                self.was_in_pool = self.was_in_pool or event.to_agent is None
                self.pool_team_ids = (
                    self.pool_team_ids | {event.to_team_id} if event.to_agent is None else self.pool_team_ids
                )
                if event.keeps_access is not None:
                    self.collaborator_ids = self.collaborator_ids | {event.keeps_access.id}
            case ev.ConversationFinished():
                pass
            case ev.StatusChanged():
                self.status = event.to_status
            case ev.SendRequested():
                self.message_of_request[event.request_id] = event.request_id
            case ev.PoolWaitExceeded():
                self.pool_wait_alerted = True
            case ev.MessageDeliveryUpdated():
                self.deliveries[event.message_id] = event.delivery
                if event.wamid:
                    self.message_of_wamid[event.wamid] = event.message_id
            case ev.MessageMediaUpdated():
                self.media[event.message_id] = event.media
            case ev.MediaFetchRequested():
                pass

    # ---- who -------------------------------------------------------------------------------------------
    def visible_to(self, agent: Agent, account: Account) -> bool:
        return self.opened is not None and may_see(
            agent,
            owner_id=self.owner.id if self.owner else None,
            pool_team_ids=self.pool_team_ids,
            collaborator_ids=self.collaborator_ids,
            account=account,
        )

    def claimable_by(self, agent: Agent, account: Account) -> bool:
        """Whoever saw it in a pool may try to claim it: a late claim is told the owner, not that it vanished.

        A conversation that never waited in a pool (started from a lead, or sent straight to the lead's owner)
        stays invisible to everyone else: its existence is not leaked through a 409.
        """
        return self.opened is not None and may_claim(
            agent,
            owner_id=self.owner.id if self.owner else None,
            pool_team_ids=self.pool_team_ids,
            collaborator_ids=self.collaborator_ids,
            was_in_pool=self.was_in_pool,
            account=account,
        )

    def continue_from_lead(self, agent: Agent, account: Account) -> None:
        """A start from a lead whose customer already has this conversation open goes on here, or says what to do.

        Waiting in the pool: take it there (Add lead). Taken by someone from a pool the agent saw: that owner is
        named, as a late claim would be. Invisible to the agent: only that the customer talks elsewhere.
        """
        if self.visible_to(agent, account):
            if self.owner is None and not agent.is_admin:
                raise OpenConversationInPool(self.id)
            return  # the reply that follows applies the usual rules of who answers
        if self.owner is not None and self.claimable_by(agent, account):
            raise AlreadyClaimed(self.owner.id, self.owner.name)
        raise CustomerTalkingElsewhere(
            "this customer is already talking with the dealership on this number in a "
            "conversation you cannot see; ask an administrator to transfer the lead to you"
        )

    def _may_answer(self, agent: Agent, account: Account) -> None:
        if may_answer(
            agent,
            owner_id=self.owner.id if self.owner else None,
            owner_can_send=self.owner_can_send,
            collaborator_ids=self.collaborator_ids,
            account=account,
        ):
            return
        if self.owner is None:
            raise NotAllowedToSend("claim the conversation (Add lead) before answering")
        if agent.id == self.owner.id:
            raise NotAllowedToSend(
                "your team is not linked to this WhatsApp number: you can read the history but not send"
            )
        raise NotAllowedToSend(f"only {self.owner.name} answers this conversation")

    # ---- commands ----------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        conversation_id: str,
        account_id: str,
        *,
        phone_number_id: str,
        business_display_number: str,
        customer: WhatsAppName,
        customer_id: str | None,
        customer_phone: str | None,
        customer_display_name: str,
        team_ids: Iterable[str],
        owner: ev.AgentRef | None,
        lead_id: str | None,
        opened_by: str,
        at: datetime,
    ) -> Conversation:
        conversation = cls(conversation_id, account_id)
        conversation._record(
            ev.ConversationOpened(
                phone_number_id=phone_number_id,
                business_display_number=business_display_number,
                customer=customer,
                customer_id=customer_id,
                customer_phone=customer_phone,
                customer_display_name=customer_display_name,
                status=NEW,
                team_ids=tuple(sorted(team_ids)),
                owner=owner,
                lead_id=lead_id,
                opened_by=OpenedBy(opened_by),
                at=at,
            )
        )
        return conversation

    def _append(
        self,
        *,
        message_id: str,
        wamid: str | None,
        direction: Direction,
        origin: Origin,
        sender: ev.AgentRef | None,
        content: dict[str, Any],
        sent_at: datetime,
        at: datetime,
    ) -> None:
        before = self.status
        after = status_after_message(before, direction=direction, owned=self.owner is not None, origin=origin)
        self._record(
            ev.MessageAppended(
                message_id=message_id,
                wamid=wamid,
                direction=direction,
                origin=origin,
                sender=sender,
                content=content,
                sent_at=sent_at,
                status=after,
            )
        )
        if after != before:
            self._record(ev.StatusChanged(before, after, at))

    def receive_customer_message(
        self, *, message_id: str, wamid: str, content: dict[str, Any], sent_at: datetime, at: datetime
    ) -> bool:
        """False when this WhatsApp message is already in the conversation (a redelivery)."""
        if wamid in self.wamids:
            return False
        if not self.is_open:
            raise ConversationFinished("a finished conversation takes no messages: open a new one")
        self._append(
            message_id=message_id,
            wamid=wamid,
            direction=Direction.INBOUND,
            origin=Origin.CUSTOMER,
            sender=None,
            content=content,
            sent_at=sent_at,
            at=at,
        )
        return True

    def record_phone_echo(
        self, *, message_id: str, wamid: str, content: dict[str, Any], sent_at: datetime, at: datetime
    ) -> bool:
        """A message someone sent from the WhatsApp Business app on the phone: part of the conversation too."""
        if wamid in self.wamids or not self.is_open:
            return False
        self._append(
            message_id=message_id,
            wamid=wamid,
            direction=Direction.OUTBOUND,
            origin=Origin.PHONE_ECHO,
            sender=None,
            content=content,
            sent_at=sent_at,
            at=at,
        )
        return True

    def claim(self, agent: Agent, account: Account, *, lead_id: str | None, at: datetime) -> None:
        """Claim-once: the first claim wins; every later one is refused naming the owner."""
        if not self.claimable_by(agent, account):
            raise ConversationNotFound("no such conversation")
        if self.owner is not None and self.owner.id == agent.id and lead_id and self.lead_id is None:
            # Add lead on a conversation its owner claimed before: the claim now names the lead
            self._record(
                ev.ConversationClaimed(
                    agent=self.owner,
                    team_id=self.owner_team_id or min(self.pool_team_ids, default=""),
                    lead_id=lead_id,
                    at=at,
                )
            )
            return
        if self.owner is not None:
            raise AlreadyClaimed(self.owner.id, self.owner.name)
        if self.status == FINISHED:
            raise ConversationFinished("this conversation is finished")
        team_id = team_for_claim(agent, self.pool_team_ids) or (
            min(self.pool_team_ids) if agent.is_admin and self.pool_team_ids else None
        )
        if team_id is None:
            raise NotInAgentsPool("this conversation is not in any of your teams' pools")
        self._record(
            ev.ConversationClaimed(agent=ev.AgentRef(agent.id, agent.name), team_id=team_id, lead_id=lead_id, at=at)
        )
        if self.status == NEW:
            self._record(ev.StatusChanged(NEW, UNANSWERED, at))

    def reply(
        self,
        agent: Agent,
        account: Account,
        *,
        content: dict[str, Any],
        request_id: str,
        last_customer_message_at: datetime | None,
        now: datetime,
        to: WhatsAppName | None = None,
    ) -> str:
        """An agent answers; returns the message id. A repeated request (same idempotency key) sends nothing new.

        ``to`` is the customer as known now (a phone learned after the opening is written to); else as opened.
        """
        if request_id in self.message_of_request:
            return request_id
        if self.status == FINISHED:
            raise ConversationFinished("this conversation is finished; a new one starts when the customer writes")
        self._may_answer(agent, account)
        assert self.opened is not None
        window_applies = service_window_applies(account.numbers.get(self.opened.phone_number_id))
        if content.get("kind") == "template" and not window_applies:
            raise NoTemplatesOnThisNumber("this number is on WhatsApp Web: it has no templates; write free text")
        if (
            window_applies
            and content.get("kind") != "template"
            and not within_service_window(last_customer_message_at, now)
        ):
            raise OutsideServiceWindow(
                "more than 24 hours since the customer last wrote: WhatsApp allows only a template message"
            )
        body = agent_signed_text(agent.name, content["body"]) if content.get("kind") == "text" else None
        sender = ev.AgentRef(agent.id, agent.name)
        self._record(
            ev.SendRequested(
                request_id=request_id,
                phone_number_id=self.opened.phone_number_id,
                to=to or self.opened.customer,
                content=content,
                agent=sender,
                body=body,
                at=now,
            )
        )
        self._append(
            message_id=request_id,
            wamid=None,
            direction=Direction.OUTBOUND,
            origin=Origin.AGENT,
            sender=sender,
            content=content,
            sent_at=now,
            at=now,
        )
        return request_id

    def record_send_result(self, *, request_id: str, wamid: str | None, failed: str | None, at: datetime) -> bool:
        message_id = self.message_of_request.get(request_id)
        if message_id is None:
            return False
        delivery = Delivery.FAILED if failed else Delivery.SENT
        if not delivery_moves_forward(self.deliveries.get(message_id, Delivery.PENDING), delivery):
            return False
        self._record(
            ev.MessageDeliveryUpdated(message_id=message_id, wamid=wamid, delivery=delivery, error=failed, at=at)
        )
        return True

    def record_delivery(self, *, wamid: str, status: str, error: str | None, at: datetime) -> bool:
        message_id = self.message_of_wamid.get(wamid)
        if message_id is None or not delivery_moves_forward(self.deliveries.get(message_id, Delivery.PENDING), status):
            return False
        delivery = Delivery(status)  # a status WhatsApp has and leadline does not follow never moves forward
        self._record(
            ev.MessageDeliveryUpdated(message_id=message_id, wamid=wamid, delivery=delivery, error=error, at=at)
        )
        return True

    def record_media_stored(self, *, wamid: str, stored: dict[str, Any], mime_type: str, at: datetime) -> bool:
        """Ingest stored our copy of a message's media: the message shows it (also after the conversation finished)."""
        message_id = self.message_of_wamid.get(wamid)
        media = self.media.get(message_id) if message_id else None
        updated = with_stored_copy(media, stored, mime_type) if media is not None else None
        if message_id is None or updated is None:
            return False
        self._record(ev.MessageMediaUpdated(message_id=message_id, wamid=wamid, media=updated, at=at))
        return True

    def record_media_fetch_failed(
        self, *, wamid: str, reason: str, error_code: int | None, retryable: bool, at: datetime
    ) -> bool:
        """Ingest gave up fetching a message's media: the message says it is not available, and why."""
        message_id = self.message_of_wamid.get(wamid)
        media = self.media.get(message_id) if message_id else None
        updated = with_fetch_failed(media, reason=reason, error_code=error_code, retryable=retryable) if media else None
        if message_id is None or updated is None:
            return False
        self._record(ev.MessageMediaUpdated(message_id=message_id, wamid=wamid, media=updated, at=at))
        return True

    def retry_media_fetch(self, agent: Agent, *, message_id: str, at: datetime) -> None:
        """Whoever may see the conversation may ask WhatsApp for a file again, when a retry can work."""
        media = self.media.get(message_id)
        wamid = next((w for w, m in self.message_of_wamid.items() if m == message_id), None)
        if media is None or wamid is None or self.opened is None:
            raise MediaNotFound("this message has no media to fetch")
        if not media_fetch_may_be_retried(media):
            raise MediaFetchNotRetryable(
                "this file cannot be fetched again: it is stored, being fetched, or gone from WhatsApp"
            )
        self._record(
            ev.MediaFetchRequested(
                message_id=message_id,
                wamid=wamid,
                phone_number_id=self.opened.phone_number_id,
                customer=self.opened.customer,
                provider_media_id=media["provider_media_id"],
                mime_type=media["mime_type"],
                agent=ev.AgentRef(agent.id, agent.name),
                at=at,
            )
        )
        self._record(ev.MessageMediaUpdated(message_id=message_id, wamid=wamid, media=fetching_again(media), at=at))

    def finish(self, agent: Agent, account: Account, *, at: datetime) -> bool:
        if self.status == FINISHED:
            return False
        self._may_answer(agent, account)
        before = self.status
        self._record(ev.ConversationFinished(agent=ev.AgentRef(agent.id, agent.name), at=at))
        self._record(ev.StatusChanged(before, FINISHED, at))
        return True

    def transfer(
        self,
        *,
        to_agent: ev.AgentRef,
        to_team_id: str,
        by: ev.AgentRef,
        account: Account,
        at: datetime,
        reason: str | None = None,
    ) -> bool:
        """The lead moved: ownership follows. To a team not linked to this number: readable, but no sending."""
        if self.owner is not None and self.owner.id == to_agent.id:
            return False
        linked = to_team_id in account.teams_linked_to(self.opened.phone_number_id) if self.opened else False
        process = account.settings.process_type
        keeps_access = self.owner if process == ProcessType.OWNER_AND_ATTENDANT and self.owner is not None else None
        self._record(
            ev.ConversationTransferred(
                from_agent=self.owner,
                to_agent=to_agent,
                to_team_id=to_team_id,
                transferred_by=by,
                can_send=linked,
                reason=reason
                or (None if linked else "the new owner's team is not linked to this WhatsApp number: history only"),
                keeps_access=keeps_access,
                at=at,
            )
        )
        return True

    def alert_if_waiting_too_long(self, *, threshold_seconds: int, now: datetime) -> bool:
        """Answer quickly: a conversation left in the pool past the account's threshold raises one alert."""
        if self.opened is None or self.owner is not None or self.status != NEW or self.pool_wait_alerted:
            return False
        if not pool_wait_exceeded(self.opened.at, now, threshold_seconds):
            return False
        waited = int((now - self.opened.at).total_seconds())
        self._record(ev.PoolWaitExceeded(tuple(sorted(self.pool_team_ids)), waited, threshold_seconds, now))
        return True
