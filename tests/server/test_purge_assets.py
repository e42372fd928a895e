"""Orphan assets (kiosk/server/content/orphans.py, `python -m kiosk.server purge_assets`):
rows no content names and files no row holds go, after a grace period; nothing else."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiosk.server.content.assets import save_asset
from kiosk.server.content.orphans import purge_assets, referenced_assets
from tests.server.test_assets import png, wav

LATER = dt.timedelta(days=8)  # "now" for the purge: everything made by the test is past grace


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def stored(demo):
    """Assets of the demo site: named by content, or by nothing."""
    from kiosk.server.content.models import Offer, Service

    shared = png(noise=True)
    assets = {
        "perso": save_asset(demo, "perso", "pictogram", shared)[0],  # a service's pictogram
        "copie": save_asset(demo, "copie", "pictogram", shared)[0],  # same bytes, unused
        "vieux": save_asset(demo, "vieux", "pictogram", png(noise=True))[0],  # unused
        "ticket": save_asset(demo, "ticket", "pictogram", png(noise=True))[0],  # the kiosk's own
        "amap-wo": save_asset(demo, "amap-wo", "audio", wav(0.3))[0],  # an offer's recording
        "ancien-wo": save_asset(demo, "ancien-wo", "audio", wav(0.5))[0],  # unused
    }
    service = Service.objects.filter(site=demo).first()
    service.pictogram = "perso"
    service.save()
    offer = Offer.objects.get(site=demo, slug="amap-buttes")
    offer.audio = {"wo": "amap-wo.wav"}
    offer.save()
    return assets


def slugs():
    from kiosk.server.content.models import Asset

    return sorted(Asset.objects.values_list("slug", flat=True))


def test_orphans_go_and_what_content_names_stays(stored, data_dir):
    from kiosk.server.content.models import ContentChange

    vieux, ancien = stored["vieux"].path, stored["ancien-wo"].path
    freed = vieux.stat().st_size + ancien.stat().st_size
    before = set(slugs())
    report = purge_assets(now=timezone.now() + LATER)
    assert sorted(a.slug for a in report.rows) == ["ancien-wo", "copie", "vieux"]
    assert set(slugs()) == before - {"ancien-wo", "copie", "vieux"}
    assert not vieux.exists() and not ancien.exists()
    assert report.bytes_freed == freed and len(report.blobs) == 2
    # The kiosks are told: each deleted row is an `asset` deletion in the change log.
    gone = set(ContentChange.objects.filter(kind="asset", deleted=True).values_list("key", flat=True))
    assert gone == {"ancien-wo", "copie", "vieux"}
    for slug in ("perso", "ticket", "amap-wo"):
        assert stored[slug].path.is_file(), slug
    # Run again: nothing left to do.
    again = purge_assets(now=timezone.now() + LATER)
    assert again.rows == [] and again.blobs == []


def test_a_blob_shared_by_two_assets_stays_while_one_still_holds_it(stored):
    perso, copie = stored["perso"], stored["copie"]
    assert perso.sha256 == copie.sha256
    purge_assets(now=timezone.now() + LATER)
    assert "copie" not in slugs() and perso.path.is_file()
    # Once the service names another pictogram, the last holder goes, and its file with it.
    from kiosk.server.content.models import Service

    Service.objects.filter(pictogram="perso").update(pictogram="naissance")
    report = purge_assets(now=timezone.now() + LATER)
    assert [a.slug for a in report.rows] == ["perso"] and not perso.path.exists()


def test_young_rows_and_files_stay(stored, data_dir):
    before = slugs()
    report = purge_assets()  # everything was made seconds ago
    assert report.rows == [] and report.blobs == []
    assert slugs() == before
    # A row replaced this week stays, however old the row itself.
    from kiosk.server.content.models import Asset, ContentChange

    Asset.objects.filter(slug="vieux").update(created_at=timezone.now() - LATER * 3)
    ContentChange.objects.filter(kind="asset").exclude(key="vieux").update(
        at=timezone.now() - LATER * 3)
    report = purge_assets()
    assert "vieux" in slugs() and "vieux" not in [a.slug for a in report.rows]


def test_dry_run_deletes_nothing_and_says_what_would_go(stored, data_dir):
    files = sorted(p.name for p in (data_dir / "assets").iterdir())
    before = slugs()
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.now", lambda: dt.datetime.now(dt.UTC) + LATER)
        call_command("purge_assets", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "would delete asset paris-19/vieux" in text and "would delete file" in text
    assert "purge_assets (dry run): 3 asset rows, 2 files would delete" in text
    assert slugs() == before
    assert sorted(p.name for p in (data_dir / "assets").iterdir()) == files


def test_leftover_uploads_go_and_other_files_stay(demo, data_dir):
    import os

    directory = data_dir / "assets"
    directory.mkdir(exist_ok=True)
    part = directory / ".0123456789ab.x1y2.part"
    part.write_bytes(b"half an upload")
    other = directory / "README.txt"
    other.write_text("not ours")
    orphan = directory / f"{'a' * 64}.png"
    orphan.write_bytes(b"\x89PNG old")
    old = (timezone.now() - LATER).timestamp()
    for path in (part, other, orphan):
        os.utime(path, (old, old))
    report = purge_assets()
    assert sorted(p.name for p, _size in report.blobs) == [part.name, orphan.name]
    assert other.exists() and not part.exists() and not orphan.exists()


def test_references_cover_every_way_content_names_an_asset(stored, demo):
    refs = referenced_assets()
    assert (demo.pk, "perso") in refs.pictograms
    assert (demo.pk, "amap-wo.wav") in refs.audio
    assert {"ticket", "place-park", "interest-sport"} <= refs.kiosk_pictograms
    # A floor plan's image is held by its foreign key (when the plans feature is there).
    from kiosk.server.content import models

    if hasattr(models, "FloorPlan"):
        image = save_asset(demo, "plan-test", "plan", png(256, 256))[0]
        models.FloorPlan.objects.create(site=demo, slug="rdc-test", name={"fr": "RDC"},
                                        image=image)
        assert image.pk in referenced_assets().asset_ids
        report = purge_assets(now=timezone.now() + LATER)
        assert "plan-test" not in [a.slug for a in report.rows] and image.path.is_file()
