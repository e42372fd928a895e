"""provision.sh --bundle (deploy/kiosk/provision_release.py): the kiosk's first signed
release installed into a fake root by the real `python -m kiosk.release install` (a small
stand-in wheel, bundled and signed here with Ed25519), the [updates] section and the
systemd drop-in; a second run changes nothing; a newer bundle switches on probation; a
bundle signed with another key stops the run with nothing changed. No server: the fake
root is already enrolled (its token and enrolment.json are written here)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.release import guard
from kiosk.release.bundle import build_bundle, generate_key, load_private_key
from kiosk.release.install import Releases
from kiosk.sync.updater import load_update_config
from tests.deploy.test_provision import ROOT, SCRIPT, fake_root, tree
from tests.support.standin import make_wheel

APP = "var/lib/carrefour-kiosk/app"
DROPIN = "etc/systemd/system/carrefour-kiosk.service.d/10-signed-updates.conf"
# No apt, no virtualenv build, no source copy (not what is tested here, and the checkout
# may change under a long run); kiosk.release runs with this test's interpreter.
FLAGS = ("--no-apt", "--skip", "app", "--skip", "source", "--release-python", sys.executable)

pytestmark = pytest.mark.skipif(shutil.which("useradd") is None, reason="no useradd")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """Bundles 2.0 and 2.1 signed with the release key, 2.1 also with another key."""
    out = tmp_path_factory.mktemp("bundles")
    pem, public = generate_key()
    other_pem, _ = generate_key()
    bundles = {}
    for version, key, name in (("2.0", pem, "b-2.0.tar"), ("2.1", pem, "b-2.1.tar"),
                               ("2.1", other_pem, "other-2.1.tar")):
        wheel = make_wheel(out / name.removesuffix(".tar"), version)
        bundles[name] = build_bundle(out / name, version, f"carrefour_standin=={version}",
                                     [wheel], load_private_key(key))
    return public, bundles


def enrolled_root(tmp_path: Path) -> Path:
    root = fake_root(tmp_path)
    etc = root / "etc/carrefour"
    etc.mkdir(parents=True)
    (etc / "enrolment.json").write_text(json.dumps({
        "server_url": "http://127.0.0.1:9", "site": "paris-19",
        "site_name": "Mairie du 19e arrondissement", "time_zone": "Europe/Paris",
        "kiosk_name": "borne-release"}))
    (etc / "kiosk-token").write_text("a-token\n")
    (etc / "kiosk-token").chmod(0o600)
    return root


def provision(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "--root", str(root), *FLAGS, *args],
                          capture_output=True, text=True, timeout=300)


def test_check_mode_with_a_bundle_verifies_it_and_changes_nothing(release, tmp_path):
    public, bundles = release
    root = enrolled_root(tmp_path)
    before = tree(root)
    run = provision(root, "--check", "--bundle", str(bundles["b-2.0.tar"]),
                    "--public-key", public)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Bundle b-2.0.tar: 2.0: signature and 1 files OK." in run.stdout
    assert ("would   verify and install release 2.0 into /var/lib/carrefour-kiosk/app/"
            "releases/2.0") in run.stdout
    assert f"would   create /{DROPIN}" in run.stdout
    assert "Signed updates: would be on, the kiosk running release 2.0" in run.stdout
    assert tree(root) == before


def test_first_release_then_runs_that_change_nothing_then_a_newer_bundle(release, tmp_path):
    public, bundles = release
    root = enrolled_root(tmp_path)
    config = root / "etc/carrefour/kiosk.toml"

    # A kiosk provisioned without a bundle: the venv, updates off, and it says how.
    plain = provision(root)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "Signed updates: off, the kiosk runs /opt/carrefour/venv" in plain.stdout
    assert "--bundle" in plain.stdout.splitlines()[-1]
    assert not (root / DROPIN).exists() and not (root / APP).exists()
    assert tomllib.loads(config.read_text())["updates"]["enabled"] is False
    config.write_text(config.read_text() + "\n# printer set up by hand\n")

    first = provision(root, "--bundle", str(bundles["b-2.0.tar"]), "--public-key", public)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "change  verified and installed release 2.0" in first.stdout
    app = root / APP
    releases = Releases(app)
    assert releases.current_version() == "2.0"
    assert (app / "releases/2.0/bin/carrefour-kiosk").exists()  # the bundle's wheel, by pip
    assert releases.pending() is None and releases.state()["state"] == "confirmed"
    assert sorted(p.name for p in app.iterdir()) == ["current", "releases", "update"]
    # The config: [updates] on, read by the kiosk's own loaders; the local edit kept.
    assert "updated /etc/carrefour/kiosk.toml [updates]" in first.stdout
    text = config.read_text()
    assert text.endswith("# printer set up by hand\n")
    updates = load_update_config(config)
    assert updates.enabled and updates.public_keys == (public,)
    assert updates.root == Path("/var/lib/carrefour-kiosk/app")
    from kiosk.config import load_config

    assert load_config(config, token="t").site == "paris-19"
    assert (root / DROPIN).read_bytes() == \
        (ROOT / "deploy/kiosk/carrefour-kiosk.service.d/10-signed-updates.conf").read_bytes()
    assert "Signed updates: on, the kiosk runs release 2.0" in first.stdout

    # Again with the same bundle, then without one: nothing changes, file by file.
    before = tree(root)
    again = provision(root, "--bundle", str(bundles["b-2.0.tar"]), "--public-key", public)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "release 2.0 already current" in again.stdout
    assert "Nothing changed: this kiosk was already provisioned." in again.stdout
    assert tree(root) == before
    bare = provision(root)
    assert bare.returncode == 0 and "Nothing changed" in bare.stdout
    assert "Signed updates: on, the kiosk runs release 2.0" in bare.stdout
    assert tree(root) == before

    # Signed with another key: refused, 2.0 stays current, nothing written.
    bad = provision(root, "--bundle", str(bundles["other-2.1.tar"]))
    assert bad.returncode == 2
    assert "bad_signature" in bad.stderr and "nothing installed or switched" in bad.stderr
    assert tree(root) == before

    # A newer bundle (the key from the config): installed and switched on probation, as a
    # remote update is; the boot guard lets it try once and would go back to 2.0.
    newer = provision(root, "--bundle", str(bundles["b-2.1.tar"]))
    assert newer.returncode == 0, newer.stdout + newer.stderr
    assert "(was 2.0: on probation" in newer.stdout
    assert releases.current_version() == "2.1"
    assert releases.pending() == {"version": "2.1", "previous": "releases/2.0", "boots": 0}
    assert releases.state()["state"] == "switched"  # confirmed by the kiosk, not here
    assert guard.decide(releases.pending(), "2.1") == "first_boot"
    assert config.read_text() == text
    assert "Done: 1 change(s) made." in newer.stdout


def test_a_bundle_signed_with_another_key_stops_before_anything_is_written(release, tmp_path):
    public, bundles = release
    root = enrolled_root(tmp_path)
    before = tree(root)
    run = provision(root, "--bundle", str(bundles["other-2.1.tar"]), "--public-key", public)
    assert run.returncode == 2
    assert "release bundle" in run.stderr and "bad_signature" in run.stderr
    assert "[user]" not in run.stdout  # stopped before the first step
    assert tree(root) == before
    for args, message in ((("--public-key", "bm9wZQ=="), "not an Ed25519 public key"),
                          ((), "--bundle needs --public-key")):
        run = provision(root, "--bundle", str(bundles["b-2.0.tar"]), *args)
        assert run.returncode == 2 and message in run.stderr
    run = provision(root, "--bundle", str(root / "etc/passwd"), "--public-key", public)
    assert run.returncode == 2 and "is not a release bundle" in run.stderr
    assert tree(root) == before


def load_provision():
    spec = importlib.util.spec_from_file_location("provision", ROOT / "deploy/kiosk/provision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_new_config_is_written_with_updates_on(release, tmp_path):
    """A fresh machine with --bundle: the config written at enrolment has [updates] on."""
    public, bundles = release
    module = load_provision()
    (tmp_path / APP / "releases/2.0").mkdir(parents=True)
    (tmp_path / APP / "current").symlink_to("releases/2.0")
    args = module.parse_args(["--root", str(tmp_path), "--bundle", str(bundles["b-2.0.tar"]),
                              "--public-key", public])
    provisioner = module.Provisioner(args, out=lambda line: None)
    provisioner.public_keys = (public,)
    record = {"server_url": "http://127.0.0.1:9", "site": "paris-19", "site_name": "Mairie",
              "time_zone": "Europe/Paris"}
    config = tmp_path / "kiosk.toml"
    config.write_bytes(provisioner.render_config(record))
    updates = load_update_config(config)
    assert updates.enabled and updates.public_keys == (public,)
    assert tomllib.loads(config.read_text())["updates"]["boot_deadline"] == 90.0  # kept


def test_an_older_config_without_an_updates_section_gets_one():
    load_provision()  # puts deploy/kiosk on sys.path
    from provision_release import set_updates

    values = {"enabled": True, "root": "/var/lib/carrefour-kiosk/app", "public_keys": ["K"]}
    text = '[server]\nsite = "paris-19"\n\n[printer]\nbackend = "file"\n'
    assert tomllib.loads(set_updates(text, values)) == {
        "server": {"site": "paris-19"}, "printer": {"backend": "file"}, "updates": values}
    # Keys set inside [updates] only, never an `enabled` of another section.
    text = "[speech]\nenabled = false\n[updates]\nboot_deadline = 30.0\n[other]\nx = 1\n"
    parsed = tomllib.loads(set_updates(text, values))
    assert parsed["speech"] == {"enabled": False} and parsed["other"] == {"x": 1}
    assert parsed["updates"] == {**values, "boot_deadline": 30.0}
