"""The router handlers: load, decide, save."""
