"""The fleet page: the kiosks of a site and what each last said in its heartbeat.

Agents of the site (any role) and superusers see, per kiosk: active or revoked, when it last
sent news (a red "sans nouvelles" when an active kiosk has been silent too long), its
version (and the version it should run, with its update's state), content cursor, outbox depth, printer and last error. The page reloads itself
every 30 s (web/fleet.js, which the agent can turn off: WCAG 2.2.1, no meta refresh); `etat.json` gives the same data to monitoring.
Nothing personal is shown: kiosks report only their own state (kiosk.server.devices.services).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from kiosk.domain.updates import FAILED_STATES, UPDATE_STATES
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.content.models import Site
from kiosk.server.devices.models import STALE_AFTER_SECONDS, Kiosk, PrinterState, SiteRollout
from kiosk.server.devices.services import target_release
from kiosk.server.web.console import no_store

REFRESH_SECONDS = 30
PRINTER_LABELS = {state.value: state.label for state in PrinterState}  # type: ignore[attr-defined]  # TextChoices: iterable (Django's types are not installed)


def ago_fr(moment: dt.datetime | None, now: dt.datetime) -> str:
    """"il y a 2 min", "il y a 3 h", "jamais"."""
    if moment is None:
        return "jamais"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "il y a moins d'une minute"
    if seconds < 3600:
        return f"il y a {seconds // 60} min"
    if seconds < 86400:
        return f"il y a {seconds // 3600} h"
    days = seconds // 86400
    return f"il y a {days} jour{'s' if days > 1 else ''}"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def kiosk_row(kiosk: Kiosk, now: dt.datetime) -> dict:
    printer = kiosk.printer_state or ""
    heartbeat = kiosk.last_heartbeat_at
    return {
        "id": kiosk.pk,
        "name": kiosk.name,
        "state": "active" if kiosk.active else "revoked",
        "state_label": "Active" if kiosk.active else "Révoquée",
        # A revoked kiosk cannot send news: it is not flagged as missing.
        "stale": kiosk.active and kiosk.is_stale(now),
        "last_heartbeat_at": _iso(heartbeat),
        "last_heartbeat_local": _local(heartbeat),
        "last_heartbeat_ago": ago_fr(heartbeat, now),
        "last_heartbeat_age_s": int((now - heartbeat).total_seconds()) if heartbeat else None,
        "version": kiosk.version,
        "content_cursor": kiosk.content_cursor,
        "outbox_depth": kiosk.outbox_depth,
        "printer": {
            "state": printer or "unknown",
            "label": PRINTER_LABELS.get(printer, PRINTER_LABELS[""]),
            "detail": kiosk.printer_detail,
            "fault": printer in ("absent", "paper_out", "error"),
        },
        "last_error": kiosk.last_error,
        "last_error_at": _iso(kiosk.last_error_at),
        "last_error_local": _local(kiosk.last_error_at),
        "last_error_ago": ago_fr(kiosk.last_error_at, now) if kiosk.last_error_at else "",
        # Instant content updates failing on the kiosk (it polls instead): a bug to report.
        "long_poll_errors": kiosk.long_poll_errors,
        "last_long_poll_error": kiosk.last_long_poll_error,
        "update": update_row(kiosk, now),
    }


def update_row(kiosk: Kiosk, now: dt.datetime) -> dict:
    """Target version and update state (docs/updates.md): what agents follow a rollout by."""
    target = target_release(kiosk)
    state = kiosk.update_state
    return {
        "target_version": target.version if target else None,
        "up_to_date": target is None or target.version == kiosk.version,
        "state": state,
        "state_label": UPDATE_STATES.get(state, state),
        "state_version": kiosk.update_version,
        "detail": kiosk.update_detail,
        "failed": state in FAILED_STATES,
        "state_ago": ago_fr(kiosk.update_state_at, now) if kiosk.update_state_at else "",
    }


def fleet_state(site: Site, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    kiosks = Kiosk.objects.filter(site=site).select_related("target_release").order_by(
        "-active", "name", "pk")
    rows = [kiosk_row(k, now) for k in kiosks]
    rollout = SiteRollout.objects.filter(site=site).select_related("release", "pilot").first()
    return {
        "now": now.isoformat(),
        "site": {"slug": site.slug, "name": site.name},
        "stale_after_seconds": STALE_AFTER_SECONDS,
        "counts": {
            "kiosks": len(rows),
            "active": sum(r["state"] == "active" for r in rows),
            "stale": sum(r["stale"] for r in rows),
            "printer_faults": sum(r["printer"]["fault"] for r in rows if r["state"] == "active"),
            "update_failures": sum(r["update"]["failed"] for r in rows if r["state"] == "active"),
        },
        "rollout": {
            "version": rollout.release.version if rollout and rollout.release else None,
            "pilot": rollout.pilot.name if rollout and rollout.pilot else None,
            "pilot_confirmed": bool(rollout and rollout.pilot_confirmed_at),
        },
        "kiosks": rows,
    }


def _fleet_site(request, site_slug: str) -> Site:
    """The site, if the user holds a role there (any role) or is a superuser; else 403."""
    site = get_object_or_404(Site, slug=site_slug)
    user = request.user
    if user.is_superuser and user.is_active:
        return site
    allowed = sites_where(user, Role.ADMIN, Role.EDITOR, Role.COUNTER, Role.MODERATOR)  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed
    if not allowed.filter(pk=site.pk).exists():
        raise PermissionDenied("Page réservée aux agents de ce site.")
    return site


@login_required
@require_safe
def fleet(request, site_slug: str):
    site = _fleet_site(request, site_slug)
    state = fleet_state(site)
    return no_store(render(request, "web/fleet.html", {
        "site": site, "state": state, "kiosks": state["kiosks"], "counts": state["counts"],
        "refresh_seconds": REFRESH_SECONDS, "stale_minutes": STALE_AFTER_SECONDS // 60,
    }))


@login_required
@require_safe
def fleet_state_json(request, site_slug: str):
    site = _fleet_site(request, site_slug)
    return no_store(JsonResponse(fleet_state(site)))
