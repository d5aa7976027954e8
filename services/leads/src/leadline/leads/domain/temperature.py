"""The lead thermometer: cold, warm or hot, from how the customer and the dealership are talking.

The rules, in the order they are applied (thresholds in ``TemperatureRules``, each one a setting):

1. ``customer_never_wrote`` — no message from the customer yet: cold.
2. ``customer_went_quiet`` — the customer's last message is older than ``quiet_after``: cold.
3. ``lively_conversation`` — the customer wrote within ``hot_window``, the turn passed back and forth at
   least ``hot_min_exchanges`` times and the dealership's latest answer took at most ``hot_max_answer_delay``: hot.
4. ``customer_wrote_recently`` — otherwise: warm.
5. ``conversation_finished`` — every conversation is finished: at most warm, and cold once
   ``finished_cools_after`` has passed with no new conversation.
6. ``customer_left_waiting`` — the customer has waited longer than ``slow_answer_after`` for an answer:
   one step colder (a slow answer cools a lead).

Time alone changes the verdict (2, 3, 5, 6), so each assessment says when to look again (``review_at``).
Reasons are written for the sales team, in Portuguese.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .activity import LeadActivity


class Temperature(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


_SCALE = (Temperature.COLD, Temperature.WARM, Temperature.HOT)


@dataclass(frozen=True)
class TemperatureRules:
    hot_window: timedelta = timedelta(hours=1)
    hot_min_exchanges: int = 4
    hot_max_answer_delay: timedelta = timedelta(minutes=15)
    quiet_after: timedelta = timedelta(days=3)
    finished_cools_after: timedelta = timedelta(days=1)
    slow_answer_after: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Assessment:
    temperature: Temperature
    reasons: tuple[str, ...]
    review_at: datetime | None
    """The next instant at which time alone could change the verdict."""


def assess(activity: LeadActivity, now: datetime, rules: TemperatureRules = TemperatureRules()) -> Assessment:
    reasons: list[str] = []
    checkpoints: list[datetime] = []
    last = activity.last_customer_message_at
    if last is None:
        temperature = customer_never_wrote(reasons)
    elif now - last >= rules.quiet_after:
        temperature = customer_went_quiet(now - last, reasons)
    elif lively_conversation(activity, now, rules):
        temperature = Temperature.HOT
        reasons.append(f"Cliente escreveu há {span(now - last)}; {activity.exchanges} trocas de mensagens")
        checkpoints.append(last + rules.hot_window)
    else:
        temperature = customer_wrote_recently(now - last, reasons)
        checkpoints.append(last + rules.quiet_after)
    if not activity.has_open_conversation and activity.finished_at is not None:
        temperature = conversation_finished(temperature, now - activity.finished_at, rules, reasons)
        checkpoints.append(activity.finished_at + rules.finished_cools_after)
    if activity.waiting_since is not None:
        temperature = customer_left_waiting(temperature, now - activity.waiting_since, rules, reasons)
        checkpoints.append(activity.waiting_since + rules.slow_answer_after)
    review_at = min((moment for moment in checkpoints if moment > now), default=None)
    return Assessment(temperature, tuple(reasons), review_at)


def customer_never_wrote(reasons: list[str]) -> Temperature:
    reasons.append("Cliente ainda não escreveu")
    return Temperature.COLD


def customer_went_quiet(silence: timedelta, reasons: list[str]) -> Temperature:
    reasons.append(f"Cliente sem escrever há {span(silence)}")
    return Temperature.COLD


def lively_conversation(activity: LeadActivity, now: datetime, rules: TemperatureRules) -> bool:
    assert activity.last_customer_message_at is not None
    answered_quickly = activity.last_answer_delay is None or activity.last_answer_delay <= rules.hot_max_answer_delay
    return (
        now - activity.last_customer_message_at < rules.hot_window
        and activity.exchanges >= rules.hot_min_exchanges
        and answered_quickly
    )


def customer_wrote_recently(since: timedelta, reasons: list[str]) -> Temperature:
    reasons.append(f"Cliente escreveu há {span(since)}")
    return Temperature.WARM


def conversation_finished(
    current: Temperature, since: timedelta, rules: TemperatureRules, reasons: list[str]
) -> Temperature:
    if since >= rules.finished_cools_after:
        reasons.append(f"Conversa encerrada há {span(since)}, sem nova conversa")
        return Temperature.COLD
    if current is Temperature.HOT:
        reasons.append("Conversa encerrada")
        return Temperature.WARM
    return current


def customer_left_waiting(
    current: Temperature, waited: timedelta, rules: TemperatureRules, reasons: list[str]
) -> Temperature:
    if waited < rules.slow_answer_after or current is Temperature.COLD:
        return current
    reasons.append(f"Cliente aguarda resposta há {span(waited)}")
    return _SCALE[_SCALE.index(current) - 1]


def span(delta: timedelta) -> str:
    """A duration as the team says it: ``5 min``, ``3 h``, ``2 dias``."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} dias"
