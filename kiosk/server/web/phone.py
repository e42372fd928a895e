"""The phone page of a ticket (/t/<token>): follows the queue live, in the ticket's language
(or the one the visitor picks with the page's language switch, ?lang=xx).

No login: the 128-bit token is the key. No personal data: the phone number is never shown
(only "SMS planned"). The visitor can leave the queue or ask for more time (once). A
well-formed token no ticket has yet is a ticket a kiosk issued offline: "on its way".
"""

from __future__ import annotations

import time

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_POST, require_safe

from kiosk.domain.languages import LANGUAGES
from kiosk.domain.tickets import TicketStatus
from kiosk.domain.wait import NOT_TODAY, SOON, UNKNOWN, ShownWait
from kiosk.server.queueing import polling
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.queueing.models import Ticket, is_public_token
from kiosk.server.queueing.notices import shown_for
from kiosk.server.queueing.ordering import site_positions, ticket_position
from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor, do_postpone
from kiosk.server.ratelimit import ratelimit
from kiosk.server.voice.phone import phone_context as voice_phone_context
from kiosk.server.web.console import wants_json
from kiosk.server.web.language import (
    CODES,
    Texts,
    counter_name,
    page_context,
    shown,
    tr,
    visitor_language,
)


def _ticket(token: str, tickets=None) -> Ticket:
    """The ticket of a phone link (404 for anything else); `tickets`: the queryset to read
    it from (the polled JSON wants its site's queue version, not its service)."""
    if tickets is None:
        tickets = Ticket.objects.select_related("service", "counter", "site")
    if not is_public_token(token):
        raise Http404("ticket inconnu")
    try:
        # get(), not first(): the token is unique, and first() would order by the model's
        # ordering (day, then the service's own ordering: joins) on every poll.
        return tickets.get(public_token=token)
    except Ticket.DoesNotExist:
        raise Http404("ticket inconnu") from None


def _lang_of(request, ticket: Ticket) -> str:
    """The link's ?lang, else the ticket's language (activated)."""
    return visitor_language(request, ticket.language).code


def _query(request) -> str:
    """Keep the visitor's chosen language on the page's own links (state, actions)."""
    asked = request.GET.get("lang", "")
    return f"?lang={asked}" if asked in CODES else ""


def _private(response):
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def wait_text(wait: ShownWait, t) -> str:
    """The wait as the phone page writes it: a number, a range when wide, "stay in the hall",
    "we may not reach you today", or unknown."""
    if wait.status == SOON:
        if wait.minutes is None or wait.minutes <= 1:  # "(≈ 0 min)" would read as a mistake
            return t["wait_soon"]
        return f'{t["wait_soon"]} ({t["minutes"].format(n=wait.minutes)})'
    if wait.status == NOT_TODAY:
        return t["wait_not_today"]
    if wait.minutes is None:
        return t["unknown"]
    if wait.wide:
        return t["minutes_range"].format(lo=wait.low, hi=wait.high)
    return t["minutes"].format(n=wait.minutes)


