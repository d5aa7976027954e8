"""A conversation's activity as a fold of its messages, and a lead's over all its conversations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadline.leads.domain.activity import ConversationActivity, LeadActivity

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_back_and_forth_counts_the_turns_not_the_messages():
    activity = ConversationActivity("c")
    for inbound, minute in ((True, 0), (True, 1), (False, 2), (False, 3), (True, 4)):
        activity = activity.after_message(inbound=inbound, sent_at=at(minute))
    assert activity.exchanges == 2 and activity.customer_messages == 3


def test_the_customer_waits_from_their_first_unanswered_message_until_an_answer():
    activity = (
        ConversationActivity("c").after_message(inbound=True, sent_at=at(0)).after_message(inbound=True, sent_at=at(5))
    )
    assert activity.waiting_since == at(0)
    answered = activity.after_message(inbound=False, sent_at=at(12))
    assert answered.waiting_since is None and answered.last_answer_delay == timedelta(minutes=12)


def test_finishing_ends_the_wait_and_reopening_opens_again():
    waiting = ConversationActivity("c").after_message(inbound=True, sent_at=at(0))
    finished = waiting.after_finished(at(3))
    assert not finished.open and finished.waiting_since is None and finished.finished_at == at(3)
    assert finished.after_reopened().open


def test_a_lead_adds_up_its_conversations_and_is_finished_only_when_all_are():
    old = (
        ConversationActivity("a").after_message(inbound=True, sent_at=at(0)).after_message(inbound=False, sent_at=at(1))
    )
    old = old.after_finished(at(2))
    new = ConversationActivity("b").after_message(inbound=True, sent_at=at(30))
    lead = LeadActivity.of([old, new])
    assert lead.last_customer_message_at == at(30) and lead.exchanges == 1 and lead.customer_messages == 2
    assert lead.has_open_conversation and lead.finished_at is None and lead.waiting_since == at(30)
    assert LeadActivity.of([old]).finished_at == at(2)
