"""The bundled pictograms' PNGs (assets/pictograms/build, rendered from src/*.svg by
assets/pictograms/render.py) for the checklists and fiches on the web pages."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from django.conf import settings

_SLUG = re.compile(r"[a-z0-9-]{1,64}")


def build_dir() -> Path:
    return Path(settings.PROJECT_DIR) / "assets" / "pictograms" / "build"


@functools.lru_cache(maxsize=128)
def pictogram_png(slug: str) -> bytes | None:
    """The PNG bytes of a bundled pictogram; None for a name that has none."""
    if not _SLUG.fullmatch(slug):
        return None
    try:
        return (build_dir() / f"{slug}.png").read_bytes()
    except OSError:
        return None
