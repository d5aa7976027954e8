"""The ingest handlers: load, decide, save."""
