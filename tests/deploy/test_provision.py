"""deploy/kiosk/provision.sh against a real server (tests/support/servers.demo_server): check
mode changes nothing and spends nothing; a run into a fake root (--root, no apt, no app
build) writes the token, the config and the units, enables the units with `systemctl
--root`; a second run changes nothing, file by file, and spends no code; refused codes
stop the run before anything is written. What this machine cannot test (apt, the
virtualenv, a booted systemd) is listed in deploy/kiosk/README.md."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
import requests

from tests.support.patience import LIVE_TIMEOUT
from tests.support.servers import demo_server

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "deploy" / "kiosk" / "provision.sh"
UNITS = ("carrefour-xorg.service", "carrefour-kiosk.service",
         "carrefour-kiosk-restart.service", "carrefour-kiosk-restart.timer")
FAKE_ROOT_FLAGS = ("--no-apt", "--skip", "app")

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("useradd") is None, reason="no useradd")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Each provisioning run asks the server twice (check, then enrol): room for all of them.
    with demo_server(tmp_path_factory.mktemp("provision-server"), sqlite_only=True,
                     extra_env={"RATELIMIT_ENROL": "100/h"}) as srv:
        yield srv


def new_code(server, hours: int = 24) -> str:
    return server.manage("create_enrolment_code", "paris-19", "--hours", str(hours)).split()[-1]


def fake_root(tmp_path: Path) -> Path:
    """An empty machine: the account files useradd edits, and the systemd targets the
    units are enabled into (systemctl --root refuses a default target that does not exist)."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\n")
    (root / "etc/shadow").write_text("root:*:20000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\n")
    for name in ("shadow", "gshadow"):
        (root / "etc" / name).chmod(0o640)
    targets = root / "lib/systemd/system"
    targets.mkdir(parents=True)
    for unit in ("multi-user.target", "timers.target", "basic.target", "sysinit.target"):
        host = Path("/lib/systemd/system") / unit
        if host.exists():
            shutil.copy(host, targets / unit)
    return root


