"""How complete the translations are, per language, for one site's content.

Every text the kiosks show is a {language: text} mapping with French required; a missing
language falls back to French on the kiosk (per field). This page tells editors what is
still shown in French to an Arabic, Chinese, Wolof or Bambara reader: a percentage per
language and the list of what is missing, each with a link to its back-office form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse

from kiosk.domain.languages import LANGUAGES
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import Site


@dataclass
class Missing:
    label: str
    field: str
    url: str


@dataclass
class LanguageReport:
    code: str
    name: str
    total: int = 0
    filled: int = 0
    missing: list[Missing] = field(default_factory=list)

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


def completeness(site: Site) -> list[LanguageReport]:
    reports = {lang.code: LanguageReport(lang.code, lang.native_name) for lang in LANGUAGES}
    for kind in KINDS:
        if not kind.texts:
            continue
        model = kind.model
        qs = model.objects.filter(site=site)
        if not kind.translate_drafts:
            qs = qs.filter(published=True)  # what visitors can see
        for obj in qs:
            url = reverse(f"admin:content_{model._meta.model_name}_change", args=[obj.pk])
            for name in kind.texts:
                for index, texts in enumerate(_texts(getattr(obj, name))):
                    if not (texts.get("fr") or "").strip():
                        continue  # nothing to translate
                    label = f"{model._meta.verbose_name} « {obj} »"
                    where = f"{name} {index + 1}" if isinstance(getattr(obj, name), list) else name
                    for report in reports.values():
                        report.total += 1
                        if (texts.get(report.code) or "").strip():
                            report.filled += 1
                        else:
                            report.missing.append(Missing(label, where, url))
    return list(reports.values())


@staff_member_required
def translations_view(request):
    sites = Site.objects.all() if request.user.is_superuser else sites_where(
        request.user, Role.EDITOR)
    sites = list(sites.order_by("name"))
    if not sites:
        raise PermissionDenied("no site to edit")
    chosen = next((s for s in sites if s.slug == request.GET.get("site")), sites[0])
    reports = completeness(chosen)
    return render(request, "content/translations.html", {
        "title": "Traductions : où en est-on ?", "site": chosen, "sites": sites,
        "reports": reports, "has_permission": True,
        "site_header": "Carrefour — back-office",
    })
