"""Signed release bundles, the boot guard and the updater's decisions (docs/updates.md)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
from pathlib import Path

import pytest

from kiosk.release import guard
from kiosk.release.bundle import (
    BundleError,
    SignatureError,
    build_bundle,
    generate_key,
    load_private_key,
    load_public_key,
    sign_bundle,
    verify_bundle,
)
from kiosk.release.install import Releases
from kiosk.sync.updater import Offer, Updater
from tests.support.patience import GUARD, NEVER
from tests.support.standin import make_wheel


@pytest.fixture(scope="module")
def keys():
    pem, public = generate_key()
    other_pem, other_public = generate_key()
    return load_private_key(pem), load_public_key(public), load_private_key(other_pem), \
        load_public_key(other_public)


@pytest.fixture
def bundle(tmp_path, keys):
    wheel = make_wheel(tmp_path / "wheels", "2.0")
    return build_bundle(tmp_path / "b-2.0.tar", "2.0", "carrefour_standin==2.0", [wheel], keys[0])


def rewrite(bundle: Path, change) -> None:
    """Rebuild the tar with `change(name, data) -> (name, data) | None` on each member."""
    with tarfile.open(bundle) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(bundle, "w") as tar:
        for name, data in members:
            out = change(name, data)
            if out is None:
                continue
            info = tarfile.TarInfo(out[0])
            info.size = len(out[1])
            tar.addfile(info, io.BytesIO(out[1]))


def test_a_signed_bundle_verifies_and_unpacks_its_wheels(bundle, keys, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    manifest = verify_bundle(bundle, [keys[1]], dest=dest, expect_version="2.0")
    assert manifest.version == "2.0"
    [entry] = manifest.files
    assert hashlib.sha256((dest / entry.name).read_bytes()).hexdigest() == entry.sha256


def test_a_bundle_signed_with_another_key_is_refused(bundle, keys):
    with pytest.raises(SignatureError):
        verify_bundle(bundle, [keys[3]])
    # Key rotation: any one of the pinned keys may have signed it.
    assert verify_bundle(bundle, [keys[3], keys[1]]).version == "2.0"


def test_a_tampered_wheel_is_refused_and_not_left_behind(bundle, keys, tmp_path):
    rewrite(bundle, lambda n, d: (n, d + b"x") if n.endswith(".whl") else (n, d))
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BundleError) as caught:
        verify_bundle(bundle, [keys[1]], dest=dest)
    assert caught.value.state == "bad_bundle" and list(dest.iterdir()) == []


def test_a_tampered_manifest_breaks_the_signature(bundle, keys):
    def change(name, data):
        if name == "manifest.json":
            return name, data.replace(b'"2.0"', b'"2.1"')
        return name, data
    rewrite(bundle, change)
    with pytest.raises(SignatureError):
        verify_bundle(bundle, [keys[1]])


@pytest.mark.parametrize("change", [
    lambda n, d: None if n.endswith(".whl") else (n, d),  # a listed file missing
    lambda n, d: ("../evil.whl", d) if n.endswith(".whl") else (n, d),  # a path outside
    lambda n, d: None if n == "manifest.sig" else (n, d),  # unsigned
])
def test_bundles_out_of_shape_are_refused(bundle, keys, change):
    rewrite(bundle, change)
    with pytest.raises(BundleError):
        verify_bundle(bundle, [keys[1]])


def test_an_unexpected_member_is_refused(bundle, keys):
    with tarfile.open(bundle, "a") as tar:
        info = tarfile.TarInfo("extra.whl")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(BundleError, match="unexpected member"):
        verify_bundle(bundle, [keys[1]])


def test_the_version_must_be_the_one_announced(bundle, keys):
    with pytest.raises(BundleError, match="not 3.0"):
        verify_bundle(bundle, [keys[1]], expect_version="3.0")


def test_a_bundle_can_be_signed_again_offline(bundle, keys):
    sign_bundle(bundle, keys[2])
    assert verify_bundle(bundle, [keys[3]]).version == "2.0"
    with pytest.raises(SignatureError):
        verify_bundle(bundle, [keys[1]])


# -- the boot guard (stdlib only, before every start) ---------------------------------

@pytest.mark.parametrize("pending, current, decision", [
    (None, "2", "run"),
    ({"version": "3", "boots": 0}, "2", "run"),  # about another version (rolled back already)
    ({"version": "3", "boots": 0}, "3", "first_boot"),
    ({"version": "3", "boots": 1}, "3", "rollback"),
])
def test_boot_guard_decision(pending, current, decision):
    assert guard.decide(pending, current) == decision


def fake_release(root: Path, version: str) -> None:
    (root / "releases" / version / "bin").mkdir(parents=True)
    (root / "releases" / version / ".installed").write_text(version)


def test_a_switch_that_never_confirms_is_rolled_back_on_its_second_start(tmp_path):
    for version in ("1", "2"):
        fake_release(tmp_path, version)
    releases = Releases(tmp_path)
    releases.switch_to("1")
    assert releases.pending() is None  # the first release has nothing to go back to
    releases.switch_to("2")
    assert os.readlink(tmp_path / "current") == "releases/2"
    assert guard.run_guard(tmp_path) == "first_boot"
    assert guard.run_guard(tmp_path) == "rollback"  # the first boot died unconfirmed
    assert os.readlink(tmp_path / "current") == "releases/1"
    state = releases.state()
    assert state["state"] == "rolled_back" and state["version"] == "2"
    assert state["failed"] == {"2": "rolled_back"} and releases.pending() is None
    assert guard.run_guard(tmp_path) == "run"


def test_a_confirmed_switch_stays(tmp_path):
    for version in ("1", "2"):
        fake_release(tmp_path, version)
    releases = Releases(tmp_path)
    releases.switch_to("1")
    releases.switch_to("2")
    assert guard.run_guard(tmp_path) == "first_boot"
    assert releases.confirm("2")
    assert guard.run_guard(tmp_path) == "run"
    assert os.readlink(tmp_path / "current") == "releases/2"
    assert releases.state()["state"] == "confirmed"


def test_an_unfinished_install_cannot_be_switched_to(tmp_path):
    (tmp_path / "releases" / "3" / "bin").mkdir(parents=True)  # no .installed mark
    with pytest.raises(RuntimeError):
        Releases(tmp_path).switch_to("3")


# -- the updater's decisions ------------------------------------------------------------

def offer_for(path: Path, version: str) -> dict:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"update": {"version": version, "url": f"/api/v1/releases/{sha}", "sha256": sha,
                       "size": path.stat().st_size}}


def updater_for(root: Path, keys, served: Path, **kw) -> Updater:
    fake_release(root, "1")
    releases = Releases(root)
    releases.switch_to("1")

    def fetch(offer: Offer, dest: Path) -> str:
        dest.write_bytes(served.read_bytes())
        return hashlib.sha256(dest.read_bytes()).hexdigest()

    updater = Updater(releases, [keys[1]], "1", fetch, **kw)
    updater.start()
    return updater


def test_a_bad_signature_is_refused_reported_and_not_retried(tmp_path, keys):
    wheel = make_wheel(tmp_path / "w", "2.0")
    forged = build_bundle(tmp_path / "forged.tar", "2.0", "carrefour_standin==2.0", [wheel],
                          keys[2])
    fetched = []
    updater = updater_for(tmp_path / "root", keys, forged)
    plain_fetch = updater.fetch
    updater.fetch = lambda offer, dest: fetched.append(offer) or plain_fetch(offer, dest)
    updater.on_heartbeat_answer(offer_for(forged, "2.0"))
    assert updater.wait_idle(30)
    fields = updater.heartbeat_fields()
    assert fields["update_state"] == "bad_signature" and fields["update_version"] == "2.0"
    assert not (tmp_path / "root" / "releases" / "2.0").exists()
    assert os.readlink(tmp_path / "root" / "current") == "releases/1"
    updater.on_heartbeat_answer(offer_for(forged, "2.0"))
    assert updater.wait_idle(30) and len(fetched) == 1  # the same bundle is not fetched again


def test_bytes_that_do_not_hash_to_the_offer_are_refused(tmp_path, keys, bundle):
    updater = updater_for(tmp_path / "root", keys, bundle)
    answer = offer_for(bundle, "2.0")
    other = "cd" * 32
    answer["update"].update(sha256=other, url=f"/api/v1/releases/{other}")
    updater.on_heartbeat_answer(answer)
    assert updater.wait_idle(30)
    assert updater.heartbeat_fields()["update_state"] == "bad_bundle"


@pytest.mark.parametrize("update", [
    {"version": "2.0", "url": "http://elsewhere/x", "sha256": "ab" * 32, "size": 1},
    {"version": "2.0", "url": "/api/v1/releases/" + "cd" * 32, "sha256": "ab" * 32, "size": 1},
    {"version": "../x", "url": "/api/v1/releases/" + "ab" * 32, "sha256": "ab" * 32, "size": 1},
])
def test_offers_out_of_shape_are_ignored(update):
    assert Offer.from_answer({"update": update}) is None


def test_the_new_version_must_confirm_before_its_deadline(tmp_path, keys, bundle):
    for version in ("1", "2"):
        fake_release(tmp_path, version)
    releases = Releases(tmp_path)
    releases.switch_to("1")
    releases.switch_to("2")
    expired = threading.Event()
    updater = Updater(releases, [keys[1]], "2", lambda o, d: "", boot_deadline=0.2,
                      on_deadline=expired.set)
    updater.start()
    assert updater.heartbeat_fields()["update_state"] == "switched"
    updater.first_frame()  # but no heartbeat: the deadline passes
    assert expired.wait(GUARD)
    assert releases.pending() is not None  # left for the boot guard to roll back


def test_first_frame_and_first_heartbeat_confirm(tmp_path, keys):
    for version in ("1", "2"):
        fake_release(tmp_path, version)
    releases = Releases(tmp_path)
    releases.switch_to("1")
    releases.switch_to("2")
    expired = threading.Event()
    updater = Updater(releases, [keys[1]], "2", lambda o, d: "", boot_deadline=NEVER,
                      on_deadline=expired.set)
    updater.start()
    updater.on_heartbeat_answer({"update": None})
    assert not updater.confirmed  # the first frame is still missing
    updater.first_frame()
    assert updater.confirmed and releases.pending() is None and not expired.is_set()
    assert updater.heartbeat_fields()["update_state"] == "confirmed"
    assert json.loads((tmp_path / "update" / "state.json").read_text())["version"] == "2"
