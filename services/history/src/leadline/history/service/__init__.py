"""The history handlers: load, decide, save."""
