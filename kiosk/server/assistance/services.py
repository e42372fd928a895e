"""Call an agent: check_* validates, do_* changes state (same style as the queue actions in kiosk.server.queueing).

- One open request per kiosk: a second call while one is open answers the open one (the
  partial unique constraint `one_open_assistance_per_kiosk` is the safety net under races).
- Idempotency: every key a kiosk sent is remembered with the request it got; a replay gets
  the same request, whatever happened since.
- A request nobody answered within ASSISTANCE_EXPIRY_MINUTES counts as expired: it leaves
  the consoles and the kiosk may ask again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.domain.text_input import TextInputError, clean_text
from kiosk.server.assistance.models import AssistanceKey, AssistanceRequest
from kiosk.server.queueing.estimates import queue_changed
from kiosk.server.queueing.issuing import KEY_REUSED
from kiosk.server.queueing.lifecycle import QueueError

Status = AssistanceRequest.Status


class AssistanceError(QueueError):
    """A request about assistance that cannot be honoured; the message is safe to show."""


def expiry_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.ASSISTANCE_EXPIRY_MINUTES)


def effective_status(request: AssistanceRequest, now: dt.datetime | None = None) -> str:
    """open / handled / expired, an old unanswered request counting as expired."""
    now = now or timezone.now()
    if request.status == Status.OPEN and request.created_at < expiry_cutoff(now):
        return Status.EXPIRED  # type: ignore[return-value]  # a TextChoices member: Django's types are not installed
    return request.status


def do_request_assistance(kiosk, *, key: uuid.UUID, language: str = "fr",
                          note: str = "", fingerprint: str = "") -> tuple[AssistanceRequest, bool]:
    """The kiosk's request and whether it is new (False: a replay, or the open one). The
    note is cleaned (kiosk/domain/text_input.py: controls refused with a 422, bidi controls
    removed); the key with another request's `fingerprint` is a 422."""
    try:
        note = clean_text(note or "")[:200]
    except TextInputError as exc:
        raise AssistanceError(f"note refused: {exc}", status=422) from None
    for attempt in range(3):
        try:
            with transaction.atomic():
                record = (AssistanceKey.objects.select_related("request")
                          .filter(kiosk=kiosk, key=key).first())
                if record is not None:
                    if record.fingerprint and fingerprint and record.fingerprint != fingerprint:
                        raise AssistanceError(KEY_REUSED, status=422)
                    return record.request, False
                now = timezone.now()
                AssistanceRequest.objects.filter(
                    kiosk=kiosk, status=Status.OPEN, created_at__lt=expiry_cutoff(now)
                ).update(status=Status.EXPIRED)
                request = AssistanceRequest.objects.filter(kiosk=kiosk, status=Status.OPEN).first()
                created = request is None
                if created:
                    request = AssistanceRequest.objects.create(
                        site_id=kiosk.site_id, kiosk=kiosk, language=language, note=note)
                AssistanceKey.objects.create(kiosk=kiosk, key=key, request=request,
                                             fingerprint=fingerprint)
                if created:  # the consoles show it: their polls must see a change
                    queue_changed(kiosk.site_id, estimates=False)
                return request, created
        except IntegrityError:
            # Lost a race (same key, or another open request committed first): the
            # winner is visible now, try again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def open_requests(site_id: int, now: dt.datetime | None = None) -> list[AssistanceRequest]:
    """The site's unanswered requests, oldest first (read-only: consoles poll it)."""
    now = now or timezone.now()
    return list(
        AssistanceRequest.objects.filter(site_id=site_id, status=Status.OPEN,
                                         created_at__gte=expiry_cutoff(now))
        .select_related("kiosk").order_by("created_at", "pk")
    )


def do_handle_assistance(site_id: int, request_id: int, user) -> AssistanceRequest:
    """An agent answers "J'y vais". The caller has checked the agent's role on `site_id`;
    a request of another site is "not found"."""
    with transaction.atomic():
        request = (AssistanceRequest.objects.select_for_update()
                   .filter(pk=request_id, site_id=site_id).first())
        if request is None:
            raise AssistanceError("Cette demande d'aide n'existe pas sur ce site.", status=404)
        status = effective_status(request)
        if status == Status.HANDLED:  # type: ignore[comparison-overlap]  # a TextChoices member: Django's types are not installed
            who = request.handled_by.get_short_name() or request.handled_by.get_username() \
                if request.handled_by else "un autre agent"
            raise AssistanceError(f"Déjà pris en charge par {who}.", status=409)
        if status == Status.EXPIRED:  # type: ignore[comparison-overlap]  # a TextChoices member: Django's types are not installed
            raise AssistanceError("Cette demande a expiré : le visiteur est sans doute parti.",
                                  status=409)
        request.status = Status.HANDLED
        request.handled_at = timezone.now()
        request.handled_by = user
        request.save(update_fields=["status", "handled_at", "handled_by"])
        queue_changed(site_id, estimates=False)
    return request
