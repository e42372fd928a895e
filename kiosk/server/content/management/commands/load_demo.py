"""Load (or refresh) the demo content of the 19e: site, poles, services, life situations,
nearby places, information pages (the Carte Citoyenne), offers, agents, kiosk, counters."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEFAULT = settings.PROJECT_DIR / "config" / "demo" / "19e.json"


class Command(BaseCommand):
    help = "Load the demo content (idempotent: running it twice changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT), help="demo JSON (config/demo/19e.json)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"demo content not found: {path}") from exc
        except ValueError as exc:
            raise CommandError(f"demo content is not valid JSON: {exc}") from exc
        with transaction.atomic():
            summary = load(data)
        self.stdout.write(
            self.style.SUCCESS(
                "demo loaded: site {site}, {poles} poles, {plans} plans, {services} services, "
                "{situations} situations, {places} places, {pages} pages, {offers} offers, "
                "{closures} closures, {announcements} announcements, "
                "{counters} counters, {agents} agents, {kiosks} kiosks".format(**summary)
            )
        )


def load(data: dict) -> dict:
    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.models import (
        Announcement,
        Closure,
        FloorPlan,
        InfoPage,
        NearbyPlace,
        Offer,
        Pole,
        Service,
        Site,
        Situation,
    )
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Counter

    s = data["site"]
    site, _ = Site.objects.update_or_create(
        slug=s["id"], defaults={"name": s["name"], "address": s.get("address", ""),
                                "sms_name": s.get("sms_name", "")}
    )
    poles = {}
    for p in data["poles"]:
        fields = {k: p.get(k, d) for k, d in
                  (("order", 0), ("color", ""), ("pictogram", ""), ("name", {}), ("summary", {}))}
        pole = _upsert(Pole, site, p["id"], fields)
        poles[p["id"]] = pole
    plans = {}
    for d in data.get("plans", []):  # before the services that name them
        fields = {k: d.get(k, default) for k, default in (
            ("order", 0), ("name", {}), ("hotspots", []))}
        fields["image"] = _plan_image(site, d)
        plans[d["id"]] = _upsert(FloorPlan, site, d["id"], fields)
    services = {}
    for d in data["services"]:
        fields = {k: d[k] for k in ("order", "prefix", "pictogram", "name") if k in d}
        fields.update({k: d.get(k, default) for k, default in (
            ("summary", {}), ("place", {}), ("hours", []), ("documents", []),
            ("ticketing", True), ("mean_service_minutes", 10.0), ("plan", ""),
            ("plan_x", None), ("plan_y", None))})
        fields["pole"] = poles[d["pole"]]
        services[d["id"]] = _upsert(Service, site, d["id"], fields)
    situations = {}
    for d in data.get("situations", []):  # after the services they name
        fields = {k: d.get(k, default) for k, default in (
            ("order", 0), ("pictogram", ""), ("name", {}), ("summary", {}), ("services", []),
            ("documents", []))}
        situations[d["id"]] = _upsert(Situation, site, d["id"], fields)
    places = {}
    for d in data.get("places", []):
        fields = {k: d.get(k, default) for k, default in (
            ("order", 0), ("name", {}), ("summary", {}), ("kind", "other"), ("address", ""),
            ("walking_minutes", 5), ("pictogram", ""))}
        places[d["id"]] = _upsert(NearbyPlace, site, d["id"], fields)
    pages = {}
    for d in data.get("pages", []):
        fields = {k: d.get(k, default) for k, default in (
            ("order", 0), ("pictogram", ""), ("title", {}), ("summary", {}), ("body", []),
            ("link", ""), ("link_label", {}), ("audio", {}))}
        pages[d["id"]] = _upsert(InfoPage, site, d["id"], fields)
    offers = {}
    for d in data.get("offers", []):
        fields = {k: d.get(k, default) for k, default in (
            ("order", 0), ("source", "local"), ("category", "event"), ("pictogram", ""),
            ("title", {}), ("summary", {}), ("where", ""), ("walking_minutes", None),
            ("weekdays", []), ("age_min", 0), ("age_max", None), ("capacity", None),
            ("link", ""), ("interests", []), ("audio", {}), ("published", True))}
        for key in ("starts", "ends"):
            fields[key] = dt.date.fromisoformat(d[key]) if d.get(key) else None
        for key in ("time", "end_time"):
            fields[key] = dt.time.fromisoformat(d[key]) if d.get(key) else None
        offers[d["id"]] = _upsert(Offer, site, d["id"], fields)
    closures = {}
    for d in data.get("closures", []):
        fields = {"starts": dt.date.fromisoformat(d["from"]),
                  "ends": dt.date.fromisoformat(d["to"]) if d.get("to") else None,
                  "hours": d.get("hours", []), "reason": d.get("reason", {}),
                  "services": d.get("services", [])}
        closures[d["id"]] = _upsert(Closure, site, d["id"], fields)
    announcements = {}
    for d in data.get("announcements", []):
        fields = {"order": d.get("order", 0), "level": d.get("level", "info"),
                  "message": d.get("text", {}), "starts_at": None, "ends_at": None}
        announcements[d["id"]] = _upsert(Announcement, site, d["id"], fields)
    for c in data.get("counters", []):
        counter, _ = Counter.objects.update_or_create(
            site=site, name=c["name"], defaults={"is_open": c.get("open", True)}
        )
        counter.services.set([services[sid] for sid in c["services"]])
    User = get_user_model()
    for a in data.get("agents", []):
        user = User.objects.filter(username=a["username"]).first()
        if user is None:
            user = User.objects.create_user(a["username"], password=a["password"])
        user.first_name = a.get("display_name", "")
        user.is_staff = a.get("role") in ("admin", "editor", "moderator")  # back-office users
        user.is_superuser = a.get("role") == "admin"
        user.save()
        SiteMembership.objects.update_or_create(
            user=user, site=site, defaults={"role": a.get("role", "counter")}
        )
    for k in data.get("kiosks", []):
        Kiosk.objects.register(site, k["name"], token=k["token"])
    return {
        "site": site.slug, "poles": len(poles), "plans": len(plans), "services": len(services),
        "situations": len(situations), "places": len(places), "pages": len(pages),
        "offers": len(offers), "closures": len(closures), "announcements": len(announcements),
        "counters": len(data.get("counters", [])), "agents": len(data.get("agents", [])),
        "kiosks": len(data.get("kiosks", [])),
    }


_RENDERED: dict[tuple[str, float], tuple[bytes, str]] = {}  # one rsvg-convert per file and process


def _plan_image(site, d: dict):
    """The floor plan's image (an SVG or PNG of the project, "assets/plans/src/rdc.svg"),
    checked and rendered like an upload, stored as the asset "plan-<id>"; None without one,
    or when it cannot be rendered here (no rsvg-convert): kiosks then show their bundled plan."""
    from kiosk.server.content.assets import AssetRejected, store_blob, validate_upload
    from kiosk.server.content.models import Asset
    from kiosk.server.content.plans_admin import image_asset_slug

    if not d.get("image"):
        return None
    path = settings.PROJECT_DIR / d["image"]
    try:
        key = (str(path), path.stat().st_mtime)
        if key not in _RENDERED:
            _RENDERED[key] = validate_upload("plan", path.name, path.read_bytes())
        stored, content_type = _RENDERED[key]
    except (OSError, AssetRejected) as exc:
        sys.stderr.write(f"load_demo: plan {d['id']}: no image ({exc})\n")
        return None
    sha256, _ = store_blob(stored, content_type)
    slug = image_asset_slug(d["id"])
    asset = Asset.objects.filter(site=site, slug=slug).first()
    if asset is None or (asset.kind, asset.sha256) != ("plan", sha256):
        asset = asset or Asset(site=site, slug=slug)
        asset.kind, asset.sha256, asset.size, asset.content_type = (
            "plan", sha256, len(stored), content_type)
        asset.full_clean()
        asset.save()
    return asset


def _upsert(model, site, slug, fields):
    """Save only when something differs, so a reload does not bump every kiosk's cursor."""
    obj = model.objects.filter(site=site, slug=slug).first()
    if obj is None:
        obj = model(site=site, slug=slug, **fields)
        obj.full_clean()
        obj.save()
        return obj
    if any(getattr(obj, k) != v for k, v in fields.items()):
        for k, v in fields.items():
            setattr(obj, k, v)
        obj.full_clean()
        obj.save()
    return obj
