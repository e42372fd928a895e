"""Remote kiosk updates, the pure parts (docs/updates.md): the release manifest, the update
states a kiosk reports, the staged-rollout rule the server applies and the quiet-moment
rule. No I/O and no crypto here: the signature is checked in kiosk/release/bundle.py with
the `cryptography` package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MANIFEST_FORMAT = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"

# What a kiosk says about its update in each heartbeat (`update_state`), in the order of a
# successful update: "" (nothing to do) → downloading → verified → waiting_quiet →
# switched (running the new version, not yet confirmed) → confirmed. The failures:
# bad_signature (refused, nothing installed), bad_bundle (hash, manifest or archive wrong),
# install_failed (pip/venv), rolled_back (the new version missed its first frame or first
# heartbeat: the previous one runs again).
UPDATE_STATES: dict[str, str] = {
    "": "À jour",
    "downloading": "Téléchargement",
    "verified": "Signature vérifiée",
    "waiting_quiet": "Installée, attend un moment calme",
    "switched": "Basculée, premier démarrage",
    "confirmed": "En service",
    "bad_signature": "Refusée : signature invalide",
    "bad_bundle": "Refusée : paquet invalide",
    "install_failed": "Échec de l'installation",
    "rolled_back": "Revenue à la version précédente",
}
FAILED_STATES = frozenset({"bad_signature", "bad_bundle", "install_failed", "rolled_back"})

VERSION_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}")
FILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\.whl")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
# A pip requirement naming the kiosk's own package, pinned: "carrefour[kiosk]==0.2.0".
REQUIREMENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,-]+\])?==([0-9A-Za-z.+_-]+)")
MAX_FILES = 400


class ManifestError(ValueError):
    """A manifest that cannot be trusted to describe a release."""


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    version: str
    requirement: str  # what pip installs from the bundle's wheels, e.g. "carrefour[kiosk]==0.2.0"
    files: tuple[ReleaseFile, ...]

    def to_json(self) -> bytes:
        """Canonical bytes (sorted keys): what is signed."""
        return json.dumps({
            "format": MANIFEST_FORMAT, "version": self.version, "requirement": self.requirement,
            "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in self.files],
        }, sort_keys=True, separators=(",", ":")).encode()


def parse_manifest(data: bytes) -> Manifest:
    """The manifest from its signed bytes; ManifestError for anything unexpected."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"manifest is not JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise ManifestError("manifest format unknown")
    version, requirement, files = raw.get("version"), raw.get("requirement"), raw.get("files")
    if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
        raise ManifestError(f"bad version {version!r}")
    if not isinstance(requirement, str):
        raise ManifestError("manifest names no requirement")
    match = REQUIREMENT_RE.fullmatch(requirement)
    if match is None or match.group(2) != version:
        raise ManifestError(f"requirement {requirement!r} must pin version {version}")
    if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES:
        raise ManifestError("manifest lists no files (or too many)")
    out, seen = [], set()
    for item in files:
        if not isinstance(item, dict) or set(item) != {"name", "sha256", "size"}:
            raise ManifestError(f"bad file entry {item!r}")
        name, sha256, size = item["name"], item["sha256"], item["size"]
        # Plain wheel names only: no path can leave the folder they are unpacked into.
        if not isinstance(name, str) or not FILE_NAME_RE.fullmatch(name) or ".." in name:
            raise ManifestError(f"bad file name {name!r}")
        if name in seen:
            raise ManifestError(f"file {name} listed twice")
        if not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256):
            raise ManifestError(f"bad sha256 for {name}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError(f"bad size for {name}")
        seen.add(name)
        out.append(ReleaseFile(name, sha256, size))
    return Manifest(version=version, requirement=requirement, files=tuple(out))


# -- server: staged rollout ----------------------------------------------------------------

def rollout_version(*, is_pilot: bool, kiosk_target: str | None, site_target: str | None,
                    site_previous: str | None, pilot: bool, pilot_confirmed: bool) -> str | None:
    """The version a kiosk should run (None: no target, stay as it is).

    A version chosen for the kiosk itself wins. Otherwise the site's target goes first to
    its pilot kiosk; the other kiosks keep the site's previous target until the pilot has
    confirmed the new version (first frame and first heartbeat on it). A site target
    without a pilot applies to every kiosk at once."""
    if kiosk_target:
        return kiosk_target
    if not site_target:
        return None
    if not pilot or is_pilot or pilot_confirmed:
        return site_target
    return site_previous


def pilot_confirms(*, reported_version: str, reported_state: str, target: str) -> bool:
    """The pilot's heartbeat says it runs `target`, past its boot guard."""
    return reported_version == target and reported_state == "confirmed"


# -- kiosk: when to switch (the boot guard's rule is kiosk/release/guard.py: stdlib only) --

def is_quiet(*, on_home: bool, journey_active: bool, outbox_depth: int) -> bool:
    """A moment to restart on a new version: nobody mid-journey (the home or idle screen,
    nothing typed) and nothing waiting to be sent."""
    return on_home and not journey_active and outbox_depth == 0
