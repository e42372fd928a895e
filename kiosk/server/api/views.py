"""API v1: thin views over the content and queueing service functions."""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string
from ninja import Header, NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError

from kiosk.server.api.auth import KioskBearer, LongPollBearer
from kiosk.server.api.idempotency import fingerprint, remember, replay
from kiosk.server.api.parser import ObjectParser
from kiosk.server.api.schemas import (
    AssistanceIn,
    AssistanceOut,
    ContentChangesOut,
    ContentOut,
    ContributionIn,
    ContributionOut,
    ErrorOut,
    HeartbeatIn,
    HeartbeatOut,
    LeaseIn,
    LeaseOut,
    QueuesOut,
    RateLimitedOut,
    TicketIn,
    TicketOut,
    ValidationErrorOut,
)
from kiosk.server.assistance.models import AssistanceRequest
from kiosk.server.assistance.services import do_request_assistance, effective_status
from kiosk.server.carnet.services import attach_folder, ticket_fields
from kiosk.server.content import delta_cache
from kiosk.server.content.contributions import ContributionError, submit_contribution
from kiosk.server.content.models import Asset
from kiosk.server.content.push import MAX_WAIT_SECONDS, await_change, build_once
from kiosk.server.content.services import content_delta, current_cursor, etag_for
from kiosk.server.devices.api import router as releases_router
from kiosk.server.devices.models import STALE_AFTER_SECONDS
from kiosk.server.devices.services import Heartbeat, record_heartbeat, update_offer
from kiosk.server.queueing.issuing import (
    check_phone,
    check_service_for_offline_ticket,
    check_service_for_ticket,
    do_issue_offline_ticket,
    do_issue_ticket,
    do_lease_numbers,
)
from kiosk.server.queueing.lifecycle import QueueError
from kiosk.server.queueing.models import Ticket, is_public_token
from kiosk.server.queueing.notices import shown_for
from kiosk.server.queueing.ordering import ticket_position
from kiosk.server.queueing.status import queue_status
from kiosk.server.ratelimit import ratelimit

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Carrefour kiosk API",
    version="1",
    description="Protocol v1 between the lobby kiosks and the central server (docs/protocol.md).",
    urls_namespace="api-v1",
    auth=KioskBearer(),
    parser=ObjectParser(),  # one JSON object, not too deep: else 400
)


# Every answer an authenticated operation may give besides its own (docs/protocol.md, Errors):
# 400 a body that is not JSON (or nested deeper than any parser should follow), 401 no or
# a revoked token, 422 a field refused (a list, one item per field) or a request refused
# after reading (a sentence), 429 over the rate limit (with Retry-After).
ERRORS = {400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS = {**ERRORS, 429: RateLimitedOut}
api.add_router("", releases_router)  # GET /releases/<sha256> (kiosk/server/devices/api.py)


def answered(request: HttpRequest, key: uuid.UUID, fp: str, status: int, schema,
             data: dict, *, first: bool = True) -> HttpResponse:
    """The answer to a write, rendered as ninja would, and kept as the key's first answer
    (api/idempotency.py): every replay of the key gets exactly these bytes. `first` False:
    another request with the key made the object (a concurrent replay): the answer it
    keeps is the first one; this one is only answered."""
    response = api.create_response(request, schema.model_validate(data).model_dump(),
                                   status=status)
    return remember(request, key, fp, response, keep=first)


@api.exception_handler(QueueError)
def queue_error(request, exc: QueueError):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status)


def known_query(request: HttpRequest, schema: type[Schema]) -> None:
    """Unknown query parameters are a 422, never silently ignored (a typo'd `sinse=` would
    fetch a full snapshot instead)."""
    unknown = sorted(set(request.GET) - set(schema.model_fields))
    if unknown:
        raise HttpError(422, f"unknown query parameter(s): {', '.join(map(repr, unknown))}")


class ContentQuery(Schema):
    since: int | None = None


@api.get("/health", auth=None, response={200: dict})
def health(request):
    return {"status": "ok", "protocol": 1}


