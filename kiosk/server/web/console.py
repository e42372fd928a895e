"""The counter console (agents): live state, actions, and tickets issued by a mobile agent.

Progressive enhancement: every action is a plain POST form that redirects back to the
console; the page's script sends the same forms with fetch (Accept: application/json) and
gets {ok, message, state} back, and polls `etat.json` every second.
Thin views: the queue logic is in kiosk.server.queueing (issuing, counter_actions, ...).
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kiosk.domain.languages import LANGUAGES, get_language
from kiosk.domain.tickets import TicketStatus, format_ticket_number
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.appointments.lane import lane_slots
from kiosk.server.assistance.services import (
    do_handle_assistance,
    expiry_cutoff,
    open_requests,
)
from kiosk.server.content.models import Service
from kiosk.server.queueing.counter_actions import (
    call_next,
    check_counter_agent,
    current_ticket,
    do_back_at_counter,
    do_call_ticket,
    do_close_counter_for_today,
    do_finish_current,
    do_no_show,
    do_open_counter,
    do_park,
    do_pause_counter,
    do_recall,
    do_resume,
    do_transfer,
    no_show_allowed_at,
    parked_tickets,
)
from kiosk.server.queueing.estimates import estimated_wait, estimates_for, queue_version
from kiosk.server.queueing.issuing import (
    check_phone,
    check_priority,
    check_service_for_ticket,
    do_issue_ticket,
)
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.queueing.models import Counter, Priority, Ticket, is_public_token
from kiosk.server.queueing.ordering import call_order, recent_priority_calls, ticket_position
from kiosk.server.queueing.polling import (
    POLL_BUCKET_SECONDS,
    poll_etag,
    polled_json,
    shared,
    version_of,
)
from kiosk.server.web.errors import french
from kiosk.server.web.qr import qr_svg

# What the phone field is for, shown before anyone types a number (DESIGN.md, privacy).
PHONE_NOTICE = (
    "Facultatif. Le numéro sert uniquement à prévenir le visiteur par SMS quand son tour "
    "approche et quand il est appelé. Responsable : la mairie d'arrondissement (Ville de Paris). "
    "Il est effacé dès que le ticket est terminé, annulé ou expiré, et au plus tard le soir même."
)


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _agent_counter(request, counter_id: int) -> Counter:
    # With its site's queue version (`queue`, read with it: conditional polling).
    counter = get_object_or_404(
        Counter.objects.select_related("site").annotate(queue=version_of()), pk=counter_id)
    check_counter_agent(request.user, counter)
    return counter


def phone_url(request, ticket: Ticket) -> str:
    path = reverse("phone-ticket", args=[ticket.public_token])
    base = settings.PUBLIC_BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


# -- state --------------------------------------------------------------------------------


def _ticket_row(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.display,
        "service": ticket.service.text("name"),
        "service_slug": ticket.service.slug,
        "priority": ticket.priority,
        "priority_label": ticket.get_priority_display() if ticket.priority else "",
        **language_fields(ticket.language),
        # The visitor used read-aloud at the kiosk: answer aloud, not with a written sheet.
        "help_reading": bool(ticket.help_reading),
    }


def language_fields(code: str) -> dict:
    """The visitor's language as the console shows it: a code badge and its own name."""
    lang = get_language(code)
    return {"language": lang.code, "language_name": lang.native_name,
            "language_dir": "rtl" if lang.rtl else "ltr"}


class _WaitingRow:
    """A waiting ticket as the console needs it: a row, not a model instance (building ~100
    Ticket instances was the biggest cost of a poll)."""

    # `day`: estimates_for tells a ticket issued since the shared estimates by it (a poll
    # without it answered 500 whenever the shared result was older than a new ticket); the
    # wait told at issue is what it shows of such a ticket when only a new computation of
    # the queue could place it (calls_for, `told`).
    __slots__ = ("pk", "service_id", "queued_at", "priority", "number", "prefix", "language",
                 "created_at", "postponed", "transferred_from_id", "day", "help_reading",
                 "wait_status_at_issue", "estimate_at_issue", "service")
    FIELDS = __slots__[:-1]
    # The slots' types (annotations only: no class attribute, the slots stay).
    pk: int
    service_id: int
    queued_at: Any
    priority: str
    number: int
    prefix: str
    language: str
    created_at: Any
    postponed: bool
    transferred_from_id: int | None
    day: Any
    help_reading: bool
    wait_status_at_issue: str
    estimate_at_issue: int | None
    service: Any

    def __init__(self, row):
        for name, value in zip(self.FIELDS, row, strict=True):
            setattr(self, name, value)

    @property
    def display(self) -> str:
        return format_ticket_number(self.prefix, self.number)

    def get_priority_display(self) -> str:
        return Priority(self.priority).label


