"""The site's public page of published answers (/avis/<site>/), as Services Publics+ does:
what visitors asked or said (kept by a moderator) and the town hall's answer. Phone-sized,
in the six languages for its own words; the visitors' and agents' texts are shown as they
were written, marked with their language (lang/dir) so screen readers switch voice.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from kiosk.domain.languages import get_language
from kiosk.server.content.models import Site
from kiosk.server.voice.services import published_remarks
from kiosk.server.web.language import CODES, Texts, page_context, shown, visitor_language

PER_PAGE = 20


def _dir(code: str) -> str:
    return "rtl" if code in CODES and get_language(code).rtl else "ltr"


@require_safe
def answers_page(request, site_slug: str):
    language = visitor_language(request)
    site = get_object_or_404(Site, slug=site_slug)
    page = Paginator(published_remarks(site), PER_PAGE).get_page(request.GET.get("page"))
    t = Texts("voice")
    items = [{
        "kind": t[f"kind.{r.kind}"], "text": r.text, "text_lang": r.language,
        "text_dir": _dir(r.language), "answer": r.answer,
        "service": shown(r.service.name, language.code) if r.service else "",
        "when": r.published_at.date().isoformat() if r.published_at else "",
    } for r in page.object_list]
    response = render(request, "voice/answers.html", {
        **page_context(language), "t": t, "site": site, "items": items, "page": page,
        "title": t("answers_title", site=site.name),
    })
    response["Cache-Control"] = "public, max-age=60"
    return response
