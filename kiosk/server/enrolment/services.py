"""Enrolment codes: created by a site's admin, spent once by a new kiosk for its token.

A code is 16 characters of Crockford's base32 (no I, L, O, U: nothing to confuse when
typed from a screen), shown as 4 groups of 4: 80 random bits, so guessing one is hopeless
even without the per-address rate limit of POST /api/v1/enrol. Typing is forgiving: case,
spaces and dashes do not matter, O reads as 0 and I/L as 1. Only the SHA-256 of the code is
stored; the agent sees it once, when created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.domain.text_input import scrub_text
from kiosk.server.audit.services import record
from kiosk.server.devices.models import Kiosk, hash_token
from kiosk.server.enrolment.models import EnrolmentCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_SIZE = 4, 4
DEFAULT_VALID_HOURS = 24
MAX_VALID_HOURS = 7 * 24
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class EnrolmentError(Exception):
    """A code that cannot be spent; `reason` for machines, the message for people."""

    STATUS = {"malformed": 422, "unknown": 404, "used": 409, "expired": 410, "revoked": 410}

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.status = self.STATUS[reason]


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i:i + GROUP_SIZE] for i in range(0, len(raw), GROUP_SIZE))


def normalise(text: str) -> str:
    """The 16 characters of a typed or scanned code; EnrolmentError('malformed') else."""
    raw = "".join(ch for ch in str(text).upper() if ch not in " -\t").translate(_READ_AS)
    if len(raw) != GROUPS * GROUP_SIZE or any(ch not in ALPHABET for ch in raw):
        raise EnrolmentError("malformed", "an enrolment code is 4 groups of 4 letters or "
                             "digits, e.g. 7K2M-Q9XD-4TNA-H3RB")
    return raw


def hash_code(raw: str) -> str:
    return hashlib.sha256(f"enrolment:{raw}".encode()).hexdigest()


def create_code(site, user, *, kiosk_name: str = "", hours: int = DEFAULT_VALID_HOURS,
                now: dt.datetime | None = None) -> tuple[EnrolmentCode, str]:
    """A new code for `site`, valid `hours`; returns it with the clear code (shown once)."""
    if not 1 <= hours <= MAX_VALID_HOURS:
        raise ValueError(f"validity must be 1 to {MAX_VALID_HOURS} hours")
    now = now or timezone.now()
    clear = new_code()
    raw = normalise(clear)
    code = EnrolmentCode.objects.create(
        site=site, code_hash=hash_code(raw), code_hint=raw[:GROUP_SIZE],
        kiosk_name=scrub_text(kiosk_name).strip()[:100], created_by=user,
        expires_at=now + dt.timedelta(hours=hours))
    record(user, code, "created", {"site": site.slug, "kiosk_name": code.kiosk_name,
                                   "code": f"{code.code_hint}-…",
                                   "expires_at": code.expires_at})
    return code, clear


def revoke(code: EnrolmentCode, user, now: dt.datetime | None = None) -> bool:
    """Revoke an unspent code; False when it was used or revoked already."""
    now = now or timezone.now()
    done = EnrolmentCode.objects.filter(pk=code.pk, used_at=None, revoked_at=None).update(
        revoked_at=now)
    if done:
        code.revoked_at = now
        record(user, code, "changed", {"revoked_at": [None, now]})
    return bool(done)


def usable_code(text: str, now: dt.datetime | None = None, *, lock: bool = False) -> EnrolmentCode:
    """The code `text` names, if it can be spent now; EnrolmentError says why not."""
    raw = normalise(text)
    qs = EnrolmentCode.objects.select_related("site")
    if lock:
        qs = qs.select_for_update()
    code = qs.filter(code_hash=hash_code(raw)).first()
    if code is None:
        raise EnrolmentError("unknown", "unknown enrolment code: check it, or ask an agent "
                             "for a new one in the back-office")
    state = code.state(now)
    if state == "used":
        raise EnrolmentError("used", f"this enrolment code was already used on "
                             f"{timezone.localtime(code.used_at):%Y-%m-%d %H:%M}: "
                             "ask an agent for a new one")
    if state == "revoked":
        raise EnrolmentError("revoked", "this enrolment code was revoked: ask an agent for "
                             "a new one")
    if state == "expired":
        raise EnrolmentError("expired", f"this enrolment code expired on "
                             f"{timezone.localtime(code.expires_at):%Y-%m-%d %H:%M}: ask "
                             "an agent for a new one")
    return code


@dataclass(frozen=True)
class Enrolment:
    kiosk: Kiosk
    token: str
    code: EnrolmentCode


def create_kiosk(site, name: str) -> tuple[Kiosk, str]:
    """A NEW kiosk named `name` (or `name (2)`, `name (3)`… if taken) with a fresh token.

    Not Kiosk.objects.register(): that one re-keys an existing kiosk of the same name, and a
    code must never take over a kiosk that already runs. Same token scheme as register()."""
    base = name[:94] or "Borne"
    for attempt in range(1, 100):
        candidate = base if attempt == 1 else f"{base} ({attempt})"
        if Kiosk.objects.filter(site=site, name=candidate).exists():
            continue
        token = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin only costs a retry
                kiosk = Kiosk.objects.create(site=site, name=candidate,
                                             token_hash=hash_token(token),
                                             token_hint=token[:4], active=True)
        except IntegrityError:
            continue
        return kiosk, token
    raise RuntimeError(f"no free kiosk name like {base!r} on {site}")


def enrol(text: str, *, hostname: str = "", name: str = "", address: str = "",
          now: dt.datetime | None = None) -> Enrolment:
    """Spend the code: a new kiosk of the code's site, its token (returned once)."""
    now = now or timezone.now()
    hostname = scrub_text(hostname).strip()[:100]
    with transaction.atomic():
        code = usable_code(text, now, lock=True)  # the row lock: one enrolment per code
        kiosk_name = code.kiosk_name or scrub_text(name).strip()[:100] or hostname
        kiosk, token = create_kiosk(code.site, kiosk_name)
        code.used_at, code.used_from, code.hostname, code.kiosk = now, address[:64], hostname, kiosk
        code.save(update_fields=["used_at", "used_from", "hostname", "kiosk"])
        record(None, kiosk, "created", {"name": kiosk.name, "site": code.site.slug,
                                        "via": f"code {code.code_hint}-…",
                                        "hostname": hostname, "address": address})
        record(None, code, "changed", {"used_at": [None, now], "kiosk": [None, kiosk.pk]})
    return Enrolment(kiosk=kiosk, token=token, code=code)


def server_url(request=None) -> str:
    """The base URL a kiosk should use: PUBLIC_BASE_URL, else the one this request came to."""
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    if base or request is None:
        return base
    return request.build_absolute_uri("/").rstrip("/")
