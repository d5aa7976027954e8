"""WhatsApp Cloud API adapter: reading Meta's webhook deliveries into ``leadline.events`` payloads."""

from leadline.ingest.adapters.cloud_api.parse import (
    MalformedDelivery,
    ParsedDelivery,
    display_name_for,
    parse_delivery,
)

__all__ = ["MalformedDelivery", "ParsedDelivery", "display_name_for", "parse_delivery"]
