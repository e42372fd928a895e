"""Idempotency-Key as payment APIs do it (docs/protocol.md, Idempotency).

The key of a kiosk is bound to the fingerprint of its first request: sha256 of the method,
the path and the canonical JSON body (keys sorted, no spaces: the same data sent again
with other spacing or key order is the same request). Then:
- the same key with the same request answers exactly the first answer (its body, byte for
  byte, with status 200 and `Idempotent-Replayed: true`), whatever happened since;
- the same key with another request (another body, or another endpoint) answers 422 and
  changes nothing.
The visitor's phone and consent are left out of the fingerprint: the kiosk erases the phone
from its outbox once the server has the ticket (privacy), so a replay may come without it;
a replay never adds one either (the first answer's `sms` says whether an SMS will go).
Only successful answers are kept: a refused request (4xx) may be sent again and is then
decided again. The row is IdempotencyRecord (one per kiosk and key, every endpoint); the
services also check the fingerprint where they deduplicate (tickets, leases, assistance),
so that two concurrent requests with one key and different bodies cannot both win.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from kiosk.server.queueing.issuing import KEY_REUSED
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.queueing.models import IdempotencyRecord

# Personal data the kiosk erases after the upload (see above): not part of the request's identity.
ERASED_FIELDS = ("phone", "sms_consent")


def fingerprint(request: HttpRequest) -> str:
    """sha256 hex of method, path and canonical JSON body (ERASED_FIELDS left out)."""
    try:
        data = json.loads(request.body or b"null")
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in ERASED_FIELDS}
        body = json.dumps(data, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # ninja already refused such a body; be safe
        body = bytes(request.body)
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_fingerprint(stored: str, given: str) -> None:
    """QueueError 422 when a key comes back with another request ("" = not known)."""
    if stored and given and stored != given:
        raise QueueError(KEY_REUSED, status=422)


def _replayed(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(record.response_body, status=200, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def replay(request: HttpRequest, key: uuid.UUID, fp: str) -> HttpResponse | None:
    """The first answer for this key, or None when there is none yet (go on: the services
    deduplicate); QueueError 422 when the key was used with another request."""
    record = IdempotencyRecord.objects.filter(kiosk=request.kiosk, key=key).first()
    if record is None:
        return None
    check_fingerprint(record.fingerprint, fp)
    return _replayed(record) if record.response_body else None


def remember(request: HttpRequest, key: uuid.UUID, fp: str,
             response: HttpResponse, keep: bool = True) -> HttpResponse:
    """Keep `response` (a success) as the first answer of the key, unless another request
    with the key got there first: then its answer (or 422 for another request). `keep`
    False (a concurrent replay of a ticket another request is creating): the creator's
    answer is the one kept; this one is answered as it is until then."""
    body = response.content.decode()
    kiosk = request.kiosk
    record = None if keep else IdempotencyRecord.objects.filter(kiosk=kiosk, key=key).first()
    if record is not None and record.fingerprint:  # (a record from before fingerprints:
        check_fingerprint(record.fingerprint, fp)   # its answer is kept, bound, below)
        if record.response_body:
            return _replayed(record)
        return response
    kept = (IdempotencyRecord.objects
            .filter(kiosk=kiosk, key=key, response_body="", fingerprint__in=(fp, ""))
            .update(fingerprint=fp, response_status=response.status_code, response_body=body))
    if kept:
        return response
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(kiosk=kiosk, key=key, fingerprint=fp,
                                             response_status=response.status_code,
                                             response_body=body)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(kiosk=kiosk, key=key)
        check_fingerprint(record.fingerprint, fp)
        if record.response_body:
            return _replayed(record)
    return response
