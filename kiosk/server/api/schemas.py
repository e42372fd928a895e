"""The wire schemas of protocol v1 (published as OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from kiosk.domain.priorities import NO_PRIORITY, PRIORITY_KEYS
from kiosk.domain.text_input import (
    MULTILINE_PATTERN,
    ONE_LINE_PATTERN,
    TextInputError,
    clean_text,
    scrub_text,
)
from kiosk.domain.updates import UPDATE_STATES
from kiosk.server.carnet.wire import (
    CarnetCode,
    DocumentIn,
    DocumentOut,
    carnet_field,
    documents_field,
    offline_code_field,
)
from kiosk.server.content.kinds import KINDS

# The kinds as kiosk/server/content/kinds.py declares them (in delta order).
ContentKind = Literal[KINDS.names()]
Language = Literal["fr", "en", "ar", "zh", "wo", "bm"]
UpdateState = Literal[tuple(UPDATE_STATES)]  # kiosk/domain/updates.py


def text_type(max_length: int, *, multiline: bool = False, lenient: bool = False):
    """A str cleaned by kiosk/domain/text_input.py: control characters refused (422; with
    `lenient`, for what kiosks report about themselves, turned into spaces), bidi controls
    and stray zero-width characters removed, NFC; at most `max_length` once cleaned."""
    def check(value: str) -> str:
        try:
            text = (scrub_text if lenient else clean_text)(value, multiline=multiline)
        except TextInputError as exc:
            raise ValueError(str(exc)) from None
        if len(text) > max_length:  # NFC may lengthen a few scripts' text
            raise ValueError(f"at most {max_length} characters")
        return text
    return Annotated[str, AfterValidator(check)]


def text_field(default, max_length: int, description: str, *, multiline: bool = False,
               lenient: bool = False):
    """The Field of a text_type: its length and refused characters in the OpenAPI."""
    extra: dict[str, Any] = ({} if lenient else
                             {"pattern": MULTILINE_PATTERN if multiline else ONE_LINE_PATTERN})
    return Field(default, max_length=max_length, description=description,
                 json_schema_extra=extra)


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


class ContentItem(Schema):
    kind: ContentKind
    data: dict


class ContentDeletion(Schema):
    kind: ContentKind
    id: str


class ContentOut(Schema):
    protocol: int = 1
    cursor: str = Field(description="Opaque server cursor; send it back as `since`.")
    full: bool = Field(description="True: a full snapshot, replace everything held.")
    more: bool = Field(description="True: call again with the new cursor for the rest.")
    items: list[ContentItem]
    deleted: list[ContentDeletion]


class ContentChangesOut(Schema):
    cursor: str = Field(description="The site's current content cursor.")
    changed: bool = Field(description="True: the cursor differs from `since`; pull /content now "
                                      "(or apply `delta` when present).")
    delta: ContentOut | None = Field(None, description=(
        "Only with `changed: true`, when small (at most 64 kB): exactly what GET "
        "/content?since=<since> answers now, to apply as if fetched (its own `cursor` is the "
        "one to hold). Absent: pull /content as before."))
    etag: str | None = Field(None, description=(
        "With `delta`: the ETag GET /content would have sent with it (null when `more`)."))


class OfflineTicketIn(Schema):
    lease_day: dt.date = Field(description="the day of the lease the number comes from")
    number: int = Field(ge=1, le=999, description="the leased number the visitor holds")
    issued_at: dt.datetime = Field(description="when the kiosk issued it (its place in the "
                                               "queue, clamped to [lease time, now])")
    public_token: str | None = Field(
        None, min_length=16, max_length=32, pattern=r"^[A-Za-z0-9_-]+$",
        description="the ticket's public id, minted by the kiosk (128 random bits, "
                    "base64url) so the QR code it printed opens the phone page once the "
                    "ticket is uploaded; absent: the server draws one")
    carnet_code: CarnetCode | None = offline_code_field()


class LeaseIn(Schema):
    service: str = Field(min_length=1, max_length=64, pattern=SLUG_PATTERN,
                         description="service id (slug)")
    size: int = Field(10, ge=1, le=50, description="how many numbers to reserve")


class LeaseOut(Schema):
    service: str
    day: dt.date = Field(description="the lease is valid on this day only")
    first: int
    last: int
    prefix: str


class TicketIn(Schema):
    service: str = Field(min_length=1, max_length=64, pattern=SLUG_PATTERN,
                         description="service id (slug)")
    language: Language = "fr"
    priority: Literal[(NO_PRIORITY, *PRIORITY_KEYS)] = Field(
        "", description="priority category (docs/queues.md); empty for none")
    phone: text_type(32) | None = text_field(
        None, 32, "for the 'turn is near' SMS; kept until the ticket closes")
    sms_consent: bool = Field(False, description="the visitor accepted the purpose and retention")
    offline: OfflineTicketIn | None = Field(
        None, description="a ticket the kiosk issued offline from one of its leases "
                          "(POST /api/v1/leases): stored with this number and issue time")
    documents: list[DocumentIn] = documents_field()
    carnet: CarnetCode | None = carnet_field()
    help_reading: bool = Field(
        False, description="the visitor used read-aloud at the kiosk: the agent's console "
                           "shows it beside the ticket (optional; older kiosks omit it)")


WaitStatus = Literal["estimated", "soon", "not_today", "unknown"]


class TicketOut(Schema):
    id: str = Field(description="Unguessable public id, also in the phone link")
    number: str = Field(description="What the visitor reads, e.g. C042")
    service: str
    status: Literal["waiting", "called", "done", "cancelled", "no_show", "parked"]
    position: int | None = Field(description="1 = next; null once called or closed")
    ahead: int | None
    estimated_wait_minutes: int | None = Field(description="null when unknown")
    wait_low_minutes: int | None = Field(
        None, description="with wait_high_minutes: the likely range (p20-p80) when it is wide "
                          "enough to show as a range ('20 à 35 min'); null otherwise")
    wait_high_minutes: int | None = Field(None, description="see wait_low_minutes")
    wait_status: WaitStatus = Field(
        "unknown", description="estimated: a number (or range); soon: the turn is within the "
        "SMS lead, stay in the hall; not_today: no counter session today can reach it before "
        "closing, ask an agent; unknown: no estimate")
    counter: str | None
    priority: str = ""
    sms: bool = Field(False, description="an SMS will be sent when the turn is near")
    phone_url: str
    created_at: dt.datetime
    called_at: dt.datetime | None
    offline: bool = Field(False, description="issued by a kiosk offline, from a lease")
    documents: list[DocumentOut] = Field(default_factory=list, description=(
        "the ticket's documents as stored, with the current ticks (the phone page may "
        "change them)"))
    carnet_code: str = Field("", description="10 digits to print on the ticket ('Code "
                                             "carnet'): the code of the carnet it joined, if any")
    carnet_linked: bool = Field(False, description="the ticket is in a carnet (the typed "
                                "code was found, or the visitor kept one)")


class ErrorOut(Schema):
    detail: str = Field(description="what was wrong, in words (safe to log and show)")


class FieldError(Schema):
    type: str = Field(description="pydantic's error type, e.g. missing, string_too_long")
    loc: list[str | int] = Field(description="where: e.g. [\"body\", \"body\", \"note\"]")
    msg: str


class ValidationErrorOut(Schema):
    """422: a field the schema refuses (a list, one item per field), or a request the
    server refuses after reading it (a sentence: a phone number, consent, an
    Idempotency-Key already used with another request)."""

    detail: str | list[FieldError]


class RateLimitedOut(Schema):
    detail: str
    retry_after: int = Field(description="seconds; also in the Retry-After header")


class AssistanceIn(Schema):
    language: Language = Field("fr", description="the visitor's language, for the agent")
    note: text_type(200) = text_field("", 200, "short and optional; no personal data; control "
                                                 "characters refused, bidi controls removed")


class AssistanceOut(Schema):
    id: str = Field(description="Public id of the request")
    status: Literal["open", "handled", "expired"] = Field(
        description="open: agents are alerted; handled: an agent is coming; "
                    "expired: nobody answered in time, the kiosk may ask again")
    language: str
    note: str
    created_at: dt.datetime
    handled_at: dt.datetime | None
    agent: str | None = Field(description="first name of the agent who is coming, if any")


class QueueStatus(Schema):
    waiting: int = Field(description="tickets waiting for this service now")
    estimated_wait_minutes: int | None = Field(
        description="estimated wait of a ticket taken now; null: no open counter serves it, "
                    "or appointment only")
    wait_low_minutes: int | None = Field(None, description="likely range, when wide (p20)")
    wait_high_minutes: int | None = Field(None, description="likely range, when wide (p80)")
    wait_status: WaitStatus = Field("unknown", description="as in a ticket")
    open_counters: int = Field(description="open counters serving this service")


class QueuesOut(Schema):
    services: dict[str, QueueStatus] = Field(description="by service id (slug)")
    at: dt.datetime


class PrinterIn(Schema):
    state: Literal["ok", "absent", "paper_out", "error", "unknown"] = Field(
        description="ok; absent: no printer answering; paper_out; error: anything else; "
                    "unknown: no printer configured, or not known yet")
    detail: text_type(200, lenient=True) = text_field(
        "", 200, "short technical detail, e.g. 'paper low'", lenient=True)


class HeartbeatIn(Schema):
    version: text_type(40, lenient=True) = text_field(..., 40, "kiosk software version",
                                                      lenient=True)
    cursor: text_type(40, lenient=True) | None = text_field(
        None, 40, "the content cursor the kiosk holds; null before the first sync", lenient=True)
    outbox_depth: int = Field(0, ge=0, le=1_000_000,
                              description="requests (tickets, calls) waiting to be sent")
    printer: PrinterIn | None = Field(None, description="null: not known (stored as unknown)")
    last_error: text_type(300, lenient=True) | None = text_field(
        None, 300, "the last sync error, if any; never personal data (control characters are "
        "stored as spaces, bidi controls removed)", lenient=True)
    long_poll_errors: int = Field(0, ge=0, le=1_000_000_000,
                                  description="content long-polls that failed on the kiosk's side "
                                              "(a bug, not the network) since it started")
    last_long_poll_error: text_type(300, lenient=True) | None = text_field(
        None, 300, "the last of those errors, if any", lenient=True)
    # Remote updates (docs/updates.md); a kiosk without the updater sends none of them.
    update_state: UpdateState | None = Field(
        None, description="where the kiosk's update stands ('' nothing to do; downloading, "
        "verified, waiting_quiet, switched, confirmed; bad_signature, bad_bundle, "
        "install_failed, rolled_back)")
    update_version: text_type(40, lenient=True) | None = text_field(
        None, 40, "the version that state is about", lenient=True)
    update_detail: text_type(200, lenient=True) | None = text_field(
        None, 200, "why it failed, if it did", lenient=True)


class UpdateOut(Schema):
    version: str = Field(description="the version the kiosk should run")
    url: str = Field(description="where to GET the signed bundle: /api/v1/releases/<sha256>")
    sha256: str = Field(description="of the bundle's bytes")
    size: int = Field(description="bytes")


class HeartbeatOut(Schema):
    received_at: dt.datetime
    stale_after_seconds: int = Field(
        description="the fleet page flags the kiosk if no heartbeat comes within this delay")
    update: UpdateOut | None = Field(
        None, description="the release this kiosk should run (null: stay as it is); the kiosk "
        "verifies its signature against its pinned key before installing it")


class ContributionIn(Schema):
    """A resident's local offer, proposed at the kiosk; a moderator reads it before any
    kiosk shows it. Limits: title 80, description 500, where 120, contact 120 characters."""

    title: text_type(400) = text_field(..., 400, "in the resident's words; at most 80 characters")
    description: text_type(2000, multiline=True) = text_field(
        "", 2000, "at most 500 characters", multiline=True)
    category: Literal["association", "food", "swap", "help", "event", "culture", "sport"]
    date: dt.date | None = Field(None, description="the day, from today to one year ahead")
    time: str | None = Field(None, max_length=5, description="HH:MM")
    where: text_type(500) = text_field("", 500, "at most 120 characters")
    contact: text_type(500) = text_field(
        "", 500, "optional, only with contact_consent; seen by moderators only, erased when "
        "the offer is rejected or ends")
    contact_consent: bool = False


class ContributionOut(Schema):
    id: str = Field(description="The offer's id (slug); unseen by kiosks until approved")
    status: Literal["pending", "approved", "rejected"]
