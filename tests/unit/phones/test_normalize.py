"""Phone normalisation: every way a Brazilian customer's number is written is one contact."""

from __future__ import annotations

import pytest

from leadline.phones import InvalidPhone, format_for_display, normalize_phone, same_person, search_forms

ONE_CUSTOMER = [
    "+55 11 98765-4321",
    "+5511987654321",
    "5511987654321",  # a WhatsApp wa_id
    "551187654321",  # a WhatsApp wa_id without the ninth digit
    "11987654321",
    "011 98765-4321",  # national prefix
    "0 21 11 98765-4321",  # national prefix and a long-distance carrier code
    "(11) 98765-4321",
    "(11) 8765-4321",  # an old address book entry
    "55 11 8765-4321",
    "  +55 (11) 98765.4321  ",
]


@pytest.mark.parametrize("written", ONE_CUSTOMER)
def test_every_way_of_writing_the_number_is_the_same_customer(written):
    assert normalize_phone(written) == "+5511987654321"


def test_all_variants_are_the_same_person_as_each_other():
    assert all(same_person(ONE_CUSTOMER[0], other) for other in ONE_CUSTOMER[1:])


def test_an_eight_digit_mobile_gets_its_ninth_digit_in_every_area():
    assert normalize_phone("552199998888") == "+5521999998888"
    assert normalize_phone("(31) 8888-7777") == "+5531988887777"


@pytest.mark.parametrize("landline", ["(11) 3456-7890", "551134567890", "+55 11 2345-6789", "(51) 5555-1234"])
def test_a_landline_keeps_its_eight_digits(landline):
    digits = "".join(ch for ch in landline if ch.isdigit())
    assert normalize_phone(landline) == "+55" + digits[-10:]


def test_a_landline_and_a_mobile_with_the_same_digits_are_different_people():
    assert not same_person("(11) 3456-7890", "(11) 93456-7890")


def test_different_mobiles_are_different_people():
    assert not same_person("5511987654321", "5511987654322")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("+1 650-253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("4915112345678", "+4915112345678"),  # a German wa_id: digits with country code, no plus
        ("16505551234", "+16505551234"),  # a US wa_id
    ],
)
def test_a_non_brazilian_number_keeps_its_country(written, expected):
    assert normalize_phone(written) == expected


def test_an_eight_digit_number_abroad_is_not_given_a_ninth_digit():
    assert normalize_phone("+49 30 87654321") == "+493087654321"


def test_a_national_number_is_read_in_the_default_region():
    assert normalize_phone("(650) 253-0000", default_region="US") == "+16502530000"


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "only digits"),
        ("+55 11 98765-4321 ext 2", "only digits"),
        ("12345", "5 digits"),
        ("+999123456789", "numbering plan"),  # no such country code
        ("11 1234-5678", "numbering plan"),  # Brazilian subscribers never start with 1
        ("551187654321551187654321", "numbering plan"),
    ],
)
def test_garbage_is_refused_with_the_reason(garbage, reason):
    with pytest.raises(InvalidPhone, match=reason) as refused:
        normalize_phone(garbage)
    assert repr(garbage) in str(refused.value)


def test_invalid_phone_is_a_value_error():
    with pytest.raises(ValueError):
        normalize_phone("not a phone")


def test_text_is_required():
    with pytest.raises(InvalidPhone, match="expected text"):
        normalize_phone(5511987654321)  # type: ignore[arg-type]


def test_same_person_refuses_garbage_rather_than_guessing():
    with pytest.raises(InvalidPhone):
        same_person("5511987654321", "garbage")


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+5511987654321", "+55 11 98765-4321"),
        ("551187654321", "+55 11 98765-4321"),
        ("+551134567890", "+55 11 3456-7890"),
        ("+16502530000", "+1 650-253-0000"),
    ],
)
def test_numbers_are_displayed_in_international_format(number, shown):
    assert format_for_display(number) == shown


STORED = ("+5511912345678", "551112345678")  # one phone: E.164 with the ninth digit, and a WhatsApp id without it


@pytest.mark.parametrize(
    "typed",
    [
        "+55 11 91234-5678",
        "11912345678",
        "(11) 9 1234-5678",
        "912345678",
        "1112345678",
        "(11) 1234-5678",
        "551112345678",
        "5511912345678",
        "1234-5678",
    ],
)
def test_a_number_however_typed_is_found_in_both_stored_spellings(typed):
    forms = search_forms(typed)
    for stored in STORED:
        assert any(form in stored for form in forms), (typed, stored, forms)


def test_search_forms_of_text_without_digits_are_none_and_short_digits_stay_as_typed():
    assert search_forms("Júlia") == frozenset()
    assert search_forms("98765") == {"98765"}
