"""Phone numbers typed at the kiosk: E.164, masking, keyed hash (pure)."""

from __future__ import annotations

import pytest

from kiosk.domain.phones import (
    DEFAULT_SMS_REGIONS,
    PhoneError,
    check_sms_region,
    is_e164,
    mask_phone,
    normalize_phone,
    phone_hash,
    sms_region,
)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("  07 81 23 45 67 ", "+33781234567"),
        ("06\u00a012\u00a034\u00a056\u00a078", "+33612345678"),
        # Overseas departments, international or typed the French national way.
        ("+262 692 12 34 56", "+262692123456"),  # La Réunion
        ("0692 12 34 56", "+262692123456"),
        ("0639 69 12 34", "+262639691234"),  # Mayotte (+262, region YT)
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0694 20 12 34", "+594694201234"),  # Guyane
        ("+590 690 12 34 56", "+590690123456"),
        # Foreign numbers with + or 00.
        ("+221 77 123 45 67", "+221771234567"),  # Senegal
        ("00223 76 12 34 56", "+22376123456"),  # Mali
        ("+86 138 0013 8000", "+8613800138000"),  # China
        ("+44 7911 123456", "+447911123456"),
        ("+1 415 555 2671", "+14155552671"),  # US: fixed line or mobile, indistinguishable
        ("+269 321 23 45", "+2693212345"),  # Comoros
    ],
)
def test_normalize_accepts_mobiles(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("06 12 34 56 7a", "invalid_chars"),
        ("06 CALL ME", "invalid_chars"),
        ("+", "not_a_number"),
        ("06+12345678", "not_a_number"),
        ("12", "invalid"),
        ("06 12 34 56 78 9", "invalid"),
        ("+33 6 12", "invalid"),
        ("01 42 76 40 40", "not_mobile"),  # Paris fixed line
        ("09 12 34 56 78", "not_mobile"),  # VoIP
        ("08 00 12 34 56", "not_mobile"),  # free phone
        ("0262 21 00 00", "not_mobile"),  # Réunion fixed line
        ("0" * 40, "too_long"),
    ],
)
def test_normalize_rejects_with_a_code(raw, code):
    with pytest.raises(PhoneError) as caught:
        normalize_phone(raw)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert caught.value.message


def test_other_default_region():
    assert normalize_phone("07911 123456", default_region="GB") == "+447911123456"
    assert normalize_phone("0033612345678", default_region="GB") == "+33612345678"


def test_mask_never_shows_the_number():
    assert mask_phone("+33612345678") == "+33 6 •• •• •• 78"
    assert mask_phone("+262692123456").startswith("+262 6")
    assert mask_phone("+262692123456").endswith("56")
    for e164 in ("+33612345678", "+8613800138000", "+14155552671", "+221771234567"):
        masked = mask_phone(e164)
        assert e164[-6:-2] not in masked.replace(" ", "")
        assert sum(c.isdigit() for c in masked) <= len(e164) - 5


@pytest.mark.parametrize("value", ["", None, "garbage", "+1", "+999123456789", "12345678901234567"])
def test_mask_never_raises(value):
    masked = mask_phone(value)
    assert masked.startswith("+")
    assert "•" in masked


def test_phone_hash_is_keyed_and_stable():
    a = phone_hash("+33612345678", "secret-1")
    assert a == phone_hash("+33612345678", b"secret-1")
    assert a != phone_hash("+33612345678", "secret-2")
    assert a != phone_hash("+33612345679", "secret-1")
    assert len(a) == 64 and "612345678" not in a


def test_phone_hash_requires_e164_and_a_secret():
    with pytest.raises(PhoneError) as caught:
        phone_hash("06 12 34 56 78", "s")
    assert caught.value.code == "not_e164"
    with pytest.raises(ValueError):
        phone_hash("+33612345678", "")


def test_is_e164():
    assert is_e164("+33612345678")
    assert not is_e164("33612345678")
    assert not is_e164("+0612345678")
    assert not is_e164("")


# -- where SMS may go ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "+881 6 3123 4567",   # Iridium (satellite), a "mobile" for phonenumbers
    "+870 773 111 111",   # Inmarsat
    "00881631234567",
])
def test_satellite_numbers_are_refused_though_typed_as_mobiles(typed):
    with pytest.raises(PhoneError) as caught:
        normalize_phone(typed)
    assert caught.value.code == "not_mobile"


@pytest.mark.parametrize("typed", ["08 99 12 34 56", "+33 8 99 12 34 56", "0810 12 34 56"])
def test_premium_and_shared_cost_numbers_are_refused(typed):
    with pytest.raises(PhoneError) as caught:
        normalize_phone(typed)
    assert caught.value.code in ("not_mobile", "invalid")


@pytest.mark.parametrize("e164,region", [
    ("+33612345678", "FR"), ("+262692123456", "RE"), ("+590690123456", "GP"),
    ("+596696123456", "MQ"), ("+594694123456", "GF"), ("+262639691234", "YT"),
])
def test_france_and_its_overseas_departments_get_sms_by_default(e164, region):
    assert sms_region(e164) == region
    assert check_sms_region(e164, DEFAULT_SMS_REGIONS) == e164


@pytest.mark.parametrize("e164", ["+447400123456", "+14155552671", "+687751234", "+881631234567"])
def test_other_countries_do_not_by_default(e164):
    with pytest.raises(PhoneError) as caught:
        check_sms_region(e164, DEFAULT_SMS_REGIONS)
    assert caught.value.code == "country"
    assert "cannot receive SMS here" in caught.value.message


def test_a_configured_country_is_accepted_but_never_a_non_geographic_number():
    assert check_sms_region("+447400123456", ["fr", "gb"]) == "+447400123456"
    with pytest.raises(PhoneError):
        check_sms_region("+881631234567", ["FR", "001"])
    with pytest.raises(PhoneError):
        check_sms_region("not a number", ["FR"])