@api.get("/content", response={200: ContentOut, 304: None, **ERRORS})
def get_content(request: HttpRequest, query: Query[ContentQuery]):
    """Content changes since `since` (a cursor from an earlier answer); a full snapshot without it."""
    known_query(request, ContentQuery)
    site = request.kiosk.site
    cursor = current_cursor(site)
    etag = etag_for(site, cursor)
    if query.since == cursor and request.headers.get("If-None-Match") == etag:
        return Status(304, None)
    return gzipped(request, content_answer(request, site, query.since, cursor))


def content_answer(request: HttpRequest, site, since: int | None, cursor: int) -> delta_cache.Answer:
    """GET /content's answer for `since` at `cursor`. All the site's kiosks ask for the same
    one after an edit (here or in their long-poll's answer): built once per worker."""
    key = delta_cache.key_for(site.pk, since, cursor)
    answer = delta_cache.ANSWERS.get(key)
    if answer is None:
        delta = content_delta(site, since)
        body = ContentOut(cursor=str(delta.cursor), full=delta.full, more=delta.more,
                          items=delta.items, deleted=delta.deleted)  # type: ignore[arg-type]  # pydantic validates the dicts
        built = api.create_response(request, body.model_dump(), status=200)
        answer = delta_cache.ANSWERS.put(key, delta_cache.Answer(
            body=built.content,
            gzipped=compress_string(built.content) if len(built.content) >= GZIP_MIN_BYTES else None,
            etag=None if delta.more else etag_for(site, delta.cursor),
            content_type=built["Content-Type"]))
    return answer


GZIP_MIN_BYTES = delta_cache.GZIP_MIN_BYTES


def gzipped(request: HttpRequest, answer: delta_cache.Answer) -> HttpResponse:
    """Content deltas repeat the same keys and escaped non-Latin text: gzip divides a
    one-field edit by about 2.5 on the wire (the kiosk's `requests` inflates it). Only
    this endpoint: its body reflects nothing from the request and holds no secret, so
    compression leaks nothing (BREACH needs both); HTML pages stay uncompressed."""
    compress = (answer.gzipped is not None
                and "gzip" in request.headers.get("Accept-Encoding", ""))
    response = HttpResponse(answer.gzipped if compress else answer.body,
                            content_type=answer.content_type)
    patch_vary_headers(response, ("Accept-Encoding",))
    if compress:
        response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(response.content))
    if answer.etag:
        response["ETag"] = answer.etag
    return response


class ChangesQuery(Schema):
    since: int | None = None
    wait: float = MAX_WAIT_SECONDS


@api.get("/content/changes", response={200: ContentChangesOut, **ERRORS}, exclude_unset=True,
         auth=LongPollBearer())
async def content_changes(request: HttpRequest, query: Query[ChangesQuery]):
    """Long-poll: answers at once `changed: true` when the site's content cursor differs from
    `since`, else holds the request until it changes or `wait` s pass (at most 25 s), then
    `changed: false`. A `changed: true` answer carries the delta GET /content?since= would
    answer (`delta`, `etag`) when it is small. Async: a waiting kiosk holds neither a thread
    nor a database connection (kiosk/server/content/push.py; docs/protocol.md, Push)."""
    known_query(request, ChangesQuery)
    site_id = request.kiosk.site_id
    cursor, changed = await await_change(site_id, query.since, query.wait)
    if changed:
        key = delta_cache.changes_key(site_id, query.since, cursor)
        answer = delta_cache.ANSWERS.get(key)  # on the loop: no thread hop once built
        try:
            if answer is None:
                answer = await build_once(
                    key, lambda: changes_answer(request, key, query.since, cursor))
        except Exception:  # noqa: BLE001 - the kiosk fetches the delta, as without it
            log.exception("content long-poll: building the embedded delta failed")
            answer = None
        if answer is not None and answer is not delta_cache.TOO_BIG:
            return gzipped(request, answer)
    return {"cursor": str(cursor), "changed": changed}


