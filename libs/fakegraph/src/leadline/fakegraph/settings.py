"""Configuration of the fake Graph server, read from the environment (names match leadline's where shared)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FakeGraphSettings(BaseSettings):
    """Everything the fake needs to know; every field has a default that works with ``make run``.

    Invariants:
    - ``access_token`` must equal leadline's ``WHATSAPP_ACCESS_TOKEN``, or every send is a 401.
    - ``app_secret`` must equal leadline's ``WHATSAPP_APP_SECRET``, or ingest rejects our signatures.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", validation_alias=AliasChoices("FAKE_GRAPH_HOST", "host"))
    port: int = Field(8010, validation_alias=AliasChoices("FAKE_GRAPH_PORT", "port"))
    access_token: str = Field(
        "dev-access-token", validation_alias=AliasChoices("FAKE_GRAPH_ACCESS_TOKEN", "access_token")
    )
    app_secret: str = Field("dev-app-secret", validation_alias=AliasChoices("WHATSAPP_APP_SECRET", "app_secret"))
    webhook_url: str = Field(
        "http://127.0.0.1:8001/webhooks/whatsapp",
        validation_alias=AliasChoices("FAKE_GRAPH_WEBHOOK_URL", "webhook_url"),
    )
    auto_statuses: bool = Field(True, validation_alias=AliasChoices("FAKE_GRAPH_AUTO_STATUSES", "auto_statuses"))
    # Pause between the automatic "sent" and "delivered" webhooks, so a watching UI sees the tick move.
    status_delay_seconds: float = Field(
        0.3, validation_alias=AliasChoices("FAKE_GRAPH_STATUS_DELAY_SECONDS", "status_delay_seconds")
    )
    waba_id: str = Field("102290129340398", validation_alias=AliasChoices("FAKE_GRAPH_WABA_ID", "waba_id"))
    # phone_number_id -> display number; unknown ids get a stable made-up 1555… number.
    display_phone_numbers: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("FAKE_GRAPH_DISPLAY_PHONE_NUMBERS", "display_phone_numbers"),
    )
    # Base of the media download URLs we hand out; empty means "the URL this request came in on".
    public_base_url: str = Field("", validation_alias=AliasChoices("FAKE_GRAPH_PUBLIC_BASE_URL", "public_base_url"))

    # Templates approved with a REQUEST_CONTACT_INFO button ("Share contact info"): a user may answer them.
    contact_request_templates: list[str] = Field(
        default_factory=lambda: ["pedir_contato"],
        validation_alias=AliasChoices("FAKE_GRAPH_CONTACT_REQUEST_TEMPLATES", "contact_request_templates"),
    )

    def display_number_for(self, phone_number_id: str) -> str:
        if phone_number_id in self.display_phone_numbers:
            return self.display_phone_numbers[phone_number_id]
        digits = "".join(ch for ch in phone_number_id if ch.isdigit())
        return "1555" + digits[-7:].rjust(7, "0")
