"""The carnet's parts of shared pages, so that those pages only `{% include %}` them:
the phone page's checklist and carnet offer, the console's panel at the call."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse

from kiosk.domain import carnet_code
from kiosk.server.carnet import services
from kiosk.server.web.language import Texts

register = template.Library()


@register.inclusion_tag("carnet/_phone_checklist.html", takes_context=True)
def phone_carnet(context, ticket):
    """The ticket's checklist (ticks editable) and "Garder mon carnet" on its phone page."""
    request = context["request"]
    folder = services.folder_for(ticket)
    lang = context.get("lang", "fr")
    carnet = folder.carnet
    link = ""
    if carnet is not None:
        path = reverse("carnet-page", args=[carnet.token])
        base = settings.PUBLIC_BASE_URL
        link = f"{base}{path}" if base else request.build_absolute_uri(path)
    return {
        "t": Texts("carnet"), "ticket": ticket, "lines": services.lines(folder, lang),
        "query": context.get("query", ""), "csrf_token": context.get("csrf_token"),
        "lang": lang, "carnet": carnet, "link": link,
        "code": carnet_code.display(folder.carnet_code),
        "how_long": Texts("carnet")("keep_how_long", days=services.retention().days),
        "ask_consent": request.GET.get("carnet") == "consent",
        "open": ticket.status in services.OPEN,
    }


@register.inclusion_tag("carnet/_console_panel.html", takes_context=True)
def console_carnet(context, counter):
    from kiosk.server.carnet.views import panel_context

    return {**panel_context(counter), "csrf_token": context.get("csrf_token")}
