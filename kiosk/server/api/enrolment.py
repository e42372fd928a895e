"""POST /api/v1/enrol: a new kiosk spends a one-time enrolment code for its token.

Unauthenticated (the machine has no token yet) but gated by the code, and rate-limited per
client address (RATELIMITS["enrol"]). deploy/kiosk/provision.sh is the client: it checks the
code first (POST /api/v1/enrol/check, which spends nothing), installs the machine, then
enrols and writes the token into a root-only file.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from kiosk.server.api.schemas import (
    ErrorOut,
    RateLimitedOut,
    ValidationErrorOut,
    text_field,
    text_type,
)
from kiosk.server.enrolment.services import EnrolmentError, enrol, server_url, usable_code
from kiosk.server.ratelimit import client_ip, ratelimit

router = Router(tags=["enrolment"])



class EnrolErrorOut(Schema):
    detail: str = Field(description="what is wrong with the code, in words")
    reason: str = Field(description="unknown (404), used (409), expired or revoked (410), "
                        "malformed (422)")


CODE_ERRORS = {400: ErrorOut, 404: EnrolErrorOut, 409: EnrolErrorOut, 410: EnrolErrorOut,
               422: EnrolErrorOut | ValidationErrorOut, 429: RateLimitedOut}


class EnrolCheckIn(Schema):
    code: str = Field(..., max_length=40, description="the code shown in the back-office, "
                      "e.g. 7K2M-Q9XD-4TNA-H3RB (case, spaces and dashes do not matter)")


class EnrolIn(EnrolCheckIn):
    hostname: text_type(100) = text_field("", 100, "the machine's host name (the kiosk's "
                                          "name when the agent gave none)")
    name: text_type(100) = text_field("", 100, "a kiosk name asked for by the installer; "
                                      "the agent's name for the code wins")


class SiteOut(Schema):
    slug: str
    name: str


class KioskOut(Schema):
    id: int
    name: str


class EnrolCheckOut(Schema):
    site: SiteOut
    kiosk_name: str = Field(description="the name the agent chose; empty: the host name")
    expires_at: str


class EnrolOut(Schema):
    protocol: int = 1
    token: str = Field(description="the kiosk's bearer token, given this once only")
    kiosk: KioskOut
    site: SiteOut
    server_url: str = Field(description="the server's public base URL (may be empty: then "
                            "the URL the installer used)")
    time_zone: str


def _site(site) -> dict:
    return {"slug": site.slug, "name": site.name}


def _refused(exc: EnrolmentError):
    return Status(exc.status, {"detail": str(exc), "reason": exc.reason})


@router.post("/check", auth=None, response={200: EnrolCheckOut, **CODE_ERRORS})
@ratelimit("enrol")
def check_code(request: HttpRequest, body: EnrolCheckIn):
    """Is this code valid now, and for which site? Spends nothing."""
    try:
        code = usable_code(body.code)
    except EnrolmentError as exc:
        return _refused(exc)
    return Status(200, {"site": _site(code.site), "kiosk_name": code.kiosk_name,
                 "expires_at": code.expires_at.isoformat()})


@router.post("", auth=None, response={201: EnrolOut, **CODE_ERRORS})
@ratelimit("enrol")
def enrol_kiosk(request: HttpRequest, body: EnrolIn):
    """Spend the code: a new kiosk of its site and its token (shown once)."""
    try:
        done = enrol(body.code, hostname=body.hostname, name=body.name,
                     address=client_ip(request))
    except EnrolmentError as exc:
        return _refused(exc)
    return Status(201, {"token": done.token, "kiosk": {"id": done.kiosk.pk, "name": done.kiosk.name},
                 "site": _site(done.kiosk.site), "server_url": server_url(request),
                 "time_zone": settings.TIME_ZONE})
