"""API v1, the visitor's voice: `POST /api/v1/feedback`, a face given at a kiosk.

The kiosk sends it through its outbox (never lost offline) with an Idempotency-Key: the same
key again answers exactly the first answer (200), another body with it a 422. Rate limited
per kiosk (settings.RATELIMITS["voice_kiosk"]). No personal data is asked: a face, the language,
the pole the visitor picked, if any, and an optional comment typed on the kiosk's keyboard,
filtered and moderated as the phone page's (voice/services.py). Registered by one line in
api/views.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema
from ninja.errors import HttpError

from kiosk.domain.voice import MAX_COMMENT
from kiosk.server.api.idempotency import fingerprint, replay
from kiosk.server.api.schemas import (
    ErrorOut,
    RateLimitedOut,
    ValidationErrorOut,
    text_field,
    text_type,
)
from kiosk.server.ratelimit import ratelimit
from kiosk.server.voice.services import VoiceError, kiosk_feedback

router = Router(tags=["voice"])

Language = Literal["fr", "en", "ar", "zh", "wo", "bm"]


class FeedbackIn(Schema):
    """How it went, at the kiosk's "Donner mon avis"."""

    face: int = Field(..., ge=1, le=5, description="1 very unhappy … 5 very happy")
    language: Language = "fr"
    pole: str | None = Field(None, max_length=50, description="the pole's id, if the visitor "
                             "picked one; an unknown id is a 422")
    at: dt.datetime | None = Field(None, description="when the visitor answered (an offline "
                                   "kiosk sends it later); never later than the upload")
    # A pydantic constrained str built at import time (schemas.text_type): not a static type.
    comment: text_type(MAX_COMMENT, multiline=True) = text_field(  # type: ignore[valid-type]
        "", MAX_COMMENT, "optional; no personal data asked (e-mail addresses and phone numbers "
        "are masked); waits for a moderator as the phone page's comment", multiline=True)


class FeedbackOut(Schema):
    id: int
    face: int


@router.post("", response={201: FeedbackOut, 200: FeedbackOut, 400: ErrorOut,
                                    401: ErrorOut, 422: ValidationErrorOut,
                                    429: RateLimitedOut})
@ratelimit("voice_kiosk", key="kiosk")
def create_feedback(request: HttpRequest, body: FeedbackIn,
                    idempotency_key: uuid.UUID = Header(..., alias="Idempotency-Key")):
    """A visitor's face at the kiosk; counted in the site's satisfaction statistics."""
    from kiosk.server.api.views import answered  # views registers this router: no cycle

    fp = fingerprint(request)
    if (first := replay(request, idempotency_key, fp)) is not None:
        return first
    try:
        feedback, created = kiosk_feedback(request.kiosk, body.face, body.pole, body.language,
                                           idempotency_key, at=body.at, comment=body.comment)
    except VoiceError as exc:
        raise HttpError(422, str(exc)) from None
    return answered(request, idempotency_key, fp, 201 if created else 200, FeedbackOut,
                    {"id": feedback.pk, "face": feedback.face}, first=created)
