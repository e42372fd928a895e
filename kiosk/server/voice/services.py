"""What visitors say (faces, comments, questions) and what moderators do with it.

Texts are cleaned as residents' proposals are (kiosk/domain/text_input.py: control
characters refused, bidi overrides and invisible characters removed, NFC), then e-mail
addresses and phone numbers are masked: the form asks for no personal data and a comment
is read by agents and perhaps published, so none is kept even when typed. Stored as plain
text, escaped where shown, never marked safe.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.domain.text_input import TextInputError, clean_text
from kiosk.domain.tickets import TicketStatus
from kiosk.domain.voice import EDIT_MINUTES, MAX_ANSWER, MAX_COMMENT, MAX_QUESTION, is_face
from kiosk.server.content.models import Pole, Service, Site
from kiosk.server.voice.models import Feedback, Remark

MASK = "[…]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Eight digits or more, spaces, dots, dashes or a leading + between them: a phone number
# (French or foreign). Shorter numbers (a ticket "C042", a date, an amount) stay.
PHONE = re.compile(r"\+?\d(?:[\s.\-/]?\d){7,}")

# Error codes (the phone page shows them in the visitor's language: voice.error.<code>).
FACE, TOO_LONG, EMPTY, CLOSED, TOO_LATE, SERVICE, KEY_REUSED = (
    "face", "too_long", "empty", "closed", "too_late", "service", "key_reused")
MESSAGES_FR = {
    FACE: "Choisissez un visage.", TOO_LONG: "Ce texte est trop long.",
    EMPTY: "Écrivez votre question.", CLOSED: "Ce ticket n'est pas terminé.",
    TOO_LATE: "Cet avis ne peut plus être modifié.", SERVICE: "Service inconnu.",
    KEY_REUSED: "Cette clé a déjà servi pour une autre demande.",
    "not_pending": "Ce message a déjà été modéré.", "answer_long": "La réponse est trop longue.",
    "answer_required": "Écrivez une réponse avant de publier.",
    "invalid": "Ce texte contient des caractères refusés.",
}


class VoiceError(Exception):
    def __init__(self, code: str):
        super().__init__(MESSAGES_FR.get(code, code))
        self.code = code


def filter_text(value: str | None, max_length: int) -> str:
    """Cleaned, personal data masked, at most `max_length` characters (else VoiceError)."""
    try:
        text = clean_text(value or "", multiline=True)
    except TextInputError:
        raise VoiceError("invalid") from None
    text = PHONE.sub(MASK, EMAIL.sub(MASK, text))
    if len(text) > max_length:
        raise VoiceError(TOO_LONG)
    return text


def _face(value) -> int:
    try:
        face = int(value)
    except (TypeError, ValueError):
        raise VoiceError(FACE) from None
    if not is_face(face):
        raise VoiceError(FACE)
    return face


def can_answer(ticket) -> bool:
    """The phone page asks "how was it?" once the ticket is done."""
    return ticket.status == TicketStatus.DONE


def editable(feedback: Feedback, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return now - feedback.created_at <= dt.timedelta(minutes=EDIT_MINUTES)


def _set_comment(feedback: Feedback, text: str, now: dt.datetime) -> None:
    """The comment of a feedback; changed text goes back to moderation, unpublished."""
    remark = Remark.objects.filter(feedback=feedback).first()
    if not text:
        if remark is not None:
            remark.delete()
        return
    if remark is None:
        Remark.objects.create(site=feedback.site, service=feedback.service, kind="comment",
                              feedback=feedback, ticket=feedback.ticket, text=text,
                              language=feedback.language, via=feedback.via, created_at=now)
    elif remark.text != text:
        remark.text, remark.status, remark.published = text, "pending", False
        remark.answer, remark.published_at = "", None
        remark.save()


def give_feedback(ticket, face, comment: str = "", now: dt.datetime | None = None,
                  language: str | None = None) -> tuple[Feedback, bool]:
    """The phone page's answer for a done ticket: (feedback, created). Giving it again
    within EDIT_MINUTES changes it; later, VoiceError(too_late)."""
    now = now or timezone.now()
    if not can_answer(ticket):
        raise VoiceError(CLOSED)
    face = _face(face)
    text = filter_text(comment, MAX_COMMENT)
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().filter(ticket=ticket).first()
        created = feedback is None
        if created:
            feedback = Feedback(site_id=ticket.site_id, service_id=ticket.service_id,
                                pole_id=ticket.service.pole_id, ticket=ticket, via="phone",
                                created_at=now)
        elif not editable(feedback, now):
            raise VoiceError(TOO_LATE)
        feedback.face, feedback.updated_at = face, now
        feedback.language = language or ticket.language
        feedback.save()
        _set_comment(feedback, text, now)
    return feedback, created


def _service_of(site: Site, slug: str | None) -> Service | None:
    if not slug:
        return None
    service = Service.objects.filter(site=site, slug=slug).first()
    if service is None:
        raise VoiceError(SERVICE)
    return service


def _pole_of(site: Site, slug: str | None) -> Pole | None:
    if not slug:
        return None
    pole = Pole.objects.filter(site=site, slug=slug).first()
    if pole is None:
        raise VoiceError(SERVICE)
    return pole


def kiosk_feedback(kiosk, face, pole: str | None, language: str, key: uuid.UUID,
                   at: dt.datetime | None = None, comment: str = "") -> tuple[Feedback, bool]:
    """A face given at a kiosk (through its outbox: `key` makes a replay harmless), with its
    optional comment (filtered and moderated as the phone page's).
    `at`: when the visitor touched it (an offline kiosk sends it later), never in the future."""
    now = timezone.now()
    existing = Feedback.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.kiosk_id != kiosk.pk:
            raise VoiceError(KEY_REUSED)
        return existing, False
    face = _face(face)
    text = filter_text(comment, MAX_COMMENT)
    site = kiosk.site
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    given = min(at, now) if at else now
    if now - given > dt.timedelta(days=7):  # a kiosk offline for a week: the day it arrived
        given = now
    feedback = Feedback(site=site, pole=_pole_of(site, pole), face=face, language=language,
                        via="kiosk", kiosk=kiosk, idempotency_key=key, created_at=given,
                        updated_at=now)
    try:
        with transaction.atomic():
            feedback.save()
            _set_comment(feedback, text, given)
    except IntegrityError:  # the same key at the same time: the other request won
        return Feedback.objects.get(idempotency_key=key), False
    return feedback, True


def ask_question(site: Site, text: str, service: str | None = None, ticket=None,
                 language: str = "fr", via: str = "phone") -> Remark:
    """A visitor's question for the agents; seen by moderators only until published."""
    cleaned = filter_text(text, MAX_QUESTION)
    if not cleaned:
        raise VoiceError(EMPTY)
    return Remark.objects.create(
        site=site, service=_service_of(site, service) if isinstance(service, str) else service,
        kind="question", ticket=ticket, text=cleaned, language=language, via=via,
        created_at=timezone.now())


# -- moderation ----------------------------------------------------------------------------


def _locked(remark: Remark) -> Remark:
    return Remark.objects.select_for_update().get(pk=remark.pk)


def keep(remark: Remark, user, answer: str = "", publish: bool = False) -> Remark:
    """Accept a message (agents read it in the back-office); with `publish`, it goes on the
    site's public page with its answer (required for a question)."""
    answer = clean_text(answer or "", multiline=True)
    if len(answer) > MAX_ANSWER:
        raise VoiceError("answer_long")
    if publish and remark.kind == "question" and not answer:
        raise VoiceError("answer_required")
    with transaction.atomic():
        locked = _locked(remark)
        if locked.status in ("rejected", "erased"):  # no text left to keep
            raise VoiceError("not_pending")
        now = timezone.now()
        locked.status, locked.answer = "kept", answer
        locked.moderated_by, locked.moderated_at = user, now
        if publish and not locked.published:
            locked.published_at = now
        locked.published = publish
        locked.save()
    return locked


def reject(remark: Remark, user) -> Remark:
    """Refuse a message: never shown; its text is erased at once (it may hold anything)."""
    with transaction.atomic():
        locked = _locked(remark)
        locked.status, locked.published, locked.published_at = "rejected", False, None
        locked.text, locked.answer = "", ""
        locked.moderated_by, locked.moderated_at = user, timezone.now()
        locked.save()
    return locked


def retention_days() -> int:
    return int(getattr(settings, "VOICE_COMMENT_RETENTION_DAYS", 90))


def purge_remarks(now: dt.datetime | None = None) -> int:
    """The nightly purge (purge_personal_data): erase the text of every comment and question
    older than VOICE_COMMENT_RETENTION_DAYS that is not published; how many. The row stays,
    "erased", so the faces and the satisfaction's comment counts are unchanged; its ticket
    link goes. Published ones stay while published: the town hall chose to show them, after
    moderation, on /avis/<site>/ (docs/privacy.md). Idempotent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    return (Remark.objects.filter(created_at__lt=cutoff, published=False)
            .exclude(status__in=("rejected", "erased"))  # a refused one's text is gone
            .update(text="", answer="", status="erased", ticket=None))


def published_remarks(site: Site):
    return (Remark.objects.filter(site=site, published=True, status="kept")
            .select_related("service").order_by("-published_at"))
