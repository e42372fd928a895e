"""The visitor's voice on a ticket's phone page (/t/<token>): once the ticket is done, "how
was it?" with five faces and an optional comment, and a question for the agents.

Plain HTML forms (CSRF token, no script), rate limited per ticket, with a honeypot field
robots fill in and people never see. After a post the visitor comes back to the phone page
(its #avis anchor), in their language. web/phone.py calls `phone_context` (one line); the
template includes voice/_phone_feedback.html.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from kiosk.domain.voice import FACE_KEYS, FACES, MAX_COMMENT, MAX_QUESTION, pictogram
from kiosk.server.content.models import Service
from kiosk.server.ratelimit import ratelimit
from kiosk.server.voice.models import Feedback
from kiosk.server.voice.services import (
    VoiceError,
    ask_question,
    can_answer,
    editable,
    give_feedback,
)
from kiosk.server.web.language import CODES, Texts, shown, visitor_language

log = logging.getLogger(__name__)

HONEYPOT = "website"
PICTOGRAMS = Path(__file__).resolve().parents[3] / "assets" / "pictograms" / "src"
ERROR_CODES = ("face", "too_long", "empty", "closed", "too_late", "service", "invalid")


@functools.cache
def face_svg(face: int) -> str:
    """The face's pictogram inline (no request, no file to serve); its words are beside it,
    so the drawing is hidden from screen readers."""
    try:
        svg = (PICTOGRAMS / f"{pictogram(face)}.svg").read_text(encoding="utf-8")
    except OSError:  # an install without the sources: the words alone
        return ""
    svg = re.sub(r"<title>.*?</title>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\swidth="\d+" height="\d+"', "", svg, count=1)
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" class="face-img" ', 1)


def faces(t: Texts, chosen: int | None) -> list[dict]:
    return [{"n": n, "key": FACE_KEYS[n], "label": t[f"face.{FACE_KEYS[n]}"],
             "svg": mark_safe(face_svg(n)),  # our own file, read above: no visitor input
             "chosen": n == chosen} for n in FACES]


def phone_context(request, ticket) -> dict | None:
    """What voice/_phone_feedback.html needs; None while the ticket is not done."""
    if not can_answer(ticket):
        return None
    t = Texts("voice")
    feedback = Feedback.objects.filter(ticket=ticket).select_related("remark").first()
    remark = getattr(feedback, "remark", None) if feedback else None
    lang = request.LANGUAGE_CODE if getattr(request, "LANGUAGE_CODE", "") in CODES else "fr"
    error = request.GET.get("avis_erreur", "")
    services = Service.objects.filter(site_id=ticket.site_id, published=True)
    return {
        "t": t, "faces": faces(t, feedback.face if feedback else None),
        "given": feedback is not None, "editable": feedback is None or editable(feedback),
        "comment": remark.text if remark else "",
        "thanks": "merci" in request.GET and feedback is not None,
        "asked": "question" in request.GET,
        "error": t(f"error.{error}", max=MAX_COMMENT) if error in ERROR_CODES else "",
        "max_comment": MAX_COMMENT, "max_question": MAX_QUESTION, "honeypot": HONEYPOT,
        "services": [(s.slug, shown(s.name, lang)) for s in services],
        "ticket_service": ticket.service.slug,
        "answers_url": reverse("voice-answers", args=[ticket.site.slug]) + f"?lang={lang}",
        "feedback_url": reverse("voice-feedback", args=[ticket.public_token]),
        "question_url": reverse("voice-question", args=[ticket.public_token]),
    }


def _back(request, ticket, **params) -> HttpResponseRedirect:
    asked = request.GET.get("lang", "")
    query = [f"lang={asked}"] if asked in CODES else []
    query += [f"{k}={v}" for k, v in params.items()]
    url = reverse("phone-ticket", args=[ticket.public_token])
    return HttpResponseRedirect(url + ("?" + "&".join(query) if query else "") + "#avis")


def _ticket(token: str):
    from kiosk.server.web.phone import _ticket as ticket_of  # the phone page's own 404 rules

    return ticket_of(token)


@require_POST
@ratelimit("voice_phone", key="ticket")  # per ticket: visitors share the lobby's address
def phone_feedback(request, token: str):
    ticket = _ticket(token)
    lang = visitor_language(request, ticket.language).code
    if request.POST.get(HONEYPOT):
        log.info("feedback with the honeypot filled in: dropped")
        return _back(request, ticket, merci=1)
    try:
        give_feedback(ticket, request.POST.get("face"), request.POST.get("comment", ""),
                      language=lang)
    except VoiceError as exc:
        return _back(request, ticket, avis_erreur=exc.code)
    return _back(request, ticket, merci=1)


@require_POST
@ratelimit("voice_phone", key="ticket")
def phone_question(request, token: str):
    ticket = _ticket(token)
    lang = visitor_language(request, ticket.language).code
    if request.POST.get(HONEYPOT):
        return _back(request, ticket, question=1)
    slug = request.POST.get("service", "")
    try:
        ask_question(ticket.site, request.POST.get("question", ""), service=slug or None,
                     ticket=ticket, language=lang)
    except VoiceError as exc:
        return _back(request, ticket, avis_erreur=exc.code)
    return _back(request, ticket, question=1)
