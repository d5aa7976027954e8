"""The thermometer's named rules, one at a time, on hand-written activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadline.leads.domain.activity import ConversationActivity, LeadActivity
from leadline.leads.domain.temperature import Temperature, TemperatureRules, assess, span

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
RULES = TemperatureRules()


def talk(*turns: tuple[str, int], finished_minutes_ago: int | None = None) -> LeadActivity:
    """Turns as (who, minutes ago), oldest first."""
    activity = ConversationActivity("c1")
    for who, ago in turns:
        activity = activity.after_message(inbound=who == "customer", sent_at=NOW - timedelta(minutes=ago))
    if finished_minutes_ago is not None:
        activity = activity.after_finished(NOW - timedelta(minutes=finished_minutes_ago))
    return LeadActivity.of([activity])


LIVELY = (("customer", 20), ("agent", 18), ("customer", 15), ("agent", 12), ("customer", 10), ("agent", 8))


def test_a_lead_whose_customer_never_wrote_is_cold():
    assessment = assess(talk(("agent", 5)), NOW)
    assert assessment.temperature is Temperature.COLD and assessment.reasons == ("Cliente ainda não escreveu",)


def test_a_customer_who_just_wrote_makes_the_lead_warm_until_they_go_quiet():
    assessment = assess(talk(("customer", 5), ("agent", 4)), NOW)
    assert assessment.temperature is Temperature.WARM
    assert assessment.reasons == ("Cliente escreveu há 5 min",)
    assert assessment.review_at == NOW - timedelta(minutes=5) + RULES.quiet_after


def test_a_lively_conversation_with_quick_answers_is_hot_for_the_hot_window():
    assessment = assess(talk(*LIVELY), NOW)
    assert assessment.temperature is Temperature.HOT
    assert assessment.reasons == ("Cliente escreveu há 10 min; 5 trocas de mensagens",)
    assert assessment.review_at == NOW - timedelta(minutes=10) + RULES.hot_window


def test_too_little_back_and_forth_is_only_warm():
    assert (
        assess(talk(("customer", 3), ("agent", 2), ("customer", 1), ("agent", 0)), NOW).temperature is Temperature.WARM
    )


def test_a_slow_latest_answer_keeps_a_busy_conversation_from_being_hot():
    slow = (("customer", 59), ("agent", 58), ("customer", 57), ("agent", 56), ("customer", 50), ("agent", 26))
    assert assess(talk(*slow), NOW).temperature is Temperature.WARM


def test_a_customer_left_waiting_past_the_threshold_cools_the_lead_one_step():
    waiting = assess(talk(*LIVELY, ("customer", 40)), NOW)
    assert waiting.temperature is Temperature.WARM
    assert waiting.reasons[-1] == "Cliente aguarda resposta há 40 min"
    not_yet = assess(talk(*LIVELY, ("customer", 5)), NOW)
    assert not_yet.temperature is Temperature.HOT
    assert not_yet.review_at == NOW - timedelta(minutes=5) + RULES.slow_answer_after


def test_a_customer_silent_for_days_makes_the_lead_cold():
    assessment = assess(talk(("customer", 3 * 24 * 60 + 1), ("agent", 3 * 24 * 60)), NOW)
    assert assessment.temperature is Temperature.COLD and assessment.reasons == ("Cliente sem escrever há 3 dias",)


def test_a_finished_conversation_is_at_most_warm_then_cold_after_a_day():
    recently = assess(talk(*LIVELY, finished_minutes_ago=5), NOW)
    assert recently.temperature is Temperature.WARM and recently.reasons[-1] == "Conversa encerrada"
    assert recently.review_at == NOW - timedelta(minutes=10) + RULES.hot_window
    long_ago = assess(talk(("customer", 26 * 60), ("agent", 25 * 60), finished_minutes_ago=25 * 60), NOW)
    assert long_ago.temperature is Temperature.COLD
    assert long_ago.reasons[-1] == "Conversa encerrada há 25 h, sem nova conversa"


def test_the_thresholds_are_configurable():
    patient = TemperatureRules(hot_min_exchanges=2, slow_answer_after=timedelta(hours=2))
    assert assess(talk(("customer", 3), ("agent", 2), ("customer", 1)), NOW, patient).temperature is Temperature.HOT
    assert assess(talk(*LIVELY, ("customer", 40)), NOW, patient).temperature is Temperature.HOT


def test_durations_are_said_the_way_the_team_says_them():
    assert [span(timedelta(minutes=m)) for m in (0, 59, 60, 47 * 60, 49 * 60)] == [
        "0 min",
        "59 min",
        "1 h",
        "47 h",
        "2 dias",
    ]
