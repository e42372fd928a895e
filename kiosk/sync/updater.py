"""The kiosk's updater (docs/updates.md): the heartbeat's answer names the release the kiosk
should run (`update: {version, url, sha256, size}`); the updater downloads it on a worker
thread, checks the bundle's sha256, its Ed25519 signature against the keys pinned in the
config and each wheel's hash, installs it into a new virtualenv beside the running one,
then, at a quiet moment (home screen, nothing typed, outbox empty), points `current` at it
and asks the app to exit with EXIT_UPDATE so that systemd starts the new version.

The new version is on probation until its first frame and its first accepted heartbeat:
past `boot_deadline` s without both, it exits with EXIT_BOOT_DEADLINE and the boot guard
(kiosk/release/guard.py, before the next start) puts the previous version back. Every step
and failure is reported in the next heartbeat (`update_state`, `update_version`,
`update_detail`); a refused bundle (bad signature, bad hash) is never installed nor retried.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.updates import FAILED_STATES, SHA256_RE, VERSION_RE
from kiosk.ports import Json
from kiosk.release.bundle import BundleError, load_public_key
from kiosk.release.install import InstallError, Releases

log = logging.getLogger(__name__)

EXIT_UPDATE = 75  # EX_TEMPFAIL: "start me again" (the unit restarts on any exit)
EXIT_BOOT_DEADLINE = 76
RELEASE_PATH = "/api/v1/releases/"
MAX_BUNDLE_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class UpdateConfig:
    """The [updates] section of the kiosk's TOML."""

    enabled: bool = False
    root: Path = Path("/var/lib/carrefour-kiosk/app")  # writable by the unit (StateDirectory)
    public_keys: tuple[str, ...] = ()  # base64 Ed25519 public keys that may sign releases
    boot_deadline: float = 90.0  # s for a new version to show its first frame and heartbeat
    download_timeout: float = 60.0  # s without a byte before a download is given up


