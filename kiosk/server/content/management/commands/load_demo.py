"""Load (or refresh) the demo content of the 19e: the site, every content kind the file lists
(KINDS: poles, floor plans, services, life situations...), agents, kiosk, counters."""

from __future__ import annotations

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
        parser.add_argument(
            "--without-timetables", action="store_true",
            help="counters without their weekly timetables: open with no planned end, as "
                 "before timetables (test servers whose estimates must not depend on the hour)")

    def handle(self, *args, **options):
        if not settings.DEMO:
            # Its accounts' passwords and its kiosk token are published (README, config/demo).
            raise CommandError(
                "load_demo creates the demo accounts and kiosk token, whose passwords are "
                "public: refused on this server (DEBUG and DEMO are off). Set DEMO=1 only "
                "for a demo or test server, never in production.")
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"demo content not found: {path}") from exc
        except ValueError as exc:
            raise CommandError(f"demo content is not valid JSON: {exc}") from exc
        if options["without_timetables"]:
            for counter in data.get("counters", []):
                counter.pop("hours", None)
                counter.pop("exceptions", None)
        with transaction.atomic():
            summary = load(data)
        site = summary.pop("site")
        counts = ", ".join(f"{n} {what}" for what, n in summary.items())
        self.stdout.write(self.style.SUCCESS(f"demo loaded: site {site}, {counts}"))


def load(data: dict) -> dict:
    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.kinds import KINDS
    from kiosk.server.content.models import Site
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Counter

    s = data["site"]
    site, _ = Site.objects.update_or_create(
        slug=s["id"], defaults={"name": s["name"], "address": s.get("address", ""),
                                "sms_name": s.get("sms_name", "")}
    )
    loaded: dict[str, dict] = {}
    for kind in KINDS:  # in delta order: what an item names is loaded before it
        items = data.get(kind.demo_key, []) if kind.demo_key else []
        loaded[kind.name] = {}
        for d in items:
            if kind.name == "plan":  # the demo names the image's source file, not its hash
                image = _plan_image(site, d)
                d = {**d, "image": image.slug if image is not None else None}
            fields = kind.fields_from_wire(site, d)
            loaded[kind.name][d["id"]] = _upsert(kind.model, site, d["id"], fields)
    services = loaded["service"]
    for c in data.get("counters", []):
        counter, _ = Counter.objects.update_or_create(
            site=site, name=c["name"],
            defaults={"is_open": c.get("open", True), "hours": c.get("hours", []),
                      "exceptions": c.get("exceptions", [])})
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
        "site": site.slug,
        **{kind.demo_key: len(loaded[kind.name]) for kind in KINDS if kind.demo_key},
        "counters": len(data.get("counters", [])), "agents": len(data.get("agents", [])),
        "kiosks": len(data.get("kiosks", [])),
    }


_RENDERED: dict[tuple[str, float], tuple[bytes, str]] = {}  # one rsvg-convert per file and process


def _plan_image(site, d: dict):
    """The floor plan's image (an SVG or PNG of the project, "assets/plans/src/rdc.svg"),
    checked and rendered like an upload, stored as the asset "plan-<id>"; None without one,
    or when it cannot be rendered here (no rsvg-convert): kiosks then show their bundled plan."""
    from kiosk.server.content.actions import do_save_content
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
        do_save_content(asset)
    return asset


def _upsert(model, site, slug, fields):
    """Save only when something differs, so a reload does not bump every kiosk's cursor."""
    from kiosk.server.content.actions import do_save_content

    obj = model.objects.filter(site=site, slug=slug).first()
    if obj is None:
        obj = model(site=site, slug=slug, **fields)
    elif any(getattr(obj, k) != v for k, v in fields.items()):
        for k, v in fields.items():
            setattr(obj, k, v)
    else:
        return obj
    obj.full_clean()
    return do_save_content(obj)
