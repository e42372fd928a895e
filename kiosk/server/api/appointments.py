"""Appointments (docs/queues.md, the appointment lane):

- ``POST /api/v1/appointments/checkin`` (kiosk token, rate-limited per kiosk): the visitor
  gives the code (or initials + time); the answer is a ticket in the appointment lane
  (``lane: true``, called at the slot) or, later than the grace, in the normal queue.
- ``GET /api/v1/appointments/slots`` (kiosk token, rate-limited per kiosk): the distinct
  start times ("HH:MM") of the site's appointments open for check-in around now, for the
  time step without the code; nothing else of them (appointments/slots.py).
- ``PUT /api/v1/appointments/push/{external_id}`` (a booking system's API key for one site,
  ``Authorization: Bearer rdv_…``): create or update an appointment; idempotent on the
  external id (the same body again changes nothing and answers the same code).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from kiosk.domain.appointments import initials as initials_of
from kiosk.server.api.schemas import ErrorOut, RateLimitedOut, ValidationErrorOut
from kiosk.server.appointments.models import Appointment, BookingKey
from kiosk.server.appointments.services import Booking, do_checkin, find_for_checkin, save_booking
from kiosk.server.appointments.slots import open_times
from kiosk.server.content.models import Service
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.ratelimit import ratelimit

router = Router(tags=["appointments"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


class BookingBearer(HttpBearer):
    def authenticate(self, request, token: str):
        key = BookingKey.objects.authenticate(token)
        if key is None:
            return None
        request.booking_key = key
        return key


class CheckinIn(Schema):
    code: str = Field("", max_length=12, pattern=r"^\d*$")
    initials: str = Field("", max_length=4, pattern=r"^[A-Za-z]*$")
    time: str = Field("", max_length=5, pattern=r"^(\d{1,2}:\d{2})?$",
                      description="HH:MM, the slot's start (with initials)")
    language: str = Field("fr", max_length=5)


class CheckinOut(Schema):
    number: str
    id: str = Field(description="the ticket's public token (its phone page)")
    service: str
    lane: bool = Field(description="true: the appointment lane, called at the slot; "
                                   "false: checked in after the grace, the normal queue")
    slot: str = Field(description="HH:MM, site time")
    minutes_to_slot: int
    created: bool
    phone_url: str = Field(description="the ticket's phone page (its QR code)")


@router.post("/checkin", response={200: CheckinOut, 201: CheckinOut, **ERRORS,
                                   429: RateLimitedOut})
@ratelimit("checkin", key="kiosk")  # a code is 6 digits: guessing from a kiosk is slow
def checkin(request: HttpRequest, body: CheckinIn):
    """Check a visitor in for today's appointment at the kiosk's site."""
    at = None
    if body.time:
        hours, minutes = (int(x) for x in body.time.split(":"))
        if hours > 23 or minutes > 59:
            raise QueueError("time must be HH:MM", status=422)
        at = dt.time(hours, minutes)
    appointment = find_for_checkin(request.kiosk.site, code=body.code,
                                   initials=body.initials, at=at)
    ticket, created = do_checkin(appointment, kiosk=request.kiosk, language=body.language)
    to_slot = (appointment.starts_at() - timezone.now()).total_seconds() / 60
    return Status(201 if created else 200, {
        "number": ticket.display, "id": ticket.public_token, "service": appointment.service.slug,
        "lane": appointment.in_lane, "slot": f"{appointment.start:%H:%M}",
        "minutes_to_slot": max(int(to_slot + 0.999), 0), "created": created,
        "phone_url": _phone_url(request, ticket)})


class SlotsOut(Schema):
    times: list[str] = Field(description="HH:MM, site time, sorted: the distinct starts of "
                                         "today's appointments open for check-in, from 20 "
                                         "min before now to 50 min after")


@router.get("/slots", response={200: SlotsOut, **ERRORS, 429: RateLimitedOut})
@ratelimit("slots", key="kiosk", methods=("GET",))
def slots(request: HttpRequest):
    """The times a visitor without the code may touch (initials + time): no names, no codes,
    no counts. Shared between the site's kiosks for a few seconds."""
    if request.GET:  # a typo'd parameter is refused, never silently ignored
        raise QueueError(f"unknown query parameter(s): {', '.join(map(repr, sorted(request.GET)))}",
                         status=422)
    return {"times": open_times(request.kiosk.site_id)}


def _phone_url(request: HttpRequest, ticket) -> str:
    path = reverse("phone-ticket", args=[ticket.public_token])
    base = settings.PUBLIC_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


class PushIn(Schema):
    service: str = Field(max_length=50, description="the service's slug")
    start: dt.datetime = Field(description="ISO 8601; without an offset: site time")
    duration_minutes: int = Field(20, ge=1, le=240)
    name: str = Field("", max_length=200, description="only its initials are kept")
    initials: str = Field("", max_length=4, pattern=r"^[A-Za-z]*$")
    code: str = Field("", pattern=r"^([1-9]\d{5})?$")
    cancelled: bool = False


class PushOut(Schema):
    external_id: str
    code: str
    status: str
    created: bool


@router.put("/push/{external_id}", auth=BookingBearer(),
            response={200: PushOut, 201: PushOut, **ERRORS})
def push(request: HttpRequest, external_id: str, body: PushIn):
    """Create or update one appointment of the key's site (idempotent on external_id)."""
    site = request.booking_key.site
    external_id = external_id.strip()[:200]
    if not external_id:
        raise QueueError("external_id is required", status=422)
    service = Service.objects.filter(site=site, slug=body.service).first()
    if service is None:
        raise QueueError(f"unknown service {body.service!r}", status=404)
    start = body.start if body.start.tzinfo else timezone.make_aware(body.start)
    who = (body.initials or initials_of(body.name)).upper()
    if body.code and Appointment.objects.filter(
            site=site, day=timezone.localtime(start).date(), code=body.code).exclude(
            external_id=external_id).exists():
        raise QueueError("this code is already used that day", status=409)
    appointment, created = save_booking(site, Booking(
        service=service, starts_at=start, duration_minutes=body.duration_minutes,
        initials=who, code=body.code, external_id=external_id, cancelled=body.cancelled),
        source="api")
    return Status(201 if created else 200, {
        "external_id": external_id, "code": appointment.code, "status": appointment.status,
        "created": created})
