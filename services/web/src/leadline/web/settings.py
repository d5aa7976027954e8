"""Environment of the web gateway (shared names documented in README.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from leadline.platform.settings import ServiceSettings

# services/web/src/leadline/web/settings.py -> the repository's web/ folder (editable install, containers copy it)
DEFAULT_STATIC_DIR = str(Path(__file__).resolve().parents[5] / "web")


class WebSettings(ServiceSettings):
    service_name: str = "web"
    http_port: int = 8000

    router_url: str = Field(default="http://127.0.0.1:8002", description="The router service (inbox, live stream).")
    leads_url: str = Field(default="http://127.0.0.1:8003", description="The leads service (Add lead, lead).")
    history_url: str = Field(default="http://127.0.0.1:8004", description="The history service (lead timeline).")
    web_static_dir: str = Field(default=DEFAULT_STATIC_DIR, description="The front-end's files (plain HTML/CSS/JS).")
    web_dev_login: bool = Field(
        default=False, description="Development only: list the seeded agents and mint their tokens (/api/dev/*)."
    )
    web_dev_accounts_file: str | None = Field(
        default=None,
        description="Accounts YAML whose agents the dev login offers (make run: deploy/dev/accounts.yaml).",
    )
    upstream_timeout_s: float = Field(
        default=30.0, description="Read timeout of proxied calls (never for the live stream)."
    )
    web_request_contact_template: str = Field(
        default="pedir_contato", description="The approved template with WhatsApp's REQUEST_CONTACT_INFO button."
    )
    web_request_contact_template_language: str = Field(default="pt_BR", description="That template's language code.")
