"""leadline ingest service: leadline's only door to WhatsApp: signed webhooks in, durable and deduplicated, as events; sends out through the Graph API."""
