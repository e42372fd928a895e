"""How complete the translations are, per language, for one site's content.

Every text the kiosks show is a {language: text} mapping with French required; a missing
language falls back to French on the kiosk (per field). This page tells editors what is
still shown in French to an Arabic, Chinese, Wolof or Bambara reader: a percentage per
language and the list of what is missing, each with a link to its back-office form.

Every translated text is a draft until an editor marks it read by a native speaker
(TranslationReview, tied to the exact text: an edit makes it a draft again). The page counts
the reviewed texts per language and lists the drafts, each with its « relu » button.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from kiosk.domain.languages import LANGUAGES
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.audit.services import record
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import Site, TranslationReview, text_hash


@dataclass
class Missing:
    label: str
    field: str
    url: str


@dataclass
class Draft:
    """A translated text no native speaker has read yet (or read before it changed)."""

    label: str
    field: str
    url: str
    model: str
    pk: int
    french: str
    text: str

    @property
    def sha(self) -> str:
        return text_hash(self.text)


@dataclass
class LanguageReport:
    code: str
    name: str
    total: int = 0
    filled: int = 0
    reviewed: int = 0
    missing: list[Missing] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)

    @property
    def source(self) -> bool:
        return self.code == "fr"  # the text translated from: nothing to review

    @property
    def reviewed_percent(self) -> int:
        return 100 if not self.filled else int(100 * self.reviewed / self.filled)

    @property
    def interface_draft(self) -> bool:
        """The interface's own words in this language are a first draft (catalogs)."""
        from kiosk.domain.languages import DRAFT_LANGUAGES

        return self.code in DRAFT_LANGUAGES

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.filled / self.total)


def _texts(value) -> list[dict]:
    """The {lang: text} mappings of a field (one, or one per entry of a list field)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _visible(kind, site: Site):
    """The objects of a kind whose texts count: a site's, and only the published ones unless
    the kind translates its drafts too."""
    qs = kind.model.objects.filter(site=site)
    return qs if kind.translate_drafts else qs.filter(published=True)  # what visitors see


def _count_object(kind, obj, reports: dict[str, LanguageReport], reviews: dict) -> None:
    """Add one object's texts to the reports (each language: filled, missing, or a draft)."""
    model = kind.model
    url = reverse(f"admin:content_{model._meta.model_name}_change", args=[obj.pk])
    label = f"{model._meta.verbose_name} « {obj} »"
    for name in kind.texts:
        for index, texts in enumerate(_texts(getattr(obj, name))):
            if not (texts.get("fr") or "").strip():
                continue  # nothing to translate
            where = f"{name} {index + 1}" if isinstance(getattr(obj, name), list) else name
            for report in reports.values():
                report.total += 1
                text = (texts.get(report.code) or "").strip()
                if not text:
                    report.missing.append(Missing(label, where, url))
                    continue
                report.filled += 1
                key = (model._meta.label_lower, obj.pk, where, report.code)
                if report.source or reviews.get(key) == text_hash(text):
                    report.reviewed += 1
                else:
                    report.drafts.append(Draft(label, where, url, key[0], obj.pk,
                                               texts["fr"].strip(), text))


def completeness(site: Site) -> list[LanguageReport]:
    reports = {lang.code: LanguageReport(lang.code, lang.native_name) for lang in LANGUAGES}
    reviews = {(r.model, r.object_id, r.field, r.language): r.text_sha256
               for r in TranslationReview.objects.filter(site=site)}
    for kind in KINDS:
        if kind.texts:
            for obj in _visible(kind, site):
                _count_object(kind, obj, reports, reviews)
    return list(reports.values())


def _draft(site: Site, model: str, pk: int, where: str, language: str) -> Draft | None:
    """The one draft an editor marks: that object's text in that language, if it is a draft
    now (the object, its kind and the language looked up, not the whole site's report)."""
    kind = next((k for k in KINDS if k.texts and k.model._meta.label_lower == model), None)
    obj = _visible(kind, site).filter(pk=pk).first() if kind is not None else None
    if obj is None or all(lang.code != language for lang in LANGUAGES):
        return None
    reports = {language: LanguageReport(language, name="")}  # only its drafts are read
    reviews = {(r.model, r.object_id, r.field, r.language): r.text_sha256
               for r in TranslationReview.objects.filter(
                   site=site, model=model, object_id=pk, language=language)}
    _count_object(kind, obj, reports, reviews)
    return next((d for d in reports[language].drafts if d.field == where), None)


def _editable_sites(user):
    sites = Site.objects.all() if user.is_superuser else sites_where(user, Role.EDITOR)
    return sites.order_by("name")


@staff_member_required
@require_POST
def review_view(request):
    """Mark one translated text as read by a native speaker (an editor of its site)."""
    site = _editable_sites(request.user).filter(slug=request.POST.get("site")).first()
    if site is None:
        raise PermissionDenied("not an editor of this site")
    language, where, sha = (request.POST.get(k, "") for k in ("lang", "field", "sha"))
    try:
        pk = int(request.POST.get("pk", ""))
    except ValueError:
        return HttpResponseBadRequest("pk")
    # The draft must exist now, with the very text the editor saw (not an older one).
    draft = _draft(site, request.POST.get("model", ""), pk, where, language)
    if draft is None or draft.sha != sha:
        messages.warning(request, "Ce texte a changé ou n'est plus à relire : rien n'est marqué.")
    else:
        review, created = TranslationReview.objects.update_or_create(
            model=draft.model, object_id=pk, field=where, language=language,
            defaults={"site": site, "text_sha256": sha, "reviewed_by": request.user})
        record(request.user, review, "created" if created else "changed",
               {"text": draft.text, "reviewed": True})
        messages.success(request, f"Marqué relu : {draft.label} — {where} ({language}).")
    return redirect(f"{reverse('translations')}?site={site.slug}#drafts-{language}")


@staff_member_required
def translations_view(request):
    sites = list(_editable_sites(request.user))
    if not sites:
        raise PermissionDenied("no site to edit")
    chosen = next((s for s in sites if s.slug == request.GET.get("site")), sites[0])
    reports = completeness(chosen)
    return render(request, "content/translations.html", {
        "title": "Traductions : où en est-on ?", "site": chosen, "sites": sites,
        "reports": reports, "has_permission": True,
        "site_header": "Carrefour — back-office",
    })
