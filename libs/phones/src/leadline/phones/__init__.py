"""Phone numbers as leadline keys them: one E.164 string per person, whatever way it was typed."""

from leadline.phones.normalize import (
    InvalidPhone,
    format_for_display,
    normalize_phone,
    same_person,
    search_forms,
)

__all__ = ["InvalidPhone", "format_for_display", "normalize_phone", "same_person", "search_forms"]
