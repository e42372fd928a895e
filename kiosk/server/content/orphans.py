"""Orphan assets: `Asset` rows no content names any more, and blob files no row holds.

Agents replace pictograms and recordings; the bytes are content-addressed
(<data dir>/assets/<sha256>.<ext>, kiosk/server/content/assets.py), so a replaced file stays
on disk, and a row whose service was deleted stays in every kiosk's sync. The nightly
`python -m kiosk.server purge_assets` (deploy/server/carrefour-purge.service) removes them:

1. rows: an `Asset` is referenced when `referenced_assets()` says so (see there: the one
   place to extend when content gains a new way to name an asset). Deleting a row logs an
   `asset` deletion (do_delete_content), so kiosks drop it at their next sync.
2. blobs: a file <sha256>.<ext> is referenced while any row of any site has that sha256
   (two slugs, or two sites, may share the same bytes). Leftover temporary files of an
   interrupted upload (".<sha>.*.part") go too.

Nothing younger than the grace period (7 days) goes: a row uploaded or replaced this week
(an agent uploads a pictogram, then writes the service that uses it), a file written this
week (an upload between its store_blob and its row, a kiosk mid-sync).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from kiosk.domain.content import INTERESTS
from kiosk.server.content.actions import do_delete_content
from kiosk.server.content.assets import assets_dir
from kiosk.server.content.models import Asset, ContentChange

log = logging.getLogger(__name__)

GRACE = dt.timedelta(days=7)
BLOB_NAME = re.compile(r"([0-9a-f]{64})\.[a-z0-9]{1,8}")
PART_NAME = re.compile(r"\.[0-9a-f]{12}\..+\.part")  # store_blob's temporary files
BUNDLED_PICTOGRAMS = Path(__file__).resolve().parents[3] / "assets" / "pictograms" / "src"


@dataclass
class References:
    """What the content names: pictogram slugs and audio file names per site, rows held by
    a foreign key (a floor plan's image), and slugs the kiosk itself uses on every site."""

    pictograms: set[tuple[int, str]] = field(default_factory=set)  # (site id, slug)
    audio: set[tuple[int, str]] = field(default_factory=set)  # (site id, "x-wo.wav")
    asset_ids: set[int] = field(default_factory=set)  # Asset pks held by a foreign key
    kiosk_pictograms: set[str] = field(default_factory=set)  # any site

    def holds(self, asset: Asset) -> bool:
        if asset.pk in self.asset_ids:
            return True
        if asset.kind == "pictogram":
            return (asset.slug in self.kiosk_pictograms
                    or (asset.site_id, asset.slug) in self.pictograms)
        if asset.kind == "audio":
            return (asset.site_id, f"{asset.slug}.wav") in self.audio
        if asset.kind == "plan":
            return False  # only a floor plan's `image` names one (asset_ids)
        return True  # a kind this code does not know: never guess


def kiosk_pictograms() -> set[str]:
    """Slugs the kiosk shows by name whatever the content (its buttons, the envies chips):
    an upload under one of them replaces the bundled drawing on every kiosk."""
    bundled = {p.stem for p in BUNDLED_PICTOGRAMS.glob("*.svg")} if BUNDLED_PICTOGRAMS.is_dir() \
        else set()
    return bundled | {pictogram for _label, pictogram in INTERESTS.values()}


def referenced_assets() -> References:
    """Every asset content refers to, drafts and unpublished items included (an agent may
    publish them again). Content models are found by their fields, so a new model with a
    `pictogram` slug, an `audio` map or a foreign key to Asset is covered without a change
    here; a new kind of reference (a slug inside some JSON) is added below."""
    refs = References(kiosk_pictograms=kiosk_pictograms())
    for model in apps.get_app_config("content").get_models():
        names = {f.name for f in model._meta.get_fields()}
        if "site" not in names:
            continue
        if "pictogram" in names:
            refs.pictograms.update(model.objects.values_list("site_id", "pictogram"))
        if "audio" in names:
            for site_id, audio in model.objects.values_list("site_id", "audio"):
                if isinstance(audio, dict):
                    refs.audio.update((site_id, name) for name in audio.values()
                                      if isinstance(name, str))
        if "hotspots" in names:  # a floor plan's landmarks may carry a pictogram ("icon")
            for site_id, spots in model.objects.values_list("site_id", "hotspots"):
                for spot in spots if isinstance(spots, list) else ():
                    if isinstance(spot, dict) and spot.get("icon"):
                        refs.pictograms.add((site_id, spot["icon"]))
    for model in apps.get_models():  # FloorPlan.image, and any later foreign key to Asset
        for fk in model._meta.get_fields():
            if fk.concrete and (fk.many_to_one or fk.one_to_one) and fk.related_model is Asset:
                refs.asset_ids.update(model._default_manager.filter(
                    **{f"{fk.attname}__isnull": False}).values_list(fk.attname, flat=True))
    return refs


@dataclass
class PurgeReport:
    rows: list[Asset] = field(default_factory=list)  # Asset rows deleted (or that would be)
    blobs: list[tuple[Path, int]] = field(default_factory=list)  # (file, bytes)

    @property
    def bytes_freed(self) -> int:
        return sum(size for _path, size in self.blobs)


def orphan_rows(now: dt.datetime, grace: dt.timedelta = GRACE) -> list[Asset]:
    """Asset rows nothing refers to, older than the grace period (uploaded or replaced)."""
    cutoff = now - grace
    refs = referenced_assets()
    recent = set(ContentChange.objects.filter(kind=Asset.KIND, at__gte=cutoff)
                 .values_list("site_id", "key"))
    return [a for a in Asset.objects.order_by("site_id", "slug")
            if not refs.holds(a) and a.created_at < cutoff and (a.site_id, a.slug) not in recent]


def orphan_blobs(now: dt.datetime, keep_sha256: set[str],
                 grace: dt.timedelta = GRACE) -> list[tuple[Path, int]]:
    """Files in the assets directory whose sha256 no row holds (and interrupted uploads'
    temporary files), last written before the grace period. Other files are left alone."""
    directory = assets_dir()
    if not directory.is_dir():
        return []
    cutoff = (now - grace).timestamp()
    found = []
    for path in sorted(directory.iterdir()):
        match = BLOB_NAME.fullmatch(path.name)
        if not (match or PART_NAME.fullmatch(path.name)) or not path.is_file():
            continue
        if match and match.group(1) in keep_sha256:
            continue
        stat = path.stat()
        if stat.st_mtime < cutoff:
            found.append((path, stat.st_size))
    return found


def purge_assets(dry_run: bool = False, now: dt.datetime | None = None,
                 grace: dt.timedelta = GRACE) -> PurgeReport:
    """Delete orphan rows, then the blobs no remaining row holds; `dry_run`: only say so."""
    now = now or timezone.now()
    report = PurgeReport()
    with transaction.atomic():
        for asset in orphan_rows(now, grace):
            if not dry_run:
                try:
                    do_delete_content(asset)  # kiosks drop it at their next sync
                except ProtectedError:  # held since we looked (a plan saved meanwhile)
                    continue
            report.rows.append(asset)
        gone = {a.pk for a in report.rows}
        keep = {sha for pk, sha in Asset.objects.values_list("pk", "sha256") if pk not in gone}
    for path, size in orphan_blobs(now, keep, grace):
        if not dry_run:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
        report.blobs.append((path, size))
    log.info("purge_assets%s: %d asset rows and %d files %s, %d bytes %s",
             " (dry run)" if dry_run else "", len(report.rows), len(report.blobs),
             "to delete" if dry_run else "deleted", report.bytes_freed,
             "to free" if dry_run else "freed")
    return report
