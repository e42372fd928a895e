"""A real provisioning run into a Debian 12 chroot made with debootstrap (slow, needs the
network: not part of `make test`; deploy/kiosk/README.md gives the figures).

    .venv/bin/python -m tests.deploy.provision_chroot [--chroot DIR] [--keep] [--bundle]
                                                      [--start-kiosk] [--update]

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

With --update (and --bundle), a remote update end to end with the real kiosk: two more
builds of this checkout (9.0.1, and 9.0.2 whose program exits before any frame) signed with
the run's key and uploaded to the server; the script plays systemd (guard, `current`,
restart on every exit). 9.0.1 chosen for the kiosk in the server: fetched, installed
beside the running release and switched to by the kiosk, confirmed; 9.0.2 chosen: switched
to, dies, rolled back by the guard, 9.0.1 runs again and the server hears "rolled_back".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
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


def project_version(project: Path) -> str:
    import tomllib

    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["version"]


def make_key(work: Path) -> tuple[Path, str]:
    """A release key for the run: (private key file, public key to pin)."""
    key = work / "release-key.pem"
    public = subprocess.run([sys.executable, "-m", "kiosk.release", "keygen", "--private",
                             str(key)], check=True, capture_output=True, text=True).stdout.strip()
    return key, public


def build_bundle(work: Path, key: Path, project: Path = ROOT) -> tuple[Path, str]:
    """A signed bundle of `project` with all its dependencies: (path, version)."""
    version = project_version(project)
    bundle = work / f"carrefour-kiosk-{version}.tar"
    start = time.monotonic()
    sh(sys.executable, "-m", "kiosk.release", "build", "--version", version, "--key", str(key),
       "--out", str(bundle), "--project", str(project), "--with-deps", cwd=project)
    with tarfile.open(bundle) as tar:
        wheels = [n for n in tar.getnames() if n.endswith(".whl")]
    print(f"bundle {bundle.name}: {len(wheels)} wheels, {bundle.stat().st_size / 1e6:.0f} MB, "
          f"built in {time.monotonic() - start:.0f} s", flush=True)
    return bundle, version


def next_build(work: Path, key: Path, version: str, broken: bool = False) -> Path:
    """This checkout as another version of the kiosk (pyproject and kiosk.__version__), or a
    broken one: its program exits at once, before any frame (an error in a release)."""
    src = work / f"src-{version}"
    copy_checkout(src)
    for name, pattern, line in (("pyproject.toml", r'^version = ".*"$', f'version = "{version}"'),
                                ("kiosk/__init__.py", r'^__version__ = ".*"$',
                                 f'__version__ = "{version}"')):
        path = src / name
        path.write_text(re.sub(pattern, line, path.read_text(), count=1, flags=re.M))
    if broken:
        with open(src / "kiosk/ui/app.py", "a", encoding="utf-8") as app:
            app.write("\n\ndef main(argv=None):  # a broken build (tests/deploy/provision_chroot.py)\n"
                      "    raise SystemExit('carrefour-kiosk: a broken build')\n")
    bundle, built = build_bundle(work, key, src)
    assert built == version, (built, version)
    shutil.rmtree(src)
    return bundle


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


AS_KIOSK = ["--userspec=carrefour:carrefour"]
GUARD = ["/usr/bin/python3", "/opt/carrefour/src/kiosk/release/guard.py", "--root", APP]
CONFIG = ["--config", "/etc/carrefour/kiosk.toml"]


def terminate(process: subprocess.Popen) -> int:
    """SIGTERM, as `systemctl stop` sends it (SIGKILL past 15 s): the exit status."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@contextlib.contextmanager
