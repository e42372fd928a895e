"""Phone numbers at rest: encrypted under a key per day, kept outside the database, that the
nightly purge destroys (crypto-shredding; docs/sms.md, privacy).

The database (its table files, its WAL, its backups, a replica) only ever holds
``v1:<day>:<Fernet token>``: once the day's key file is deleted, no copy of the row says
the number any more. Keys live in PHONE_KEYS_DIR (one file a day, mode 0600), which every
process of the server reads (web, SMS worker) and no backup copies. Fernet (AES-128-CBC +
HMAC-SHA256, from `cryptography`) authenticates: a changed row does not decrypt.

`EncryptedPhoneField` does this on every save and load, so the rest of the code handles the
clear E.164 number as before and cannot store it in clear by mistake.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models
from django.db.models.lookups import Exact
from django.utils import timezone

log = logging.getLogger("carrefour.privacy")
PREFIX = "v1"
_SEALED = re.compile(r"^v1:(\d{4}-\d{2}-\d{2}):([A-Za-z0-9_=-]+)$")
_KEY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.key$")
_cache: dict[dt.date, Fernet] = {}
_lock = threading.Lock()


def keys_dir() -> Path:
    return Path(settings.PHONE_KEYS_DIR)


def _key_path(day: dt.date) -> Path:
    return keys_dir() / f"{day.isoformat()}.key"


def _read_key(path: Path) -> Fernet | None:
    try:
        return Fernet(path.read_bytes().strip())
    except FileNotFoundError:
        return None


def _create_key(day: dt.date) -> Fernet:
    """Write the day's key once: two processes racing both end up with the first one."""
    folder = keys_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _key_path(day)
    tmp = folder / f".{day.isoformat()}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, Fernet.generate_key())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic, and never replaces a key another process wrote
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    key = _read_key(path)
    if key is None:  # shredded between the link and the read: only in a purge of today
        raise RuntimeError(f"phone key of {day} vanished while being created")
    return key


def day_key(day: dt.date, create: bool = False) -> Fernet | None:
    """The key of `day` (created on first use when `create`), or None: shredded or never made."""
    with _lock:
        # Only today's and later keys are kept in memory: a past day's is read from its file
        # each time, so the purge (another process) shreds it for this process too.
        current = day >= timezone.localdate()
        key = _cache.get(day) if current else None
        if key is None:
            key = _read_key(_key_path(day))
            if key is None and create:
                key = _create_key(day)
            if key is not None and current:
                _cache[day] = key
        return key


def seal(e164: str, day: dt.date | None = None) -> str:
    """The stored form of a number: encrypted under the key of `day` (today by default)."""
    if not e164:
        return ""
    day = day or timezone.localdate()
    key = day_key(day, create=True)
    return f"{PREFIX}:{day.isoformat()}:{key.encrypt(e164.encode('ascii')).decode('ascii')}"  # type: ignore[union-attr]  # create=True: a key


def is_sealed(value: str) -> bool:
    return bool(value) and _SEALED.match(value) is not None


def unseal(stored: str) -> str:
    """The number, or "" once its day's key is shredded (or for anything unreadable)."""
    if not stored:
        return ""
    match = _SEALED.match(stored)
    if match is None:
        log.warning("a stored phone number is not in the vault's format: ignored")
        return ""
    key = day_key(dt.date.fromisoformat(match.group(1)))
    if key is None:
        return ""
    try:
        return key.decrypt(match.group(2).encode("ascii")).decode("ascii")
    except InvalidToken:
        log.warning("a stored phone number does not decrypt under its day's key: ignored")
        return ""


def shred_before(day: dt.date) -> list[dt.date]:
    """Destroy the keys of the days before `day`: their numbers are unreadable everywhere.

    The file is overwritten before it is unlinked (a best effort on journaling or
    copy-on-write filesystems and SSDs: keep PHONE_KEYS_DIR out of file-level backups)."""
    shredded = []
    folder = keys_dir()
    with _lock:
        for path in sorted(folder.glob("*.key")) if folder.is_dir() else []:
            match = _KEY_FILE.match(path.name)
            if match is None or dt.date.fromisoformat(match.group(1)) >= day:
                continue
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                handle.write(b"\0" * size)
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            shredded.append(dt.date.fromisoformat(match.group(1)))
        for cached in [d for d in _cache if d < day]:
            del _cache[cached]
    return shredded


def forget_cached_keys() -> None:
    """Drop the in-process copies (tests; a process that must re-read the folder)."""
    with _lock:
        _cache.clear()


class EncryptedPhoneField(models.CharField):
    """An E.164 number, stored sealed (see above) and read back in clear; "" stays ""."""

    def from_db_value(self, value, expression, connection):
        return unseal(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value or is_sealed(value):
            return value
        return seal(value)


@EncryptedPhoneField.register_lookup
class SealedExact(Exact):
    """Only "has a number" (``phone=""``) can be asked of the database: a sealed number
    never equals its clear form (nor another sealing of it), so a search by number would
    silently find nothing."""

    lookup_name = "exact"

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise TypeError("phone numbers are stored sealed: filter on phone='' only")
        return super().get_prep_lookup()
