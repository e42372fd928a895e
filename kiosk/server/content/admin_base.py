"""What every back-office page of content shares: scoping by site role, translated fields
edited one input per language, and writes through the actions (kiosk/server/content/actions.py).

Kept apart from admin.py so that plans_admin.py and admin.py both build on it without
importing each other.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models

from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.audit.services import site_id_of
from kiosk.server.clean_forms import clean_value, cleaning_form
from kiosk.server.content.actions import do_delete_content, do_save_content
from kiosk.server.content.documents_field import DocumentsField
from kiosk.server.content.forms import TranslationsField
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import Pole, Site


class SiteScopedAdmin:
    """Back-office access by site role: an editor of the 19e cannot touch the 20e.

    Every `has_*_permission` decides from the agent's roles (accounts.SiteMembership) only;
    Django's model permissions (auth Permission objects) are not used for content. A
    superuser may do everything; otherwise the agent edits the sites where they are editor
    or site admin (`sites_where(user, Role.EDITOR)`): they list, view, change and delete
    the objects of those sites, add objects when they edit at least one site, and only
    those sites (and their poles) are offered in the forms. `save_model` refuses, as a
    defence against a forged POST, to save an object into (or out of) another site.

    Saves and deletes go through do_save_content and do_delete_content: one AuditEntry per
    object, with {field: [old, new]} for a change and a snapshot for a creation or a
    deletion (objects deleted with it in cascade included).
    """

    scope_roles: tuple[Any, ...] = (Role.EDITOR,)  # Role members (TextChoices: untyped here)
    scope_lookup = "site_id__in"

    def scope_site_ids(self, request) -> set[int] | None:
        """The ids of the sites the agent may work on here; None: all (superuser)."""
        user = request.user
        if not user.is_active:
            return set()
        if user.is_superuser:
            return None
        cache = request.__dict__.setdefault("_carrefour_scope", {})
        if self.scope_roles not in cache:
            cache[self.scope_roles] = set(
                sites_where(user, *self.scope_roles).values_list("pk", flat=True))
        return cache[self.scope_roles]

    def in_scope(self, request, site_id) -> bool:
        ids = self.scope_site_ids(request)
        return ids is None or site_id in ids

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self.scope_site_ids(request)
        return qs if ids is None else qs.filter(**{self.scope_lookup: ids})

    def get_list_filter(self, request):
        # Filters offer only the sites and poles present in the agent's own objects.
        return [(name, admin.RelatedOnlyFieldListFilter) if name in ("site", "pole") else name
                for name in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = self.scope_site_ids(request)
        if ids is not None and db_field.name == "site":
            kwargs["queryset"] = Site.objects.filter(pk__in=ids)
        elif ids is not None and db_field.name == "pole":
            kwargs["queryset"] = Pole.objects.filter(site_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = self.scope_site_ids(request)
        if ids is not None and len(ids) == 1 and "site" not in initial:
            initial["site"] = next(iter(ids))
        return initial

    def has_module_permission(self, request):
        return self.scope_site_ids(request) != set()

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Posted text made safe before any field parses it: controls and JSON nested too
        # deep are form errors, bidi controls go (kiosk/server/clean_forms.py).
        return cleaning_form(super().get_form(request, obj, change, **kwargs))

    def get_search_results(self, request, queryset, search_term):
        # Bidi controls and zero-width characters pasted into the search box match nothing.
        return super().get_search_results(request, queryset, clean_value(search_term)[0])

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def _may(self, request, obj) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or self.in_scope(request, site_id_of(obj))

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj)

    def check_scope(self, request, obj) -> None:
        """PermissionDenied when `obj` is, or was until this save, of another site."""
        before = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
        if not self.in_scope(request, site_id_of(obj)) or (
                before is not None and not self.in_scope(request, site_id_of(before))):
            raise PermissionDenied("ce site n'est pas le vôtre")

    def save_model(self, request, obj, form, change):
        self.check_scope(request, obj)
        do_save_content(obj, request.user)

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        if not all(self.in_scope(request, site_id_of(obj)) for obj in objs):
            raise PermissionDenied("ce site n'est pas le vôtre")
        do_delete_content(objs, request.user)


class ContentAdmin(SiteScopedAdmin, admin.ModelAdmin):
    """The admin of a content kind: its translated fields (KINDS) one input per language,
    French required unless the field may be blank; links https only."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        kind = KINDS.of(self.model)
        if db_field.name == "documents":  # ticked in the vocabulary (documents_field.py)
            return DocumentsField(label="Documents à apporter", help_text="")
        if kind is not None and db_field.name in kind.texts and not kind.is_text_list(
                db_field.name):
            return TranslationsField(
                textarea=db_field.name in kind.long_texts,
                required_fr=not db_field.blank,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
                required=not db_field.blank,
            )
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # links shown as QR codes are https only
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class PlainSiteScopedAdmin(SiteScopedAdmin):
    """SiteScopedAdmin for rows that are not content (appointments, kiosks, rollouts): the
    same scope and defences, saved and deleted plainly (no content change log)."""

    def save_model(self, request, obj, form, change):
        self.check_scope(request, obj)
        obj.save()

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        if not all(self.in_scope(request, site_id_of(obj)) for obj in objs):
            raise PermissionDenied("ce site n'est pas le vôtre")
        for obj in objs:
            obj.delete()
