"""Assets on the kiosk (kiosk/sync/assets.py): downloaded by hash after a content pull,
checked, renamed into place atomically; a bad download never replaces a good file."""

from __future__ import annotations

import hashlib
import os

import pytest

from kiosk.sync import assets as assets_module
from kiosk.sync.assets import (
    AssetFetcher,
    audio_file,
    pictogram_file,
    synced_file,
)
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.fakes import FakeTransport
from tests.support.patience import LIVE_TIMEOUT
from tests.sync import Reply
from tests.sync.conftest import TOKEN

PNG_A = b"\x89PNG\r\n\x1a\n" + b"version A" * 50
PNG_B = b"\x89PNG\r\n\x1a\n" + b"version B" * 60
WAV = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 40


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def asset_item(slug: str, data: bytes, kind: str = "pictogram") -> dict:
    return {"kind": "asset", "data": {"id": slug, "kind": kind, "sha256": sha(data),
                                      "size": len(data),
                                      "type": "image/png" if kind == "pictogram" else "audio/wav"}}


@pytest.fixture
def directory(tmp_path):
    return tmp_path / "assets"


def serve(server, blobs: dict[str, bytes]):
    """The server answers /api/v1/assets/<sha> with blobs[sha] (404 otherwise)."""
    def handler(request):
        key = request.path.rsplit("/", 1)[-1]
        if request.path.startswith("/api/v1/assets/") and key in blobs:
            return Reply(200, blobs[key], {"ETag": f'"{key}"'})
        return Reply(404, {"detail": "no such asset"})
    server.handler = handler


def fetcher(store, server, directory):
    return AssetFetcher(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT), directory)


