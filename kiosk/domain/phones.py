"""Phone numbers typed at the kiosk: normalisation, masking for logs, keyed hashing.

The kiosk offers an optional SMS ("your turn is near", "you are called"). The number is
personal data (DESIGN.md, "Queues" / privacy): it lives only on the ticket, so everything
else handles it through these helpers:

- `normalize_phone` turns what the visitor typed into E.164 (``+33612345678``) or raises
  `PhoneError` with a stable `code` the UI translates. France is the default region; the
  overseas departments are recognised even when typed in national form (``0692 12 34 56``
  is a Réunion mobile, ``+262 692 12 34 56``), and any foreign number typed with ``+`` or
  ``00`` is accepted. Only numbers that can receive an SMS are accepted: phonenumbers types
  MOBILE and FIXED_LINE_OR_MOBILE (countries whose plans do not tell them apart); never a
  non-geographic one (satellite +870, +881, international networks +882, +883: costly,
  and no SMS contract covers them), whatever its type.
- `check_sms_region` refuses a number outside the countries a site sends SMS to (the
  server's SMS_COUNTRIES: France and its overseas departments by default), code ``country``.
  Note: Mayotte is ``+262`` (region YT, mobiles ``0639``); ``+269`` is the Comoros, which
  Mayotte used before 2007 — both are accepted, as any valid foreign mobile is.
- `mask_phone` gives ``+33 6 •• •• •• 78`` for logs: country code, first national digit and
  last two digits only; it never raises and never returns the full number.
- `phone_hash` is an HMAC-SHA256 of the E.164 form under a server secret, for de-duplication
  and rate limiting without storing the number (a plain hash of a phone number is trivially
  reversed by enumerating the numbering plan; a keyed hash is not, without the key).

Pure: standard library and phonenumbers only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "FR"

# French overseas regions sharing the French national format (0 + 9 digits) but with their
# own country calling code: a number invalid for metropolitan France is tried against these.
OVERSEAS_REGIONS: tuple[str, ...] = ("RE", "YT", "GP", "MQ", "GF", "BL", "MF", "PM")

SMS_CAPABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# Where SMS go by default: metropolitan France and the regions of OVERSEAS_REGIONS.
DEFAULT_SMS_REGIONS: tuple[str, ...] = (DEFAULT_REGION, *OVERSEAS_REGIONS)
# phonenumbers' region of the non-geographic codes (+800, +870, +881, +882, +883, +888, +979).
NON_GEOGRAPHIC = "001"

MAX_INPUT_LENGTH = 32  # generous for "+33 (0)6 12 34 56 78" and the like; rejects pastes
_ALLOWED = re.compile(r"^[0-9+().\-\s/]*$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MASK = "•"


class PhoneError(ValueError):
    """A typed phone number that cannot be used; `code` is stable, for the UI to translate.

    Codes: ``empty``, ``too_long``, ``invalid_chars``, ``not_a_number``, ``invalid``,
    ``not_mobile``, ``country`` (outside the countries given), ``not_e164`` (helpers that
    expect an already-normalised number).
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _clean(raw: str) -> str:
    if raw is None:
        raise PhoneError("empty", "no phone number given")
    text = str(raw).strip()
    if not text:
        raise PhoneError("empty", "no phone number given")
    if len(text) > MAX_INPUT_LENGTH:
        raise PhoneError("too_long", f"more than {MAX_INPUT_LENGTH} characters")
    # Non-breaking and narrow spaces from copy-paste count as spaces.
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    if not _ALLOWED.match(text):
        raise PhoneError("invalid_chars", "only digits, spaces and + ( ) . - / are allowed")
    compact = re.sub(r"[\s().\-/]", "", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]  # international prefix, whatever the default region's
    if "+" in compact[1:] or not compact.strip("+"):
        raise PhoneError("not_a_number", "this does not look like a phone number")
    return compact


def _parse(compact: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(compact, region)
    except NumberParseException:
        return None


def normalize_phone(raw: str, default_region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a number able to receive SMS, or `PhoneError`."""
    compact = _clean(raw)
    number = _parse(compact, default_region)
    if number is None:
        raise PhoneError("not_a_number", "this does not look like a phone number")

    if not phonenumbers.is_valid_number(number) and not compact.startswith("+"):
        if default_region == "FR":
            # "0692 12 34 56": a national French-format number of an overseas department.
            for region in OVERSEAS_REGIONS:
                candidate = _parse(compact, region)
                if candidate is not None and phonenumbers.is_valid_number(candidate):
                    number = candidate
                    break

    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid", "this number does not exist in its numbering plan")
    if phonenumbers.number_type(number) not in SMS_CAPABLE_TYPES:
        raise PhoneError("not_mobile", "this number cannot receive SMS (not a mobile)")
    if phonenumbers.region_code_for_number(number) == NON_GEOGRAPHIC:
        raise PhoneError("not_mobile", "satellite and international network numbers "
                                       "cannot receive SMS")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def sms_region(e164: str) -> str:
    """The ISO region of a normalised number ("FR", "RE"...; "001": non-geographic; "" if
    it does not parse)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""
    except NumberParseException:
        return ""


def check_sms_region(e164: str, regions: Iterable[str]) -> str:
    """`e164` if its country is one of `regions` (ISO codes), else PhoneError("country")."""
    region = sms_region(e164)
    allowed = {r.upper() for r in regions} - {NON_GEOGRAPHIC}
    if not region or region not in allowed:
        raise PhoneError("country", "numbers of this country cannot receive SMS here")
    return e164


def is_e164(value: str) -> bool:
    """Syntactic E.164 check (``+`` then 7 to 15 digits), no numbering-plan lookup."""
    return bool(value) and bool(_E164.match(value))


def mask_phone(e164: str) -> str:
    """A log-safe rendering: ``+33 6 •• •• •• 78``. Never raises, never the full number."""
    value = str(e164 or "").strip()
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return "+" + MASK * 3
    try:
        number = phonenumbers.parse("+" + digits, None)
        formatted = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        cc = str(number.country_code)
        national = formatted[len("+" + cc):]
        if not national.strip():
            raise ValueError(formatted)
    except (NumberParseException, ValueError):
        cc, national = digits[:2], " " + digits[2:]
    return "+" + cc + _mask_national(national)


def _mask_national(national: str) -> str:
    """Keep the first and the last two digits of the national part, mask the rest."""
    positions = [i for i, c in enumerate(national) if c.isdigit()]
    keep = set(positions[:1]) | set(positions[-2:])
    if len(positions) <= 4:  # too short to show anything but the last digit
        keep = set(positions[-1:])
    return "".join(
        c if (not c.isdigit() or i in keep) else MASK for i, c in enumerate(national)
    )


def phone_hash(e164: str, secret: str | bytes) -> str:
    """HMAC-SHA256 (hex) of an E.164 number under `secret`: same number, same hash.

    The number must already be normalised (`normalize_phone`), otherwise two spellings of one
    number would hash differently and defeat de-duplication: `PhoneError("not_e164")`.
    """
    if not secret:
        raise ValueError("phone_hash needs a non-empty secret")
    if not is_e164(e164):
        raise PhoneError("not_e164", "phone_hash expects a normalised E.164 number")
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, e164.encode("ascii"), hashlib.sha256).hexdigest()
