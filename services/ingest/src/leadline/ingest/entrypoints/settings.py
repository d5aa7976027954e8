"""Environment of the ingest service (shared names documented in README.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from leadline.platform.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    service_name: str = "ingest"
    http_port: int = 8001

    whatsapp_app_secret: SecretStr = Field(
        default=SecretStr("dev-app-secret"), description="Meta app secret: X-Hub-Signature-256 is an HMAC with it."
    )
    whatsapp_verify_token: SecretStr = Field(
        default=SecretStr("dev-verify-token"), description="Token Meta echoes in the GET verification handshake."
    )
    webhook_max_body_bytes: int = Field(default=1024 * 1024, description="Larger webhook bodies are refused with 413.")
    webhooks_in_flight_limit: int = Field(
        default=1000,
        ge=1,
        description=(
            "Meta webhooks one ingest process holds at once (received, not yet stored and answered); more are "
            "answered 503 with Retry-After and sent again by Meta. One process stores ~1,200 a second on 2 cores."
        ),
    )
    default_account_id: str = Field(
        default="default", description="Account of a business number no integration event has named yet."
    )

    # Outbound: the Graph API and how fast and how often a send is tried.
    whatsapp_access_token: SecretStr = Field(
        default=SecretStr("dev-access-token"), description="Graph API bearer token (a system user token in production)."
    )
    graph_api_base_url: str = Field(
        default="http://127.0.0.1:8010", description="https://graph.facebook.com in production."
    )
    graph_api_version: str = "v21.0"
    graph_api_timeout_s: float = 20.0
    send_rate_per_number: float = Field(
        default=80.0, description="Messages per second per business number (Meta's default 80)."
    )
    send_retry_attempts: int = Field(
        default=5, description="Tries of a send refused with 429/5xx before it is reported failed."
    )

    # Evolution API numbers: each instance's API key is a file named after the secret the number's configuration names
    # (a Kubernetes Secret mounted as a volume: one key per instance), read when used, so a rotated key needs no restart.
    evolution_api_keys_dir: str = Field(
        default="/etc/leadline/evolution-api-keys",
        description="Directory of Evolution API instance keys: file name = the secret name a number's configuration "
        "gives as api_key_secret, content = the instance's API key.",
    )
    evolution_api_timeout_s: float = 20.0

    # Inbound media: where our copies go and how often a download is tried.
    media_store_dir: str = Field(
        default="var/media", description="Local media store; unused when media_store_s3_bucket is set."
    )
    media_store_s3_bucket: str | None = Field(default=None, description="Store media in this S3-compatible bucket.")
    media_store_s3_prefix: str = ""
    media_store_s3_endpoint_url: str | None = Field(default=None, description="For MinIO, Ceph...; none means AWS S3.")
    media_store_s3_region: str | None = None
    media_store_s3_access_key_id: str | None = Field(default=None, description="None: boto3's usual credential chain.")
    media_store_s3_secret_access_key: SecretStr | None = None
    media_fetch_max_attempts: int = 5
    media_fetch_poll_interval_s: float = 30.0
    """The media worker's longest sleep: this process's own new jobs wake it, retries are timed by their due time;
    this bounds how late it finds jobs another replica stored and did not fetch."""

    template_sync_interval_s: float = Field(
        default=3600.0,
        description=(
            "How often every WhatsApp Business Account's message templates are read again from Meta (the page can also "
            "ask for a refresh)."
        ),
    )
    profile_photo_refresh_days: int = Field(
        default=7, description="Ask for a contact's profile photo at most this often."
    )
    profile_photo_recent_days: int = Field(
        default=30, description="Keep fresh the photos of customers who wrote within this many days."
    )
    profile_photo_round_interval_s: float = Field(
        default=300.0, description="How often due profile photos are looked for (a new customer's shows within this)."
    )
    profile_photo_rate_per_instance: float = Field(
        default=0.5,
        description="Profile photo look-ups per second per Evolution instance (WhatsApp throttles a session).",
    )