def _waiting_lines(site_id: int, day, services: list) -> list[tuple[_WaitingRow, dict]]:
    """The waiting tickets of these services in call order, each with its fixed fields."""
    service_ids = [s.pk for s in services]
    waiting = [_WaitingRow(row) for row in
               Ticket.objects.filter(site_id=site_id, day=day,
                                     status=TicketStatus.WAITING, service_id__in=service_ids)
               .order_by("queued_at", "pk").values_list(*_WaitingRow.FIELDS)]
    by_pk = {s.pk: s for s in services}
    for ticket in waiting:  # the services loaded above, not one decoded copy per ticket
        ticket.service = by_pk[ticket.service_id]
    # The appointment lane's tickets first, by slot: called at their time, their "place"
    # is the slot's time (kiosk.server.appointments.lane).
    slots = lane_slots(site_id, day)
    lane = sorted((t for t in waiting if t.pk in slots), key=lambda t: (slots[t.pk], t.pk))
    walk_ins: list[Any] = [t for t in waiting if t.pk not in slots]  # rows with the fields it reads
    ordered: list[Any] = call_order(walk_ins, recent_priority_calls(site_id, day, service_ids))
    placed: list[tuple[int | None, _WaitingRow]] = [*((None, t) for t in lane),
                                                   *enumerate(ordered, start=1)]
    return [(t, {**_ticket_row(t), "position": slots.get(t.pk, position),  # type: ignore[arg-type]  # a row with the fields _ticket_row reads
                 "postponed": t.postponed, "transferred": t.transferred_from_id is not None,
                 "slot": slots.get(t.pk)})
            for position, t in placed]


