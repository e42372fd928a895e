"""The display board of the waiting area: the last calls, big. A public screen, no login.

It shows only ticket numbers and counters: no name, no phone, no token. The ticket's
language travels too: the call line shows its name (in that language) and the board says
the call in it as well; a visitor who used read-aloud at the kiosk (help_reading) gets the
kiosk's speaker pictogram beside it. The board's own words: ?lang=xx, else the browser's,
else French.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

from kiosk.domain.languages import LANGUAGES, get_language
from kiosk.server.appointments.lane import lane_slots
from kiosk.server.content.models import Site
from kiosk.server.queueing.counter_actions import counter_label
from kiosk.server.queueing.models import Ticket
from kiosk.server.queueing.polling import poll_etag, polled_json, version_of
from kiosk.server.web.console import no_store
from kiosk.server.web.language import counter_name, page_context, tr, visitor_language

BOARD_CALLS = 6


def board_state(site: Site) -> dict:
    now = timezone.now()
    calls = (
        Ticket.objects.filter(site=site, day=timezone.localdate(now), called_at__isnull=False,
                              counter__isnull=False)
        .select_related("counter").order_by("-called_at", "-pk")[:BOARD_CALLS]
    )
    calls = list(calls)
    slots = lane_slots(site.pk, timezone.localdate(now), [t.pk for t in calls])
    return {
        "now": now.isoformat(),
        "site": site.name,
        "calls": [
            {
                # A recall moves called_at: a new key, so the board says it again.
                "key": f"{t.pk}@{t.called_at.isoformat()}",
                "number": t.display,
                "counter": counter_name(t.counter.name),
                "counter_label": counter_label(t.counter),
                # A counter with its own name ("Accueil") is said as it is, not "guichet …".
                "named": counter_label(t.counter) == t.counter.name.strip(),
                "called_at": t.called_at.isoformat(),
                "age_s": max(0, int((now - t.called_at).total_seconds())),
                "recall": t.recalls > 0,
                "language": t.language,
                "language_name": get_language(t.language).native_name,
                "language_dir": "rtl" if get_language(t.language).rtl else "ltr",
                # Drawn as a pictogram, no words on the wall: discreet for the visitor.
                "help_reading": bool(t.help_reading),
                "slot": slots.get(t.pk),  # an appointment's time (its lane ticket)
            }
            for t in calls
        ],
    }


def phrases() -> dict[str, dict[str, str]]:
    """How the board says a call, per language (catalogs board.say / board.say_named)."""
    spoken = {}
    for lang in LANGUAGES:
        with translation.override(lang.code):
            spoken[lang.code] = {"say": tr("board.say"), "say_named": tr("board.say_named")}
    return spoken


def _query(request) -> str:
    asked = request.GET.get("lang", "")
    return f"?lang={asked}" if asked in {lang.code for lang in LANGUAGES} else ""


@require_safe
def board(request, site_slug: str):
    lang = visitor_language(request)
    site = get_object_or_404(Site, slug=site_slug)
    response = render(request, "web/board.html", {
        **page_context(lang), "site": site, "state": board_state(site),
        "phrases": phrases(), "query": _query(request)})
    response["X-Robots-Tag"] = "noindex"
    return no_store(response)


@require_safe
def board_state_json(request, site_slug: str):
    """Polled each second: 304 while the site's queue has not changed (one query)."""
    lang = visitor_language(request)
    site = get_object_or_404(Site.objects.annotate(queue=version_of("pk")), slug=site_slug)
    etag = poll_etag(f"b{lang.code}", site.queue, site.pk)
    return polled_json(request, etag, lambda: board_state(site), private=False)
