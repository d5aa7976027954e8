"""An Evolution API instance: the WhatsApp Web session through which a business number reaches WhatsApp."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvolutionInstance:
    """Where the instance answers (``base_url``, its ``instance`` name) and the name of the secret holding its API
    key; the key itself is read only when needed (``EvolutionApiKeys``) and never stored or logged."""

    base_url: str
    instance: str
    api_key_secret: str


@dataclass(frozen=True)
class EvolutionNumber:
    """A business number connected through an Evolution instance, and the account it belongs to."""

    phone_number_id: str
    account_id: str
    instance: EvolutionInstance