def changes_answer(request: HttpRequest, key: tuple, since: int | None,
                   cursor: int) -> delta_cache.Answer:
    """(On a long-poll thread.) The `changed` answer with the delta, kept for the site's
    other kiosks; delta_cache.TOO_BIG over the size cap."""
    answer = delta_cache.ANSWERS.get(key)
    if answer is None:
        delta = content_answer(request, request.kiosk.site, since, cursor)
        answer = delta_cache.ANSWERS.put(key, delta_cache.changes_answer(delta, cursor))
    return answer


def ticket_out(request: HttpRequest, ticket: Ticket, created: bool = False) -> dict:
    position = ticket_position(ticket, loaded=created)
    # Just issued: the estimate kept with it (printed and counted in the statistics).
    wait = shown_for(ticket, just_issued=created and bool(position))
    path = reverse("phone-ticket", args=[ticket.public_token])
    base = settings.PUBLIC_BASE_URL
    return {
        "id": ticket.public_token,
        "number": ticket.display,
        "service": ticket.service.slug,
        "status": ticket.status,
        "position": position,
        "ahead": position - 1 if position else None,
        "estimated_wait_minutes": wait.minutes,
        "wait_low_minutes": wait.low if wait.wide else None,
        "wait_high_minutes": wait.high if wait.wide else None,
        "wait_status": wait.status,
        "counter": ticket.counter.name if ticket.counter_id else None,
        "priority": ticket.priority,
        "sms": bool(ticket.phone),
        "phone_url": f"{base}{path}" if base else request.build_absolute_uri(path),
        "created_at": ticket.created_at,
        "called_at": ticket.called_at,
        "offline": ticket.offline,
        **ticket_fields(ticket),  # documents, carnet_code, carnet_linked (carnet app)
    }


@api.post("/tickets", response={201: TicketOut, 200: TicketOut, 404: ErrorOut, 409: ErrorOut,
                                **WRITE_ERRORS})
@ratelimit("tickets", key="kiosk")  # 429 + Retry-After beyond settings.RATELIMITS
def create_ticket(
    request: HttpRequest,
    body: TicketIn,
    idempotency_key: uuid.UUID = Header(..., alias="Idempotency-Key"),
):
    """Issue a ticket. Sending the same Idempotency-Key again answers exactly the first answer
    (200); the key with another body is a 422 (docs/protocol.md, Idempotency). With `offline`: store a ticket the kiosk issued offline from its lease (never a new
    number; 409 if the number is not in this kiosk's lease or was already uploaded, or if
    its `public_token` is another ticket's), with its phone and consent if the visitor
    gave them: the "near" SMS then goes as for any ticket."""
    fp = fingerprint(request)
    if (first := replay(request, idempotency_key, fp)) is not None:
        return first
    if body.offline is not None:
        service = check_service_for_offline_ticket(request.kiosk.site, body.service)
        ticket, created = do_issue_offline_ticket(
            service, request.kiosk, idempotency_key, lease_day=body.offline.lease_day,
            number=body.offline.number, issued_at=body.offline.issued_at,
            language=body.language, priority=body.priority,
            public_token=body.offline.public_token, phone=offline_phone(body), fingerprint=fp,
            help_reading=body.help_reading,
        )
        if created:
            attach_folder(ticket, body.documents, code=body.offline.carnet_code,
                          typed=body.carnet)
        return answered(request, idempotency_key, fp, 201 if created else 200, TicketOut,
                        ticket_out(request, ticket), first=created)
    service = check_service_for_ticket(request.kiosk.site, body.service)
    phone = check_phone(body.phone, body.sms_consent)
    ticket, created = do_issue_ticket(
        service, language=body.language, kiosk=request.kiosk, idempotency_key=idempotency_key,
        priority=body.priority, phone=phone, consent=body.sms_consent, fingerprint=fp,
        help_reading=body.help_reading,
    )
    if created:
        attach_folder(ticket, body.documents, typed=body.carnet)
    return answered(request, idempotency_key, fp, 201 if created else 200, TicketOut,
                    ticket_out(request, ticket, created), first=created)