def counter_state(counter: Counter, version: int | None = None) -> dict:
    """Everything the console shows, as JSON-ready data (no phone number, no token).

    `version`: the site's queue version, read before this call (the polled JSON): the
    parts that only a queue change can change are then shared by the process's consoles.
    """
    now = timezone.now()
    day = timezone.localdate(now)
    site_id = counter.site_id
    bucket = int(now.timestamp() // POLL_BUCKET_SECONDS)
    # Only what the console shows: a service's other texts (hours, documents…) are big.
    shown = ("pk", "site_id", "slug", "prefix", "name")
    services = list(counter.services.order_by("pole__order", "order", "slug").only(*shown))
    service_ids = [s.pk for s in services]
    # Shared by the process's consoles per queue version (polling.shared); the time bucket
    # bounds what ages without a queue change (a service renamed in the back-office…).
    lines = shared(("lines", site_id, day, tuple(service_ids), bucket), version,
                   lambda: _waiting_lines(site_id, day, services))
    # Every console polls each second: share the site's estimates (at most a second old,
    # dropped by most queue changes); a ticket issued since gets its estimate derived
    # from them, as at issue (estimates_for).
    estimates = estimates_for(counter.site, [t for t, _ in lines])
    per_service = {pk: 0 for pk in service_ids}
    rows = []
    for ticket, fixed in lines:
        per_service[ticket.service_id] += 1
        rows.append({
            **fixed,
            "estimate": estimates.get(ticket.pk),
            "waited_min": max(0, int((now - ticket.created_at).total_seconds() // 60)),
        })

    # The current and parked tickets with the services loaded above (the full service rows
    # hold every text of the service: decoding them was a good part of a poll).
    by_pk = {s.pk: s for s in services}

    def with_service(ticket):
        if ticket.service_id in by_pk:
            ticket.service = by_pk[ticket.service_id]
        return ticket

    current = current_ticket(counter, with_service=False)
    if current is not None:
        with_service(current)
    current_row = None
    if current is not None:
        allowed = no_show_allowed_at(current)
        current_row = {
            **_ticket_row(current),
            "called_at": current.called_at.isoformat(),
            "elapsed_s": max(0, int((now - current.called_at).total_seconds())),
            "recalls": current.recalls,
            "no_show_in_s": max(0, math.ceil((allowed - now).total_seconds())),
            "transferred_from": (current.transferred_from.text("name")
                                 if current.transferred_from_id else ""),
        }
    parked = [
        {**_ticket_row(t), "parked_s": max(0, int((now - t.parked_at).total_seconds()))
         if t.parked_at else 0}
        for t in map(with_service, parked_tickets(counter).select_related(None))
    ]
    targets = shared(("targets", site_id, bucket), version, lambda: [
        {"slug": s.slug, "name": s.text("name"), "prefix": s.prefix}
        for s in Service.objects.filter(site_id=site_id, ticketing=True).order_by(
            "pole__order", "order", "slug").only(*shown)])
    # Assistance requests bump the version too (assistance.services); expiry is by time.
    expiry = expiry_cutoff(now)
    assistance = [r for r in shared(("assistance", site_id, bucket), version,
                                    lambda: open_requests(site_id, now))
                  if r.created_at >= expiry]
    return {
        "now": now.isoformat(),
        "counter": {"id": counter.pk, "name": counter.name, "site": counter.site.name,
                    "open": counter.is_open, **_desk(counter, now)},
        "current": current_row,
        "waiting": rows,
        "total_waiting": len(rows),
        "parked": parked,
        "services": [{"slug": s.slug, "name": s.text("name"), "prefix": s.prefix,
                      "waiting": per_service[s.pk]} for s in services],
        "transfer_targets": targets,
        "grace_s": counter.site.no_show_grace_seconds,
        # Visitors at a kiosk asking for an agent (the mobile agent answers "J'y vais").
        "assistance": [
            {"id": r.pk, "kiosk": r.kiosk.name, **language_fields(r.language),
             "language_label": LANGUAGE_NAMES.get(r.language, r.language), "note": r.note,
             "waiting_seconds": max(0, int((now - r.created_at).total_seconds()))}
            for r in assistance
        ],
    }


def _desk(counter: Counter, now) -> dict:
    """The counter's own state for its agent: open, paused until HH:MM, closed for today."""
    day = timezone.localdate(now)
    paused = counter.paused_until is not None and counter.paused_until > now and counter.is_open
    closed_today = counter.closed_on == day
    if closed_today:
        desk = "closed_today"
    elif not counter.is_open:
        desk = "closed"
    else:
        desk = "paused" if paused else "open"
    return {
        "desk": desk,
        "paused_until": (timezone.localtime(counter.paused_until).strftime("%H:%M")
                         if paused else ""),
        "paused_until_iso": counter.paused_until.isoformat() if paused else "",
    }


DESK_LABELS = {"open": "Guichet ouvert", "paused": "En pause jusqu'à {until}",
               "closed": "Guichet fermé", "closed_today": "Guichet fermé pour aujourd'hui"}


# The visitor's language, as the agents say it.
LANGUAGE_NAMES = {"fr": "français", "en": "anglais", "ar": "arabe", "zh": "chinois",
                  "wo": "wolof", "bm": "bambara"}


# -- pages --------------------------------------------------------------------------------


@login_required
def console(request):
    """The agent picks the counter they sit at."""
    counters = Counter.objects.filter(site__in=sites_where(request.user, Role.COUNTER))
    if not counters:
        raise PermissionDenied("Aucun guichet : demandez un rôle d'agent pour votre site.")
    if len(counters) == 1:
        return redirect("counter", counters[0].pk)
    return render(request, "web/console_pick.html", {"counters": counters})


@login_required
@require_safe
def counter_view(request, counter_id: int):
    counter = _agent_counter(request, counter_id)
    state = counter_state(counter)
    return no_store(render(request, "web/counter.html", {
        "counter": counter, "state": state, "current": state["current"],
    }))


@login_required
@require_safe
def counter_state_json(request, counter_id: int):
    """Polled each second: 304 while the site's queue has not changed (docs/queues.md)."""
    counter = _agent_counter(request, counter_id)
    version = counter.queue or 0
    etag = poll_etag("c", version, counter.pk)
    return polled_json(request, etag, lambda: counter_state(counter, version))


def _ticket_id(request) -> int:
    try:
        return int(request.POST.get("ticket", ""))
    except ValueError:
        raise QueueError("Choisissez un ticket.", status=400) from None


def _run(counter: Counter, action: str, request) -> tuple[str, str]:
    """Do one action; return (level, French message). QueueError propagates."""
    if action == "next":
        answer = call_next(counter)
        if answer.ticket is None and answer.held_until is not None:
            hours, minutes = divmod(round(answer.held_until), 60)
            return "info", (f"Guichet gardé libre pour le rendez-vous de {hours:02d}:{minutes:02d} "
                            "(les tickets sans rendez-vous attendent un autre guichet ou la fin "
                            "du rendez-vous).")
        if answer.ticket is None:
            return "info", "Personne n'attend pour ce guichet."
        return "success", f"Appel du {answer.ticket.display}"
    if action == "done":
        ticket = do_finish_current(counter)
        if ticket is None:
            return "info", "Aucun ticket en cours."
        return "success", f"{ticket.display} terminé."
    if action == "recall":
        ticket = do_recall(counter)
        nth = "1er" if ticket.recalls == 1 else f"{ticket.recalls}e"
        return "success", f"Rappel du {ticket.display} ({nth} rappel)"
    if action == "absent":
        ticket = do_no_show(counter)
        return "success", f"{ticket.display} marqué absent."
    if action == "park":
        ticket = do_park(counter)
        return "success", f"{ticket.display} mis de côté : reprenez-le quand il revient."
    if action == "transfer":
        slug = request.POST.get("service", "")
        if not slug:
            raise QueueError("Choisissez le service vers lequel transférer.", status=400)
        ticket = do_transfer(counter, slug)
        return "success", (f"{ticket.display} transféré vers {ticket.service.text('name')} "
                           "(il garde sa place).")
    if action == "call":
        ticket = do_call_ticket(counter, _ticket_id(request))
        return "success", f"Appel du {ticket.display} (hors tour)"
    if action == "resume":
        ticket = do_resume(counter, _ticket_id(request))
        return "success", f"Reprise du {ticket.display}"
    if action == "assist":
        try:
            request_id = int(request.POST.get("request", ""))
        except ValueError:
            raise QueueError("Choisissez une demande d'aide.", status=400) from None
        help_request = do_handle_assistance(counter.site_id, request_id, request.user)
        return "success", (f"C'est noté : vous allez à la borne « {help_request.kiosk.name} » "
                           "(la borne annonce votre arrivée).")
    if action in DESK_ACTIONS:
        return _desk_action(counter, action, request)
    raise Http404(action)


def _pause_end(request):
    """The pause's end typed as HH:MM, today, local time."""
    text = request.POST.get("until", "").strip()
    try:
        hours, minutes = (int(part) for part in text.split(":")[:2])
        moment = timezone.localtime().replace(hour=hours, minute=minutes, second=0,
                                              microsecond=0)
    except ValueError:
        raise QueueError("Indiquez l'heure de retour (HH:MM).", status=400) from None
    if moment <= timezone.now():
        raise QueueError(f"{text} est déjà passé : indiquez une heure de retour à venir.",
                         status=400)
    return moment


def _desk_action(counter: Counter, action: str, request) -> tuple[str, str]:
    """Open, pause, back, close for today (docs/queues.md, counter timetables)."""
    if action == "open":
        updated = do_open_counter(counter)
        message = "Guichet ouvert : vous pouvez appeler."
    elif action == "pause":
        until = _pause_end(request)
        updated = do_pause_counter(counter, until)
        message = f"En pause jusqu'à {timezone.localtime(until):%H:%M} : aucun appel d'ici là."
    elif action == "back":
        updated = do_back_at_counter(counter)
        message = "De retour : le guichet appelle de nouveau."
    else:
        updated = do_close_counter_for_today(counter)
        message = "Guichet fermé pour aujourd'hui. Demain, ouvrez-le depuis cette page."
    for field in ("is_open", "paused_until", "closed_on", "opened_at"):
        setattr(counter, field, getattr(updated, field))
    return "success", message


DESK_ACTIONS = ("open", "pause", "back", "close")
ACTIONS = ("next", "done", "recall", "absent", "park", "transfer", "call", "resume", "assist",
           *DESK_ACTIONS)


@login_required
@require_POST
def counter_action(request, counter_id: int, action: str):
    counter = _agent_counter(request, counter_id)
    if action not in ACTIONS:
        raise Http404(action)
    status = 200
    try:
        level, message = _run(counter, action, request)
    except QueueError as exc:
        level, message, status = "error", french(str(exc)), exc.status
    if wants_json(request):
        return no_store(JsonResponse(
            {"ok": level != "error", "level": level, "message": message,
             # Read after the action: the state the consoles will poll next, shared.
             "state": counter_state(counter, queue_version(counter.site_id))}, status=status))
    messages.add_message(request, {"success": messages.SUCCESS, "info": messages.INFO,
                                   "error": messages.ERROR}[level], message)
    return redirect("counter", counter.pk)


# -- a ticket issued by an agent (the mobile agent at the entrance) -----------------------


LAST_LANGUAGE = "issue_language"  # session key: the agent's last choice


class LanguageSelect(forms.Select):
    """Each option marked in its language, so it is drawn (and read out) in its own script."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        lang = get_language(str(value))
        option["attrs"].update(lang=lang.code, dir="rtl" if lang.rtl else "ltr")
        return option


class IssueForm(forms.Form):
    service = forms.ChoiceField(label="Service")
    # Each language in its own name: the visitor can point at theirs.
    language = forms.ChoiceField(label="Langue du visiteur", initial="fr", widget=LanguageSelect,
                                 choices=[(lang.code, f"{lang.native_name} ({lang.code})")
                                          for lang in LANGUAGES])
    # As the kiosk's read-aloud sets it: the counter agent will talk rather than hand a text.
    help_reading = forms.BooleanField(label="Le visiteur a besoin d'aide pour lire",
                                      required=False, widget=forms.CheckboxInput(
                                          attrs={"aria-describedby": "help-reading-hint"}))
    priority = forms.ChoiceField(label="Priorité", choices=Priority.choices, required=False,
                                 widget=forms.RadioSelect, initial="")
    phone = forms.CharField(label="Téléphone portable (SMS)", required=False, max_length=30,
                            widget=forms.TextInput(attrs={
                                "type": "tel", "autocomplete": "off", "inputmode": "tel",
                                "placeholder": "06 12 34 56 78"}))
    consent = forms.BooleanField(label="Le visiteur accepte de recevoir ces SMS", required=False)

    def __init__(self, *args, site, counter, **kwargs):
        super().__init__(*args, **kwargs)
        mine = set(counter.services.values_list("pk", flat=True))
        services = list(Service.objects.filter(site=site, ticketing=True).order_by(
            "pole__order", "order", "slug"))
        # The counter's own services first: the usual case at the entrance.
        services.sort(key=lambda s: s.pk not in mine)
        self.fields["service"].choices = [(s.slug, f"{s.prefix} — {s.text('name')}")
                                          for s in services]


@login_required
@require_http_methods(["GET", "POST"])
def issue_ticket(request, counter_id: int):
    counter = _agent_counter(request, counter_id)
    site = counter.site
    issued = None
    if request.method == "POST":
        form = IssueForm(request.POST, site=site, counter=counter)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service = check_service_for_ticket(site, data["service"])
                priority = check_priority(data["priority"])
                phone = check_phone(data["phone"].strip(), data["consent"])
                ticket, _ = do_issue_ticket(service, language=data["language"],
                                            priority=priority, phone=phone,
                                            consent=data["consent"], issued_by=request.user,
                                            help_reading=data["help_reading"])
            except QueueError as exc:
                form.add_error(None, french(str(exc)))
            else:
                # The next visitor at the entrance often speaks the same language.
                request.session[LAST_LANGUAGE] = ticket.language
                # Post/redirect/get: reloading the result never issues a second ticket.
                return redirect(f"{reverse('counter-issue', args=[counter.pk])}"
                                f"?ticket={ticket.public_token}")
    else:
        form = IssueForm(site=site, counter=counter, initial={
            "language": request.session.get(LAST_LANGUAGE, "fr")})
        token = request.GET.get("ticket", "")
        if is_public_token(token):
            issued = Ticket.objects.select_related("service").filter(
                public_token=token, site=site).first()
    context = {"counter": counter, "form": form, "phone_notice": PHONE_NOTICE}
    if issued is not None:
        url = phone_url(request, issued)
        position = ticket_position(issued)
        context["issued"] = {
            "number": issued.display, "service": issued.service.text("name"),
            "priority": issued.get_priority_display() if issued.priority else "",
            "position": position,
            "estimate": estimated_wait(issued) if position else None,
            "sms": bool(issued.phone), "url": url, "qr": qr_svg(url),
            **language_fields(issued.language), "help_reading": issued.help_reading,
            "status": issued.status,
        }
    return no_store(render(request, "web/issue_ticket.html", context))
