"""A real provisioning run into a Debian 12 chroot made with debootstrap (slow, needs the
network: not part of `make test`; deploy/kiosk/README.md gives the figures).

    .venv/bin/python -m tests.deploy.provision_chroot [--chroot DIR] [--keep] [--bundle]
                                                      [--start-kiosk]

Builds a minbase bookworm chroot (or reuses a pristine one given with --pristine), copies
this checkout into it, starts the demo server on loopback (the chroot shares the network),
creates an enrolment code and runs `deploy/kiosk/provision.sh --server ... --code ...`
inside the chroot: apt, the user, the virtualenv with pip, the token, the units enabled
offline (no systemd runs in a chroot). Then runs it again and checks that nothing changed.
Prints each run's output and duration; exit 0 when both runs did what they should.

With --bundle, the kiosk's first signed release too, as a city would ship it: a real bundle
of this checkout with every dependency's wheel (`python -m kiosk.release build --with-deps`:
Kivy & co. from the package index), signed with a key made for the run, given to both runs
(`--bundle ... --public-key ...`); checked: `current` -> releases/<version>, owned by the
kiosk's user (installed by `runuser` as that user: the chroot runs as real root), the
systemd drop-in in place, `[updates]` on with the key. --start-kiosk then starts the kiosk
as the drop-in does: the boot guard, then `current`'s carrefour-kiosk.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tests.support.servers import demo_server

ROOT = Path(__file__).resolve().parent.parent.parent
# A fresh machine's root shell: none of this one's PIP_*, proxies' variables or venv.
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb"}
SKIP = {".git", ".venv", "var", "__pycache__", ".pytest_cache", ".ruff_cache", "artifacts",
        "node_modules"}


def sh(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def copy_checkout(dest: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(ROOT, arcname=".", filter=lambda info: None
                if set(Path(info.name).parts) & SKIP or info.name.endswith(".egg-info") else info)
    buf.seek(0)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=buf) as tar:
        tar.extractall(dest, filter="tar")


def last_seen(server) -> str:
    """When the server last heard from the chroot's kiosk ("None": never)."""
    out = server.manage("shell", "-c", "from kiosk.server.devices.models import Kiosk\n"
                        "print('SEEN', Kiosk.objects.get(name='chroot-kiosk').last_seen_at)")
    return out.split("SEEN", 1)[1].strip()


APP = "/var/lib/carrefour-kiosk/app"  # the release root of deploy/kiosk/provision_release.py
DROPIN = "etc/systemd/system/carrefour-kiosk.service.d/10-signed-updates.conf"


