"""The ingest domain: pure rules, no I/O (standard library only)."""