def as_the_unit(chroot: Path, mounts: list[Path]):
    """What carrefour-kiosk.service gives the kiosk (its credential, its state directory)
    and an Xvfb screen of this machine: yields the environment to run it with."""
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
    if x11 not in mounts:
        sh("mount", "--bind", "/tmp/.X11-unix", str(x11))
        mounts.append(x11)
    with xvfb(1280, 800) as display:
        yield {**CLEAN_ENV, "DISPLAY": display, "HOME": "/var/lib/carrefour-kiosk",
               "KIVY_HOME": "/var/lib/carrefour-kiosk/kivy", "PYTHONUNBUFFERED": "1",
               "CARREFOUR_KIOSK_TOKEN": "file:/run/credentials/carrefour-kiosk.service/kiosk-token"}


def start_kiosk(chroot: Path, server, mounts: list[Path], bundle: bool = False) -> bool:
    """The installed kiosk, run as its unit runs it (user, credential, state directory), on
    this machine's Xvfb: True when the server saw its token and SIGTERM ended it with 0.
    `bundle`: as the signed-updates drop-in runs it (its boot guard first, then `current`)."""
    before = last_seen(server)
    with as_the_unit(chroot, mounts) as env:
        as_kiosk = ["chroot", *AS_KIOSK, str(chroot)]
        program = "/opt/carrefour/venv/bin/carrefour-kiosk"
        if bundle:  # the drop-in's ExecStartPre, then its ExecStart
            guard = subprocess.run([*as_kiosk, *GUARD], env=env, capture_output=True, text=True)
            print(f"boot guard: exit {guard.returncode} {guard.stdout}{guard.stderr}", flush=True)
            if guard.returncode != 0:
                return False
            program = f"{APP}/current/bin/carrefour-kiosk"
        print(f"starting {program} as carrefour", flush=True)
        log = open(chroot.parent / "kiosk.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen([*as_kiosk, program, *CONFIG],
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
            code = terminate(proc)
            log.close()
        print(f"SIGTERM: exit {code} in {time.monotonic() - stop:.1f} s; log "
              f"{chroot.parent / 'kiosk.log'}", flush=True)
    errors = [line for line in (chroot.parent / "kiosk.log").read_text().splitlines()
              if "[ERROR" in line or "Traceback" in line]
    print(f"{len(errors)} error line(s) in the kiosk's log", *errors[:5], sep="\n", flush=True)
    return seen and code == 0 and not errors


class Unit(threading.Thread):
    """systemd's part for carrefour-kiosk.service with the signed-updates drop-in:
    `ExecStartPre=` the boot guard, `ExecStart=current/bin/carrefour-kiosk`, restarted on
    every exit (Restart=always); `runs` lists each start: [version, exit status, seconds]."""

    def __init__(self, chroot: Path, env: dict, log: Path):
        super().__init__(name="chroot-unit", daemon=True)
        self.chroot, self.env, self.log = chroot, env, log
        self.runs: list[list] = []
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None

    def run(self) -> None:
        as_kiosk = ["chroot", *AS_KIOSK, str(self.chroot)]
        with open(self.log, "ab") as log:
            while not self.stopping.is_set():
                subprocess.run([*as_kiosk, *GUARD], env=self.env, stdout=log,
                               stderr=subprocess.STDOUT, check=False)
                version = Path(os.readlink(self.chroot / APP.lstrip("/") / "current")).name
                run = [version, None, time.monotonic()]
                self.runs.append(run)
                self.process = subprocess.Popen(
                    [*as_kiosk, f"{APP}/current/bin/carrefour-kiosk", *CONFIG],
                    env=self.env, stdout=log, stderr=subprocess.STDOUT)
                run[1] = self.process.wait()
                run[2] = round(time.monotonic() - run[2], 1)

    def stop(self) -> int | None:
        """SIGTERM, as `systemctl stop`: the kiosk's exit status."""
        self.stopping.set()
        if self.process is None:
            return None
        code = terminate(self.process)
        self.join(30)
        return code


def kiosk_row(server) -> dict:
    """What the fleet page shows of the chroot's kiosk (the server's row)."""
    out = server.manage("shell", "-c", "import json\n"
                        "from kiosk.server.devices.models import Kiosk\n"
                        "k = Kiosk.objects.get(name='chroot-kiosk')\n"
                        "print('ROW', json.dumps({'version': k.version, 'state': k.update_state,"
                        " 'update': k.update_version, 'detail': k.update_detail}))")
    return json.loads(out.split("ROW", 1)[1])


def wait_row(server, what: str, ok, deadline: float = 300) -> bool:
    start = time.monotonic()
    while time.monotonic() - start < deadline:  # each look is a Django start (~2 s)
        row = kiosk_row(server)
        if ok(row):
            print(f"  {what}: after {time.monotonic() - start:.0f} s {row}", flush=True)
            return True
    print(f"  {what}: NOT within {deadline:.0f} s {kiosk_row(server)}", flush=True)
    return False


def updates_end_to_end(chroot: Path, server, work: Path, key: Path, first: str,
                       mounts: list[Path]) -> bool:
    """Two more builds of the real kiosk, uploaded to the server: the next version chosen
    for this kiosk is fetched, installed beside the running one and switched to by the
    kiosk itself, then a broken build chosen is rolled back by the boot guard."""
    good = next_build(work, key, "9.0.1")
    broken = next_build(work, key, "9.0.2", broken=True)
    for bundle in (good, broken):
        print("server:", server.manage("release", "add", str(bundle)).strip(), flush=True)
    ok = True
    with as_the_unit(chroot, mounts) as env:
        unit = Unit(chroot, env, work / "unit.log")
        unit.start()
        try:
            ok &= wait_row(server, f"{first} running and heard from",
                           lambda row: row["version"] == first)
            print("server:", server.manage("release", "kiosk", "paris-19", "chroot-kiosk",
                                           "9.0.1").strip(), flush=True)
            ok = ok and wait_row(server, "9.0.1 fetched, installed, switched to, confirmed",
                                 lambda row: row["version"] == "9.0.1"
                                 and row["state"] == "confirmed")
            print("server:", server.manage("release", "kiosk", "paris-19", "chroot-kiosk",
                                           "9.0.2").strip(), flush=True)
            switched = time.monotonic()
            ok = ok and wait_row(server, "the broken 9.0.2 rolled back, 9.0.1 running",
                                 lambda row: row["state"] == "rolled_back"
                                 and row["update"] == "9.0.2" and row["version"] == "9.0.1")
            print(f"  from the choice of 9.0.2 to 9.0.1 running again: "
                  f"{time.monotonic() - switched:.0f} s", flush=True)
        finally:
            code = unit.stop()
    print(f"starts (version, exit status, seconds): {unit.runs}; SIGTERM: exit {code}",
          flush=True)
    versions = [run[0] for run in unit.runs]
    ok &= versions[:2] == [first, "9.0.1"] and "9.0.2" in versions and versions[-1] == "9.0.1"
    ok &= unit.runs[0][1] == 75 and code == 0  # the switch's restart; a clean stop
    current = Path(os.readlink(chroot / APP.lstrip("/") / "current")).name
    print(f"current -> {current}", flush=True)
    return ok and current == "9.0.1"


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
    parser.add_argument("--update", action="store_true",
                        help="with --bundle: then two more builds of the kiosk through the "
                        "server, a good one the kiosk updates itself to and a broken one it "
                        "rolls back")
    args = parser.parse_args()
    if args.update and not args.bundle:
        parser.error("--update needs --bundle")
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
            key, public = make_key(work)
            bundle, version = build_bundle(work, key)
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
            if ok and args.update:
                ok &= updates_end_to_end(chroot, server, work, key, version, mounts)
        return 0 if ok else 1
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "--lazy", str(mount)], check=False)
        # Never delete through a mount that is still there (it would be the host's /dev).
        if not args.keep and not any(m.is_mount() for m in mounts):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
