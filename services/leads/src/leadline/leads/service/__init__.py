"""The leads handlers: load, decide, save."""