def test_download_verify_and_atomic_rename(store, server, directory, monkeypatch):
    store.apply_content("1", [asset_item("naissance", PNG_A)], [], full=True)
    serve(server, {sha(PNG_A): PNG_A})
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        renames.append((os.path.dirname(src), os.path.dirname(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(assets_module.os, "replace", replace)
    report = fetcher(store, server, directory).fetch_missing()
    assert report.fetched == ["naissance"] and not report.failed
    target = directory / f"{sha(PNG_A)}.png"
    assert target.read_bytes() == PNG_A
    assert (str(directory), str(directory)) in renames  # temp file in the same directory
    assert not list(directory.glob(".*.part"))
    assert server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    # Held: no second download.
    count = len(server.requests)
    assert fetcher(store, server, directory).fetch_missing().present == 1
    assert len(server.requests) == count
    assert synced_file(store, directory, "naissance") == target


def test_a_corrupted_download_is_not_installed_previous_kept_then_retried(store, server,
                                                                          directory):
    store.apply_content("1", [asset_item("naissance", PNG_A)], [], full=True)
    serve(server, {sha(PNG_A): PNG_A})
    fetcher(store, server, directory).fetch_missing()
    old = directory / f"{sha(PNG_A)}.png"

    # The agents upload a new version; the network garbles it.
    store.apply_content("2", [asset_item("naissance", PNG_B)], [])
    serve(server, {sha(PNG_B): PNG_B.replace(b"B", b"X")})
    report = fetcher(store, server, directory).fetch_missing()
    assert "sha256" in report.failed["naissance"] and not report.fetched
    assert not (directory / f"{sha(PNG_B)}.png").exists()
    assert not list(directory.glob(".*.part"))
    assert synced_file(store, directory, "naissance") == old  # the previous file, kept
    assert old.exists()

    # The next sync gets the right bytes: installed, the old file goes.
    serve(server, {sha(PNG_B): PNG_B})
    report = fetcher(store, server, directory).fetch_missing()
    assert report.fetched == ["naissance"] and report.removed == 1
    assert synced_file(store, directory, "naissance") == directory / f"{sha(PNG_B)}.png"
    assert not old.exists()


def test_a_truncated_download_is_not_installed(store, server, directory):
    store.apply_content("1", [asset_item("naissance", PNG_A)], [], full=True)
    serve(server, {sha(PNG_A): PNG_A[: len(PNG_A) // 2]})
    report = fetcher(store, server, directory).fetch_missing()
    assert "bytes instead of" in report.failed["naissance"]
    assert [p.name for p in directory.iterdir()] == ["installed.json"]  # no blob, no temp
    assert synced_file(store, directory, "naissance") is None


def test_an_unreachable_server_stops_the_round_and_a_404_skips_one(store, server, directory):
    store.apply_content("1", [asset_item("a-picto", PNG_A), asset_item("b-picto", PNG_B)], [],
                        full=True)
    serve(server, {sha(PNG_B): PNG_B})  # a-picto: 404
    report = fetcher(store, server, directory).fetch_missing()
    assert report.fetched == ["b-picto"] and "404" in report.failed["a-picto"]
    server.handler = lambda request: Reply(503, {"detail": "busy"})
    (directory / f"{sha(PNG_B)}.png").unlink()
    report = fetcher(store, server, directory).fetch_missing()
    assert set(report.failed) == {"a-picto", "b-picto"}
    assert len([r for r in server.requests if r.path.startswith("/api/v1/assets/")]) == 3


def test_deleting_an_asset_item_removes_its_file_and_falls_back(store, server, directory,
                                                                 tmp_path):
    bundled = tmp_path / "bundle"
    (bundled / "pictograms" / "build").mkdir(parents=True)
    (bundled / "pictograms" / "build" / "naissance.png").write_bytes(b"bundled")
    store.apply_content("1", [asset_item("naissance", PNG_A)], [], full=True)
    serve(server, {sha(PNG_A): PNG_A})
    fetcher(store, server, directory).fetch_missing()
    assert pictogram_file(store, directory, bundled, "naissance") == str(
        directory / f"{sha(PNG_A)}.png")

    store.apply_content("2", [], [{"kind": "asset", "id": "naissance"}])
    report = fetcher(store, server, directory).fetch_missing()
    assert report.removed == 1 and not (directory / f"{sha(PNG_A)}.png").exists()
    assert pictogram_file(store, directory, bundled, "naissance") == str(
        bundled / "pictograms" / "build" / "naissance.png")


def test_pictogram_lookup_prefers_the_synced_file(store, directory, tmp_path):
    """What app.pictogram() shows (kiosk/ui/app.py delegates to pictogram_file)."""
    bundled = tmp_path / "bundle"
    (bundled / "pictograms" / "build").mkdir(parents=True)
    (bundled / "pictograms" / "build" / "deces.png").write_bytes(b"bundled")
    assert pictogram_file(store, directory, bundled, "deces").endswith("build/deces.png")
    assert pictogram_file(store, directory, bundled, "inconnu") == ""
    store.apply_content("1", [asset_item("deces", PNG_A)], [], full=True)
    # Announced but not downloaded yet: still the bundled one.
    assert pictogram_file(store, directory, bundled, "deces").endswith("build/deces.png")
    directory.mkdir()
    (directory / f"{sha(PNG_A)}.png").write_bytes(PNG_A)
    assert pictogram_file(store, directory, bundled, "deces") == str(
        directory / f"{sha(PNG_A)}.png")
    # A store without assets (older fakes) only ever gives the bundled file.
    assert pictogram_file(object(), directory, bundled, "deces").endswith("build/deces.png")


def test_audio_lookup_finds_synced_recordings(store, directory):
    store.apply_content("1", [asset_item("naissance-wo", WAV, kind="audio")], [], full=True)
    directory.mkdir()
    (directory / f"{sha(WAV)}.wav").write_bytes(WAV)
    assert audio_file(store, directory, "naissance-wo.wav") == directory / f"{sha(WAV)}.wav"
    assert audio_file(store, directory, "deces-wo.wav") is None


def test_the_engine_fetches_after_the_pull_and_a_bad_asset_does_not_block_content(
        store, server, tmp_path):
    pole = {"kind": "pole", "data": {"id": "famille", "order": 1, "color": "#336699",
                                     "pictogram": "famille", "name": {"fr": "Famille"}}}
    blobs = {sha(PNG_A): b"garbage"}

    def handler(request):
        if request.path == "/api/v1/content":
            return Reply(200, {"protocol": 1, "cursor": "3", "full": True, "more": False,
                               "items": [pole, asset_item("famille", PNG_A)], "deleted": []})
        key = request.path.rsplit("/", 1)[-1]
        if request.path.startswith("/api/v1/assets/") and key in blobs:
            return Reply(200, blobs[key])
        return Reply(404, {"detail": "none"})

    server.handler = handler
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    report = engine.sync_once()
    assert report.online and report.error is None and report.content_changed
    assert [p.id for p in store.poles()] == ["famille"]  # content applied despite the asset
    assert synced_file(store, tmp_path / "assets", "famille") is None

    blobs[sha(PNG_A)] = PNG_A  # the next sync retries, and succeeds
    engine.sync_once()
    assert synced_file(store, tmp_path / "assets", "famille") == (
        tmp_path / "assets" / f"{sha(PNG_A)}.png")


def test_a_server_without_the_asset_keeps_the_content_and_asks_again(store, tmp_path):
    # An older server (or one that lost the file) answers 404 for the asset: the content is
    # applied, nothing is written, and the next sync asks again.
    transport = FakeTransport()
    transport.items = [asset_item("famille", PNG_A)]
    report = SyncEngine(store, transport).sync_once()
    assert report.error is None and report.online
    assert store.asset("famille") is not None
    assert synced_file(store, tmp_path / "assets", "famille") is None
    assert [c for c, _ in transport.calls].count("get_asset") == 1

    transport.assets[sha(PNG_A)] = PNG_A
    SyncEngine(store, transport).sync_once()
    assert synced_file(store, tmp_path / "assets", "famille") == (
        tmp_path / "assets" / f"{sha(PNG_A)}.png")
