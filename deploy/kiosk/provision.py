#!/usr/bin/env python3
"""Provision a Carrefour kiosk on a fresh Debian 12 in one command (deploy/kiosk/README.md).

    provision.sh --server https://carrefour.example.fr --code 7K2M-Q9XD-4TNA-H3RB
    provision.sh --check ...      say what would change, change nothing
    provision.sh ... --bundle carrefour-kiosk-0.2.0.tar --public-key BASE64
                                  also the first signed release: updates on (docs/updates.md)

Does, in order, what README.md here describes by hand: Debian packages, the `carrefour`
system user, the application (a copy of this source in /opt/carrefour/src, pictograms and
catalogs built, a virtualenv in /opt/carrefour/venv), the enrolment (the one-time code an
agent created in the back-office is spent for the kiosk's token: POST /api/v1/enrol),
/etc/carrefour/kiosk.toml, the token in /etc/carrefour/kiosk-token (root, 0600: systemd
hands it to the service as a credential), the units, X and udev files, and enables and
starts the units. With `--bundle`, between the virtualenv and the enrolment: the kiosk's
first signed release under /var/lib/carrefour-kiosk/app, then the [updates] section of the
config and the unit's drop-in that runs it (provision_release.py). Idempotent: each step
compares before it writes, a second run changes nothing and says so, and a machine that
holds a token never spends another code.

Standard library only: it runs with Debian's python3 before anything else is installed.
`--root DIR`, `--no-apt`, `--no-systemctl` and `--skip` exist for tests (a fake root).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # provision_release.py beside it
from provision_release import (  # noqa: E402
    CONFIG_FILE,
    DROPIN_NAME,
    HOME,
    KIOSK_UNIT,
    USER,
    ProvisionError,
    ReleaseSteps,
)

SRC = Path(__file__).resolve().parent.parent.parent  # the checkout this script is part of
KIOSK_DIR = Path("deploy/kiosk")
PACKAGES = [
    # README.md step 1: Xorg (modesetting) and libinput, GL for Kivy, speech, fonts; venv;
    # librsvg2-bin renders the pictograms; ca-certificates for an https server.
    "xserver-xorg-core", "xserver-xorg-input-libinput", "xauth", "x11-xserver-utils",
    "libgl1", "libegl1", "libgl1-mesa-dri", "libmtdev1",
    "espeak-ng", "alsa-utils", "fonts-noto-core", "fonts-noto-cjk",
    "python3-venv", "librsvg2-bin", "ca-certificates",
    # Always there on an installed Debian; not in a debootstrap'd chroot (tests).
    "systemd", "udev",
]
ETC = Path("/etc/carrefour")
TOKEN_FILE, ENROLMENT_FILE = ETC / "kiosk-token", ETC / "enrolment.json"
OPT = Path("/opt/carrefour")
APP_SRC, VENV = OPT / "src", OPT / "venv"
STAMP = VENV / ".carrefour-source"  # digest of the source the venv was built from
# What the kiosk needs of the checkout (not the tests, not the developer's .venv nor var/).
SOURCE_ITEMS = ("pyproject.toml", "README.md", "kiosk", "assets", "config", "deploy")
SKIP_NAMES = {".git", ".venv", "var", "__pycache__", "build", ".pytest_cache", ".ruff_cache"}
SKIP_SUFFIXES = (".pyc", ".mo", ".egg-info")
# (file in deploy/kiosk, where it goes, mode)
INSTALLED = [
    ("carrefour-xorg.service", "/etc/systemd/system/carrefour-xorg.service", 0o644),
    ("carrefour-kiosk.service", "/etc/systemd/system/carrefour-kiosk.service", 0o644),
    ("carrefour-kiosk-restart.service", "/etc/systemd/system/carrefour-kiosk-restart.service", 0o644),
    ("carrefour-kiosk-restart.timer", "/etc/systemd/system/carrefour-kiosk-restart.timer", 0o644),
    ("10-carrefour-kiosk.conf", "/etc/X11/xorg.conf.d/10-carrefour-kiosk.conf", 0o644),
    ("60-carrefour-printer.rules", "/etc/udev/rules.d/60-carrefour-printer.rules", 0o644),
]
ENABLED = ("carrefour-xorg.service", "carrefour-kiosk.service", "carrefour-kiosk-restart.timer")
# "release" before "enrol": a refused bundle stops the run before a code is spent.
STEPS = ("packages", "user", "source", "app", "release", "enrol", "config", "files", "systemd")


class Provisioner(ReleaseSteps):
    def __init__(self, args: argparse.Namespace, out=print):
        self.args = args
        self.root = Path(args.root).resolve()
        self.check = args.check
        self.skip = set(args.skip or ())
        if args.no_apt:
            self.skip.add("packages")
        if args.no_systemctl:
            self.skip.add("systemd")
        self.out = out
        self.changes: list[str] = []
        self.changed_files: set[str] = set()
        self.preflight: dict | None = None  # the check endpoint's answer

    # -- helpers ---------------------------------------------------------------------------

    def at(self, path: Path | str) -> Path:
        """`path` (absolute on the kiosk) inside --root."""
        return self.root / str(path).lstrip("/")

    def report(self, kind: str, text: str) -> None:
        if kind in ("change", "would"):
            self.changes.append(text)
        self.out(f"  {kind:<7} {text}")

    def run(self, cmd: list[str], what: str, **kw) -> None:
        """A command that changes the machine: only said in check mode."""
        if self.check:
            self.report("would", f"{what}: {' '.join(cmd)}")
            return
        self.report("change", what)
        subprocess.run(cmd, check=True, **kw)

    def write(self, dest: Path | str, data: bytes, mode: int, what: str = "") -> bool:
        """Write `data` to `dest` (in --root) with `mode`, atomically, if it differs."""
        target = self.at(dest)
        what = what or str(dest)
        if target.is_file() and target.read_bytes() == data:
            if (target.stat().st_mode & 0o7777) == mode:
                self.report("ok", f"{what} (unchanged)")
                return False
            if self.check:
                self.report("would", f"chmod {mode:04o} {what}")
            else:
                target.chmod(mode)
                self.report("change", f"chmod {mode:04o} {what}")
            return True
        self.changed_files.add(str(dest))
        if self.check:
            self.report("would", f"{'update' if target.exists() else 'create'} {what}")
            return True
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.provision")
        # Created with its final mode: a secret is never readable by others, even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it
        existed = target.exists()
        os.replace(tmp, target)
        self.report("change", f"{'updated' if existed else 'created'} {what}")
        return True

    def enrolment(self) -> dict | None:
        path = self.at(ENROLMENT_FILE)
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def enrolled(self) -> bool:
        token = self.at(TOKEN_FILE)
        return token.is_file() and bool(token.read_text(encoding="utf-8").strip())

    # -- the server --------------------------------------------------------------------------

    def call(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        url = self.args.server.rstrip("/") + "/api/v1" + path
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                         headers={"Content-Type": "application/json",
                                                  "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.args.timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"{}")
            except ValueError:
                return exc.code, {"detail": f"HTTP {exc.code} from {url}"}
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ProvisionError(f"cannot reach the server at {url}: {exc}") from None

    def check_code(self) -> None:
        """Before installing anything: the server answers and the code is valid."""
        if not self.args.server:
            raise ProvisionError("not enrolled yet: give --server https://... and --code")
        if not self.args.code:
            if sys.stdin.isatty() and not self.check:
                self.args.code = input("Code de provisionnement (back-office) : ").strip()
            if not self.args.code:
                raise ProvisionError("not enrolled yet: give --code XXXX-XXXX-XXXX-XXXX (an "
                                     "agent creates it in the back-office)")
        status, body = self.call("/health")
        if status != 200 or body.get("protocol") != 1:
            raise ProvisionError(f"{self.args.server} does not answer as a Carrefour server "
                                 f"(health: HTTP {status})")
        status, body = self.call("/enrol/check", {"code": self.args.code})
        if status != 200:
            raise ProvisionError(f"enrolment code refused (HTTP {status}): "
                                 f"{body.get('detail', body)}")
        self.preflight = body
        self.out(f"Code valid for {body['site']['name']} ({body['site']['slug']}) until "
                 f"{body['expires_at']}.")

    # -- the steps ---------------------------------------------------------------------------

    def step_packages(self) -> None:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", *PACKAGES],
            capture_output=True, text=True)
        installed = {line.split()[0] for line in result.stdout.splitlines()
                     if len(line.split()) > 1 and line.split()[1].startswith("ii")}
        missing = [p for p in PACKAGES if p not in installed]
        if not missing:
            self.report("ok", f"{len(PACKAGES)} Debian packages installed")
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        self.run(["apt-get", "update", "-q"], "apt-get update", env=env)
        self.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                 f"install {len(missing)} packages ({', '.join(missing)})", env=env)

    def step_user(self) -> None:
        passwd = self.at("/etc/passwd")
        if not passwd.is_file():
            self.report("skip", f"user {USER}: no {passwd}")
            return
        if any(line.split(":")[0] == USER for line in passwd.read_text().splitlines()):
            self.report("ok", f"user {USER} exists")
            return
        prefix = [] if self.root == Path("/") else ["--root", str(self.root)]
        self.run(["useradd", *prefix, "--system", "--user-group", "--home-dir", HOME,
                  "--no-create-home", "--shell", "/usr/sbin/nologin",
                  "--comment", "Carrefour kiosk", USER],
                 f"create the system user {USER} (no shell, no password)")

    def source_files(self) -> list[Path]:
        files = []
        for item in SOURCE_ITEMS:
            top = SRC / item
            if top.is_file():
                files.append(Path(item))
                continue
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_NAMES
                                     and not d.endswith(SKIP_SUFFIXES))
                for name in sorted(filenames):
                    if not name.endswith(SKIP_SUFFIXES):
                        files.append((Path(dirpath) / name).relative_to(SRC))
        return files

    def source_digest(self) -> str:
        digest = hashlib.sha256()
        for rel in self.source_files():
            digest.update(str(rel).encode() + b"\0" + (SRC / rel).read_bytes() + b"\0")
        return digest.hexdigest()

    def step_source(self) -> None:
        if self.at(APP_SRC).resolve() == SRC:
            self.report("ok", f"source: running from {APP_SRC} itself")
            return
        changed = 0
        for rel in self.source_files():
            data = (SRC / rel).read_bytes()
            target = self.at(APP_SRC / rel)
            mode = 0o755 if os.access(SRC / rel, os.X_OK) else 0o644
            if target.is_file() and target.read_bytes() == data and \
                    (target.stat().st_mode & 0o777) == mode:
                continue
            changed += 1
            if not self.check:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.provision")
                tmp.write_bytes(data)
                tmp.chmod(mode)
                os.replace(tmp, target)
        if changed:
            self.report("would" if self.check else "change",
                        f"copy {changed} source files to {APP_SRC}")
        else:
            self.report("ok", f"source in {APP_SRC} up to date")

    def built_assets_readable(self) -> None:
        """The renderers write their PNGs 0600 (temporary files moved into place), as root:
        the kiosk's user must read them (found by the real run in a chroot)."""
        unreadable = [path for path in self.at(APP_SRC / "assets").glob("*/build/*")
                      if path.is_file() and path.stat().st_mode & 0o044 != 0o044]
        if not unreadable:
            return
        if self.check:
            self.report("would", f"make {len(unreadable)} built pictograms/plans readable")
            return
        for path in unreadable:
            path.chmod(0o644)
        self.report("change", f"made {len(unreadable)} built pictograms/plans readable (0644)")

    def step_app(self) -> None:
        digest = self.source_digest()
        stamp = self.at(STAMP)
        if stamp.is_file() and stamp.read_text().strip() == digest and \
                self.at(VENV / "bin/carrefour-kiosk").exists():
            self.report("ok", f"application in {VENV} up to date")
            self.built_assets_readable()
            return
        if self.root != Path("/"):
            raise ProvisionError("the app step builds in the real root only: add --skip app")
        src, py = str(APP_SRC), str(VENV / "bin/python")
        self.run(["python3", "assets/pictograms/render.py"], "render the pictograms", cwd=src,
                 stdout=subprocess.DEVNULL)
        self.run(["python3", "assets/plans/render.py"], "render the floor plans", cwd=src,
                 stdout=subprocess.DEVNULL)
        if not self.at(VENV / "bin/python").exists():
            self.run(["python3", "-m", "venv", str(VENV)], f"create the virtualenv {VENV}")
        self.run([py, "-m", "kiosk.ui.i18n", "compile"], "compile the kiosk's catalogs",
                 cwd=src)
        self.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  f"{src}[kiosk]"], "install the kiosk into the virtualenv (pip)")
        if not self.check:
            self.built_assets_readable()
            stamp.write_text(digest + "\n")

    def step_enrol(self) -> None:
        if self.enrolled():
            known = self.enrolment() or {}
            self.report("ok", f"enrolled: kiosk {known.get('kiosk_name', '?')!r} of "
                              f"{known.get('site', '?')} at {known.get('server_url', '?')}"
                              " (no code spent)")
            return
        if self.check:
            site = (self.preflight or {}).get("site", {})
            self.report("would", f"enrol with the code as a new kiosk of {site.get('slug')}, "
                                 f"token into {TOKEN_FILE} (0600)")
            return
        hostname = self.args.hostname or socket.gethostname()
        status, body = self.call("/enrol", {"code": self.args.code, "hostname": hostname,
                                            "name": self.args.name or ""})
        if status != 201:
            raise ProvisionError(f"enrolment refused (HTTP {status}): {body.get('detail', body)}")
        record = {
            "server_url": self.args.server.rstrip("/"),
            "public_server_url": body.get("server_url", ""),
            "site": body["site"]["slug"], "site_name": body["site"]["name"],
            "time_zone": body["time_zone"], "kiosk_id": body["kiosk"]["id"],
            "kiosk_name": body["kiosk"]["name"], "hostname": hostname,
            "enrolled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        # The record first, the token last: a machine counts as enrolled once its token is.
        self.write(ENROLMENT_FILE, (json.dumps(record, indent=2, ensure_ascii=False) + "\n")
                   .encode(), 0o644)
        self.write(TOKEN_FILE, (body["token"] + "\n").encode(), 0o600,
                   f"{TOKEN_FILE} (the kiosk's token, root only)")
        self.out(f"Enrolled as kiosk {record['kiosk_name']!r} of {record['site_name']}.")

    def render_config(self, record: dict) -> bytes:
        text = (SRC / "config/kiosk.example.toml").read_text(encoding="utf-8")
        text = text.replace("# Carrefour kiosk configuration. Copy to /etc/carrefour/kiosk.toml "
                            "on a kiosk.", "# Carrefour kiosk configuration, written by "
                            "deploy/kiosk/provision.py at enrolment;\n# yours to edit now "
                            "(provisioning again never overwrites it).", 1)
        values = {"server_url": record["server_url"], "site": record["site"],
                  "site_name": record["site_name"], "time_zone": record["time_zone"],
                  "token": f"file:{TOKEN_FILE}"}
        for key, value in values.items():
            text, count = re.subn(rf"^{key} = .*$", f"{key} = {json.dumps(value, ensure_ascii=False)}",
                                  text, count=1, flags=re.MULTILINE)
            if count != 1:
                raise ProvisionError(f"config/kiosk.example.toml has no '{key} =' line")
        # The pictograms rendered in the source copy (not part of the installed package).
        text, count = re.subn(r"^(data_dir = .*)$",
                              rf'\1\nassets_dir = "{APP_SRC}/assets"', text, count=1,
                              flags=re.MULTILINE)
        if self.args.bundle and self.release_ready():
            text = self.with_updates(text)
        tomllib.loads(text)  # never write a config the kiosk could not read
        return text.encode()

    def step_config(self) -> None:
        record = self.enrolment()
        target = self.at(CONFIG_FILE)
        if target.is_file():
            text = target.read_text(encoding="utf-8")
            try:
                server = tomllib.loads(text).get("server", {})
            except tomllib.TOMLDecodeError as exc:
                raise ProvisionError(f"{CONFIG_FILE} is not valid TOML: {exc}") from None
            if record and (server.get("site"), server.get("server_url")) != (
                    record["site"], record["server_url"]):
                self.report("warn", f"{CONFIG_FILE} kept, but its site/server_url differ "
                                    f"from the enrolment ({record['site']}, {record['server_url']})")
            else:
                self.report("ok", f"{CONFIG_FILE} present (kept: local edits are yours)")
            self.config_updates(text)
            return
        if record is None:
            if self.check:
                self.report("would", f"write {CONFIG_FILE} from the enrolment answer")
                return
            raise ProvisionError(f"no {ENROLMENT_FILE} to write {CONFIG_FILE} from: enrol first")
        self.write(CONFIG_FILE, self.render_config(record), 0o644)

    def step_files(self) -> None:
        for name, dest, mode in INSTALLED:
            self.write(dest, (SRC / KIOSK_DIR / name).read_bytes(), mode)
        # The README next to the units (their Documentation= line).
        self.write(OPT / "deploy/kiosk/README.md", (SRC / KIOSK_DIR / "README.md").read_bytes(),
                   0o644)
        self.install_dropin(SRC / KIOSK_DIR / DROPIN_NAME)

    def root_arg(self) -> list[str]:
        return [] if self.root == Path("/") else [f"--root={self.root}"]

    def systemctl(self, *args: str) -> str:
        """A read-only question to systemctl (offline with --root or in a chroot)."""
        result = subprocess.run(["systemctl", *self.root_arg(), *args], capture_output=True,
                                text=True)
        return result.stdout.strip()

    def step_systemd(self) -> None:
        if shutil.which("systemctl") is None:
            if self.check:
                self.report("would", f"enable {', '.join(ENABLED)} (systemd comes with the "
                                     "packages)")
                return
            raise ProvisionError("systemctl not found: this is for Debian with systemd "
                                 "(or use --no-systemctl)")
        booted = self.root == Path("/") and Path("/run/systemd/system").is_dir()
        units_changed = any(dest.startswith("/etc/systemd/") for dest in self.changed_files)
        if booted and units_changed:
            self.run(["systemctl", "daemon-reload"], "systemctl daemon-reload")
        if self.systemctl("get-default") != "multi-user.target":
            self.run(["systemctl", *self.root_arg(), "set-default", "multi-user.target"],
                     "boot to multi-user.target (no display manager)")
        else:
            self.report("ok", "default target multi-user.target")
        for unit in ENABLED:
            if self.systemctl("is-enabled", unit) == "enabled":
                self.report("ok", f"{unit} enabled")
            else:
                self.run(["systemctl", *self.root_arg(), "enable", unit], f"enable {unit}")
        if not booted:
            self.report("skip", "systemd not running here (chroot or --root): the units "
                                "start at the next boot")
            return
        if "/etc/udev/rules.d/60-carrefour-printer.rules" in self.changed_files:
            self.run(["udevadm", "control", "--reload"], "reload the udev rules")
            self.run(["udevadm", "trigger", "--subsystem-match=usb"], "apply the printer rule")
        for unit in ENABLED:
            if self.systemctl("is-active", unit) == "active":
                if f"/etc/systemd/system/{unit}" in self.changed_files or (
                        unit == KIOSK_UNIT and self.kiosk_runs_other_code()):
                    self.run(["systemctl", "try-restart", unit],
                             f"restart {unit} (unit or release changed)")
                else:
                    self.report("ok", f"{unit} running")
            elif not self.args.no_start:
                self.run(["systemctl", "start", unit], f"start {unit}")

    # -- the run -------------------------------------------------------------------------------

    def provision(self) -> int:
        mode = "CHECK (nothing is changed)" if self.check else "provisioning"
        self.out(f"Carrefour kiosk {mode}: root {self.root}, source {SRC}")
        if self.root == Path("/") and not self.check and os.geteuid() != 0:
            raise ProvisionError("run as root (sudo), or with --check to see what would change")
        self.release_preflight()  # a bad bundle or key stops here, before any change
        if not self.enrolled() and "enrol" not in self.skip:
            self.check_code()
        for step in STEPS:
            self.out(f"[{step}]")
            if step in self.skip:
                self.report("skip", f"{step} (skipped by option)")
                continue
            getattr(self, f"step_{step}")()
        if self.check:
            self.out(f"Check: {len(self.changes)} change(s) would be made." if self.changes
                     else "Check: nothing to do, this kiosk is provisioned.")
        else:
            self.out(f"Done: {len(self.changes)} change(s) made." if self.changes
                     else "Nothing changed: this kiosk was already provisioned.")
        self.out(self.updates_summary())
        return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="provision.sh", description="Install and enrol a Carrefour kiosk on Debian 12 "
        "(deploy/kiosk/README.md). Run again: changes nothing.")
    parser.add_argument("--server", default="", help="the central server, https://...")
    parser.add_argument("--code", default="", help="one-time enrolment code from the "
                        "back-office (asked for when missing)")
    parser.add_argument("--name", default="", help="the kiosk's name if the agent gave none "
                        "(default: the host name)")
    parser.add_argument("--hostname", default="", help=argparse.SUPPRESS)  # tests
    parser.add_argument("--bundle", default="", help="a signed release bundle (python -m "
                        "kiosk.release build): installed as the kiosk's first release, signed "
                        "updates on (docs/updates.md)")
    parser.add_argument("--public-key", action="append", help="the Ed25519 public key "
                        "(base64) the bundle must be signed with, pinned in [updates]; twice "
                        "during a key rotation (default: the config's public_keys)")
    parser.add_argument("--release-python", default="", help=argparse.SUPPRESS)  # tests
    parser.add_argument("--check", action="store_true",
                        help="print what would be done, change nothing")
    parser.add_argument("--root", default="/", help="install into this directory (tests)")
    parser.add_argument("--no-apt", action="store_true", help="do not install packages")
    parser.add_argument("--no-systemctl", action="store_true", help="do not call systemctl")
    parser.add_argument("--no-start", action="store_true", help="enable the units, start "
                        "nothing (they start at the next boot)")
    parser.add_argument("--skip", action="append", choices=STEPS, help="skip a step")
    parser.add_argument("--timeout", type=float, default=20.0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return Provisioner(args).provision()
    except ProvisionError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"provision: failed: {' '.join(map(str, exc.cmd))} (exit {exc.returncode}); "
              "fix it and run the same command again", file=sys.stderr)
        return 1


if __name__ == "__main__":
    if shutil.which("dpkg-query") is None and "--no-apt" not in sys.argv:
        print("provision: this is for Debian (no dpkg-query found)", file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