def build_bundle(work: Path) -> tuple[Path, str, str]:
    """A signed bundle of this checkout with all its dependencies: (path, public key, version)."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    key, bundle = work / "release-key.pem", work / f"carrefour-kiosk-{version}.tar"
    public = subprocess.run([sys.executable, "-m", "kiosk.release", "keygen", "--private",
                             str(key)], check=True, capture_output=True, text=True).stdout.strip()
    start = time.monotonic()
    sh(sys.executable, "-m", "kiosk.release", "build", "--version", version, "--key", str(key),
       "--out", str(bundle), "--project", str(ROOT), "--with-deps", cwd=ROOT)
    with tarfile.open(bundle) as tar:
        wheels = [n for n in tar.getnames() if n.endswith(".whl")]
    print(f"bundle {bundle.name}: {len(wheels)} wheels, {bundle.stat().st_size / 1e6:.0f} MB, "
          f"built in {time.monotonic() - start:.0f} s", flush=True)
    return bundle, public, version


def release_in_place(chroot: Path, version: str, public: str) -> bool:
    """What provision.sh --bundle leaves: the release current, the kiosk user's, the drop-in,
    and the config's [updates] pinned to the run's key."""
    import tomllib

    uid = next(int(line.split(":")[2]) for line in (chroot / "etc/passwd").read_text().splitlines()
               if line.startswith("carrefour:"))
    app = chroot / APP.lstrip("/")
    current = app / "current"
    checks = {
        "current -> the release": current.is_symlink()
        and Path(os.readlink(current)).name == version,
        "its carrefour-kiosk": (app / "releases" / version / "bin/carrefour-kiosk").exists(),
        "owned by the kiosk's user": all(
            path.lstat().st_uid == uid for path in (app, app / "releases" / version,
                                                   app / "releases" / version / "bin/python")),
        "the drop-in": (chroot / DROPIN).is_file(),
    }
    updates = tomllib.loads((chroot / "etc/carrefour/kiosk.toml").read_text()).get("updates", {})
    checks["[updates] on, the key pinned"] = (updates.get("enabled") is True
                                               and updates.get("public_keys") == [public])
    for what, ok in checks.items():
        print(f"  {'ok' if ok else 'NOT OK'}: {what}", flush=True)
    return all(checks.values())


def start_kiosk(chroot: Path, server, mounts: list[Path], bundle: bool = False) -> bool:
    """The installed kiosk, run as its unit runs it (user, credential, state directory), on
    this machine's Xvfb: True when the server saw its token and SIGTERM ended it with 0.
    `bundle`: as the signed-updates drop-in runs it (its boot guard first, then `current`)."""
    from tests.support.xvfb import xvfb

    uid = gid = None
    for line in (chroot / "etc/passwd").read_text().splitlines():
        if line.startswith("carrefour:"):
            uid, gid = int(line.split(":")[2]), int(line.split(":")[3])
    cred = chroot / "run/credentials/carrefour-kiosk.service"  # what LoadCredential= makes
    cred.mkdir(parents=True, exist_ok=True)
    shutil.copy(chroot / "etc/carrefour/kiosk-token", cred / "kiosk-token")
    os.chown(cred / "kiosk-token", uid, gid)
    state = chroot / "var/lib/carrefour-kiosk"  # StateDirectory=
    state.mkdir(mode=0o750, exist_ok=True)
    os.chown(state, uid, gid)
    x11 = chroot / "tmp/.X11-unix"
    x11.mkdir(parents=True, exist_ok=True)
    sh("mount", "--bind", "/tmp/.X11-unix", str(x11))
    mounts.append(x11)
    before = last_seen(server)
    with xvfb(1280, 800) as display:
        env = {**CLEAN_ENV, "DISPLAY": display, "HOME": "/var/lib/carrefour-kiosk",
               "KIVY_HOME": "/var/lib/carrefour-kiosk/kivy", "PYTHONUNBUFFERED": "1",
               "CARREFOUR_KIOSK_TOKEN": "file:/run/credentials/carrefour-kiosk.service/kiosk-token"}
        as_kiosk = ["chroot", "--userspec=carrefour:carrefour", str(chroot)]
        program = "/opt/carrefour/venv/bin/carrefour-kiosk"
        if bundle:  # the drop-in's ExecStartPre, then its ExecStart
            guard = subprocess.run([*as_kiosk, "/usr/bin/python3",
                                    "/opt/carrefour/src/kiosk/release/guard.py", "--root", APP],
                                   env=env, capture_output=True, text=True)
            print(f"boot guard: exit {guard.returncode} {guard.stdout}{guard.stderr}", flush=True)
            if guard.returncode != 0:
                return False
            program = f"{APP}/current/bin/carrefour-kiosk"
        print(f"starting {program} as carrefour", flush=True)
        log = open(chroot.parent / "kiosk.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen([*as_kiosk, program, "--config", "/etc/carrefour/kiosk.toml"],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        start = time.monotonic()
        seen = False
        try:
            while time.monotonic() - start < 120 and proc.poll() is None:
                # Each check is a Django start (~2 s apart); the provisioning's own check of
                # the token counts as a visit: only a later one is the kiosk's.
                if last_seen(server) != before:
                    seen = True
                    break
            print(f"kiosk {'seen by the server' if seen else 'NOT seen'} after "
                  f"{time.monotonic() - start:.0f} s", flush=True)
        finally:
            stop = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            log.close()
        print(f"SIGTERM: exit {code} in {time.monotonic() - stop:.1f} s; log "
              f"{chroot.parent / 'kiosk.log'}", flush=True)
    errors = [line for line in (chroot.parent / "kiosk.log").read_text().splitlines()
              if "[ERROR" in line or "Traceback" in line]
    print(f"{len(errors)} error line(s) in the kiosk's log", *errors[:5], sep="\n", flush=True)
    return seen and code == 0 and not errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pristine", help="a debootstrap'd chroot to copy instead of building")
    parser.add_argument("--chroot", default="", help="where to build it (default: a temp dir)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--start-kiosk", action="store_true",
                        help="then start the installed kiosk on an Xvfb screen, as its unit "
                        "would, until the server sees it; stop it with SIGTERM")
    parser.add_argument("--bundle", action="store_true",
                        help="also install the kiosk's first signed release: a bundle of this "
                        "checkout with all its dependencies (needs the package index)")
    args = parser.parse_args()
    work = Path(args.chroot or tempfile.mkdtemp(prefix="carrefour-chroot-"))
    work.mkdir(parents=True, exist_ok=True)
    chroot = work / "root"
    mounts: list[Path] = []
    t0 = time.monotonic()
    try:
        if args.pristine:
            sh("cp", "-a", args.pristine, str(chroot))
        else:
            sh("debootstrap", "--variant=minbase", "bookworm", str(chroot),
               "http://deb.debian.org/debian", stdout=subprocess.DEVNULL)
        print(f"chroot ready in {time.monotonic() - t0:.0f} s", flush=True)
        shutil.copy("/etc/resolv.conf", chroot / "etc/resolv.conf")
        # Packages' scripts must not start services in a chroot.
        policy = chroot / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        # This machine reaches the network through a proxy with its own CA: the chroot gets
        # it like an organisation's Debian image would (update-ca-certificates, run by the
        # ca-certificates package the provisioning installs, adds it).
        local_cas = chroot / "usr/local/share/ca-certificates"
        local_cas.mkdir(parents=True, exist_ok=True)
        for ca in Path("/usr/local/share/ca-certificates").glob("*.crt"):
            shutil.copy(ca, local_cas / ca.name)
        for fs in ("proc", "dev", "sys"):
            sh("mount", "--bind", f"/{fs}", str(chroot / fs))
            mounts.append(chroot / fs)
        copy_checkout(chroot / "root/carrefour")
        release: list[str] = []
        if args.bundle:
            bundle, public, version = build_bundle(work)
            shutil.copy(bundle, chroot / "root" / bundle.name)
            release = ["--bundle", f"/root/{bundle.name}", "--public-key", public]
        with demo_server(work / "server", sqlite_only=True) as server:
            code = server.manage("create_enrolment_code", "paris-19").split()[-1]
            ok = True
            for attempt in (1, 2):
                start = time.monotonic()
                run = subprocess.run(
                    ["chroot", str(chroot), "/root/carrefour/deploy/kiosk/provision.sh",
                     "--server", server.url, "--code", code, "--hostname", "chroot-kiosk",
                     *release],
                    capture_output=True, text=True, env=CLEAN_ENV)
                took = time.monotonic() - start
                print(f"--- run {attempt}: exit {run.returncode} in {took:.0f} s\n{run.stdout}"
                      f"{run.stderr}", flush=True)
                ok &= run.returncode == 0
                if attempt == 2:
                    ok &= "Nothing changed" in run.stdout
            token = chroot / "etc/carrefour/kiosk-token"
            ok &= token.is_file() and oct(token.stat().st_mode & 0o777) == "0o600"
            kiosk = chroot / "opt/carrefour/venv/bin/carrefour-kiosk"
            ok &= kiosk.exists()
            print(f"token {oct(token.stat().st_mode & 0o777) if token.exists() else 'missing'}, "
                  f"carrefour-kiosk {'installed' if kiosk.exists() else 'missing'}; "
                  f"total {time.monotonic() - t0:.0f} s", flush=True)
            if args.bundle:
                ok &= release_in_place(chroot, version, public)
            if ok and args.start_kiosk:
                ok &= start_kiosk(chroot, server, mounts, bundle=args.bundle)
        return 0 if ok else 1
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "--lazy", str(mount)], check=False)
        # Never delete through a mount that is still there (it would be the host's /dev).
        if not args.keep and not any(m.is_mount() for m in mounts):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
