"""Files agents upload (pictograms, read-aloud recordings) and floor plans with their
landmarks, as the kiosk reads them. Re-exported by kiosk.domain.content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.domain.content_wire import ContentError, Texts, Wire, _guarded, _slug, _texts
from kiosk.domain.languages import localized

# "plan": a floor plan's image. It travels inside its `plan` item (FloorPlan.image), never
# as an `asset` item: a kiosk one version behind would reject the whole delta for an asset
# kind it does not know (asset kinds are checked, unknown content kinds are skipped).
ASSET_KINDS = ("pictogram", "audio", "plan")
ASSET_TYPES = {"image/png": "png", "audio/wav": "wav"}  # wire type -> file extension
ASSET_KIND_TYPES = {"pictogram": "image/png", "audio": "audio/wav", "plan": "image/png"}
ASSET_MAX_BYTES = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Asset:
    """A file agents uploaded (a pictogram PNG, a read-aloud WAV), named by its SHA-256:
    content names it by `id` (the pictogram slug, the audio name without ".wav"); the
    kiosk downloads the bytes once from /api/v1/assets/<sha256> and checks them."""

    id: str
    kind: str  # one of ASSET_KINDS
    sha256: str  # lower-case hex
    size: int  # bytes
    type: str  # one of ASSET_TYPES

    @property
    def filename(self) -> str:
        """Content-addressed file name: <sha256>.<ext>."""
        return f"{self.sha256}.{ASSET_TYPES[self.type]}"

    @classmethod
    def from_wire(cls, data: Wire) -> Asset:
        return _guarded(cls._from_wire, "asset", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> Asset:
        kind, sha256, size, type_ = (data.get(k) for k in ("kind", "sha256", "size", "type"))
        if kind not in ASSET_KINDS:
            raise ContentError(f"asset kind must be one of {', '.join(ASSET_KINDS)}, got {kind!r}")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ContentError("asset sha256 must be 64 lower-case hex digits")
        if (not isinstance(size, int) or isinstance(size, bool)
                or not 0 < size <= ASSET_MAX_BYTES):
            raise ContentError(f"asset size must be 1..{ASSET_MAX_BYTES} bytes, got {size!r}")
        if type_ != ASSET_KIND_TYPES[kind]:
            raise ContentError(f"a {kind} asset must be {ASSET_KIND_TYPES[kind]}, got {type_!r}")
        return cls(id=_slug(data, "id"), kind=kind, sha256=sha256, size=size, type=type_)


MAX_HOTSPOTS = 40
HOTSPOT_LABEL_MAX = 60  # characters per language: a landmark's name, not a sentence


@dataclass(frozen=True)
class Hotspot:
    """A named landmark on a floor plan (the reception, the lift, the toilets): `x`, `y` in
    0..1 from the plan's top-left corner; `icon` an optional pictogram slug ("" = none)."""

    id: str
    x: float
    y: float
    label: Texts
    icon: str = ""

    def title(self, lang: str) -> str:
        return localized(self.label, lang)

    @classmethod
    def from_wire(cls, data: Wire) -> Hotspot:
        if not isinstance(data, dict):
            raise ContentError("a hotspot must be an object {id, x, y, label}")
        spot = []
        for key in ("x", "y"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ContentError(f"hotspot {key} must be a number in [0, 1], got {value!r}")
            spot.append(float(value))
        label = _texts(data, "label")
        if any(len(text) > HOTSPOT_LABEL_MAX for text in label.values()):
            raise ContentError(f"a hotspot label is at most {HOTSPOT_LABEL_MAX} characters")
        icon = data.get("icon") or ""
        return cls(id=_slug(data, "id"), x=spot[0], y=spot[1], label=label,
                   icon=_slug({"icon": icon}, "icon") if icon else "")


def parse_hotspots(value: object) -> tuple[Hotspot, ...]:
    """A plan's landmarks: a list of at most MAX_HOTSPOTS hotspots with distinct ids."""
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or len(value) > MAX_HOTSPOTS:
        raise ContentError(f"hotspots must be a list of at most {MAX_HOTSPOTS} landmarks")
    spots = tuple(Hotspot.from_wire(h) for h in value)
    ids = [h.id for h in spots]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise ContentError(f"hotspot ids must be unique ({duplicate!r} twice)")
    return spots


@dataclass(frozen=True)
class FloorPlan:
    """A floor plan agents uploaded: its image (a content-addressed PNG, fetched by hash like
    the assets) and its landmarks. A service names it by id in `plan`; a kiosk without the
    image (not downloaded yet, or none uploaded) shows the plan bundled under that id."""

    id: str
    order: int
    name: Texts
    image: Asset | None  # id "plan:<plan id>", kind "plan"; None: no uploaded image
    hotspots: tuple[Hotspot, ...] = ()

    def title(self, lang: str) -> str:
        return localized(self.name, lang)

    @classmethod
    def from_wire(cls, data: Wire) -> FloorPlan:
        return _guarded(cls._from_wire, "plan", data)

    @classmethod
    def _from_wire(cls, data: Wire) -> FloorPlan:
        plan_id = _slug(data, "id")
        image = data.get("image")
        if image is not None:
            if not isinstance(image, dict):
                raise ContentError("plan image must be an object {sha256, size, type} or null")
            image = Asset.from_wire({**image, "id": "plan", "kind": "plan"})
            image = Asset(id=f"plan:{plan_id}", kind="plan", sha256=image.sha256,
                          size=image.size, type=image.type)
        return cls(id=plan_id, order=int(data.get("order", 0)), name=_texts(data, "name"),
                   image=image, hotspots=parse_hotspots(data.get("hotspots")))
