"""Back-office of floor plans: upload a plan's image (PNG or SVG, checked and stored as a
content-addressed Asset of kind "plan"), place its landmarks by clicking on it; and, in the
service form, the service's spot chosen by clicking on its plan.

The clicks are handled by static/content/plan_editor.js (no inline script: the
Content-Security-Policy allows scripts from our own files only). The JSON fields stay the
source of truth: the editor only writes into them, and an agent may still type them.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from kiosk.domain.content import ASSET_MAX_BYTES
from kiosk.server.audit import services as audit
from kiosk.server.content.actions import do_save_content
from kiosk.server.content.admin_base import ContentAdmin
from kiosk.server.content.assets import AssetRejected, _kb, store_blob, validate_upload
from kiosk.server.content.models import Asset, FloorPlan
from kiosk.server.content.publishing import PublishableAdmin

EDITOR_MEDIA = forms.Media(js=("content/plan_editor.js",),
                           css={"all": ("content/plan_editor.css",)})


def image_asset_slug(plan_slug: str) -> str:
    """The Asset a plan's uploaded image is stored as: "plan-<plan slug>"."""
    return f"plan-{plan_slug}"[:50]


def plan_image_url(plan: FloorPlan) -> str:
    """The back-office URL of a plan's image (its upload, else the bundled plan), or ""."""
    if plan.pk is None:
        return ""
    if plan.image_id:
        version = plan.image.sha256[:12]
    elif bundled_plan(plan.slug) is not None:
        version = "bundled"
    else:
        return ""
    return reverse("admin:content_floorplan_image", args=[plan.pk]) + f"?v={version}"


def bundled_plan(slug: str):
    """The plan shipped with the kiosks under this slug (assets/plans/build/<slug>.png)."""
    path_ = settings.PROJECT_DIR / "assets" / "plans" / "build" / f"{slug}.png"
    return path_ if slug and path_.is_file() else None


class _PlanEditor:
    """What the two plan widgets share: the editor's script and style, and the editor's box
    (`editor`, per widget) under the field it writes to."""

    @property
    def media(self):
        return EDITOR_MEDIA

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return html + self.editor((attrs or {}).get("id", f"id_{name}"))

    def editor(self, target: str) -> str:
        raise NotImplementedError


class HotspotsWidget(_PlanEditor, forms.Textarea):
    """The hotspots' JSON, and under it the plan: a click adds a landmark (or moves the one
    chosen in the list)."""

    def __init__(self, image_url: str = "", attrs=None):
        super().__init__(attrs={"rows": 6, "cols": 90, "class": "plan-json", **(attrs or {})})
        self.image_url = image_url

    def editor(self, target: str) -> str:
        return format_html(
            '<div class="plan-editor" data-mode="hotspots" data-target="{}" data-image="{}">'
            '<p class="plan-editor-empty">{}</p></div>',
            target, self.image_url,
            "Enregistrez d'abord une image du plan : vous placerez ensuite les repères en "
            "cliquant dessus." if not self.image_url else "Chargement du plan…")


class PlanSpotWidget(_PlanEditor, forms.Select):
    """The service's plan (a select of the site's plans), and under it the chosen plan: a
    click sets plan_x and plan_y (still shown as numbers, and editable)."""

    def __init__(self, plans: dict, attrs=None, choices=()):
        super().__init__(attrs=attrs, choices=choices)
        self.plans = plans

    def editor(self, target: str) -> str:
        return format_html(
            '<div class="plan-editor" data-mode="spot" data-target="{}" data-x="id_plan_x" '
            'data-y="id_plan_y" data-site="id_site" data-plans="{}"></div>',
            target, json.dumps(self.plans, ensure_ascii=False))


def plans_in_scope(site_ids) -> list[FloorPlan]:
    qs = FloorPlan.objects.select_related("image", "site").order_by("site_id", "order", "slug")
    return list(qs if site_ids is None else qs.filter(site_id__in=site_ids))


def plan_choice_field(model_admin, db_field, request) -> forms.Field:
    """The service form's `plan`: one of the floor plans of the agent's sites."""
    plans = plans_in_scope(model_admin.scope_site_ids(request))
    data: dict[str, dict] = {}
    labels: dict[str, list[str]] = {}
    for plan in plans:
        data.setdefault(str(plan.site_id), {})[plan.slug] = {
            "name": plan.text("name"), "image": plan_image_url(plan), "hotspots": plan.hotspots}
        labels.setdefault(plan.slug, []).append(
            plan.text("name") if len({p.site_id for p in plans}) == 1
            else f"{plan.text('name')} ({plan.site.name})")
    choices = [("", "— pas de plan —")] + [
        (slug, f"{slug} — {' / '.join(names)}") for slug, names in labels.items()]
    return forms.ChoiceField(
        choices=choices, required=False, label="Plan d'étage",
        widget=PlanSpotWidget(data, choices=choices),
        help_text="Un des plans du site (« Plans d'étage ») ; cliquez ensuite sur le plan pour "
                  "placer le point du service.")


def keep_legacy_plan_choice(form) -> None:
    """A service saved before floor plans were content may name a plan bundled with the
    kiosks and not uploaded: keep it selectable so that the form does not lose it."""
    field = form.fields.get("plan")
    current = getattr(form.instance, "plan", "")
    if field is None or not current or current in {c for c, _ in field.choices}:
        return
    field.choices = [*field.choices, (current, f"{current} (plan livré avec les bornes)")]
    field.widget.choices = field.choices


