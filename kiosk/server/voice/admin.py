"""Back-office moderation of what visitors wrote (comments of feedback, questions).

As for residents' proposals (kiosk/server/content/moderation.py): superusers, and staff
users holding the moderator or admin role on the message's site; another site's messages
are a 404. A moderator accepts a message (agents read it), may write an answer and publish
both on the site's public page (/avis/<site>/), or refuses it (its text is erased).
Faces alone (Feedback) are read in the statistics, not here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from kiosk.domain.voice import FACE_KEYS, MAX_ANSWER
from kiosk.server.accounts.moderation_scope import ModeratedBySite
from kiosk.server.voice.models import Remark
from kiosk.server.voice.services import VoiceError, keep, reject

FACE_FR = {"very_bad": "très mécontent", "bad": "mécontent", "neutral": "moyen",
           "good": "content", "very_good": "très content"}


@admin.register(Remark)
class RemarkAdmin(ModeratedBySite):
    list_display = ("short_text", "kind", "site", "service", "status", "published", "created_at")
    list_display_links = ("short_text",)
    list_filter = ("status", "kind", "published", "site")
    ordering = ("status", "-created_at")
    actions = ("reject_selected",)


    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request)).select_related(
            "site", "service", "feedback")

    @admin.display(description="message")
    def short_text(self, obj):
        return (obj.text[:80] + "…") if len(obj.text) > 80 else (obj.text or "(effacé)")

    @admin.action(description="Refuser (le texte est effacé)", permissions=("change",))
    def reject_selected(self, request, queryset):
        done = sum(1 for remark in queryset if reject(remark, request.user))
        self.message_user(request, f"{done} message(s) refusé(s).", messages.SUCCESS)

    # -- one message: read, answer, publish or refuse -------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        remark = self.get_object(request, object_id)
        if remark is None:
            raise Http404("message inconnu")
        if not self.may_moderate(request, remark):
            raise PermissionDenied
        error, answer = "", remark.answer
        if request.method == "POST":
            decision = request.POST.get("decision")
            answer = request.POST.get("answer", "")
            try:
                if decision in ("keep", "publish"):
                    keep(remark, request.user, answer, publish=decision == "publish")
                    done = "publié avec sa réponse" if decision == "publish" else "accepté"
                elif decision == "reject":
                    reject(remark, request.user)
                    done = "refusé et effacé"
                else:
                    raise PermissionDenied
                self.message_user(request, f"Message {done}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:voice_remark_changelist"))
            except VoiceError as exc:
                error = str(exc)
        face = remark.feedback.face if remark.feedback_id else None
        fields = [
            ("Site", remark.site), ("Type", remark.get_kind_display()),
            ("Service", remark.service or "—"),
            ("Visage", f"{face}/5 ({FACE_FR[FACE_KEYS[face]]})" if face else "—"),
            ("Message", remark.text or "(effacé)"), ("Langue", remark.language),
            ("Reçu le", remark.created_at), ("État", remark.get_status_display()),
            ("Publié", "oui" if remark.published else "non"),
        ]
        return TemplateResponse(request, "voice/moderation_remark.html", {
            **self.admin_site.each_context(request),
            "title": "Modérer un message de visiteur", "opts": self.model._meta,
            "remark": remark, "fields": fields, "error": error, "answer": answer,
            "max_answer": MAX_ANSWER, "original": remark, "media": self.media,
        })
