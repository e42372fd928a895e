"""GET /api/v1/carnets/{code}: the kiosk checks a carnet code the visitor typed before
issuing ("code inconnu" at once, online only). Rate-limited per kiosk: guessing codes from a
kiosk is slow, and the answer shows nothing but a count."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from kiosk.server.api.schemas import ErrorOut, RateLimitedOut, ValidationErrorOut
from kiosk.server.carnet.services import find_carnet
from kiosk.server.carnet.wire import CarnetOut
from kiosk.server.ratelimit import ratelimit

router = Router(tags=["carnet"])


@router.get("/{code}", response={200: CarnetOut, 404: ErrorOut, 400: ErrorOut, 401: ErrorOut,
                                 422: ValidationErrorOut, 429: RateLimitedOut})
@ratelimit("carnets", key="kiosk", methods=("GET",))
def get_carnet(request: HttpRequest, code: str):
    """200 with the number of procedures when the code is a live carnet of the kiosk's
    site; 404 otherwise (unknown, expired, erased, another town hall's, or a typo)."""
    carnet = find_carnet(request.kiosk.site_id, code[:40])
    if carnet is None:
        raise HttpError(404, "no such carnet")
    return {"ok": True, "procedures": carnet.folders.count()}