def offline_phone(body: TicketIn) -> str:
    """The phone of an offline upload, or "" if refused: the visitor already holds the
    number, so the ticket is stored anyway (`sms: false` in the answer), never lost for it."""
    try:
        return check_phone(body.phone, body.sms_consent)
    except QueueError as exc:
        log.warning("offline ticket uploaded without its phone number: %s", exc)
        return ""


@api.post("/leases", response={201: LeaseOut, 200: LeaseOut, 404: ErrorOut, 409: ErrorOut,
                               **WRITE_ERRORS})
@ratelimit("leases", key="kiosk")
def create_lease(
    request: HttpRequest,
    body: LeaseIn,
    idempotency_key: uuid.UUID = Header(..., alias="Idempotency-Key"),
):
    """Reserve the next `size` numbers of today's sequence of a service for this kiosk, to
    issue tickets while offline (valid today only). The same key again: exactly the first
    answer (200); with another body (another service, another size): 422."""
    fp = fingerprint(request)
    if (first := replay(request, idempotency_key, fp)) is not None:
        return first
    service = check_service_for_ticket(request.kiosk.site, body.service)
    lease, created = do_lease_numbers(service, request.kiosk, body.size, idempotency_key,
                                      fingerprint=fp)
    return answered(request, idempotency_key, fp, 201 if created else 200, LeaseOut, {
        "service": lease.service.slug, "day": lease.day, "first": lease.first,
        "last": lease.last, "prefix": lease.prefix})


@api.get("/tickets/{ticket_id}", response={200: TicketOut, 404: ErrorOut, **ERRORS})
def get_ticket(request: HttpRequest, ticket_id: str):
    if not is_public_token(ticket_id):
        raise HttpError(404, "no such ticket")
    ticket = (
        Ticket.objects.select_related("service", "counter")
        .filter(public_token=ticket_id, site=request.kiosk.site)
        .first()
    )
    if ticket is None:
        raise HttpError(404, "no such ticket")
    return ticket_out(request, ticket)


@api.get("/queues", response={200: QueuesOut, **ERRORS})
def get_queues(request: HttpRequest):
    """Per service of the kiosk's site: tickets waiting, the estimated wait of a ticket taken
    now, open counters. Shared between kiosks for a few seconds."""
    at, services = queue_status(request.kiosk.site)
    return {"services": services, "at": at}


def assistance_out(item: AssistanceRequest) -> dict:
    agent = item.handled_by
    return {
        "id": str(item.public_id),
        "status": effective_status(item),
        "language": item.language,
        "note": item.note,
        "created_at": item.created_at,
        "handled_at": item.handled_at,
        "agent": (agent.first_name or agent.get_username()) if agent else None,
    }


@api.post("/assistance", response={201: AssistanceOut, 200: AssistanceOut, **WRITE_ERRORS})
@ratelimit("assistance", key="kiosk")
def request_assistance(
    request: HttpRequest,
    body: AssistanceIn,
    idempotency_key: uuid.UUID = Header(..., alias="Idempotency-Key"),
):
    """Call an agent to the kiosk. The same Idempotency-Key again answers exactly the first
    answer (200; poll GET /assistance/{id} for news), another body with it a 422; while this
    kiosk has a request open, any new call answers that one (200)."""
    fp = fingerprint(request)
    if (first := replay(request, idempotency_key, fp)) is not None:
        return first
    item, created = do_request_assistance(
        request.kiosk, key=idempotency_key, language=body.language, note=body.note,
        fingerprint=fp)
    return answered(request, idempotency_key, fp, 201 if created else 200, AssistanceOut,
                    assistance_out(item))


