"""Meta's error catalogue (the codes leadline meets) and the two shapes errors travel in.

Synchronously, Graph answers a failed call with
``{"error": {"message": "(#<code>) <title>", "type": "OAuthException", "code", "error_data":
{"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}``. Asynchronously, the same
codes arrive inside webhooks (``statuses[].errors[]``, ``messages[].errors[]``) as
``{"code", "title", "message", "error_data": {"details"}, "href"}``. Titles and details
below follow Meta's published error-code table; Meta asks clients to branch on
``code`` and ``details``, never on titles, and so should leadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadline.fakegraph.ids import fbtrace_id

ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


@dataclass(frozen=True)
class ErrorCode:
    """One row of Meta's error table: its code, title, details text and usual HTTP status."""

    code: int
    title: str
    details: str
    http_status: int = 400


CATALOG: dict[int, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode(1, "API Unknown", "Invalid request or possible server error.", 500),
        ErrorCode(2, "API Service", "Temporary due to downtime or due to being overloaded.", 503),
        ErrorCode(100, "Invalid parameter", "The request included one or more unsupported or misspelled parameters."),
        ErrorCode(190, "Access token has expired", "Your access token has expired.", 401),
        ErrorCode(130429, "Rate limit hit", "Cloud API message throughput has been reached."),
        ErrorCode(131000, "Something went wrong", "Message failed to send due to an unknown error.", 500),
        ErrorCode(131008, "Required parameter is missing", "The request is missing a required parameter."),
        ErrorCode(131009, "Parameter value is not valid", "One or more parameter values are invalid."),
        ErrorCode(
            131026,
            "Message undeliverable",
            "Unable to deliver message. Reasons can include: the recipient phone number is not a "
            "WhatsApp phone number; the recipient has not accepted the new Terms of Service and "
            "Privacy Policy; the recipient is using an old WhatsApp version.",
        ),
        ErrorCode(
            131047,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer "
            "last replied to this number.",
        ),
        ErrorCode(
            131049,
            "This message was not delivered to maintain healthy ecosystem engagement.",
            "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
        ),
        ErrorCode(131051, "Message type unknown", "Message type is currently not supported."),
        ErrorCode(
            132000,
            "Number of parameters does not match the expected number of params",
            "The number of variable parameter values included in the request did not match the number of "
            "variable parameters defined in the template.",
        ),
        ErrorCode(
            132001,
            "Template name does not exist in the translation",
            "The template does not exist in the specified language or the template has not been approved.",
        ),
        ErrorCode(131053, "Media upload error", "Unable to upload the media used in the message."),
        ErrorCode(
            131056,
            "(Business Account, Consumer Account) pair rate limit hit",
            "Too many messages sent from the sender phone number to the same recipient phone "
            "number in a short period of time.",
        ),
        ErrorCode(
            131060,
            "This message is currently unavailable.",
            "The message is currently unavailable.",
        ),
    )
}

# When a test injects only an HTTP status, this is the code Graph would most likely send.
DEFAULT_CODE_FOR_STATUS = {400: 100, 401: 190, 429: 130429, 500: 1, 503: 2}


def lookup(code: int) -> ErrorCode:
    """The catalogue row for ``code``, or a plain placeholder row for codes we do not list."""
    return CATALOG.get(code, ErrorCode(code, f"Error {code}", f"Error {code}."))


def graph_error_body(
    code: int,
    *,
    message: str | None = None,
    details: str | None = None,
    error_type: str = "OAuthException",
    error_subcode: int | None = None,
    with_error_data: bool = True,
) -> dict[str, Any]:
    """The JSON body Graph returns for a failed call, as described in the module docstring."""
    row = lookup(code)
    error: dict[str, Any] = {
        "message": message if message is not None else f"(#{code}) {row.title}",
        "type": error_type,
        "code": code,
    }
    if with_error_data:
        error["error_data"] = {
            "messaging_product": "whatsapp",
            "details": details if details is not None else row.details,
        }
    if error_subcode is not None:
        error["error_subcode"] = error_subcode
    error["fbtrace_id"] = fbtrace_id()
    return {"error": error}


def webhook_error(code: int, *, details: str | None = None, with_href: bool = True) -> dict[str, Any]:
    """One webhook ``errors[]`` element; status errors carry ``href``, unsupported messages don't."""
    row = lookup(code)
    error: dict[str, Any] = {
        "code": code,
        "title": row.title,
        "message": row.title,
        "error_data": {"details": details if details is not None else row.details},
    }
    if with_href:
        error["href"] = ERROR_CODES_URL
    return error
