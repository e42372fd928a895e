"""Install a verified bundle into a new virtualenv beside the running one, switch `current`
to it with one rename, confirm it once it has proved itself (docs/updates.md). The layout
and the boot guard's rollback are in kiosk/release/guard.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.updates import Manifest
from kiosk.release import guard
from kiosk.release.bundle import BundleError, verify_bundle

PIP_TIMEOUT = 900  # s: a bundle with Kivy's wheels on a slow kiosk disk
INSTALLED = ".installed"  # written last in releases/<version>/: the install finished


class InstallError(RuntimeError):
    state = "install_failed"


class Releases:
    """The releases root of one kiosk (e.g. /opt/carrefour)."""

    def __init__(self, root: Path, python: str | None = None):
        self.root = Path(root)
        # The interpreter new virtualenvs are made from (the running one's base by default).
        self.python = python or sys.executable

    @property
    def state_path(self) -> Path:
        return self.root / "update" / "state.json"

    @property
    def pending_path(self) -> Path:
        return self.root / "update" / "pending.json"

    def current_version(self) -> str | None:
        return guard.version_of(guard.current_target(self.root))

    def path_of(self, version: str) -> Path:
        return self.root / "releases" / version

    def state(self) -> dict:
        return guard.read_json(self.state_path) or {}

    def set_state(self, state: str, version: str | None, detail: str = "",
                  failed: bool = False) -> dict:
        old = self.state()
        failures = dict(old.get("failed") or {})
        if failed and version:
            failures[version] = state
        value = {"state": state, "version": version, "detail": detail[:200], "failed": failures}
        guard.write_json(self.state_path, value)
        return value

    def pending(self) -> dict | None:
        return guard.read_json(self.pending_path)

    def install(self, bundle: Path, public_keys: list[Ed25519PublicKey],
                expect_version: str | None = None,
                on_verified: Callable[[], object] | None = None) -> Manifest:
        """Verify `bundle` (signature, then each wheel) and install it into
        releases/<version>/ (a fresh virtualenv, pip from the bundle's wheels only: no
        index). BundleError/SignatureError (nothing installed) or InstallError."""
        releases = self.root / "releases"
        releases.mkdir(parents=True, exist_ok=True)
        work = releases / f".incoming-{bundle.stem}"
        shutil.rmtree(work, ignore_errors=True)
        wheels = work / "wheels"
        wheels.mkdir(parents=True)
        try:
            manifest = verify_bundle(bundle, public_keys, dest=wheels, expect_version=expect_version)
            if on_verified is not None:
                on_verified()
            if self.current_version() == manifest.version:
                raise InstallError(f"{manifest.version} is the running version")
            # Built in place (a virtualenv cannot be moved: its scripts name their python by
            # absolute path); only a finished one gets its INSTALLED mark, and switch_to
            # refuses a folder without it.
            target = self.path_of(manifest.version)
            shutil.rmtree(target, ignore_errors=True)
            self._run([self.python, "-m", "venv", str(target)])
            self._run([str(target / "bin" / "python"), "-m", "pip", "install", "--no-index",
                       "--find-links", str(wheels), "--no-cache-dir",
                       "--disable-pip-version-check", "--quiet", manifest.requirement])
            (target / INSTALLED).write_text(manifest.version + "\n")
            return manifest
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _run(self, command: list[str]) -> None:
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT,
                                    check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InstallError(f"{Path(command[0]).name}: {exc}") from None
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise InstallError(f"{' '.join(command[1:4])} failed: {' | '.join(tail)}"[:300])

    def switch_to(self, version: str) -> None:
        """Point `current` at an installed version. With a version running before, the
        switch is on probation (pending.json) until confirm(): the boot guard rolls back a
        version that starts twice without confirming."""
        if not (self.path_of(version) / INSTALLED).is_file():
            raise InstallError(f"{version} is not installed")
        previous = guard.current_target(self.root)
        if previous is not None and guard.version_of(previous) != version:
            guard.write_json(self.pending_path, {"version": version, "previous": previous,
                                                 "boots": 0})
        guard.point_current(self.root, f"releases/{version}")

    def on_probation(self, version: str) -> bool:
        pending = self.pending()
        return pending is not None and pending.get("version") == version

    def confirm(self, version: str, keep: int = 2) -> bool:
        """The running `version` reached its first frame and heartbeat: no rollback any
        more; releases other than the newest `keep` (current included) are removed."""
        if not self.on_probation(version):
            return False
        previous = guard.version_of(str((self.pending() or {}).get("previous") or ""))
        self.pending_path.unlink(missing_ok=True)
        self.set_state("confirmed", version)
        self._prune({version, previous or version}, keep)
        return True

    def _prune(self, protect: set[str], keep: int) -> None:
        releases = self.root / "releases"
        dirs = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for path in dirs[keep:]:
            if path.name not in protect:
                shutil.rmtree(path, ignore_errors=True)


def install_first(root: Path, bundle: Path, public_keys: list[Ed25519PublicKey]) -> str:
    """A kiosk's first release (provisioning): install and point `current` at it. Over a
    release already there (provisioning run again with a newer bundle) the switch is on
    probation, as a remote update's: its state says "switched" until the kiosk confirms."""
    releases = Releases(root)
    manifest = releases.install(bundle, public_keys)
    releases.switch_to(manifest.version)
    probation = releases.on_probation(manifest.version)
    releases.set_state("switched" if probation else "confirmed", manifest.version)
    return manifest.version


__all__ = ["BundleError", "InstallError", "Releases", "install_first"]
