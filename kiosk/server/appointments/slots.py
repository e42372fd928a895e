"""The slot times a visitor without their code may touch at the kiosk ("Je n'ai pas le
code", GET /api/v1/appointments/slots): the distinct starts of the site's appointments
still open for check-in (booked, or marked absent but without a ticket: do_checkin takes
both) in the pick window around now (kiosk.domain.appointments.pick_window), today only.

Only "HH:MM" strings leave the server: no name, initials, code, service or count (docs/
privacy.md). Every kiosk of a site asks when its time step opens: the answer is shared for a
few seconds per site and worker, and dropped at once when an appointment of the worker
changes (checked in, booked, cancelled), so a kiosk rarely offers a slot just taken.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from kiosk.domain.appointments import pick_window
from kiosk.domain.estimation import minutes_since_midnight
from kiosk.server.appointments.models import Appointment

SLOTS_TTL_SECONDS = 5.0
Status = Appointment.Status
OPEN = (Status.BOOKED, Status.NO_SHOW)

# site pk -> (monotonic time, the site's minute it was computed for, the times)
_cache: dict[int, tuple[float, tuple[dt.date, int], list[str]]] = {}
_lock = threading.Lock()


def _now() -> dt.datetime:
    """The site's now (a test may replace it to stand at a chosen time of day)."""
    return timezone.localtime()


def _time_of(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


def compute_open_times(site_id: int, now: dt.datetime) -> list[str]:
    """The sorted distinct "HH:MM" starts open for check-in around `now` (site time)."""
    first, last = pick_window(minutes_since_midnight(now))
    starts = (Appointment.objects
              .filter(site_id=site_id, day=now.date(), status__in=OPEN, ticket__isnull=True,
                      start__gte=_time_of(first), start__lte=_time_of(last))
              .order_by("start").values_list("start", flat=True).distinct())
    return sorted({f"{start:%H:%M}" for start in starts})


def open_times(site_id: int) -> list[str]:
    """compute_open_times for now, shared for SLOTS_TTL_SECONDS within the same minute."""
    now = _now()
    minute = (now.date(), now.hour * 60 + now.minute)
    with _lock:
        hit = _cache.get(site_id)
    if hit and hit[1] == minute and time.monotonic() - hit[0] < SLOTS_TTL_SECONDS:
        return list(hit[2])
    times = compute_open_times(site_id, now)
    with _lock:
        _cache[site_id] = (time.monotonic(), minute, times)
    return list(times)


def clear_cache(*_args, **_kwargs) -> None:
    """Drop every shared answer (an appointment changed; tests)."""
    with _lock:
        _cache.clear()


def connect_signals() -> None:
    """From AppointmentsConfig.ready: any saved or deleted appointment drops the cache (a
    check-in's queryset update() sends no signal: services.do_checkin calls clear_cache)."""
    post_save.connect(clear_cache, sender=Appointment, dispatch_uid="appointment-slots-save")
    post_delete.connect(clear_cache, sender=Appointment, dispatch_uid="appointment-slots-del")
