"""What an Evolution API refusal means for the agent who sent the message (pt-BR first, then English)."""

from __future__ import annotations

from .meta_errors import SendErrorExplanation
from .retry_policy import is_transient_http_status

NOT_ON_WHATSAPP = SendErrorExplanation(
    "Número sem WhatsApp (Not on WhatsApp)",
    "Este número não tem WhatsApp; confira o número do cliente. — This number has no WhatsApp account; check the "
    "customer's number.",
    retryable=False,
)
DISCONNECTED = SendErrorExplanation(
    "Número desconectado (Number disconnected)",
    "O WhatsApp Web deste número está desconectado: peça a um administrador que o reconecte (lendo o QR code) e envie "
    "de novo. — This number's WhatsApp Web session is disconnected: ask an administrator to reconnect it (scan the QR "
    "code) and send again.",
    retryable=True,
)
KEY_REFUSED = SendErrorExplanation(
    "Chave da instância recusada (Instance key refused)",
    "O Evolution API recusou a chave deste número: um administrador precisa conferir o segredo configurado. — "
    "Evolution API refused this number's key: an administrator must check the configured secret.",
    retryable=False,
)
INSTANCE_MISSING = SendErrorExplanation(
    "Instância não encontrada (Instance not found)",
    "O Evolution API não conhece a instância deste número: um administrador precisa conferir a configuração. — "
    "Evolution API has no instance for this number: an administrator must check the configuration.",
    retryable=False,
)
UNAVAILABLE = SendErrorExplanation(
    "Evolution API indisponível (Evolution API unavailable)",
    "O Evolution API continuou recusando ou não respondeu depois de várias tentativas; a mensagem não foi enviada. "
    "Tente de novo mais tarde. — Evolution API kept refusing or did not answer through several tries; the message was "
    "not sent. Try again later.",
    retryable=True,
)


def explain_evolution_error(status: int | None, message: str = "") -> SendErrorExplanation:
    """The agent's explanation of an Evolution refusal (``status`` None: it never answered)."""
    said = message.lower()
    if status is None or is_transient_http_status(status) and "connection closed" not in said:
        return UNAVAILABLE
    if "exists" in said and "false" in said:  # {"exists": false, "jid": …, "number": …}
        return NOT_ON_WHATSAPP
    if "connection closed" in said or "not connected" in said or "disconnected" in said:
        return DISCONNECTED
    if status in (401, 403):
        return KEY_REFUSED
    if status == 404:
        return INSTANCE_MISSING
    return SendErrorExplanation(
        "Envio recusado (Send refused)",
        f"O Evolution API recusou a mensagem: {message}. — Evolution API refused the message: {message}.",
        retryable=False,
    )