def check_service_plan(form, cleaned: dict) -> None:
    """A service's plan must be a floor plan of its own site (an editor of the 20e cannot
    point a service at a plan of the 19e). An unchanged legacy value (a bundled plan never
    uploaded) stays accepted."""
    plan, site = cleaned.get("plan"), cleaned.get("site")
    if not plan or site is None:
        return
    if not ({"plan", "site"} & set(form.changed_data)):
        return
    if not FloorPlan.objects.filter(site=site, slug=plan).exists():
        form.add_error("plan", f"Aucun plan « {plan} » sur ce site : ajoutez-le d'abord dans "
                               "« Plans d'étage ».")


class FloorPlanForm(forms.ModelForm):
    upload = forms.FileField(
        required=False, label="Image du plan",
        help_text=f"PNG de 200 à 2400 px de côté ({_kb(ASSET_MAX_BYTES)} au plus), ou SVG "
                  "(256 Ko au plus, converti en PNG de 1600 px de large). Sans image, les bornes "
                  "montrent le plan livré avec elles sous ce nom (s'il existe).")

    class Meta:
        model = FloorPlan
        exclude = ("image",)

    blob: tuple[bytes, str] | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "hotspots" in self.fields:
            self.fields["hotspots"].widget = HotspotsWidget(image_url=plan_image_url(self.instance))

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is None:
            return cleaned
        if upload.size > ASSET_MAX_BYTES:
            self.add_error("upload", f"Fichier trop lourd : {_kb(upload.size)} pour "
                                     f"{_kb(ASSET_MAX_BYTES)} au plus.")
            return cleaned
        try:
            self.blob = validate_upload("plan", upload.name or "", upload.read())
        except AssetRejected as exc:
            self.add_error("upload", str(exc))
            return cleaned
        site, slug = cleaned.get("site"), cleaned.get("slug")
        if site is not None and slug and not self.instance.image_id:
            taken = Asset.objects.filter(site=site, slug=image_asset_slug(slug)).exclude(
                kind="plan").first()
            if taken is not None:
                self.add_error("upload", f"Le nom « {taken.slug} » est déjà celui d'un "
                                         f"{taken.get_kind_display()} : renommez-le d'abord.")
        return cleaned


class FloorPlanAdmin(PublishableAdmin, ContentAdmin):
    """Floor plans: image upload and a clickable landmarks editor (hotspots)."""

    form = FloorPlanForm
    list_display = ("__str__", "slug", "site", "order", "published", "has_image", "landmarks")
    list_filter = ("site", "published")
    search_fields = ("slug", "name")
    readonly_fields = ("image_file",)
    fieldsets = (
        (None, {"fields": ("site", "slug", "published", "order", "name")}),
        ("Image", {"fields": ("upload", "image_file")}),
        ("Repères", {"fields": ("hotspots",),
                     "description": "Cliquez sur le plan pour ajouter un repère ; choisissez un "
                                    "repère dans la liste (« Déplacer ») puis cliquez pour le "
                                    "déplacer. Le texte JSON reste modifiable à la main : "
                                    "libellés dans d'autres langues (\"en\", \"ar\"…), "
                                    "pictogramme (\"icon\")."}),
    )

    @admin.display(description="image", boolean=True)
    def has_image(self, obj):
        return obj.image_id is not None

    @admin.display(description="repères")
    def landmarks(self, obj):
        return len(obj.hotspots or [])

    @admin.display(description="fichier")
    def image_file(self, obj):
        if obj is None or not obj.image_id:
            bundled = bundled_plan(obj.slug) if obj is not None else None
            return "livré avec les bornes (aucune image envoyée)" if bundled else "—"
        image = obj.image
        return f"{image.slug} : {_kb(image.size)}, sha256 {image.sha256[:12]}…"

    def get_urls(self):
        return [path("<int:pk>/image/", self.admin_site.admin_view(self.image_view),
                     name="content_floorplan_image"), *super().get_urls()]

    def image_view(self, request, pk: int):
        """The plan's image for the editors (only for plans of the agent's sites)."""
        plan = self.get_queryset(request).select_related("image").filter(pk=pk).first()
        if plan is None or not self.has_view_permission(request, plan):
            raise Http404
        path_ = plan.image.path if plan.image_id else bundled_plan(plan.slug)
        if path_ is None or not path_.is_file():
            raise Http404
        response = FileResponse(open(path_, "rb"), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def save_model(self, request, obj, form, change):
        if form.blob is not None:
            if not self.in_scope(request, obj.site_id):
                raise PermissionDenied("ce site n'est pas le vôtre")
            obj.image = self._store_image(request, obj, *form.blob)
        super().save_model(request, obj, form, change)

    def _store_image(self, request, plan, data: bytes, content_type: str) -> Asset:
        sha256, _ = store_blob(data, content_type)
        asset = plan.image if plan.image_id and plan.image.site_id == plan.site_id else None
        asset = asset or Asset.objects.filter(site_id=plan.site_id,
                                              slug=image_asset_slug(plan.slug)).first()
        before = audit.snapshot(asset) if asset is not None else None
        asset = asset or Asset(site_id=plan.site_id, slug=image_asset_slug(plan.slug))
        asset.kind, asset.sha256, asset.size, asset.content_type = (
            "plan", sha256, len(data), content_type)
        if before is not None and not audit.diff(before, audit.snapshot(asset)):
            return asset  # the same bytes again
        asset.full_clean()
        return do_save_content(asset, request.user)