def provision(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def tree(root: Path) -> dict[str, tuple]:
    """Every file and link under `root`: content (or link target), mode, mtime."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            state[str(path.relative_to(root))] = ("link", str(path.readlink()))
        elif path.is_file():
            state[str(path.relative_to(root))] = (path.read_bytes(), stat.S_IMODE(info.st_mode),
                                                 info.st_mtime_ns)
    return state


def still_valid(server, code: str) -> bool:
    r = requests.post(f"{server.url}/api/v1/enrol/check", json={"code": code}, timeout=LIVE_TIMEOUT)
    return r.status_code == 200


def test_check_mode_says_what_it_would_do_and_changes_nothing(server, tmp_path):
    root = fake_root(tmp_path)
    before = tree(root)
    code = new_code(server)
    run = provision("--check", "--root", str(root), "--server", server.url, "--code", code,
                    *FAKE_ROOT_FLAGS)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "Code valid for Mairie du 19e arrondissement (paris-19)" in out
    assert "would   enrol with the code as a new kiosk of paris-19" in out
    assert "would   create the system user carrefour" in out
    for unit in UNITS:
        assert f"would   create /etc/systemd/system/{unit}" in out
    assert "would   write /etc/carrefour/kiosk.toml" in out
    assert "would   enable carrefour-kiosk.service" in out
    assert "change" not in out.split()
    assert "Check: " in out and "change(s) would be made" in out
    assert tree(root) == before
    assert still_valid(server, code)


def test_a_run_into_a_fake_root_then_a_second_run_that_changes_nothing(server, tmp_path):
    root = fake_root(tmp_path)
    code = new_code(server)
    first = provision("--root", str(root), "--server", server.url, "--code", code,
                      "--hostname", "borne-provision", *FAKE_ROOT_FLAGS)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Enrolled as kiosk 'borne-provision' of Mairie du 19e arrondissement." in first.stdout
    assert not still_valid(server, code)  # spent

    etc = root / "etc/carrefour"
    token_file = etc / "kiosk-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.stat().st_uid == 0  # root only: systemd hands it to the service
    token = token_file.read_text().strip()
    answer = requests.get(f"{server.url}/api/v1/content",
                          headers={"Authorization": f"Bearer {token}"}, timeout=LIVE_TIMEOUT)
    assert answer.status_code == 200  # the token written works

    assert stat.S_IMODE((etc / "kiosk.toml").stat().st_mode) == 0o644
    config = tomllib.loads((etc / "kiosk.toml").read_text())
    assert config["server"]["server_url"] == server.url
    assert config["server"]["site"] == "paris-19"
    assert config["server"]["site_name"] == "Mairie du 19e arrondissement"
    assert config["server"]["time_zone"] == "Europe/Paris"
    assert config["server"]["token"] == "file:/etc/carrefour/kiosk-token"
    assert config["kiosk"]["assets_dir"] == "/opt/carrefour/src/assets"
    assert token not in (etc / "kiosk.toml").read_text()
    from kiosk.config import load_config  # the kiosk itself accepts it

    loaded = load_config(etc / "kiosk.toml", token="read-from-the-credential")
    assert loaded.site == "paris-19" and str(loaded.assets_dir) == "/opt/carrefour/src/assets"

    record = json.loads((etc / "enrolment.json").read_text())
    assert record["site"] == "paris-19" and record["kiosk_name"] == "borne-provision"
    assert token not in json.dumps(record)
    assert stat.S_IMODE((etc / "enrolment.json").stat().st_mode) == 0o644

    for unit in UNITS:
        installed = root / "etc/systemd/system" / unit
        assert installed.read_bytes() == (ROOT / "deploy/kiosk" / unit).read_bytes()
        assert stat.S_IMODE(installed.stat().st_mode) == 0o644
    assert (root / "etc/X11/xorg.conf.d/10-carrefour-kiosk.conf").read_bytes() == \
        (ROOT / "deploy/kiosk/10-carrefour-kiosk.conf").read_bytes()
    assert (root / "etc/udev/rules.d/60-carrefour-printer.rules").is_file()
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "carrefour-kiosk.service").is_symlink()
    assert (wants / "carrefour-xorg.service").is_symlink()
    assert (root / "etc/systemd/system/timers.target.wants/carrefour-kiosk-restart.timer").is_symlink()
    default = root / "etc/systemd/system/default.target"
    assert default.is_symlink() and default.readlink().name == "multi-user.target"

    user = next(line for line in (root / "etc/passwd").read_text().splitlines()
                if line.startswith("carrefour:"))
    assert user.split(":")[5:] == ["/var/lib/carrefour-kiosk", "/usr/sbin/nologin"]
    assert int(user.split(":")[2]) < 1000  # a system user
    assert (root / "opt/carrefour/src/kiosk/config.py").read_bytes() == \
        (ROOT / "kiosk/config.py").read_bytes()
    assert not (root / "opt/carrefour/src/tests").exists()

    # Again, with a fresh code: nothing changes, file by file, and the code is not spent.
    before = tree(root)
    other = new_code(server)
    second = provision("--root", str(root), "--server", server.url, "--code", other,
                       *FAKE_ROOT_FLAGS)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Nothing changed: this kiosk was already provisioned." in second.stdout
    assert "(no code spent)" in second.stdout
    assert tree(root) == before
    assert still_valid(server, other)
    check = provision("--check", "--root", str(root), *FAKE_ROOT_FLAGS)
    assert check.returncode == 0 and "Check: nothing to do" in check.stdout

    # A unit changed by hand is put back; the kiosk's own config is left alone.
    (root / "etc/systemd/system/carrefour-kiosk.service").write_text("# edited\n")
    (etc / "kiosk.toml").write_text((etc / "kiosk.toml").read_text() + "\n# printer set up\n")
    third = provision("--root", str(root), *FAKE_ROOT_FLAGS)
    assert third.returncode == 0
    assert "updated /etc/systemd/system/carrefour-kiosk.service" in third.stdout
    assert "Done: 1 change(s) made." in third.stdout
    assert (etc / "kiosk.toml").read_text().endswith("# printer set up\n")


@pytest.mark.parametrize("problem", ["expired", "used", "unknown"])
def test_a_refused_code_stops_before_anything_is_written(server, tmp_path, problem):
    root = fake_root(tmp_path)
    before = tree(root)
    if problem == "expired":
        code = server.manage("shell", "-c", (
            "import datetime as dt\n"
            "from django.utils import timezone\n"
            "from kiosk.server.content.models import Site\n"
            "from kiosk.server.enrolment.services import create_code\n"
            "now = timezone.now() - dt.timedelta(hours=2)\n"
            "print(create_code(Site.objects.get(slug='paris-19'), None, hours=1, now=now)[1])"
        )).split()[-1]  # the code is the last line (after any log line)
    elif problem == "used":
        code = new_code(server)
        assert requests.post(f"{server.url}/api/v1/enrol", json={"code": code},
                             timeout=LIVE_TIMEOUT).status_code == 201
    else:
        code = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    run = provision("--root", str(root), "--server", server.url, "--code", code,
                    *FAKE_ROOT_FLAGS)
    assert run.returncode == 2
    assert "enrolment code refused" in run.stderr and problem in run.stderr.lower()
    assert tree(root) == before


def test_without_a_server_or_a_code_it_says_what_is_missing(tmp_path):
    root = fake_root(tmp_path)
    run = provision("--check", "--root", str(root), *FAKE_ROOT_FLAGS)
    assert run.returncode == 2 and "--server" in run.stderr
    run = provision("--check", "--root", str(root), "--server", "http://127.0.0.1:9",
                    *FAKE_ROOT_FLAGS)
    assert run.returncode == 2 and "--code" in run.stderr
    run = provision("--check", "--root", str(root), "--server", "http://127.0.0.1:9",
                    "--code", "7K2M-Q9XD-4TNA-H3RB", *FAKE_ROOT_FLAGS)
    assert run.returncode == 2 and "cannot reach the server" in run.stderr


def test_built_pictograms_are_made_readable_for_the_kiosk_user(tmp_path):
    """The renderers leave their PNGs 0600 root (temporary files moved into place): the
    kiosk, another user, could not show them (found by the real run in a chroot)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("provision", ROOT / "deploy/kiosk/provision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build = tmp_path / "opt/carrefour/src/assets/pictograms/build"
    build.mkdir(parents=True)
    (build / "agent.png").write_bytes(b"png")
    (build / "agent.png").chmod(0o600)
    lines: list[str] = []
    args = module.parse_args(["--root", str(tmp_path), "--check"])
    module.Provisioner(args, out=lines.append).built_assets_readable()
    assert stat.S_IMODE((build / "agent.png").stat().st_mode) == 0o600  # check: unchanged
    assert any("would" in line and "readable" in line for line in lines)
    args = module.parse_args(["--root", str(tmp_path)])
    provisioner = module.Provisioner(args, out=lines.append)
    provisioner.built_assets_readable()
    assert stat.S_IMODE((build / "agent.png").stat().st_mode) == 0o644
    provisioner.built_assets_readable()
    assert len(provisioner.changes) == 1  # the second call found nothing to do
