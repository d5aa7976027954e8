"""The leads domain: pure rules, no I/O (standard library only)."""
