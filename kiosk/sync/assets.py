"""Content-addressed assets on the kiosk: pictograms and recordings agents uploaded.

After each content pull, `AssetFetcher.fetch_missing()` downloads the file of every `asset`
item the kiosk does not hold yet to `<data dir>/assets/<sha256>.<ext>`: into a temporary
file of the same directory, checked (size and SHA-256), then `os.replace`d into place, so a
file under its final name is always whole and right. A download that does not check out is
deleted and logged; the slug keeps its previous file (`installed.json` remembers the last
good file of each slug) and the next sync tries again. Nothing here raises for the network
or for a bad file: a bad asset never blocks content nor stops the sync loop.

`synced_file()` is the UI's lookup (slug -> file); `pictogram_file()` adds the fallback to
the pictograms bundled with the kiosk. Floor plans' images (inside `plan` items) are fetched
and kept the same way, named "plan:<plan id>"; `plan_file()` falls back to the bundled plan.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.ports import ContentSource, KioskStore, KioskTransport, TransportError

if TYPE_CHECKING:
    from kiosk.domain.content import Asset
    from kiosk.sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)

INDEX = "installed.json"  # slug -> file name of the last good file installed for it
_BLOB = re.compile(r"[0-9a-f]{64}\.(png|wav)")


@dataclass
class AssetReport:
    fetched: list[str] = field(default_factory=list)  # slugs installed by this run
    failed: dict[str, str] = field(default_factory=dict)  # slug -> why (retried next sync)
    present: int = 0  # already held
    removed: int = 0  # files of assets no longer in the content


def _read_index(directory: Path) -> dict[str, str]:
    try:
        data = json.loads((directory / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items()
            if isinstance(k, str) and isinstance(v, str) and _BLOB.fullmatch(v)}


def _write_index(directory: Path, index: dict[str, str]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".installed.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(index, fh, sort_keys=True)
        os.replace(tmp, directory / INDEX)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class AssetFetcher:
    def __init__(self, store: ContentSource, transport: KioskTransport, directory: str | Path):
        self.store = store
        self.transport = transport
        self.directory = Path(directory)

    def fetch_missing(self) -> AssetReport:
        report = AssetReport()
        assets = self.store.assets() + plan_images(self.store)
        if not assets and not self.directory.is_dir():
            return report  # nothing to hold, nothing held: not even a directory
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.directory.glob(".*.part"):  # a download cut by a crash
            leftover.unlink(missing_ok=True)
        index = _read_index(self.directory)
        before = dict(index)
        for asset in assets:
            if (self.directory / asset.filename).is_file():
                report.present += 1
                index[asset.id] = asset.filename
                continue
            try:
                self._download(asset)
            except TransportError as exc:
                report.failed[asset.id] = str(exc)
                log.warning("asset %s not downloaded: %s", asset.id, exc)
                if exc.retryable:
                    # The server is unreachable or busy: the others would fail the same way.
                    for rest in assets[assets.index(asset) + 1:]:
                        if not (self.directory / rest.filename).is_file():
                            report.failed.setdefault(rest.id, "not tried")
                    break
                continue
            except _Rejected as exc:
                report.failed[asset.id] = str(exc)
                log.warning("asset %s rejected, keeping the previous file: %s", asset.id, exc)
                continue
            except OSError as exc:  # disk full, permissions: keep going, try again later
                report.failed[asset.id] = f"{exc.__class__.__name__}: {exc}"
                log.warning("asset %s not written: %s", asset.id, exc)
                continue
            index[asset.id] = asset.filename
            report.fetched.append(asset.id)
        held = {a.id for a in assets}
        index = {slug: name for slug, name in index.items() if slug in held}
        report.removed = self._prune({a.filename for a in assets} | set(index.values()))
        try:
            if index != before or not (self.directory / INDEX).is_file():
                _write_index(self.directory, index)  # not on every sync: spare the disk
        except OSError as exc:
            log.warning("asset index not written: %s", exc)
        return report

    def _download(self, asset: Asset) -> None:
        data = self.transport.get_asset(asset.sha256)
        fd, tmp = tempfile.mkstemp(prefix=f".{asset.sha256[:12]}.", suffix=".part",
                                   dir=self.directory)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            with open(tmp, "rb") as fh:  # check what is on disk, not what we meant to write
                for chunk in iter(lambda: fh.read(64 * 1024), b""):
                    digest.update(chunk)
                    size += len(chunk)
            if size != asset.size:
                raise _Rejected(f"{size} bytes instead of {asset.size}")
            if digest.hexdigest() != asset.sha256:
                raise _Rejected(f"sha256 {digest.hexdigest()[:12]}… instead of {asset.sha256[:12]}…")
            os.replace(tmp, self.directory / asset.filename)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _prune(self, keep: set[str]) -> int:
        """Delete the files no asset item (nor a slug's last good file) refers to any more."""
        removed = 0
        for path in self.directory.iterdir():
            if _BLOB.fullmatch(path.name) and path.name not in keep:
                try:
                    path.unlink()
                    removed += 1
                except OSError as exc:
                    log.warning("could not delete asset file %s: %s", path.name, exc)
        return removed


class _Rejected(Exception):
    """A download whose size or hash is not the one the content announced."""


def synced_file(store: ContentSource, directory: str | Path, slug: str) -> Path | None:
    """The downloaded file of the asset `slug` names, or None (no such asset item, or not
    downloaded yet and no earlier good file for that slug)."""
    if not slug:
        return None
    try:
        asset = store.asset(slug)
    except Exception:  # the UI never breaks on a lookup (a store's read error)
        log.exception("asset lookup failed for %s", slug)
        return None
    if asset is None:
        return None
    directory = Path(directory)
    path = directory / asset.filename
    if path.is_file():
        return path
    previous = _read_index(directory).get(slug)
    if previous and (directory / previous).is_file():
        return directory / previous
    return None


def pictogram_file(store: ContentSource, synced_dir: str | Path, bundled_dir: str | Path, slug: str) -> str:
    """What `app.pictogram(slug)` shows: the pictogram agents uploaded for `slug` when the
    kiosk holds it, else the one bundled with the kiosk (<assets>/pictograms/build/<slug>.png),
    else "" (no image)."""
    synced = synced_file(store, synced_dir, slug)
    if synced is not None and synced.suffix == ".png":
        return str(synced)
    bundled = Path(bundled_dir) / "pictograms" / "build" / f"{slug}.png"
    return str(bundled) if bundled.exists() else ""


def plan_images(store: ContentSource) -> list[Asset]:
    """The image of every synced floor plan, as an asset named "plan:<plan id>" (plan images
    travel inside their `plan` item, never as `asset` items: docs/protocol.md)."""
    return [plan.image for plan in store.plans() if plan.image is not None]


def plan_file(store: ContentSource, synced_dir: str | Path, bundled_dir: str | Path,
              plan_id: str) -> str:
    """The image a service's `plan` shows: the synced floor plan's image once downloaded
    (else its last good file), else the plan bundled with the kiosk
    (<assets>/plans/build/<plan_id>.png), else "" (no plan)."""
    if not plan_id:
        return ""
    try:
        plan = store.plan(plan_id)
    except Exception:  # the UI never breaks on a lookup (a store's read error)
        log.exception("plan lookup failed for %s", plan_id)
        plan = None
    if plan is not None and plan.image is not None:
        directory = Path(synced_dir)
        path = directory / plan.image.filename
        if path.is_file():
            return str(path)
        previous = _read_index(directory).get(plan.image.id)
        if previous and previous.endswith(".png") and (directory / previous).is_file():
            return str(directory / previous)
    bundled = Path(bundled_dir) / "plans" / "build" / f"{plan_id}.png"
    return str(bundled) if bundled.exists() else ""


def audio_file(store: ContentSource, synced_dir: str | Path, name: str) -> Path | None:
    """The synced recording for a content audio name ("naissance-wo.wav" is the asset
    "naissance-wo"), or None."""
    if not name.endswith(".wav"):
        return None
    synced = synced_file(store, synced_dir, name[: -len(".wav")])
    return synced if synced is not None and synced.suffix == ".wav" else None


def asset_dir_of(store: KioskStore) -> Path | None:
    """<data dir>/assets beside the store's SQLite file; None for an in-memory store."""
    data_dir = store.data_dir()
    return None if data_dir is None else data_dir / "assets"


def fetch_assets(engine: SyncEngine, report: SyncReport) -> None:
    """The sync engine's step after a content pull; never raises (a server without assets
    answers 404 per file: logged, retried next sync). New files mark the content changed so
    the screens pick them up."""
    directory = asset_dir_of(engine.store)
    if directory is None:
        return
    try:
        result = AssetFetcher(engine.store, engine.transport, directory).fetch_missing()
    except Exception:
        log.exception("asset fetch failed")
        return
    if result.fetched:
        report.content_changed = True