def phone_state(ticket: Ticket, loaded: bool = False, version: int | None = None) -> dict:
    """In the active language (visitor_language). `version`: the site's queue version read
    with `ticket` (the polled JSON): the places in the queue are then shared by the
    process's phone pages for that version."""
    t = Texts("phone")
    status = TicketStatus(ticket.status)
    position = None
    if version is not None and status == TicketStatus.WAITING:
        bucket = int(time.time() // polling.POLL_BUCKET_SECONDS)
        position = polling.shared(("positions", ticket.site_id, ticket.day, bucket), version,
                                  lambda: site_positions(ticket.site_id, ticket.day)).get(ticket.pk)
    if position is None:
        position = ticket_position(ticket, loaded)
    wait = shown_for(ticket) if position else ShownWait(UNKNOWN)
    estimate = wait.minutes
    at_counter = status in (TicketStatus.CALLED, TicketStatus.PARKED) and ticket.counter_id
    return {
        "number": ticket.display,
        "status": status.value,
        "status_text": t[status.value],
        "status_fr": _in_french(f"phone.{status.value}"),
        "open": status.is_open,
        "position": position,
        "ahead": position - 1 if position else None,
        "estimate": estimate,
        "estimate_text": wait_text(wait, t),
        "wait_status": wait.status,
        "counter": counter_name(ticket.counter.name) if at_counter else "",
        # A recall moves called_at: a new key, the phone vibrates again.
        "call_key": ticket.called_at.isoformat() if status == TicketStatus.CALLED else "",
        "can_leave": status in (TicketStatus.WAITING, TicketStatus.PARKED),
        "can_postpone": status == TicketStatus.WAITING and not ticket.postponed,
        "postponed": ticket.postponed,
        "sms": bool(ticket.phone) and status == TicketStatus.WAITING,
    }


def _in_french(key: str) -> str:
    with translation.override("fr"):
        return tr(key)


ON_THE_WAY_REFRESH_SECONDS = 10
TOKEN_MAX = Ticket._meta.get_field("public_token").max_length  # longer: no ticket ever has it


def _on_the_way(request):
    """A well-formed token no ticket has (yet): a kiosk issued it offline and will upload
    it when its link returns. Not a 404: the QR code is right, the ticket is coming. The
    page reloads itself (meta refresh: no script) and shows the real page once it exists.
    The ticket's language is not known yet: the browser's (or ?lang) first, then the
    kiosk's other languages, each marked with its lang and dir."""
    lang = visitor_language(request)
    others = []
    for other in LANGUAGES:
        if other.code != lang.code:
            with translation.override(other.code):
                others.append({"code": other.code, "dir": "rtl" if other.rtl else "ltr",
                               "title": tr("phone.on_the_way"),
                               "help": tr("phone.on_the_way_help")})
    return _private(render(request, "web/phone_on_the_way.html", {
        **page_context(lang), "t": Texts("phone"), "others": others,
        "refresh": ON_THE_WAY_REFRESH_SECONDS,
    }))


def _unknown_ticket(request):
    """A link no ticket can ever have (malformed, too long): a page in the visitor's
    language, sized for a phone, not a bare "Not Found"."""
    return _not_found(request, "phone.unknown_title", "phone.unknown_help")


def page_not_found(request, exception=None):
    """Every other 404 (a service, an offer, any unknown address: urls.handler404): the same
    page, in the visitor's language, with the language switch (not a dead end)."""
    return _not_found(request, "notfound.title", "notfound.help")


def _not_found(request, title: str, help_text: str):
    lang = visitor_language(request)
    return _private(render(request, "web/not_found.html", {
        **page_context(lang), "title": tr(title), "help": tr(help_text),
    }, status=404))


@require_safe
def phone_ticket(request, token: str):
    """The page a phone opens from the QR code: number, position, status, live."""
    if not is_public_token(token) or len(token) > TOKEN_MAX:
        return _unknown_ticket(request)
    if not Ticket.objects.filter(public_token=token).exists():
        return _on_the_way(request)
    ticket = _ticket(token)
    lang = visitor_language(request, ticket.language)
    t = Texts("phone")
    state = phone_state(ticket)
    return _private(render(request, "web/phone_ticket.html", {
        **page_context(lang),
        "ticket": ticket, "state": state, "t": t, "query": _query(request),
        "title": t("ticket", number=ticket.display),
        "service_name": shown(ticket.service.name, lang.code),
        "more_time_help": t("more_time_help", n=ticket.site.postpone_places),
        "messages_js": {k: t[k] for k in ("offline", "leave_confirm", "error")},
        "voice": voice_phone_context(request, ticket),  # done: "how was it?" (voice/phone.py)
    }))


@require_safe
def phone_state_json(request, token: str):
    """Polled by the page: 304 while the site's queue has not changed (one query)."""
    ticket = _ticket(token, Ticket.objects.select_related("counter", "site")
                     .annotate(queue=polling.version_of()))
    code = _lang_of(request, ticket)
    etag = polling.poll_etag(f"t{code}", ticket.queue, ticket.pk)
    response = polling.polled_json(
        request, etag, lambda: phone_state(ticket, loaded=True, version=ticket.queue or 0))
    response["X-Robots-Tag"] = "noindex"
    return response


def _visitor_action(request, token: str, action):
    ticket = _ticket(token)
    _lang_of(request, ticket)
    t = Texts("phone")
    status, ok = 200, True
    try:
        action(ticket, t)
        message = t["left"] if action is _leave else t["more_time_done"]
    except QueueError as exc:
        status, ok, message = exc.status, False, t["error"]
    ticket.refresh_from_db()
    if wants_json(request):
        return _private(JsonResponse({"ok": ok, "message": message,
                                      "state": phone_state(ticket)}, status=status))
    return redirect(reverse("phone-ticket", args=[ticket.public_token]) + _query(request))


def _leave(ticket, t):
    do_cancel_by_visitor(ticket)


def _more_time(ticket, t):
    do_postpone(ticket)


@require_POST
@ratelimit("phone", key="ticket")  # per ticket: visitors share the lobby's address
def phone_leave(request, token: str):
    """"Je pars": the ticket leaves the queue (and any phone number is erased)."""
    return _visitor_action(request, token, _leave)


@require_POST
@ratelimit("phone", key="ticket")  # per ticket: visitors share the lobby's address
def phone_more_time(request, token: str):
    """"J'ai besoin de plus de temps": once, a few places back."""
    return _visitor_action(request, token, _more_time)
