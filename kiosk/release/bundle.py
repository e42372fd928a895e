"""A release bundle: one uncompressed tar holding `manifest.json` (version, pip requirement,
name + sha256 + size of each wheel), `manifest.sig` (Ed25519 signature of the manifest's
exact bytes, from the `cryptography` package) and the wheels themselves.

The kiosk trusts a bundle only when the signature verifies against a public key pinned in
its config, and then each wheel only when its bytes hash to what the manifest says. Members
are never extracted by their tar names: each listed file is written by the checker under
its manifest name (a plain `*.whl` name), so an archive cannot write outside its folder.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.domain.updates import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    Manifest,
    ManifestError,
    ReleaseFile,
    parse_manifest,
)

MAX_MANIFEST_BYTES = 256 * 1024
CHUNK = 1024 * 1024


class BundleError(ValueError):
    """The bundle is not a well-formed release (archive, manifest, a file's hash or size)."""

    state = "bad_bundle"


class SignatureError(BundleError):
    """The manifest's signature does not verify against any pinned key."""

    state = "bad_signature"


# -- keys ---------------------------------------------------------------------------------

def generate_key() -> tuple[bytes, str]:
    """(private key PEM, public key as base64 of its 32 raw bytes: what kiosks pin)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_key_text(key.public_key())


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ValueError(f"not an Ed25519 public key (base64 of 32 bytes): {exc}") from None


# -- build and sign -----------------------------------------------------------------------

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def make_manifest(version: str, requirement: str, wheels: Iterable[Path]) -> Manifest:
    files = tuple(ReleaseFile(p.name, sha256_file(p), p.stat().st_size)
                  for p in sorted(wheels, key=lambda p: p.name))
    manifest = Manifest(version=version, requirement=requirement, files=files)
    parse_manifest(manifest.to_json())  # the same checks as the kiosk's, before shipping
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_bundle(out: Path, manifest_bytes: bytes, signature: bytes, wheels: dict[str, Path]) -> Path:
    """The tar: manifest, signature, then the wheels under their manifest names."""
    tmp = out.with_name(out.name + ".part")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, MANIFEST_NAME, manifest_bytes)
        _add_bytes(tar, SIGNATURE_NAME, signature)
        for name, path in sorted(wheels.items()):
            info = tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    tmp.replace(out)
    return out


def build_bundle(out: Path, version: str, requirement: str, wheels: list[Path],
                 key: Ed25519PrivateKey) -> Path:
    manifest = make_manifest(version, requirement, wheels)
    data = manifest.to_json()
    return write_bundle(out, data, key.sign(data), {p.name: p for p in wheels})


def sign_bundle(path: Path, key: Ed25519PrivateKey, out: Path | None = None) -> Path:
    """(Re)sign a bundle's manifest, e.g. on an offline machine that holds the key."""
    with tarfile.open(path, "r:") as tar, _scratch(path) as scratch:
        manifest_bytes = _read_member(tar, MANIFEST_NAME, MAX_MANIFEST_BYTES)
        manifest = parse_manifest(manifest_bytes)
        wheels = {}
        for member in tar.getmembers():
            if member.name in (MANIFEST_NAME, SIGNATURE_NAME):
                continue
            target = scratch / Path(member.name).name
            _copy_member(tar, member, target)
            wheels[target.name] = target
        if sorted(wheels) != sorted(f.name for f in manifest.files):
            raise BundleError("the bundle's files are not the manifest's")
        return write_bundle(out or path, manifest_bytes, key.sign(manifest_bytes), wheels)


class _scratch:
    """A scratch folder beside `path`, removed afterwards."""

    def __init__(self, path: Path):
        import tempfile

        self._tmp = tempfile.TemporaryDirectory(prefix=".sign-", dir=path.parent)

    def __enter__(self) -> Path:
        return Path(self._tmp.name)

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()


# -- verify and unpack --------------------------------------------------------------------

def _read_member(tar: tarfile.TarFile, name: str, limit: int) -> bytes:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BundleError(f"{name} missing from the bundle") from None
    if not member.isfile() or member.size > limit:
        raise BundleError(f"{name} is not a small regular file")
    fh = tar.extractfile(member)
    assert fh is not None  # a regular file
    return fh.read()


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path | None) -> str:
    """Stream a member (to `target` if given); its sha256."""
    fh = tar.extractfile(member)
    if fh is None:
        raise BundleError(f"{member.name} is not a regular file")
    digest = hashlib.sha256()
    out = open(target, "wb") if target is not None else None  # noqa: SIM115 - closed below
    try:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if out is not None:
                out.write(chunk)
    finally:
        if out is not None:
            out.close()
    return digest.hexdigest()


def read_manifest_unverified(path: Path) -> Manifest:
    """The manifest, without checking its signature: for the server, which files a release
    under its version but is not what kiosks trust (they verify)."""
    try:
        with tarfile.open(path, "r:") as tar:
            return parse_manifest(_read_member(tar, MANIFEST_NAME, MAX_MANIFEST_BYTES))
    except (tarfile.TarError, OSError, ManifestError) as exc:
        raise BundleError(f"not a release bundle: {exc}") from None


def verify_bundle(path: Path, public_keys: list[Ed25519PublicKey], dest: Path | None = None,
                  expect_version: str | None = None) -> Manifest:
    """Check the signature, then every file against the manifest; with `dest`, write the
    wheels there (only once each has been read whole and its hash matched: a file that does
    not match is removed). SignatureError / BundleError otherwise; nothing is trusted before
    the signature is."""
    try:
        with tarfile.open(path, "r:") as tar:
            manifest_bytes = _read_member(tar, MANIFEST_NAME, MAX_MANIFEST_BYTES)
            signature = _read_member(tar, SIGNATURE_NAME, 1024)
            if not any(_verifies(key, signature, manifest_bytes) for key in public_keys):
                raise SignatureError("the manifest's signature does not match the pinned key")
            try:
                manifest = parse_manifest(manifest_bytes)
            except ManifestError as exc:
                raise BundleError(str(exc)) from None
            if expect_version is not None and manifest.version != expect_version:
                raise BundleError(f"bundle is version {manifest.version}, not {expect_version}")
            expected = {f.name: f for f in manifest.files}
            seen: set[str] = set()
            for member in tar.getmembers():
                if member.name in (MANIFEST_NAME, SIGNATURE_NAME):
                    continue
                entry = expected.get(member.name)
                if entry is None or member.name in seen or not member.isfile():
                    raise BundleError(f"unexpected member {member.name!r} in the bundle")
                target = dest / entry.name if dest is not None else None
                digest = _copy_member(tar, member, target)
                if digest != entry.sha256 or member.size != entry.size:
                    if target is not None:
                        target.unlink(missing_ok=True)
                    raise BundleError(f"{entry.name}: sha256 or size differs from the manifest")
                seen.add(member.name)
            if seen != set(expected):
                raise BundleError(f"files missing from the bundle: {sorted(set(expected) - seen)}")
            return manifest
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError(f"unreadable bundle: {exc}") from None


def _verifies(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
