"""Release bundles on the server: stored once by sha256 under <data dir>/releases/, filed
under the version their manifest names (docs/updates.md). The server reads the manifest
but does not vouch for it: each kiosk verifies the signature against its pinned key."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError

from kiosk.release.bundle import BundleError, read_manifest_unverified
from kiosk.server.devices.models import Release


class ReleaseRejected(ValueError):
    pass


def releases_dir() -> Path:
    return Path(settings.DATA_DIR) / "releases"


def add_release(source: BinaryIO, notes: str = "") -> Release:
    """Store an uploaded bundle and record it; ReleaseRejected (in French, for agents)."""
    directory = releases_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tar", dir=directory)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := source.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            manifest = read_manifest_unverified(Path(tmp))
        except BundleError as exc:
            raise ReleaseRejected(f"Ce fichier n'est pas une version de la borne : {exc}") from None
        sha256 = digest.hexdigest()
        if Release.objects.filter(version=manifest.version).exclude(sha256=sha256).exists():
            raise ReleaseRejected(f"La version {manifest.version} existe déjà avec un autre "
                                  "contenu : une version publiée ne change plus.")
        os.replace(tmp, directory / f"{sha256}.tar")
        try:
            release, _ = Release.objects.get_or_create(
                sha256=sha256, defaults={"version": manifest.version, "size": size,
                                         "notes": notes})
        except IntegrityError:
            raise ReleaseRejected(f"La version {manifest.version} existe déjà.") from None
        return release
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
