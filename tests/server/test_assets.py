"""Pictograms and recordings uploaded by agents (kiosk/server/content/assets.py): checked in
the back-office, stored content-addressed, logged as `asset` content, served by hash."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kiosk.server.content.assets import (
    AssetRejected,
    check_svg_markup,
    png_size,
    render_svg,
    save_asset,
    validate_upload,
)
from tests.server.test_site_permissions import make_agent


def png(width: int = 128, height: int = 128, noise: bool = False) -> bytes:
    """A real PNG (8-bit RGB), built by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    row = width * 3
    raw = b"".join(b"\x00" + (os.urandom(row) if noise else bytes([40, 90, 160]) * width)
                   for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def wav(seconds: float = 0.2) -> bytes:
    frames = b"\x00\x00" * int(8000 * seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack(
        "<I", len(frames)) + frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


GOOD_SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" '
            b'height="100"><defs><linearGradient id="g"><stop offset="0" stop-color="#1d4e89"/>'
            b'</linearGradient></defs><circle cx="50" cy="50" r="40" fill="url(#g)"/>'
            b'<use href="#g"/></svg>')

MALICIOUS_SVGS = {
    "entity": (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>', "DOCTYPE"),
    "external-href": (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                      b'<image href="http://evil.example/x.png" width="10" height="10"/></svg>',
                      "externe"),
    "file-xlink-href": (b'<svg xmlns="http://www.w3.org/2000/svg" '
                        b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
                        b'<image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>',
                        "externe"),
    "script": (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
               b'<script>alert(1)</script></svg>', "script"),
    "onload": (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" '
               b'onload="alert(1)"/>', "onload"),
    "css-url": (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                b'<rect style="fill: url(http://evil.example/p)" width="5" height="5"/></svg>',
                "externe"),
}


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def paris20(demo):
    from kiosk.server.content.models import Site

    return Site.objects.create(slug="paris-20", name="Mairie du 20e")


def upload(client, user, site, slug, data, name="picto.png", kind="pictogram"):
    client.force_login(user)
    return client.post("/admin/content/asset/add/", {
        "site": site.pk, "slug": slug, "kind": kind,
        "upload": SimpleUploadedFile(name, data), "_save": "Enregistrer"})


def form_errors(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again, with errors
    return " ".join(str(e) for e in response.context["adminform"].form.errors.values())


# -- validation -------------------------------------------------------------------------------


def test_a_png_is_read_and_accepted():
    data = png(200, 180)
    assert png_size(data) == (200, 180)
    assert validate_upload("pictogram", "x.png", data) == (data, "image/png")


@pytest.mark.parametrize("data, message", [
    (png(450, 450, noise=True), "trop lourde"),
    (b"GIF89a" + b"\x00" * 100, "PNG ou un dessin SVG"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "IHDR"),
    (png(32, 32), "entre 64 et 1024"),
    (png(2000, 2000), "entre 64 et 1024"),
    (png(64, 200), "carré"),
    (png(128, 128)[:-20], "incomplète"),
], ids=["oversized", "not-a-png", "bad-header", "too-small", "too-big", "not-square",
        "truncated"])
def test_bad_pngs_are_rejected_in_french(data, message):
    with pytest.raises(AssetRejected, match=message):
        validate_upload("pictogram", "x.png", data)


@pytest.mark.parametrize("name", sorted(MALICIOUS_SVGS))
def test_malicious_svgs_are_rejected(name):
    data, message = MALICIOUS_SVGS[name]
    with pytest.raises(AssetRejected, match=message):
        check_svg_markup(data)
    with pytest.raises(AssetRejected):
        validate_upload("pictogram", "x.svg", data)


def test_a_good_svg_is_rasterised_to_a_256_png():
    stored, content_type = validate_upload("pictogram", "naissance.svg", GOOD_SVG)
    assert content_type == "image/png"
    assert stored.startswith(b"\x89PNG") and png_size(stored) == (256, 256)


def test_svg_too_heavy_or_not_square_is_rejected():
    with pytest.raises(AssetRejected, match="trop lourd"):
        check_svg_markup(GOOD_SVG[:-6] + b"<!--" + b"x" * 300_000 + b"--></svg>")
    with pytest.raises(AssetRejected, match="carré"):
        check_svg_markup(GOOD_SVG.replace(b'viewBox="0 0 100 100"', b'viewBox="0 0 100 300"'))


def test_the_same_drawing_at_the_same_size_is_drawn_once(monkeypatch):
    """load_demo loads the same plans each time the demo is loaded: rsvg-convert runs once
    per drawing and size in a process; a new drawing or size is drawn."""
    import subprocess
    import uuid

    from kiosk.server.content import assets

    runs = []
    real = subprocess.run
    monkeypatch.setattr(assets.subprocess, "run", lambda *a, **k: runs.append(a) or real(*a, **k))
    svg = GOOD_SVG.replace(b"</svg>", f"<!-- {uuid.uuid4()} --></svg>".encode())
    first = render_svg(svg)
    assert render_svg(svg) == first and len(runs) == 1
    assert png_size(render_svg(svg, side=128)) == (128, 128) and len(runs) == 2
    render_svg(svg.replace(b"</svg>", b"<!-- another --></svg>"))
    assert len(runs) == 3


def test_a_missing_rsvg_convert_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(AssetRejected, match="rsvg-convert.*librsvg2-bin"):
        render_svg(GOOD_SVG)


def test_wav_for_audio_only():
    data = wav()
    assert validate_upload("audio", "naissance-wo.wav", data) == (data, "audio/wav")
    with pytest.raises(AssetRejected, match="WAV"):
        validate_upload("audio", "x.wav", png())
    with pytest.raises(AssetRejected, match="trop lourd"):
        validate_upload("audio", "x.wav", data + b"\x00" * (1024 * 1024))
    with pytest.raises(AssetRejected):
        validate_upload("pictogram", "x.wav", data)


# -- storage and the change log ----------------------------------------------------------------


def test_an_editor_uploads_a_png_stored_by_its_hash(client, demo, data_dir):
    from kiosk.server.content.models import Asset, ContentChange
    from kiosk.server.content.services import content_delta

    data = png(96, 96)
    response = upload(client, make_agent("ed19", demo, "editor"), demo, "naissance", data)
    assert response.status_code == 302, form_errors(response)
    asset = Asset.objects.get(site=demo, slug="naissance")
    sha = hashlib.sha256(data).hexdigest()
    assert (asset.sha256, asset.size, asset.content_type) == (sha, len(data), "image/png")
    assert asset.path == data_dir / "assets" / f"{sha}.png"
    assert asset.path.read_bytes() == data
    assert not [p for p in asset.path.parent.iterdir() if p.name.endswith(".part")]
    assert ContentChange.objects.filter(site=demo, kind="asset", key="naissance").count() == 1
    items = [i for i in content_delta(demo, None).items if i["kind"] == "asset"]
    assert items == [{"kind": "asset", "data": {"id": "naissance", "kind": "pictogram",
                                                "sha256": sha, "size": len(data),
                                                "type": "image/png"}}]


def test_an_svg_upload_stores_the_rendered_png(client, demo):
    from kiosk.server.content.models import Asset

    admin = make_agent("root", superuser=True)
    response = upload(client, admin, demo, "deces", GOOD_SVG, name="deces.svg")
    assert response.status_code == 302, form_errors(response)
    asset = Asset.objects.get(slug="deces")
    stored = asset.path.read_bytes()
    assert png_size(stored) == (256, 256)
    assert asset.sha256 == hashlib.sha256(stored).hexdigest()


def test_rejected_uploads_show_french_errors_and_store_nothing(client, demo, data_dir):
    from kiosk.server.content.models import Asset

    editor = make_agent("ed19", demo, "editor")
    assert "entre 64 et 1024" in form_errors(upload(client, editor, demo, "petit", png(16, 16)))
    assert "DOCTYPE" in form_errors(
        upload(client, editor, demo, "mal", MALICIOUS_SVGS["entity"][0], name="mal.svg"))
    assert "Choisissez un fichier" in form_errors(client.post(
        "/admin/content/asset/add/", {"site": demo.pk, "slug": "vide", "kind": "pictogram"}))
    assert not Asset.objects.exclude(kind="plan").exists()  # the demo's floor plans only
    plans = {f"{sha}.png" for sha in Asset.objects.values_list("sha256", flat=True)}
    assert {p.name for p in (data_dir / "assets").glob("*")} <= plans


def test_the_same_bytes_twice_make_one_asset_and_one_change(client, demo):
    from kiosk.server.content.models import Asset, ContentChange

    editor = make_agent("ed19", demo, "editor")
    data = png(100, 100)
    for _ in range(2):
        assert upload(client, editor, demo, "naissance", data).status_code == 302
    assert Asset.objects.filter(site=demo).exclude(kind="plan").count() == 1
    assert ContentChange.objects.filter(site=demo, kind="asset").count() == 1
    # New bytes under the same name replace the file the kiosks fetch.
    assert upload(client, editor, demo, "naissance", png(120, 120)).status_code == 302
    assert Asset.objects.get(site=demo, slug="naissance").sha256 == hashlib.sha256(png(120, 120)).hexdigest()
    assert ContentChange.objects.filter(site=demo, kind="asset").count() == 2
    asset, changed = save_asset(demo, "naissance", "pictogram", png(120, 120))
    assert not changed and Asset.objects.exclude(kind="plan").count() == 1


def test_an_audio_recording_is_uploaded(client, demo):
    from kiosk.server.content.models import Asset

    response = upload(client, make_agent("ed19", demo, "editor"), demo, "naissance-wo", wav(),
                      name="naissance-wo.wav", kind="audio")
    assert response.status_code == 302, form_errors(response)
    asset = Asset.objects.get(slug="naissance-wo")
    assert asset.to_wire()["type"] == "audio/wav" and asset.path.suffix == ".wav"


def test_an_editor_of_another_site_cannot_upload_for_this_one(client, demo, paris20):
    from kiosk.server.content.models import Asset

    editor20 = make_agent("ed20", paris20, "editor")
    response = upload(client, editor20, demo, "naissance", png())
    assert "site" in response.context["adminform"].form.errors  # not one of their sites
    assert not Asset.objects.exclude(kind="plan").exists()
    theirs, _ = save_asset(demo, "naissance", "pictogram", png())
    assert client.get(f"/admin/content/asset/{theirs.pk}/change/").status_code in (302, 403, 404)
    listing = client.get("/admin/content/asset/")
    assert [a.pk for a in listing.context["cl"].result_list] == []


# -- API ------------------------------------------------------------------------------------------


def test_api_serves_the_bytes_immutable(api, demo):
    data = png()
    asset, _ = save_asset(demo, "naissance", "pictogram", data)
    response = api.get(f"/assets/{asset.sha256}")
    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "image/png"
    assert response["ETag"].strip('"') == asset.sha256
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    again = api.get(f"/assets/{asset.sha256}", headers={"If-None-Match": f'"{asset.sha256}"'})
    assert again.status_code == 304 and not again.content


def test_api_404s(api, demo, paris20, client):
    theirs, _ = save_asset(paris20, "naissance", "pictogram", png(80, 80))
    assert api.get(f"/assets/{theirs.sha256}").status_code == 404  # another site's
    assert api.get(f"/assets/{'0' * 64}").status_code == 404
    assert api.get("/assets/not-a-hash").status_code == 404
    ours, _ = save_asset(demo, "deces", "pictogram", png(90, 90))
    ours.path.unlink()  # lost on disk: a 404, not a 500
    assert api.get(f"/assets/{ours.sha256}").status_code == 404
    assert client.get(f"/api/v1/assets/{theirs.sha256}").status_code == 401  # no token
