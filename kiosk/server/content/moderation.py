"""Back-office moderation of residents' proposals (kiosk/server/content/contributions.py).

`PendingOffer` is a proxy of `Offer` listing only the contributions waiting for a decision.
Moderators see them (read only, with the resident's contact when given), and approve them
(published to the kiosks) or refuse them with a reason (never published; contact erased).
Access: superusers, and staff users holding the moderator or admin role on the offer's
site (`sites_where(user, Role.MODERATOR)`); another site's proposals are a 404.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from kiosk.domain.content import ContentError
from kiosk.server.accounts.moderation_scope import ModeratedBySite
from kiosk.server.content.contributions import ContributionError, approve, message, reject
from kiosk.server.content.models import OFFER_CATEGORY_LABELS, Offer


class PendingOffer(Offer):
    class Meta:
        proxy = True
        app_label = "content"
        verbose_name = "proposition d'habitant à modérer"
        verbose_name_plural = "propositions d'habitants à modérer"


def _when(offer: Offer) -> str:
    from kiosk.server.web.offer_page import when_text

    try:
        return when_text(offer.item(), "fr")
    except ContentError:
        return "—"


def _error_text(exc: ContributionError) -> str:
    return " ".join(message(code) for code in exc.errors.values())


@admin.register(PendingOffer)
class PendingOfferAdmin(ModeratedBySite):
    list_display = ("title_fr", "site", "category", "when", "submitted_at")
    list_display_links = ("title_fr",)
    list_filter = ("site", "category")
    ordering = ("submitted_at",)
    actions = ("approve_selected", "reject_selected")

    # -- who may moderate: ModeratedBySite (kiosk/server/accounts/moderation_scope.py) --

    def get_queryset(self, request):
        pending = super().get_queryset(request).filter(contributed=True, status="pending")
        return self.scoped(request, pending).select_related("site")

    # -- columns --------------------------------------------------------------------------

    @admin.display(description="titre")
    def title_fr(self, obj):
        return obj.text("title")  # plain text: the admin escapes it

    @admin.display(description="quand")
    def when(self, obj):
        return _when(obj)

    # -- actions on the list --------------------------------------------------------------

    @admin.action(description="Approuver", permissions=("change",))
    def approve_selected(self, request, queryset):
        done = 0
        for offer in queryset:
            try:
                approve(offer, request.user)
                done += 1
            except ContributionError as exc:
                self.message_user(request, f"« {offer.text('title')} » : {_error_text(exc)}",
                                  messages.ERROR)
        if done:
            self.message_user(request, f"{done} proposition(s) approuvée(s) et publiée(s).",
                              messages.SUCCESS)

    @admin.action(description="Refuser", permissions=("change",))
    def reject_selected(self, request, queryset):
        """An intermediate page asks the reason, then posts back to this action."""
        reason, error = "", ""
        if "apply" in request.POST:
            reason = request.POST.get("reason", "")
            done, error = 0, ""
            for offer in queryset:
                try:
                    reject(offer, request.user, reason)
                    done += 1
                except ContributionError as exc:
                    error = _error_text(exc)
                    if "reason" in exc.errors:
                        break
            if done:
                self.message_user(request, f"{done} proposition(s) refusée(s).", messages.SUCCESS)
                return None
        return TemplateResponse(request, "web/moderation_reject.html", {
            **self.admin_site.each_context(request),
            "title": "Refuser des propositions", "opts": self.model._meta,
            "offers": list(queryset), "reason": reason, "error": error,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        })

    # -- one proposal: read-only page with "Approuver" and "Refuser" (with a reason) ------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        offer = self.get_object(request, object_id)
        if offer is None:
            raise Http404("proposition inconnue ou déjà modérée")
        if not self.may_moderate(request, offer):
            raise PermissionDenied
        error, reason = "", ""
        if request.method == "POST":
            decision = request.POST.get("decision")
            reason = request.POST.get("reason", "")
            try:
                if decision == "approve":
                    approve(offer, request.user)
                    self.message_user(request, f"« {offer.text('title')} » est publiée.",
                                      messages.SUCCESS)
                elif decision == "reject":
                    reject(offer, request.user, reason)
                    self.message_user(request, f"« {offer.text('title')} » est refusée.",
                                      messages.SUCCESS)
                else:
                    raise PermissionDenied
                return HttpResponseRedirect(
                    reverse("admin:content_pendingoffer_changelist"))
            except ContributionError as exc:
                error = _error_text(exc)
        fields = [
            ("Site", offer.site),
            ("Titre", offer.text("title")),
            ("Description", offer.text("summary")),
            ("Type", OFFER_CATEGORY_LABELS.get(offer.category, offer.category)),
            ("Quand", _when(offer)),
            ("Où", offer.where),
            ("Proposée le", offer.submitted_at),
            ("Contact de l'habitant",
             offer.contact + (" (accord donné)" if offer.contact_consent else "")
             if offer.contact else "—"),
        ]
        return TemplateResponse(request, "web/moderation_offer.html", {
            **self.admin_site.each_context(request),
            "title": f"Modérer : {offer.text('title')}", "opts": self.model._meta,
            "offer": offer, "fields": fields, "error": error, "reason": reason,
            "original": offer, "media": self.media,
        })
