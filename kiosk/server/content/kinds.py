"""The content kinds kiosks sync, declared once each (docs/protocol.md, Content kinds).

Everything that lists kinds reads `KINDS`: the sync payload (its order), the change log
(signals.py, changelog.py), the back-office (admin.py registers each kind's admin), the
« Aperçu borne » (preview.py), the translations page, the demo loader and the API's schema.
Adding a kind is its model (with `KIND` and `to_wire()`) plus one `register(ContentKind(...))`
below. Admin classes and preview builders are named by dotted path: they live in modules
that import this one, and are only looked up when used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.db import models
from django.utils import timezone
from django.utils.module_loading import import_string

from kiosk.server.content import models as content_models

# Never on the wire whatever the kind: the row's own keys and the draft switch.
NOT_WIRE = ("id", "site", "slug", "published")


@dataclass(frozen=True)
class ContentKind:
    """One kind of content: its wire name, model and what each layer needs to know of it."""

    name: str  # the kind on the wire ("service")
    model: type[models.Model]
    admin: str  # dotted path of its ModelAdmin, registered by kiosk/server/content/admin.py
    demo_key: str = ""  # its list in config/demo/19e.json ("" : not in the demo)
    texts: tuple[str, ...] = ()  # translated fields: {lang: text}, or lists of them
    long_texts: tuple[str, ...] = ()  # edited in text areas
    preview: str = ""  # dotted path of its « Aperçu borne » builder ("" : none)
    preview_template: str = ""  # the screen's body; "": content/preview/<name>.html
    screen: str = ""  # the kiosk screen it is seen on, named for the agent
    wire_names: tuple[tuple[str, str], ...] = ()  # (model field, wire key) where they differ
    server_only: tuple[str, ...] = ()  # model fields that never travel
    hidden_by: tuple[str, ...] = ()  # foreign keys whose draft hides this item too
    select_related: tuple[str, ...] = ()  # what to_wire() reads through a foreign key
    not_sent: tuple[tuple[str, object], ...] = ()  # rows of the model that are not items
    translate_drafts: bool = True  # False: the translations page counts published rows only
    # Wire keys computed from a stored field, and the stored fields sent transformed: a
    # service's `documents` are stored as the back-office keeps them (vocabulary keys or
    # texts) and sent as texts, with `document_keys` beside them (kiosk.domain.documents).
    wire_derived: tuple[str, ...] = ()
    sent_transformed: tuple[str, ...] = ()

    @cached_property
    def admin_class(self):
        return import_string(self.admin)

    @cached_property
    def preview_builder(self):
        return import_string(self.preview) if self.preview else None

    @property
    def preview_body(self) -> str:
        return self.preview_template or f"content/preview/{self.name}.html"

    @property
    def has_drafts(self) -> bool:
        return any(f.name == "published" for f in self.model._meta.concrete_fields)

    def is_text_list(self, field_name: str) -> bool:
        """A list of {lang: text} (documents, paragraphs) rather than one mapping."""
        return self.model._meta.get_field(field_name).default is list

    @cached_property
    def wire_fields(self) -> tuple[tuple[models.Field, str], ...]:
        """(model field, wire key) of everything the item carries besides its `id`."""
        renamed = dict(self.wire_names)
        return tuple((f, renamed.get(f.name, f.name)) for f in self.model._meta.concrete_fields
                     if f.name not in NOT_WIRE and f.name not in self.server_only)

    def fields_from_wire(self, site, data: dict) -> dict:
        """Model field values from a wire item (the demo file's shape): every wire field,
        its model default when absent; a foreign key by the slug of the site's object."""
        out = {}
        for f, key in self.wire_fields:
            value = data[key] if key in data else f.get_default()
            out[f.name] = _from_wire_value(f, site, value)
        if self.has_drafts:
            out["published"] = data.get("published", True)
        return out

    def live(self, queryset):
        """What kiosks and phone pages may show: published rows whose `hidden_by` parents
        are published too (docs/protocol.md, Drafts)."""
        if self.has_drafts:
            queryset = queryset.filter(published=True)
        for parent in self.hidden_by:
            queryset = queryset.filter(**{f"{parent}__published": True})
        return queryset

    def sent(self, queryset):
        """The live rows that travel as items of this kind, ready for to_wire()."""
        queryset = self.live(queryset)
        for name, value in self.not_sent:
            queryset = queryset.exclude(**{name: value})
        return queryset.select_related(*self.select_related) if self.select_related else queryset


def _from_wire_value(field: models.Field, site, value):
    if value in (None, ""):
        return None if field.null or isinstance(field, models.ForeignKey) else value
    if isinstance(field, models.ForeignKey):
        return field.related_model.objects.get(site=site, slug=value)
    if isinstance(field, models.DateTimeField):  # the mairie's wall-clock time, naive
        return timezone.make_aware(dt.datetime.fromisoformat(value))
    if isinstance(field, models.DateField):
        return dt.date.fromisoformat(value)
    if isinstance(field, models.TimeField):
        return dt.time.fromisoformat(value)
    return value


class Registry:
    """The kinds in the order a delta lists them (a referenced kind before its referrers)."""

    def __init__(self):
        self._kinds: dict[str, ContentKind] = {}

    def register(self, kind: ContentKind) -> ContentKind:
        if kind.name in self._kinds or any(k.model is kind.model for k in self):
            raise ValueError(f"content kind {kind.name!r} registered twice")
        if getattr(kind.model, "KIND", None) != kind.name:
            raise ValueError(f"{kind.model.__name__}.KIND is not {kind.name!r}")
        self._kinds[kind.name] = kind
        return kind

    def __iter__(self):
        return iter(self._kinds.values())

    def __getitem__(self, name: str) -> ContentKind:
        return self._kinds[name]

    def __contains__(self, name: str) -> bool:
        return name in self._kinds

    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def models(self) -> tuple[type[models.Model], ...]:
        return tuple(k.model for k in self)

    def of(self, model_or_obj) -> ContentKind | None:
        """The kind of a model (or of an instance; a proxy model counts as its concrete one)."""
        model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
        model = model._meta.concrete_model  # type: ignore[attr-defined]  # a Django model class
        return next((k for k in self if k.model is model), None)


KINDS = Registry()
register = KINDS.register

_ADMIN = "kiosk.server.content.admin."
_PREVIEW = "kiosk.server.content.preview."
_ROWS = "content/preview/rows.html"  # a list of rows under the title

register(ContentKind(
    "pole", content_models.Pole, _ADMIN + "PoleAdmin", demo_key="poles",
    texts=("name", "summary"), long_texts=("summary",),
    preview=_PREVIEW + "pole_screen", preview_template=_ROWS, screen="écran du pôle"))
register(ContentKind(  # before the services that name it
    "plan", content_models.FloorPlan, "kiosk.server.content.plans_admin.FloorPlanAdmin", demo_key="plans",
    texts=("name",), preview=_PREVIEW + "plan_screen", screen="plan d'étage",
    select_related=("image",)))
register(ContentKind(
    "service", content_models.Service, _ADMIN + "ServiceAdmin", demo_key="services",
    texts=("name", "summary", "place", "documents"), long_texts=("summary",),
    preview=_PREVIEW + "service_screen", screen="écran du service",
    wire_derived=("document_keys",), sent_transformed=("documents",),
    hidden_by=("pole",), select_related=("pole",)))
register(ContentKind(  # after the services it names
    "situation", content_models.Situation, _ADMIN + "SituationAdmin", demo_key="situations",
    texts=("name", "summary", "documents", "tips"), long_texts=("summary",),
    preview=_PREVIEW + "situation_screen", screen="écran de la situation de vie",
    wire_derived=("document_keys",), sent_transformed=("documents",)))
register(ContentKind(
    "place", content_models.NearbyPlace, _ADMIN + "NearbyPlaceAdmin", demo_key="places",
    texts=("name", "summary"), long_texts=("summary",),
    preview=_PREVIEW + "place_screen",  # content/preview/place.html: its spot on the plan
    screen="« Pendant votre attente »"))
register(ContentKind(
    "page", content_models.InfoPage, _ADMIN + "InfoPageAdmin", demo_key="pages",
    texts=("title", "summary", "body", "link_label"), long_texts=("summary",),
    preview=_PREVIEW + "page_screen", screen="page d'information"))
register(ContentKind(
    "offer", content_models.Offer, _ADMIN + "OfferAdmin", demo_key="offers",
    texts=("title", "summary"), long_texts=("summary",),
    preview=_PREVIEW + "offer_screen", screen="détail de l'offre",
    # Residents' proposals and their moderation stay on the server.
    server_only=("status", "reject_reason", "contributed", "contact", "contact_consent",
                 "submitted_at", "moderated_by", "moderated_at", "idempotency_key"),
    translate_drafts=False))  # a pending proposal is nobody's translation work yet
register(ContentKind(
    "closure", content_models.Closure, _ADMIN + "ClosureAdmin", demo_key="closures",
    texts=("reason",), preview=_PREVIEW + "closure_screen", preview_template=_ROWS,
    screen="horaires des services ce jour-là",
    wire_names=(("starts", "from"), ("ends", "to"))))
register(ContentKind(
    "announcement", content_models.Announcement, _ADMIN + "AnnouncementAdmin", demo_key="announcements",
    texts=("message",), long_texts=("message",),
    preview=_PREVIEW + "announcement_screen", screen="bannière de l'accueil",
    wire_names=(("message", "text"),)))
register(ContentKind(
    "asset", content_models.Asset, _ADMIN + "AssetAdmin",
    wire_names=(("content_type", "type"),), server_only=("created_at",),
    # A plan's image travels inside its `plan` item: a kiosk one version behind would
    # reject the whole delta for an asset kind it does not know.
    not_sent=(("kind", "plan"),)))
