"""A fake WhatsApp Cloud (Graph) API for leadline tests and local runs."""
