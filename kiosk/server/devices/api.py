"""GET /api/v1/releases/<sha256>: a release bundle, by hash, for kiosks (docs/updates.md)."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest
from ninja import Router
from ninja.errors import HttpError

from kiosk.server.api.schemas import ErrorOut
from kiosk.server.devices.models import Release

router = Router(tags=["updates"])
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@router.get("/releases/{sha256}", response={200: None, 401: ErrorOut, 404: ErrorOut})
def get_release(request: HttpRequest, sha256: str):
    """The bytes of a release bundle (the `update.url` of a heartbeat answer). Immutable:
    the kiosk checks the sha256, then the signature against its pinned key."""
    release = (Release.objects.filter(sha256=sha256).first()
               if SHA256_HEX.fullmatch(sha256) else None)
    if release is None:
        raise HttpError(404, "no such release")
    try:
        handle = open(release.path, "rb")  # noqa: SIM115 - FileResponse closes it
    except FileNotFoundError:
        raise HttpError(404, "no such release") from None
    response = FileResponse(handle, content_type="application/x-tar")
    response["ETag"] = f'"{sha256}"'
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
