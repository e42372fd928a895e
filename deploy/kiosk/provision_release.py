"""The signed-release part of provision.py (docs/updates.md), standard library only like it.

With `--bundle`: the kiosk's first release is installed under /var/lib/carrefour-kiosk/app
(releases/<version>/ and the `current` symlink) by `python -m kiosk.release install`, run
as the kiosk user with the application's virtualenv (the `cryptography` package that checks
the signature lives there, not in Debian's python3); then the [updates] section of the
kiosk's config and the systemd drop-in that runs `current` and the boot guard. Nothing is
switched unless the signature verifies against the pinned key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import tarfile
import tomllib
from pathlib import Path

USER, HOME = "carrefour", "/var/lib/carrefour-kiosk"
CONFIG_FILE = Path("/etc/carrefour/kiosk.toml")
APP_ROOT = Path(HOME) / "app"  # [updates] root; the unit's StateDirectory holds it
VENV_PYTHON = Path("/opt/carrefour/venv/bin/python")
KIOSK_UNIT = "carrefour-kiosk.service"
DROPIN_NAME = f"{KIOSK_UNIT}.d/10-signed-updates.conf"  # in deploy/kiosk
DROPIN = Path("/etc/systemd/system") / DROPIN_NAME


class ProvisionError(Exception):
    """Stops the run; the message says what to do."""


def manifest_version(bundle: Path) -> str:
    """The version the bundle's manifest announces, unverified: for messages and the
    "already current" check only (the signature is checked by kiosk.release)."""
    try:
        with tarfile.open(bundle, "r:") as tar:
            member = tar.extractfile("manifest.json")
            version = json.loads(member.read(256 * 1024) if member else b"{}").get("version")
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise ProvisionError(f"{bundle} is not a release bundle (python -m kiosk.release "
                             f"build): {exc}") from None
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z.+!_-]{1,40}", version):
        raise ProvisionError(f"{bundle}: its manifest has no usable version")
    return version


def check_key(key: str) -> None:
    try:
        if len(base64.b64decode(key.strip(), validate=True)) == 32:
            return
    except (binascii.Error, ValueError):
        pass
    raise ProvisionError(f"--public-key {key!r} is not an Ed25519 public key (base64 of 32 "
                         "bytes, as `python -m kiosk.release keygen` prints it)")


def set_updates(text: str, values: dict) -> str:
    """`text` (TOML) with these keys set in its [updates] section, every other line kept
    (the config is the site's to edit); the section is appended when missing."""
    lines = {key: f"{key} = {json.dumps(value)}" for key, value in values.items()}
    header = re.search(r"^\[updates\][ \t]*$", text, flags=re.MULTILINE)
    if header is None:
        return text.rstrip("\n") + "\n\n[updates]\n" + "\n".join(lines.values()) + "\n"
    following = re.search(r"^\[", text[header.end():], flags=re.MULTILINE)
    end = header.end() + following.start() if following else len(text)
    body = text[header.end():end]
    for key, line in lines.items():
        body, count = re.subn(rf"^{key}[ \t]*=.*$", line, body, count=1, flags=re.MULTILINE)
        if count == 0:
            body = "\n" + line + body
    return text[:header.end()] + body + text[end:]


class ReleaseSteps:
    """Mixed into provision.Provisioner (its args, check, root, out, at, report, write)."""

    bundle_version: str | None = None
    public_keys: tuple[str, ...] = ()
    release_switched = False

    def release_python(self) -> Path:
        # Tests give the interpreter that has kiosk.release (a fake root has no virtualenv).
        return Path(self.args.release_python) if self.args.release_python else \
            self.at(VENV_PYTHON)

    def current_release(self) -> str | None:
        try:
            return Path(os.readlink(self.at(APP_ROOT / "current"))).name
        except OSError:
            return None

    def release_ready(self) -> bool:
        """A release `current` can run (or, in check mode, one would be installed)."""
        return self.current_release() is not None or bool(self.check and self.args.bundle)

    def updates_on(self) -> bool:
        """--bundle given, or an earlier run with it installed the drop-in (kept up to date)."""
        return bool(self.args.bundle) or self.at(DROPIN).is_file()

    def key_args(self) -> list[str]:
        return [arg for key in self.public_keys for arg in ("--public-key", key)]

    def configured_keys(self) -> tuple[str, ...]:
        path = self.at(CONFIG_FILE)
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("updates", {})
        except (OSError, tomllib.TOMLDecodeError):
            return ()
        return tuple(str(k) for k in table.get("public_keys") or ())

    def release_preflight(self) -> None:
        """Before anything changes: the bundle is one, the keys are keys and, when the
        virtualenv is there to check it, the signature verifies against them."""
        if not self.args.bundle:
            if self.args.public_key:
                raise ProvisionError("--public-key goes with --bundle")
            return
        bundle = Path(self.args.bundle).resolve()
        self.args.bundle = str(bundle)
        self.bundle_version = manifest_version(bundle)
        self.public_keys = tuple(self.args.public_key or ()) or self.configured_keys()
        if not self.public_keys:
            raise ProvisionError("--bundle needs --public-key BASE64: the key its release was "
                                 "signed with (`python -m kiosk.release keygen` printed it)")
        for key in self.public_keys:
            check_key(key)
        python = self.release_python()
        if not python.exists():
            self.out(f"Bundle {bundle.name}: release {self.bundle_version}; its signature is "
                     "checked once the virtualenv is built, before anything of it is installed.")
            return
        result = subprocess.run([str(python), "-m", "kiosk.release", "verify", str(bundle),
                                 *self.key_args()], capture_output=True, text=True)
        if result.returncode != 0:
            raise ProvisionError(self.refused(result))
        self.out(f"Bundle {bundle.name}: {result.stdout.strip()}.")

    def refused(self, result: subprocess.CompletedProcess) -> str:
        why = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return (f"release bundle {self.args.bundle} refused, nothing installed or switched: "
                f"{why[0]}. Is --public-key the key it was signed with? (python -m "
                "kiosk.release verify BUNDLE --public-key KEY)")

    def step_release(self) -> None:
        current = self.current_release()
        if not self.args.bundle:
            if current:
                self.report("ok", f"release {current} current in {APP_ROOT} (no --bundle: "
                                  "signed updates bring the next ones)")
            else:
                self.report("skip", f"no --bundle: the kiosk runs {VENV_PYTHON.parent.parent}, "
                                    "signed updates off")
            return
        version = self.bundle_version
        if current == version and (self.at(APP_ROOT / "releases" / version / ".installed")
                                   .is_file()):
            self.report("ok", f"release {version} already current in {APP_ROOT} (the bundle "
                              "is not installed again)")
            return
        what = f"release {version} into {APP_ROOT}/releases/{version}, `current` -> it"
        if current:
            # A re-run with another bundle: the same switch as a remote update, on probation
            # (the boot guard goes back to `current` if the new one never confirms).
            what += f" (was {current}: on probation until its first frame and heartbeat)"
        if self.check:
            self.report("would", f"verify and install {what}")
            return
        python = self.release_python()
        if not python.exists():
            raise ProvisionError(f"no {python} to install the release with: the app step "
                                 "builds it (do not --skip app with --bundle)")
        app = self.at(APP_ROOT)
        as_user: list[str] = []
        env = dict(os.environ)
        owner: tuple[int, int] | None = None
        if self.root == Path("/"):
            # As the kiosk user, who owns its releases (the updater installs beside them).
            import pwd

            user = pwd.getpwnam(USER)
            owner = (user.pw_uid, user.pw_gid)
            for path in (Path(HOME), APP_ROOT):
                path.mkdir(mode=0o750, exist_ok=True)
                os.chown(path, *owner)
            as_user, env["HOME"] = ["runuser", "-u", USER, "--"], HOME
        else:  # --root: the kiosk user exists only inside it; the test's user installs
            app.mkdir(parents=True, exist_ok=True)
        # A copy the kiosk user can read (the bundle may sit in root's home), removed after.
        copy = app / f".provision-{Path(self.args.bundle).name}"
        shutil.copyfile(self.args.bundle, copy)
        try:
            if owner:
                os.chown(copy, *owner)
            result = subprocess.run([*as_user, str(python), "-m", "kiosk.release", "install",
                                     str(copy), "--root", str(app), *self.key_args()],
                                    capture_output=True, text=True, cwd=app, env=env)
        finally:
            copy.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ProvisionError(self.refused(result))
        self.release_switched = True
        self.report("change", f"verified and installed {what}")

    # -- [updates] in the config -------------------------------------------------------------

    def wanted_updates(self) -> dict:
        return {"enabled": True, "root": str(APP_ROOT), "public_keys": list(self.public_keys)}

    def updates_match(self, table: object) -> bool:
        """On, this root, and every given key pinned (others, e.g. a rotation's, may be too)."""
        return isinstance(table, dict) and table.get("enabled") is True and \
            table.get("root", str(APP_ROOT)) == str(APP_ROOT) and \
            set(self.public_keys) <= set(table.get("public_keys") or ())

    def with_updates(self, text: str) -> str:
        """The config text with [updates] on, checked by parsing it back."""
        new = set_updates(text, self.wanted_updates())
        try:
            table = tomllib.loads(new).get("updates")
        except tomllib.TOMLDecodeError:
            table = None
        if not self.updates_match(table):
            raise ProvisionError(f"could not set [updates] in {CONFIG_FILE} (a value over "
                                 f"several lines?): set enabled = true, root = \"{APP_ROOT}\", "
                                 "public_keys = [...] by hand, then run this again")
        return new

    def config_updates(self, text: str) -> None:
        """An existing config (the site's own): only its [updates] lines change."""
        if not (self.args.bundle and self.release_ready()):
            return
        if self.updates_match(tomllib.loads(text).get("updates")):
            self.report("ok", f"{CONFIG_FILE} [updates] on, release key pinned")
            return
        mode = self.at(CONFIG_FILE).stat().st_mode & 0o7777
        self.write(CONFIG_FILE, self.with_updates(text).encode(), mode,
                   f"{CONFIG_FILE} [updates]: enabled, root, public_keys (other lines kept)")

    def install_dropin(self, source: Path) -> None:
        if not self.updates_on():
            return
        if not self.release_ready():
            self.report("warn", f"{DROPIN} not installed: no release in {APP_ROOT} yet "
                                "(the kiosk keeps running the virtualenv)")
            return
        self.write(DROPIN, source.read_bytes(), 0o644)

    def kiosk_runs_other_code(self) -> bool:
        """The kiosk unit must restart: another release, or the drop-in changed."""
        return self.release_switched or str(DROPIN) in self.changed_files

    def updates_summary(self) -> str:
        if self.updates_on() and self.release_ready():
            if self.check and self.bundle_version != self.current_release():
                return (f"Signed updates: would be on, the kiosk running release "
                        f"{self.bundle_version} from {APP_ROOT}/current.")
            version = self.current_release() or self.bundle_version
            return (f"Signed updates: on, the kiosk runs release {version} from {APP_ROOT}/"
                    "current (agents choose versions in the back-office; docs/updates.md).")
        return (f"Signed updates: off, the kiosk runs {VENV_PYTHON.parent.parent}. To turn "
                "them on: provision.sh --bundle carrefour-kiosk-<version>.tar --public-key "
                "<base64> (deploy/kiosk/README.md).")
