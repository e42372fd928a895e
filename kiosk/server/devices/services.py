"""Kiosk heartbeats: what each kiosk last said about itself, for the fleet page.

A heartbeat carries the kiosk's software version, the content cursor it holds, how many
requests wait in its outbox, its printer's state and its last error. Nothing personal: the
kiosk never sends a phone number, a ticket or a visitor's words here, and the server logs
none of it. Lengths are validated by the API schema (HeartbeatIn): nothing is cut here.
The texts are scrubbed here too (kiosk/domain/text_input.py: control characters become
spaces, bidi controls and stray zero-width characters go), whoever the caller: they are
shown on the fleet page and PostgreSQL cannot store a NUL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kiosk.domain.text_input import scrub_text
from kiosk.domain.updates import pilot_confirms, rollout_version
from kiosk.server.devices.models import Kiosk, Release, SiteRollout

# The wire's "unknown" printer is stored as "" (PrinterState.UNKNOWN).
PRINTER_STATES = {"ok": "ok", "absent": "absent", "paper_out": "paper_out", "error": "error",
                  "unknown": ""}


@dataclass(frozen=True)
class Heartbeat:
    version: str
    cursor: str | None = None
    outbox_depth: int = 0
    printer_state: str = "unknown"
    printer_detail: str = ""
    last_error: str | None = None
    long_poll_errors: int = 0
    last_long_poll_error: str | None = None
    # Remote updates (docs/updates.md); None: a kiosk without the updater (stored as "").
    update_state: str | None = None
    update_version: str | None = None
    update_detail: str | None = None


def record_heartbeat(kiosk: Kiosk, data: Heartbeat, now: dt.datetime | None = None) -> dt.datetime:
    """Store the heartbeat on the kiosk in one UPDATE; returns the time it was received.

    A heartbeat without an error keeps the previous error and its time on the fleet page
    (agents see "last error, 20 min ago"); a new error replaces it.
    """
    now = now or timezone.now()
    fields = {
        "last_heartbeat_at": now,
        "last_seen_at": now,
        "version": scrub_text(data.version),
        "content_cursor": scrub_text(data.cursor or ""),
        "outbox_depth": data.outbox_depth,
        "printer_state": PRINTER_STATES[data.printer_state],
        "printer_detail": scrub_text(data.printer_detail),  # also for an OK printer: "paper low"
        # Counted since the kiosk started: a restart sets it back to 0 (and the last error).
        "long_poll_errors": data.long_poll_errors,
        "last_long_poll_error": scrub_text(data.last_long_poll_error or ""),
    }
    if data.update_state is not None:
        fields.update(update_state=data.update_state,
                      update_version=scrub_text(data.update_version or ""),
                      update_detail=scrub_text(data.update_detail or ""))
        if (data.update_state, fields["update_version"]) != (kiosk.update_state,
                                                            kiosk.update_version):
            fields["update_state_at"] = now
    last_error = scrub_text(data.last_error or "")
    if last_error:
        fields["last_error"] = last_error
        fields["last_error_at"] = now
    Kiosk.objects.filter(pk=kiosk.pk).update(**fields)
    for name, value in fields.items():
        setattr(kiosk, name, value)
    _pilot_report(kiosk, now)
    return now


# -- remote updates ---------------------------------------------------------------------------

def _pilot_report(kiosk: Kiosk, now: dt.datetime) -> None:
    """The pilot confirmed its site's target: from now on the whole site follows."""
    rollout = SiteRollout.objects.filter(site_id=kiosk.site_id, pilot_id=kiosk.pk,
                                         pilot_confirmed_at__isnull=True,
                                         release__isnull=False).select_related("release").first()
    if rollout is not None and pilot_confirms(reported_version=kiosk.version,
                                              reported_state=kiosk.update_state,
                                              target=rollout.release.version):
        # Filtered on the same release: an agent's change in between is not confirmed.
        SiteRollout.objects.filter(pk=rollout.pk, release_id=rollout.release_id,
                                   pilot_confirmed_at__isnull=True).update(pilot_confirmed_at=now)


def target_release(kiosk: Kiosk) -> Release | None:
    """The release this kiosk should run now (kiosk/domain/updates.py rollout_version)."""
    rollout = SiteRollout.objects.filter(site_id=kiosk.site_id).select_related(
        "release", "previous").first()
    by_version = {}
    for release in (kiosk.target_release if kiosk.target_release_id else None,
                    rollout and rollout.release, rollout and rollout.previous):
        if release is not None:
            by_version[release.version] = release
    version = rollout_version(
        is_pilot=bool(rollout and rollout.pilot_id == kiosk.pk),
        kiosk_target=kiosk.target_release.version if kiosk.target_release_id else None,
        site_target=rollout.release.version if rollout and rollout.release else None,
        site_previous=rollout.previous.version if rollout and rollout.previous else None,
        pilot=bool(rollout and rollout.pilot_id),
        pilot_confirmed=bool(rollout and rollout.pilot_confirmed_at))
    return by_version.get(version) if version else None


def update_offer(kiosk: Kiosk) -> dict | None:
    """The heartbeat answer's `update`: what to fetch, or None (no target)."""
    release = target_release(kiosk)
    if release is None:
        return None
    return {"version": release.version, "url": f"/api/v1/releases/{release.sha256}",
            "sha256": release.sha256, "size": release.size}
