"""What Meta's send error codes mean for an agent, and whether trying again can help."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendErrorExplanation:
    title: str
    explanation: str
    retryable: bool


RE_ENGAGEMENT_WINDOW_CLOSED = 131047
RATE_LIMITS = frozenset({4, 80007, 130429, 131048, 131056})

EXPLANATIONS: dict[int, SendErrorExplanation] = {
    131047: SendErrorExplanation(
        "Re-engagement message",
        "More than 24 hours since the customer last replied: only a template message can be sent.",
        retryable=False,
    ),
    130429: SendErrorExplanation(
        "Rate limit hit",
        "WhatsApp is limiting how fast this number sends; the message was retried and still refused.",
        True,
    ),
    131056: SendErrorExplanation(
        "Pair rate limit hit",
        "Too many messages to this customer in a short time; wait a moment before sending again.",
        retryable=True,
    ),
    131026: SendErrorExplanation(
        "Message undeliverable",
        "WhatsApp could not deliver to this number: it may not have WhatsApp, or has not accepted the terms.",
        retryable=False,
    ),
    131051: SendErrorExplanation("Unsupported message type", "WhatsApp does not support this kind of message.", False),
    131052: SendErrorExplanation("Media download error", "WhatsApp could not download the media to send it.", False),
    131053: SendErrorExplanation("Media upload error", "WhatsApp could not accept the media file.", False),
    132000: SendErrorExplanation(
        "Template parameter mismatch", "The template's parameters do not match its definition.", False
    ),
    132001: SendErrorExplanation(
        "Template does not exist", "The template does not exist in this language, or is not approved.", False
    ),
    190: SendErrorExplanation(
        "Access token expired", "leadline's WhatsApp access token is not valid; an administrator must renew it.", False
    ),
    131000: SendErrorExplanation(
        "Something went wrong", "WhatsApp failed to send the message; trying again may work.", True
    ),
}


def explain_send_error(code: int | None, title: str | None = None, message: str | None = None) -> SendErrorExplanation:
    """A human explanation of a Meta error code; unknown codes keep Meta's own words."""
    if code is not None and code in EXPLANATIONS:
        return EXPLANATIONS[code]
    return SendErrorExplanation(
        title or "Send failed",
        message or "WhatsApp refused the message.",
        retryable=code in RATE_LIMITS if code is not None else True,
    )
