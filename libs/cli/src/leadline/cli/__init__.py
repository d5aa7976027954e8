"""The ``leadline`` command for developers and on-call engineers."""
