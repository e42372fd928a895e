"""Pictograms and recordings agents upload: validation, rasterisation, content-addressed storage.

What is stored is always a checked file kiosks can show or play as is:

- a PNG (signature, IHDR read here: 64 to 1024 px, square-ish, at most 512 KB);
- an SVG (at most 256 KB, no DOCTYPE/ENTITY, no script, no event attribute, no reference
  outside the file), rasterised to a 256×256 PNG by `rsvg-convert` (Debian librsvg2-bin);
- a WAV for read-aloud (RIFF/WAVE header, at most 1 MB);
- a floor plan's image (kind "plan"): a PNG of 200 to 2400 px, at most 4:1, at most 1 MB, or
  an SVG checked as above (any aspect up to 4:1) rasterised 1600 px wide.

The bytes go to <data dir>/assets/<sha256>.<ext> through a temporary file and an atomic
rename; the same bytes are stored once, whatever the site or the slug.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

from django import forms
from django.conf import settings
from django.db import transaction

from kiosk.domain.content import ASSET_MAX_BYTES, ASSET_TYPES
from kiosk.server.content.actions import do_save_content
from kiosk.server.content.models import Asset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_MAX_BYTES = 512 * 1024
PNG_MIN_SIDE, PNG_MAX_SIDE = 64, 1024
PNG_MAX_RATIO = 1.25  # "square-ish": the longer side at most 1.25 times the shorter
SVG_MAX_BYTES = 256 * 1024
SVG_RENDER_SIDE = 256
WAV_MAX_BYTES = ASSET_MAX_BYTES
RSVG_TIMEOUT = 20  # seconds


class AssetRejected(ValueError):
    """An upload that cannot be stored; the message is for the agent, in French."""


def _kb(n: int) -> str:
    return f"{n // 1024} Ko"


# -- PNG ------------------------------------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, or AssetRejected when it is not a PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise AssetRejected("Ce fichier n'est pas une image PNG (signature absente).")
    if len(data) < 33:
        raise AssetRejected("Image PNG incomplète (en-tête IHDR manquant).")
    length, ctype = struct.unpack(">I4s", data[8:16])
    if ctype != b"IHDR" or length != 13:
        raise AssetRejected("Image PNG invalide : le premier bloc n'est pas IHDR.")
    (crc,) = struct.unpack(">I", data[29:33])
    if zlib.crc32(data[12:29]) != crc:
        raise AssetRejected("Image PNG abîmée (somme de contrôle de l'en-tête fausse).")
    return struct.unpack(">II", data[16:24])


def _check_png_image(data: bytes, *, max_bytes: int, min_side: int, max_side: int,
                     max_ratio: float, noun: str, ratio_rule: str) -> bytes:
    """A whole PNG within a size in bytes, a side range and an aspect ratio."""
    if len(data) > max_bytes:
        raise AssetRejected(f"Image PNG trop lourde : {_kb(len(data))} pour {_kb(max_bytes)} "
                            "au plus.")
    width, height = png_size(data)
    if not data.endswith(b"IEND\xaeB`\x82"):
        raise AssetRejected("Image PNG incomplète (fin de fichier IEND absente).")
    if min(width, height) < min_side or max(width, height) > max_side:
        raise AssetRejected(f"{noun} de {width}×{height} pixels : il faut entre {min_side} "
                            f"et {max_side} pixels de côté.")
    if max(width, height) > max_ratio * min(width, height):
        raise AssetRejected(f"{noun} de {width}×{height} pixels : {ratio_rule}")
    return data


def check_png(data: bytes) -> bytes:
    return _check_png_image(data, max_bytes=PNG_MAX_BYTES, min_side=PNG_MIN_SIDE,
                            max_side=PNG_MAX_SIDE, max_ratio=PNG_MAX_RATIO, noun="Image",
                            ratio_rule="un pictogramme doit être à peu près carré.")


# -- SVG ------------------------------------------------------------------------------------

_FORBIDDEN_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_OTHER_ENCODING = re.compile(rb"encoding\s*=\s*[\"'](?!utf-?8[\"']|us-ascii[\"'])",
                             re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video",
                   "handler", "listener"}


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def check_svg_markup(data: bytes, square: bool = True) -> None:
    """Refuse what could make the renderer fetch, run or expand anything (and, for a
    pictogram, a drawing far from square)."""
    if len(data) > SVG_MAX_BYTES:
        raise AssetRejected(f"Fichier SVG trop lourd : {_kb(len(data))} pour {_kb(SVG_MAX_BYTES)} "
                            "au plus.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise AssetRejected("SVG refusé : le fichier doit être encodé en UTF-8.") from None
    if _OTHER_ENCODING.search(data[:200]):
        raise AssetRejected("SVG refusé : le fichier doit être encodé en UTF-8.")
    if _FORBIDDEN_MARKUP.search(data):
        raise AssetRejected("SVG refusé : les déclarations DOCTYPE et ENTITY sont interdites.")
    if b"<?xml-stylesheet" in data:
        raise AssetRejected("SVG refusé : feuille de style externe.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise AssetRejected(f"Fichier SVG illisible : {exc}.") from None
    if _local(root.tag) != "svg":
        raise AssetRejected("Ce fichier n'est pas un SVG (l'élément racine n'est pas <svg>).")
    for element in root.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag in _FORBIDDEN_TAGS:
            raise AssetRejected(f"SVG refusé : l'élément <{tag}> est interdit.")
        if tag == "style" and (_CSS_URL.search(element.text or "") or "@import" in (element.text or "")):
            raise AssetRejected("SVG refusé : la feuille de style appelle une ressource externe.")
        for name, value in element.attrib.items():
            attr = _local(name)
            if attr.startswith("on"):
                raise AssetRejected(f"SVG refusé : l'attribut {attr} (script) est interdit.")
            if attr in ("href", "src") and not value.strip().startswith("#"):
                raise AssetRejected("SVG refusé : il fait référence à un fichier ou une adresse "
                                    f"externe ({value[:60]!r}).")
            if _CSS_URL.search(value):
                raise AssetRejected("SVG refusé : un style appelle une ressource externe.")
    view_box = root.get("viewBox", "").replace(",", " ").split()
    if len(view_box) == 4:
        try:
            width, height = abs(float(view_box[2])), abs(float(view_box[3]))
        except ValueError:
            raise AssetRejected("SVG refusé : viewBox illisible.") from None
        if not width or not height:
            raise AssetRejected("SVG refusé : viewBox vide.")
        if square and max(width, height) > PNG_MAX_RATIO * min(width, height):
            raise AssetRejected("SVG refusé : un pictogramme doit être à peu près carré.")
        if not square and max(width, height) > PLAN_MAX_RATIO * min(width, height):
            raise AssetRejected("SVG refusé : un plan d'étage est au plus 4 fois plus large "
                                "que haut (ou l'inverse).")


def _rsvg(data: bytes, size_args: list[str]) -> bytes:
    """Rasterise a checked SVG with rsvg-convert (`size_args`: --width/--height...), through
    temp files; a clear AssetRejected for every way it can fail. The same drawing at the
    same size is drawn once per process (load_demo's plans, each time the demo is loaded)."""
    rsvg = shutil.which("rsvg-convert")
    if rsvg is None:
        raise AssetRejected("Impossible de convertir le SVG : l'outil rsvg-convert n'est pas "
                            "installé sur le serveur (paquet Debian librsvg2-bin). Envoyez un "
                            "PNG, ou demandez son installation.")
    return _rsvg_once(rsvg, data, tuple(size_args))


@functools.lru_cache(maxsize=8)  # a few plans: a few hundred KB each
def _rsvg_once(rsvg: str, data: bytes, size_args: tuple[str, ...]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="carrefour-svg-") as tmp:
        source, target = Path(tmp) / "in.svg", Path(tmp) / "out.png"
        source.write_bytes(data)
        try:
            result = subprocess.run(
                [rsvg, *size_args, "--format", "png", "--output", str(target), str(source)],
                capture_output=True, text=True, check=False, timeout=RSVG_TIMEOUT, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise AssetRejected("Le SVG met trop de temps à se dessiner.") from None
        if result.returncode != 0 or not target.is_file():
            detail = (result.stderr or "").strip()[:200]
            raise AssetRejected(f"Le SVG n'a pas pu être dessiné ({detail or 'erreur inconnue'}).")
        return target.read_bytes()


def render_svg(data: bytes, side: int = SVG_RENDER_SIDE) -> bytes:
    """Rasterise a checked SVG to a side×side PNG."""
    png = _rsvg(data, ["--width", str(side), "--height", str(side)])
    if png_size(png) != (side, side):
        raise AssetRejected("Le SVG n'a pas donné une image carrée.")
    return png


# -- floor plans --------------------------------------------------------------------------

PLAN_MIN_SIDE, PLAN_MAX_SIDE = 200, 2400
PLAN_MAX_RATIO = 4.0
PLAN_MAX_BYTES = ASSET_MAX_BYTES
PLAN_RENDER_WIDTH = 1600  # px, like assets/plans/render.py; the height keeps the aspect ratio


def check_plan_png(data: bytes) -> bytes:
    return _check_png_image(data, max_bytes=PLAN_MAX_BYTES, min_side=PLAN_MIN_SIDE,
                            max_side=PLAN_MAX_SIDE, max_ratio=PLAN_MAX_RATIO, noun="Plan",
                            ratio_rule="au plus 4 fois plus large que haut (ou l'inverse).")


def render_plan_svg(data: bytes, width: int = PLAN_RENDER_WIDTH) -> bytes:
    """Rasterise a checked plan SVG `width` px wide, keeping its aspect ratio."""
    return check_plan_png(_rsvg(data, ["--width", str(width), "--keep-aspect-ratio"]))


# -- WAV ------------------------------------------------------------------------------------

def check_wav(data: bytes) -> bytes:
    if len(data) > WAV_MAX_BYTES:
        raise AssetRejected(f"Enregistrement trop lourd : {_kb(len(data))} pour "
                            f"{_kb(WAV_MAX_BYTES)} au plus.")
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AssetRejected("Ce fichier n'est pas un enregistrement WAV (en-tête RIFF/WAVE absent).")
    if b"fmt " not in data[12:256]:
        raise AssetRejected("Enregistrement WAV invalide (bloc « fmt » absent).")
    return data


# -- what an upload becomes -------------------------------------------------------------------

def _looks_like_svg(name: str, data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return name.lower().endswith(".svg") or head.startswith((b"<?xml", b"<svg", b"<!--"))


def validate_upload(kind: str, name: str, data: bytes) -> tuple[bytes, str]:
    """(bytes to store, content type) for an upload of `kind`, or AssetRejected."""
    if not data:
        raise AssetRejected("Le fichier est vide.")
    if kind == "audio":
        return check_wav(data), "audio/wav"
    if kind == "plan":
        if data.startswith(PNG_SIGNATURE):
            return check_plan_png(data), "image/png"
        if _looks_like_svg(name, data):
            check_svg_markup(data, square=False)
            return render_plan_svg(data), "image/png"
        raise AssetRejected("Un plan d'étage doit être une image PNG ou un dessin SVG.")
    if kind != "pictogram":
        raise AssetRejected(f"Type de fichier inconnu : {kind!r}.")
    if data.startswith(PNG_SIGNATURE):
        return check_png(data), "image/png"
    if _looks_like_svg(name, data):
        check_svg_markup(data)
        return render_svg(data), "image/png"
    raise AssetRejected("Un pictogramme doit être une image PNG ou un dessin SVG.")


def assets_dir() -> Path:
    return Path(settings.DATA_DIR) / "assets"


def store_blob(data: bytes, content_type: str) -> tuple[str, Path]:
    """Write the bytes at <data dir>/assets/<sha256>.<ext> (atomic; once): (sha256, path)."""
    sha256 = hashlib.sha256(data).hexdigest()
    directory = assets_dir()
    path = directory / f"{sha256}.{ASSET_TYPES[content_type]}"
    if path.is_file() and path.stat().st_size == len(data):
        return sha256, path
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{sha256[:12]}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return sha256, path


def save_asset(site, slug: str, kind: str, data: bytes, name: str = "", user=None):
    """Validate, store and record an upload as the site's asset `slug`: (asset, changed).
    The same bytes again under the same slug change nothing (no change-log row)."""
    stored, content_type = validate_upload(kind, name, data)
    sha256, _ = store_blob(stored, content_type)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().filter(site=site, slug=slug).first()
        if asset is not None and (asset.sha256, asset.kind) == (sha256, kind):
            return asset, False
        asset = asset or Asset(site=site, slug=slug)
        asset.kind, asset.sha256, asset.size, asset.content_type = (
            kind, sha256, len(stored), content_type)
        asset.full_clean()
        do_save_content(asset, user)
    return asset, True


class AssetForm(forms.ModelForm):
    """The back-office upload: the file is checked (and an SVG rasterised) in clean(); the
    asset's sha256, size and type come from the stored bytes. Adding a slug the site already
    has replaces that asset (the same bytes again: nothing changes)."""

    upload = forms.FileField(
        required=False, label="Fichier",
        help_text="Pictogramme : PNG carré de 64 à 1024 px (512 Ko au plus) ou SVG (256 Ko au "
                  "plus, converti en PNG 256×256). Enregistrement : WAV (1 Mo au plus).")

    class Meta:
        model = Asset
        fields = ("site", "slug", "kind")

    blob: tuple[bytes, str] | None = None

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is None:
            if self.instance.pk is None:
                self.add_error("upload", "Choisissez un fichier : PNG ou SVG pour un "
                                         "pictogramme, WAV pour un enregistrement.")
            return cleaned
        if upload.size > ASSET_MAX_BYTES:
            self.add_error("upload", f"Fichier trop lourd : {_kb(upload.size)} pour "
                                     f"{_kb(ASSET_MAX_BYTES)} au plus.")
            return cleaned
        kind = cleaned.get("kind")
        if kind is None:
            return cleaned  # the kind field reports its own error
        try:
            stored, content_type = validate_upload(kind, upload.name or "", upload.read())
        except AssetRejected as exc:
            self.add_error("upload", str(exc))
            return cleaned
        site, slug = cleaned.get("site"), cleaned.get("slug")
        if self.instance.pk is None and site is not None and slug:
            existing = Asset.objects.filter(site=site, slug=slug).first()
            if existing is not None:
                self.instance = existing  # a new file for a name already used replaces it
        self.blob = (stored, content_type)
        self.instance.sha256 = hashlib.sha256(stored).hexdigest()
        self.instance.size = len(stored)
        self.instance.content_type = content_type
        return cleaned

    def unchanged(self) -> bool:
        """True when saving would change nothing (the same bytes, name and kind again)."""
        obj = self.instance
        if obj.pk is None:
            return False
        before = Asset.objects.filter(pk=obj.pk).values_list(
            "site_id", "slug", "kind", "sha256").first()
        return before == (obj.site_id, obj.slug, obj.kind, obj.sha256)
