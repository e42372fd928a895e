"""The wire schemas of protocol v1 (published as OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema


class ContentItem(Schema):
    kind: Literal["pole", "service"]
    data: dict


class ContentDeletion(Schema):
    kind: Literal["pole", "service"]
    id: str


class ContentOut(Schema):
    protocol: int = 1
    cursor: str = Field(description="Opaque server cursor; send it back as `since`.")
    full: bool = Field(description="True: a full snapshot, replace everything held.")
    more: bool = Field(description="True: call again with the new cursor for the rest.")
    items: list[ContentItem]
    deleted: list[ContentDeletion]


class TicketIn(Schema):
    service: str = Field(min_length=1, max_length=64, description="service id (slug)")
    language: Literal["fr", "en", "ar", "zh", "wo", "bm"] = "fr"
    priority: Literal["", "pregnancy", "disability", "elderly", "appointment"] = Field(
        "", description="priority category (docs/queues.md); empty for none")
    phone: str | None = Field(None, max_length=32,
                              description="for the 'turn is near' SMS; kept until the ticket closes")
    sms_consent: bool = Field(False, description="the visitor accepted the purpose and retention")


class TicketOut(Schema):
    id: str = Field(description="Unguessable public id, also in the phone link")
    number: str = Field(description="What the visitor reads, e.g. C042")
    service: str
    status: Literal["waiting", "called", "done", "cancelled", "no_show", "parked"]
    position: int | None = Field(description="1 = next; null once called or closed")
    ahead: int | None
    estimated_wait_minutes: int | None = Field(description="null when unknown")
    counter: str | None
    priority: str = ""
    sms: bool = Field(False, description="an SMS will be sent when the turn is near")
    phone_url: str
    created_at: dt.datetime
    called_at: dt.datetime | None


class ErrorOut(Schema):
    detail: str
