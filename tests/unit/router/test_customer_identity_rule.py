"""The identity rule: one customer per person whether WhatsApp names them by phone, BSUID or both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadline.router.domain.identity import (
    CustomerKeys,
    KnownCustomer,
    OpenInChat,
    stays_open,
    who_is_writing,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PHONE, OTHER_PHONE = "+5511987651234", "+5521998765432"
BSUID, OTHER_BSUID, PARENT = "BR.1502576394655843", "BR.2904417750021337", "BR.ENT.11815799212886844830"


def known(customer_id: str, *, phone=None, user_id=None, parent=None, days=0) -> KnownCustomer:
    return KnownCustomer(customer_id, CustomerKeys(phone, user_id, parent), T0 + timedelta(days=days))


def test_a_stranger_is_a_new_customer_with_every_key_the_fact_names():
    found = who_is_writing(CustomerKeys(PHONE, BSUID), [], new_id="new")

    assert (found.customer_id, found.is_new, found.keys) == ("new", True, CustomerKeys(PHONE, BSUID))


def test_a_customer_first_seen_by_phone_and_then_by_phone_and_bsuid_is_one_customer_who_gains_the_bsuid():
    found = who_is_writing(CustomerKeys(PHONE, BSUID), [known("a", phone=PHONE)], new_id="new")

    assert (found.customer_id, found.is_new, found.keys) == ("a", False, CustomerKeys(PHONE, BSUID))


def test_a_customer_known_by_both_who_writes_by_bsuid_alone_keeps_their_phone():
    found = who_is_writing(CustomerKeys(None, BSUID), [known("a", phone=PHONE, user_id=BSUID)], new_id="new")

    assert found.customer_id == "a" and found.keys == CustomerKeys(PHONE, BSUID)


def test_a_phone_and_a_bsuid_seen_apart_are_merged_into_the_older_customer_once_a_fact_names_both():
    by_bsuid, by_phone = known("b", user_id=BSUID, days=2), known("a", phone=PHONE, days=1)

    found = who_is_writing(CustomerKeys(PHONE, BSUID), [by_bsuid, by_phone], new_id="new")

    assert (found.customer_id, found.merged, found.keys) == ("a", ("b",), CustomerKeys(PHONE, BSUID))


def test_when_a_phone_comes_with_another_bsuid_the_bsuid_wins_and_the_old_customer_loses_the_phone():
    """A number that changed hands (or a user who re-registered): Meta's new BSUID is a new person."""
    found = who_is_writing(CustomerKeys(PHONE, OTHER_BSUID), [known("a", phone=PHONE, user_id=BSUID)], new_id="new")

    assert (found.customer_id, found.is_new, found.losing_keys) == ("new", True, ("a",))
    assert found.keys == CustomerKeys(PHONE, OTHER_BSUID)


def test_a_known_bsuid_writing_from_a_phone_another_bsuid_held_takes_the_phone_and_keeps_its_id():
    holder, writer = known("a", phone=PHONE, user_id=BSUID), known("b", user_id=OTHER_BSUID, days=3)

    found = who_is_writing(CustomerKeys(PHONE, OTHER_BSUID), [holder, writer], new_id="new")

    assert (found.customer_id, found.merged, found.losing_keys) == ("b", (), ("a",))


def test_a_phone_alone_never_contradicts_a_bsuid():
    found = who_is_writing(CustomerKeys(PHONE), [known("a", phone=PHONE, user_id=BSUID)], new_id="new")

    assert (found.customer_id, found.losing_keys) == ("a", ())


def test_the_parent_bsuid_decides_first_and_links_the_bsuid_it_comes_with():
    by_parent = known("p", parent=PARENT, days=5)

    found = who_is_writing(CustomerKeys(None, BSUID, PARENT), [by_parent], new_id="new")

    assert (found.customer_id, found.keys) == ("p", CustomerKeys(None, BSUID, PARENT))


def test_a_new_phone_under_the_same_bsuid_replaces_the_old_phone():
    found = who_is_writing(CustomerKeys(OTHER_PHONE, BSUID), [known("a", phone=PHONE, user_id=BSUID)], new_id="new")

    assert found.customer_id == "a" and found.keys.phone == OTHER_PHONE


def test_every_key_is_locked_in_one_order_whoever_names_them():
    assert (
        CustomerKeys(PHONE, BSUID).lock_names()
        == CustomerKeys(PHONE, BSUID).lock_names()
        == sorted([f"bsuid:{BSUID}", f"phone:{PHONE}"])
    )


def test_of_two_open_conversations_of_one_customer_on_one_number_the_older_stays_the_chats():
    older, younger = OpenInChat("c-1", T0), OpenInChat("c-2", T0 + timedelta(minutes=5))

    assert stays_open(younger, older) == stays_open(older, younger) == older


def test_a_conversation_opened_before_opening_times_were_kept_counts_as_the_older():
    legacy, recent = OpenInChat("c-9", None), OpenInChat("c-1", T0)

    assert stays_open(recent, legacy) == legacy


def test_customers_first_seen_at_the_same_instant_are_told_apart_by_which_was_stored_first():
    later_stored = KnownCustomer("a", CustomerKeys(user_id=BSUID), T0, seen_order=9)
    first_stored = KnownCustomer("z", CustomerKeys(phone=PHONE), T0, seen_order=3)

    found = who_is_writing(CustomerKeys(PHONE, BSUID), [later_stored, first_stored], new_id="new")

    assert (found.customer_id, found.merged) == ("z", ("a",))


def test_conversations_opened_at_the_same_instant_keep_the_one_opened_first():
    first, second = OpenInChat("c-9", T0, opened_order=1), OpenInChat("c-1", T0, opened_order=2)

    assert stays_open(second, first) == first