def load_update_config(path: str | Path | None) -> UpdateConfig:
    if not path:
        return UpdateConfig()
    with open(path, "rb") as fh:
        raw = tomllib.load(fh).get("updates", {})
    known = set(UpdateConfig.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown [updates] keys: {', '.join(unknown)}")
    if "root" in raw:
        raw["root"] = Path(raw["root"])
    if "public_keys" in raw:
        raw["public_keys"] = tuple(raw["public_keys"])
    config = UpdateConfig(**raw)
    for key in config.public_keys:
        load_public_key(key)  # a typo in a pinned key is a config error at start
    if config.enabled and not config.public_keys:
        raise ValueError("[updates] enabled without public_keys: nothing could be verified")
    return config


@dataclass(frozen=True)
class Offer:
    version: str
    url: str
    sha256: str
    size: int

    @classmethod
    def from_answer(cls, answer: Json) -> Offer | None:
        """The heartbeat answer's `update`, or None (none, or not something to trust)."""
        raw = answer.get("update") if isinstance(answer, dict) else None
        if not isinstance(raw, dict):
            return None
        version, url, sha256, size = (raw.get("version"), raw.get("url"), raw.get("sha256"),
                                      raw.get("size", 0))
        if not (isinstance(version, str) and VERSION_RE.fullmatch(version)
                and isinstance(sha256, str) and SHA256_RE.fullmatch(sha256)
                and isinstance(url, str) and url == RELEASE_PATH + sha256
                and isinstance(size, int) and 0 <= size <= MAX_BUNDLE_BYTES):
            log.warning("update offer ignored (malformed): %r", raw)
            return None
        return cls(version, url, sha256, size)


def download(server_url: str, token: str, offer: Offer, dest: Path, timeout: float) -> str:
    """Fetch the bundle into `dest`; its sha256. Only from the kiosk's own server."""
    digest = hashlib.sha256()
    headers = {"Authorization": f"Bearer {token}", "X-Carrefour-Protocol": "1"}
    with requests.get(server_url.rstrip("/") + offer.url, headers=headers, stream=True,
                      timeout=timeout) as response:
        response.raise_for_status()
        total = 0
        with open(dest, "wb") as fh:
            for chunk in response.iter_content(1024 * 1024):
                total += len(chunk)
                if total > MAX_BUNDLE_BYTES:
                    raise BundleError("bundle larger than announced limits")
                digest.update(chunk)
                fh.write(chunk)
    return digest.hexdigest()


Fetch = Callable[[Offer, Path], str]


@dataclass
class Updater:
    releases: Releases
    public_keys: list[Ed25519PublicKey]
    version: str  # the version this process runs
    fetch: Fetch
    quiet: Callable[[], bool] = lambda: True
    restart: Callable[[], None] = lambda: os._exit(EXIT_UPDATE)
    boot_deadline: float = 90.0
    on_deadline: Callable[[], None] = lambda: os._exit(EXIT_BOOT_DEADLINE)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _worker: threading.Thread | None = None
    _confirmed: threading.Event = field(default_factory=threading.Event)
    _first_frame: bool = False
    _heartbeat_ok: bool = False
    _switching: bool = False

    # -- probation: the version just switched to proves itself ---------------------------

    def start(self) -> None:
        """At process start: on probation, the deadline starts now."""
        if not self.releases.on_probation(self.version):
            self._confirmed.set()
            return
        log.info("update: %s on probation for %.0f s", self.version, self.boot_deadline)
        threading.Thread(target=self._watch_deadline, name="update-boot-deadline",
                         daemon=True).start()

    def _watch_deadline(self) -> None:
        if not self._confirmed.wait(self.boot_deadline):
            log.error("update: %s missed its first frame/heartbeat within %.0f s: exiting for "
                      "the boot guard to roll back", self.version, self.boot_deadline)
            self.on_deadline()

    def first_frame(self) -> None:
        with self._lock:
            self._first_frame = True
        self._maybe_confirm()

    def _maybe_confirm(self) -> None:
        with self._lock:
            if not (self._first_frame and self._heartbeat_ok) or self._confirmed.is_set():
                return
            self._confirmed.set()
        if self.releases.confirm(self.version):
            log.info("update: %s confirmed (first frame and first heartbeat)", self.version)

    @property
    def confirmed(self) -> bool:
        return self._confirmed.is_set()

    # -- the heartbeat -------------------------------------------------------------------

    def heartbeat_fields(self) -> dict[str, str | None]:
        state = self.releases.state()
        if self.releases.on_probation(self.version):
            return {"update_state": "switched", "update_version": self.version,
                    "update_detail": None}
        name = str(state.get("state") or "")
        version = state.get("version")
        if name == "confirmed" and version != self.version:
            name, version = "", None  # an older note: this process runs something else
        return {"update_state": name, "update_version": str(version) if version else None,
                "update_detail": str(state.get("detail") or "")[:200] or None}

    def on_heartbeat_answer(self, answer: Json) -> None:
        """After each heartbeat the server took (sync thread): confirm, then follow the offer."""
        with self._lock:
            self._heartbeat_ok = True
        self._maybe_confirm()
        offer = Offer.from_answer(answer)
        state = self.releases.state()
        failed = state.get("failed") or {}
        if offer is None or offer.version == self.version:
            if failed:  # the target moved away: choosing a refused one again is a retry
                from kiosk.release import guard

                guard.write_json(self.releases.state_path, {**state, "failed": {}})
            return
        if not self._confirmed.is_set():
            return
        if offer.version in failed or offer.sha256 in failed:
            return  # refused or rolled back once: not again until another release is chosen
        installed = (self.releases.path_of(offer.version) / ".installed").is_file()
        if installed and state.get("version") == offer.version and state.get("state") in (
                "waiting_quiet", "verified"):
            self.maybe_switch()
            return
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._fetch_and_install, args=(offer,),
                                            name="update-install", daemon=True)
            self._worker.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Tests and shutdown: wait for the download/install worker to end."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            return not worker.is_alive()
        return True

    def _fetch_and_install(self, offer: Offer) -> None:
        downloads = self.releases.root / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        bundle = downloads / f"{offer.sha256}.tar"
        try:
            self.releases.set_state("downloading", offer.version)
            digest = self.fetch(offer, bundle)
            if digest != offer.sha256:
                raise BundleError(f"downloaded bytes hash to {digest[:12]}…, not the "
                                  f"announced {offer.sha256[:12]}…")
            self.releases.install(
                bundle, self.public_keys, expect_version=offer.version,
                on_verified=lambda: self.releases.set_state("verified", offer.version))
            self.releases.set_state("waiting_quiet", offer.version)
            log.info("update: %s installed, waiting for a quiet moment", offer.version)
        except (BundleError, InstallError) as exc:
            log.error("update %s refused: %s", offer.version, exc)
            self.releases.set_state(exc.state, offer.version, str(exc), failed=False)
            self._remember_failure(offer.sha256, exc.state)
            return
        except (OSError, requests.RequestException) as exc:
            # The network or the disk: nothing is decided, the next heartbeat tries again.
            log.warning("update %s: download failed: %s", offer.version, exc)
            self.releases.set_state("", None, f"download of {offer.version}: {exc}"[:200])
            return
        finally:
            bundle.unlink(missing_ok=True)
        self.maybe_switch()

    def _remember_failure(self, key: str, state: str) -> None:
        if state not in FAILED_STATES:
            return
        current = self.releases.state()
        failed = dict(current.get("failed") or {})
        failed[key] = state
        from kiosk.release import guard

        guard.write_json(self.releases.state_path, {**current, "failed": failed})

    def maybe_switch(self) -> bool:
        """Switch now if an installed release waits and the kiosk is quiet (any thread)."""
        state = self.releases.state()
        version = state.get("version")
        if state.get("state") != "waiting_quiet" or not isinstance(version, str):
            return False
        with self._lock:
            if self._switching or not self.quiet():
                return False
            self._switching = True
        self.releases.switch_to(version)
        self.releases.set_state("switched", version)
        log.info("update: switched to %s; restarting", version)
        self.restart()
        return True


def make_updater(config: UpdateConfig, version: str, server_url: str, token: str,
                 quiet: Callable[[], bool], restart: Callable[[], None]) -> Updater | None:
    """The app's updater, or None when updates are off or the kiosk does not run from a
    releases root (a development checkout)."""
    if not config.enabled:
        return None
    releases = Releases(config.root)
    if releases.current_version() is None:
        log.info("updates: no release installed under %s: off", config.root)
        return None
    keys = [load_public_key(k) for k in config.public_keys]

    def fetch(offer: Offer, dest: Path) -> str:
        return download(server_url, token, offer, dest, config.download_timeout)

    return Updater(releases, keys, version, fetch, quiet=quiet, restart=restart,
                   boot_deadline=config.boot_deadline)
