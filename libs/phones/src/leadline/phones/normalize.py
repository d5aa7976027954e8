"""One E.164 string per person: parse any way a number was written, restore Brazil's ninth mobile digit.

Brazil added a ninth digit (a leading ``9``) to every mobile number between 2012 and 2016,
but WhatsApp ids and old address books still carry the eight-digit form: ``551187654321``
and ``5511987654321`` are the same phone. Lead unification keys customers by phone, so both
must normalise to ``+5511987654321`` or one customer becomes two contacts. Eight-digit
subscribers starting 6–9 were mobiles; landlines start 2–5 and keep eight digits.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

BRAZIL_COUNTRY_CODE = 55
_AREA_CODE_DIGITS = 2
_OLD_MOBILE_FIRST_DIGITS = "6789"  # eight-digit subscribers that were mobiles before the ninth digit
_ALLOWED = re.compile(r"^[+\d\s().\-/]+$")  # digits and the punctuation people type around them


class InvalidPhone(ValueError):
    """The text is not a phone number any numbering plan could have assigned."""

    def __init__(self, raw: object, reason: str) -> None:
        super().__init__(f"{raw!r} is not a phone number: {reason}")
        self.raw = raw
        self.reason = reason


def normalize_phone(raw: str, default_region: str = "BR") -> str:
    """The number in E.164 (``+5511987654321``); raises ``InvalidPhone`` for anything else.

    Without a ``+`` the number is read first as dialled inside ``default_region`` (national
    prefix ``0`` and carrier codes allowed), then as digits that start with a country code,
    which is how WhatsApp writes ids (``4915112345678``).
    """
    if not isinstance(raw, str):
        raise InvalidPhone(raw, f"expected text, got {type(raw).__name__}")
    text = raw.strip()
    if not text:
        raise InvalidPhone(raw, "it is empty")
    if not _ALLOWED.match(text):
        raise InvalidPhone(raw, "only digits, spaces and + ( ) - . / may appear in a phone number")
    readings = [(text, default_region)]
    if not text.startswith(("+", "0")):
        readings.append((f"+{text}", None))
    for candidate, region in readings:
        number = _parse(candidate, region)
        if number is None:
            continue
        number = with_ninth_digit(number)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    digits = sum(ch.isdigit() for ch in text)
    read_as = "" if text.startswith("+") else f" (read as dialled in {default_region}, then as country code + number)"
    raise InvalidPhone(raw, f"its {digits} digits match no country's numbering plan{read_as}")


def with_ninth_digit(number: PhoneNumber) -> PhoneNumber:
    """A Brazilian mobile written with eight subscriber digits, given its ninth; any other number unchanged."""
    national = str(number.national_number)
    subscriber = national[_AREA_CODE_DIGITS:]
    if (
        number.country_code != BRAZIL_COUNTRY_CODE
        or len(national) != _AREA_CODE_DIGITS + 8
        or subscriber[0] not in _OLD_MOBILE_FIRST_DIGITS
    ):
        return number
    return PhoneNumber(
        country_code=BRAZIL_COUNTRY_CODE, national_number=int(f"{national[:_AREA_CODE_DIGITS]}9{subscriber}")
    )


def search_forms(typed: str, default_region: str = "BR") -> frozenset[str]:
    """The digit strings a number typed into a search box can appear as inside stored numbers.

    Stored numbers are E.164 (``+5511912345678``) or WhatsApp ids, which may lack Brazil's ninth digit
    (``551112345678``). However the agent types it (``+55 11 91234-5678``, ``11912345678``, ``912345678``,
    ``1112345678``), one of the forms here is a substring of each stored spelling of that phone. Empty when
    nothing was typed but punctuation. Lenient on purpose: a search may match a little more, never less.
    """
    digits = "".join(ch for ch in typed if ch.isdigit())
    if not digits:
        return frozenset()
    forms = {digits}
    national = digits[2:] if len(digits) in (12, 13) and digits.startswith(str(BRAZIL_COUNTRY_CODE)) else digits
    area, subscriber = national[:_AREA_CODE_DIGITS], national[_AREA_CODE_DIGITS:]
    if len(national) == _AREA_CODE_DIGITS + 9 and subscriber[0] == "9":
        forms |= {national, area + subscriber[1:]}
    elif len(national) == _AREA_CODE_DIGITS + 8:
        forms |= {national, f"{area}9{subscriber}"}
    elif len(digits) == 9 and digits[0] == "9":
        forms.add(digits[1:])  # a mobile's nine subscriber digits; an id may carry only the last eight
    return frozenset(forms)


def same_person(a: str, b: str, default_region: str = "BR") -> bool:
    """Whether two written numbers reach the same phone; raises ``InvalidPhone`` if either is not a number."""
    return normalize_phone(a, default_region) == normalize_phone(b, default_region)


def format_for_display(e164: str) -> str:
    """The number as people write it internationally (``+55 11 98765-4321``)."""
    number = _parse(normalize_phone(e164), None)
    assert number is not None  # normalize_phone only returns numbers phonenumbers reads
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None
