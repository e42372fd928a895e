"""The carnet's pages: the visitor's ticks and "Garder mon carnet" on the phone page, the
carnet page (/c/<link>) with its erasure, and the agent's panel at the counter (documents at
the call, the carnet's history, the fiche de liaison). Logic: services.py."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_POST, require_safe

from kiosk.domain import carnet_code
from kiosk.domain.tickets import TicketStatus
from kiosk.server.carnet import services
from kiosk.server.carnet.models import Carnet
from kiosk.server.carnet.pictograms import pictogram_png
from kiosk.server.carnet.services import CarnetError
from kiosk.server.queueing.counter_actions import current_ticket
from kiosk.server.queueing.models import Ticket, is_public_token
from kiosk.server.ratelimit import ratelimit
from kiosk.server.web.console import _agent_counter, no_store
from kiosk.server.web.language import CODES, page_context, visitor_language

_LINK = re.compile(r"[A-Za-z0-9_-]{20,64}")
_LINK_IN_URL = re.compile(r"/c/([A-Za-z0-9_-]{20,64})")


def _private(response):
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _query(request) -> str:
    asked = request.GET.get("lang", "")
    return f"?lang={asked}" if asked in CODES else ""


def _ticket(token: str) -> Ticket:
    ticket = (Ticket.objects.select_related("service", "site").filter(public_token=token).first()
              if is_public_token(token) else None)
    if ticket is None:
        raise Http404("ticket inconnu")
    return ticket


def _back_to_phone(request, ticket: Ticket, anchor: str = "documents"):
    return redirect(reverse("phone-ticket", args=[ticket.public_token]) + _query(request)
                    + f"#{anchor}")


# -- the phone page's actions -------------------------------------------------------------


@require_POST
@ratelimit("phone", key="ticket")  # per ticket, as the page's other actions
def phone_ticks(request, token: str):
    """The visitor ticks the documents they have (the whole list at once: a plain form)."""
    ticket = _ticket(token)
    folder = services.folder_for(ticket)
    have = set()
    for value in request.POST.getlist("have"):
        if value.isascii() and value.isdigit() and int(value) < len(folder.documents):
            have.add(int(value))
    services.set_ticks(folder, have)
    return _back_to_phone(request, ticket)


@require_POST
@ratelimit("phone", key="ticket")
def phone_keep(request, token: str):
    """"Garder mon carnet": only with the consent box ticked (the page says what is kept,
    for how long, and that it can be erased at any time)."""
    ticket = _ticket(token)
    folder = services.folder_for(ticket)
    if request.POST.get("consent") != "yes":
        return redirect(reverse("phone-ticket", args=[ticket.public_token]) + _query(request)
                        + ("&" if _query(request) else "?") + "carnet=consent#carnet")
    services.keep_carnet(folder)
    return _back_to_phone(request, ticket, "carnet")


# -- the carnet page (the visitor's link) ----------------------------------------------------


def _carnet(link: str) -> Carnet:
    carnet = (services.live_carnets_any().filter(token=link).first()
              if _LINK.fullmatch(link or "") else None)
    if carnet is None:
        raise Http404("carnet inconnu")
    return carnet


def _carnet_link_key(request) -> str:
    """Rate-limit the carnet page's POSTs per carnet (visitors share the lobby's address)."""
    return "carnet:" + request.path.split("/")[2][:16]


@require_safe
def carnet_page(request, link: str):
    try:
        carnet = _carnet(link)
    except Http404:
        lang = visitor_language(request)
        return _private(render(request, "carnet/carnet_gone.html", {
            **page_context(lang), "t": _texts()}, status=404))
    latest = carnet.folders.select_related("ticket").order_by("-ticket__created_at").first()
    lang = visitor_language(request, latest.ticket.language if latest else None)
    if timezone.now() - carnet.used_at > services.TOUCH_EVERY:
        services.touch(carnet)  # opening it is a use (at most once a day is recorded)
    return _private(render(request, "carnet/carnet_page.html", {
        **page_context(lang), "t": _texts(), "carnet": carnet,
        "code": carnet_code.display(carnet.code), "query": _query(request),
        "procedures": services.history(carnet, lang.code),
        "expires": timezone.localtime(carnet.used_at + services.retention()).date(),
        "confirm": request.GET.get("supprimer") == "1",
    }))


@require_POST
@ratelimit("phone", key=_carnet_link_key)
def carnet_erase(request, link: str):
    """"Supprimer mon carnet", confirmed: the carnet and its procedures leave the database."""
    carnet = _carnet(link)
    services.erase_carnet(carnet)
    lang = visitor_language(request)
    return _private(render(request, "carnet/carnet_gone.html", {
        **page_context(lang), "t": _texts(), "erased": True}))


def _texts():
    from kiosk.server.web.language import Texts

    return Texts("carnet")


@require_safe
def pictogram(request, slug: str):
    """A bundled pictogram's PNG (assets/pictograms/build), cached: the checklists' images."""
    data = pictogram_png(slug)
    if data is None:
        raise Http404("pictogramme inconnu")
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# -- the agent's panel ----------------------------------------------------------------------


def _panel_ticket(counter) -> Ticket | None:
    """The ticket at the counter, else the last one it finished today (the agent may write
    the fiche just after "Terminé")."""
    ticket = current_ticket(counter)
    if ticket is None:
        ticket = (Ticket.objects.select_related("service")
                  .filter(counter=counter, day=timezone.localdate(), status=TicketStatus.DONE)
                  .order_by("-finished_at").first())
    return ticket


def panel_context(counter, ticket: Ticket | None = None) -> dict:
    """What carnet/_console_panel.html shows (also used by the include in counter.html)."""
    ticket = ticket if ticket is not None else _panel_ticket(counter)
    if ticket is None:
        return {"counter": counter, "ticket": None}
    folder = services.folder_for(ticket)
    lang = ticket.language
    with translation.override("fr"):
        mine = services.procedure(folder, "fr")
    return {
        "counter": counter, "ticket": ticket, "folder": folder, "mine": mine,
        "summary": services.summary(folder, "fr"),
        "finished": ticket.status == TicketStatus.DONE,
        "history": (services.history(folder.carnet, "fr", exclude_ticket=ticket)
                    if folder.carnet_id else []),
        "visitor_lang": lang,
        "statuses": services.fiche.STATUSES, "next_steps": services.fiche.NEXT_STEPS,
        "note_max": services.fiche.NOTE_MAX,
    }


@login_required
@require_safe
def console_panel(request, counter_id: int):
    """The panel alone (the console's script reloads it when the current ticket changes)."""
    counter = _agent_counter(request, counter_id)
    return no_store(render(request, "carnet/_console_panel.html", panel_context(counter)))


@login_required
@require_POST
def console_fiche(request, counter_id: int):
    """The agent writes (or rewrites) the fiche de liaison of the panel's ticket."""
    from django.contrib import messages

    counter = _agent_counter(request, counter_id)
    ticket = _panel_ticket(counter)
    try:
        if ticket is None or str(ticket.pk) != request.POST.get("ticket", ""):
            raise CarnetError("Ce ticket n'est plus au guichet : fiche non enregistrée.")
        services.write_fiche(services.folder_for(ticket),
                             status=request.POST.get("status", ""),
                             next_step=request.POST.get("next", ""),
                             missing=request.POST.getlist("missing"),
                             note=request.POST.get("note", ""))
    except CarnetError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Fiche de liaison enregistrée pour le {ticket.display}.")
    return redirect("counter", counter.pk)


@login_required
@require_safe
def console_lookup(request, counter_id: int):
    """An agent types a carnet code (or opens its link): the history, this site only."""
    counter = _agent_counter(request, counter_id)
    typed = request.GET.get("code", "").strip()[:200]
    carnet = None
    error = ""
    link = _LINK_IN_URL.search(typed)
    if link:  # the carnet's link, pasted or scanned from its QR code
        carnet = services.live_carnets(counter.site_id).filter(token=link.group(1)).first()
        if carnet is None:
            error = "Aucun carnet à ce lien sur ce site (supprimé ou expiré)."
    elif typed:
        if not carnet_code.is_valid(typed):
            error = "Code invalide : 10 chiffres, le dernier contrôle les autres (une faute de frappe ?)."
        else:
            carnet = services.find_carnet(counter.site_id, typed)
            if carnet is None:
                error = "Aucun carnet avec ce code sur ce site (inconnu, supprimé ou expiré)."
    return no_store(render(request, "carnet/console_lookup.html", {
        "counter": counter, "typed": typed, "carnet": carnet, "error": error,
        "code": carnet_code.display(carnet.code) if carnet else "",
        "history": services.history(carnet, "fr") if carnet else [],
    }))

