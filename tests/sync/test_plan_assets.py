"""Floor plans on the kiosk: the plan's image (inside its `plan` item) is downloaded by hash
and checked like any asset; the service screen's lookup prefers it to the bundled plan; a
kiosk that does not know the kind "plan" skips it and keeps working."""

from __future__ import annotations

import hashlib

from kiosk.localstore import store as store_module
from kiosk.sync.assets import AssetFetcher, plan_file
from kiosk.sync.transport import Transport
from tests.support.patience import LIVE_TIMEOUT
from tests.sync.conftest import TOKEN
from tests.sync.test_assets import asset_item, serve

PLAN_PNG = b"\x89PNG\r\n\x1a\n" + b"plan of the ground floor" * 40
PICTO = b"\x89PNG\r\n\x1a\n" + b"pictogram" * 30


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_item(data: bytes = PLAN_PNG, size: int | None = None) -> dict:
    return {"kind": "plan", "data": {
        "id": "rdc", "order": 0, "name": {"fr": "Rez-de-chaussée"},
        "image": {"sha256": sha(data), "size": len(data) if size is None else size,
                  "type": "image/png"},
        "hotspots": [{"id": "accueil", "x": 0.4, "y": 0.6, "label": {"fr": "Accueil"}}]}}


SERVICE = {"kind": "service", "data": {
    "id": "naissance", "pole": "citoyennete", "prefix": "N", "pictogram": "naissance",
    "name": {"fr": "Naissance"}, "plan": "rdc", "plan_x": 0.1, "plan_y": 0.2}}


def bundled(tmp_path):
    root = tmp_path / "bundle"
    (root / "plans" / "build").mkdir(parents=True)
    (root / "plans" / "build" / "rdc.png").write_bytes(b"bundled")
    return root


def test_the_plan_image_is_downloaded_checked_and_preferred(store, server, tmp_path):
    directory, assets_dir = tmp_path / "assets", bundled(tmp_path)
    store.apply_content("1", [plan_item(), SERVICE, asset_item("naissance", PICTO)], [],
                        full=True)
    # Not downloaded yet: the bundled plan of that name.
    assert plan_file(store, directory, assets_dir, "rdc") == str(assets_dir / "plans/build/rdc.png")
    serve(server, {sha(PLAN_PNG): PLAN_PNG, sha(PICTO): PICTO})
    report = AssetFetcher(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), directory).fetch_missing()
    assert sorted(report.fetched) == ["naissance", "plan:rdc"] and report.failed == {}
    path = directory / f"{sha(PLAN_PNG)}.png"
    assert path.read_bytes() == PLAN_PNG
    assert plan_file(store, directory, assets_dir, "rdc") == str(path)
    assert plan_file(store, directory, assets_dir, "etage1") == ""  # neither synced nor bundled
    # A second round holds it: no download, and the file is not pruned as unknown.
    again = AssetFetcher(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), directory).fetch_missing()
    assert again.fetched == [] and again.removed == 0 and path.is_file()


def test_a_plan_image_that_does_not_check_out_is_not_installed(store, server, tmp_path):
    directory, assets_dir = tmp_path / "assets", bundled(tmp_path)
    store.apply_content("1", [plan_item(size=len(PLAN_PNG) + 1)], [], full=True)
    serve(server, {sha(PLAN_PNG): PLAN_PNG})
    report = AssetFetcher(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), directory).fetch_missing()
    assert "plan:rdc" in report.failed and report.fetched == []
    assert not list(directory.glob("*.png"))
    assert plan_file(store, directory, assets_dir, "rdc").endswith("plans/build/rdc.png")


def test_a_kiosk_without_the_plan_kind_skips_it(tmp_path, monkeypatch):
    old_kinds = {k: v for k, v in store_module.KINDS.items() if k != "plan"}
    monkeypatch.setattr(store_module, "KINDS", old_kinds)
    old = store_module.LocalStore(tmp_path / "old.sqlite3")
    try:
        pole = {"kind": "pole", "data": {"id": "citoyennete", "color": "#1E56A0",
                                         "pictogram": "mairie", "name": {"fr": "Citoyenneté"}}}
        assert old.apply_content("2", [pole, plan_item(), SERVICE], [{"kind": "plan", "id": "x"}],
                                 full=True) == 2
        assert old.service("naissance").plan == "rdc" and old.content_cursor() == "2"
        assert old.plans() == []  # stored nothing of a kind it does not know
    finally:
        old.close()
