"""Drafts in the back-office: the « état » column and filter (Brouillon / Publié), the
« Publier » and « Repasser en brouillon » actions, a new object starting as a draft, and the
« Aperçu borne » button of the change form (kiosk/server/content/preview.py).

`PublishableAdmin` is mixed in before `SiteScopedAdmin` (kiosk/server/content/admin.py): the
actions and the preview see only the agent's sites, and every publication or return to
draft is written to the audit log ({"published": [old, new]}) and to the content change
log (do_publish and do_unpublish: kiosks get it, or its deletion, at the next sync).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path, reverse

from kiosk.server.audit.services import site_id_of
from kiosk.server.content.actions import do_publish, do_unpublish
from kiosk.server.content.kinds import KINDS


class StateFilter(admin.SimpleListFilter):
    title = "état"
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return (("brouillon", "Brouillon"), ("publie", "Publié"))

    def queryset(self, request, queryset):
        if self.value() == "brouillon":
            return queryset.filter(published=False)
        if self.value() == "publie":
            return queryset.filter(published=True)
        return queryset


class PublishableAdmin:
    actions = ("publish_selected", "unpublish_selected")
    change_form_template = "admin/content/publishable_change_form.html"

    # -- list -----------------------------------------------------------------------------

    def get_list_display(self, request):
        shown = [name for name in super().get_list_display(request) if name != "published"]
        return (*shown, "state")

    def get_list_filter(self, request):
        filters = [f for f in super().get_list_filter(request) if f != "published"]
        return (*filters, StateFilter)

    @admin.display(description="état", ordering="published")
    def state(self, obj):
        if not obj.published:
            return "Brouillon"
        pole = getattr(obj, "pole", None)
        if pole is not None and not pole.published:
            return "Publié (pôle en brouillon)"
        return "Publié"

    # -- forms ----------------------------------------------------------------------------

    def get_changeform_initial_data(self, request):
        # Created in the back-office, an object starts as a draft: the agent previews it
        # (« Aperçu borne ») and publishes it when it is right.
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("published", False)
        return initial

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.published:
            messages.warning(request, "Enregistré en brouillon : pas encore visible sur les "
                                      "bornes. Cochez « publié » ou utilisez l'action « Publier ».")

    # -- actions --------------------------------------------------------------------------

    @admin.action(description="Publier", permissions=("change",))
    def publish_selected(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description="Repasser en brouillon", permissions=("change",))
    def unpublish_selected(self, request, queryset):
        self._set_published(request, queryset, False)

    def _set_published(self, request, queryset, value: bool) -> None:
        objs = list(queryset)
        if not all(self.in_scope(request, site_id_of(obj)) for obj in objs):  # type: ignore[attr-defined]  # mixed into a ModelAdmin
            raise PermissionDenied("ce site n'est pas le vôtre")
        done = 0
        for obj in objs:
            try:  # an offer proposed by a resident is published by approving it
                done += (do_publish if value else do_unpublish)(obj, request.user)
            except ValidationError as exc:
                self.message_user(request, f"« {obj} » : {' '.join(exc.messages)}",  # type: ignore[attr-defined]  # mixed into a ModelAdmin
                                  messages.ERROR)
        if done:
            what = "publié(s) : visible(s) sur les bornes" if value else \
                "repassé(s) en brouillon : retiré(s) des bornes"
            self.message_user(request, f"{done} élément(s) {what}.", messages.SUCCESS)  # type: ignore[attr-defined]  # mixed into a ModelAdmin

    # -- « Aperçu borne » -------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        kind = KINDS.of(self.model)
        context["kiosk_preview"] = kind is not None and bool(kind.preview)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/apercu/", self.admin_site.admin_view(self.preview_view),
                 name="{}_{}_preview".format(*info)),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        from kiosk.server.content.preview import render_preview

        obj = self.get_object(request, unquote(object_id))  # scoped: another site's is None
        if obj is None or not KINDS.of(obj).preview:
            raise Http404("contenu inconnu")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        info = self.opts.app_label, self.opts.model_name
        change_url = reverse("admin:{}_{}_change".format(*info), args=(obj.pk,),
                             current_app=self.admin_site.name)
        return render_preview(request, obj, change_url)