@api.get("/assistance/{request_id}", response={200: AssistanceOut, 404: ErrorOut, **ERRORS})
def get_assistance(request: HttpRequest, request_id: str):
    """The state of one of this kiosk's requests (poll it to say "an agent is coming")."""
    try:
        public_id = uuid.UUID(request_id)
    except ValueError:
        raise HttpError(404, "no such assistance request") from None
    item = (AssistanceRequest.objects.select_related("handled_by")
            .filter(public_id=public_id, kiosk=request.kiosk).first())
    if item is None:
        raise HttpError(404, "no such assistance request")
    return assistance_out(item)


@api.post("/heartbeat", response={200: HeartbeatOut, **WRITE_ERRORS})
@ratelimit("heartbeat", key="kiosk")
def heartbeat(request: HttpRequest, body: HeartbeatIn):
    """The kiosk says how it is (version, content cursor, outbox, printer, last error), about
    once a minute; agents see it on the fleet page. Sending it again is harmless."""
    printer = body.printer
    received_at = record_heartbeat(request.kiosk, Heartbeat(
        version=body.version, cursor=body.cursor, outbox_depth=body.outbox_depth,
        printer_state=printer.state if printer else "unknown",
        printer_detail=printer.detail if printer else "", last_error=body.last_error,
        long_poll_errors=body.long_poll_errors, last_long_poll_error=body.last_long_poll_error,
        update_state=body.update_state, update_version=body.update_version,
        update_detail=body.update_detail,
    ))
    return {"received_at": received_at, "stale_after_seconds": STALE_AFTER_SECONDS,
            "update": update_offer(request.kiosk)}


@api.post("/contributions", response={201: ContributionOut, 200: ContributionOut,
                                      **WRITE_ERRORS})
@ratelimit("contributions", key="kiosk")
def create_contribution(
    request: HttpRequest,
    body: ContributionIn,
    idempotency_key: uuid.UUID = Header(..., alias="Idempotency-Key"),
):
    """A resident proposes a local offer at the kiosk; it waits for a moderator (pending)
    and reaches the kiosks only once approved. The same Idempotency-Key again answers exactly
    the first answer (200), another body with it a 422."""
    fp = fingerprint(request)
    if (first := replay(request, idempotency_key, fp)) is not None:
        return first
    try:
        offer, created = submit_contribution(
            request.kiosk.site, body.model_dump(), via="kiosk", idempotency_key=idempotency_key)
    except ContributionError as exc:
        raise HttpError(422, str(exc)) from None
    return answered(request, idempotency_key, fp, 201 if created else 200, ContributionOut,
                    {"id": offer.slug, "status": offer.status})


SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@api.get("/assets/{sha256}", response={200: None, 304: None, 404: ErrorOut, **ERRORS})
def get_asset(request: HttpRequest, sha256: str):
    """The bytes of one of the site's assets (a pictogram PNG, a WAV), by its SHA-256 (the
    `sha256` of an `asset` content item). Immutable: cache it forever; check the hash."""
    sha256 = sha256.lower()
    asset = (Asset.objects.filter(site=request.kiosk.site, sha256=sha256).first()
             if SHA256_HEX.fullmatch(sha256) else None)
    if asset is None:
        raise HttpError(404, "no such asset")
    headers = {"ETag": f'"{sha256}"', "Cache-Control": "private, max-age=31536000, immutable"}
    if request.headers.get("If-None-Match") == headers["ETag"]:
        response = HttpResponse(status=304)
    else:
        try:
            data = asset.path.read_bytes()
        except FileNotFoundError:
            log.error("asset %s of site %s: file missing at %s", asset.slug, asset.site_id,
                      asset.path)
            raise HttpError(404, "no such asset") from None
        response = HttpResponse(data, content_type=asset.content_type)
    for name, value in headers.items():
        response[name] = value
    return response


api.add_router("/carnets", "kiosk.server.api.carnet.router")  # the carnet (issue 14)
api.add_router("/feedback", "kiosk.server.api.voice.router")  # the visitor's voice (issue 14)
api.add_router("/appointments", "kiosk.server.api.appointments.router")  # issue 14
api.add_router("/enrol", "kiosk.server.api.enrolment.router")  # kiosk enrolment codes (issue 15)
