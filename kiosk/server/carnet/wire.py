"""The carnet's part of the ticket API (docs/protocol.md, carnet): a ticket's documents and
its carnet code, as TicketIn/TicketOut/OfflineTicketIn carry them (kiosk/server/api/schemas.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, model_validator

from kiosk.domain import carnet_code
from kiosk.domain.text_input import ONE_LINE_PATTERN, TextInputError, clean_text

MAX_DOCUMENTS = 20
MAX_DOCUMENT_TEXT = 200
Language = Literal["fr", "en", "ar", "zh", "wo", "bm"]
BAD_CODE = ("invalid carnet code: 10 digits, the last one checks the others "
            "(a digit mistyped or two swapped?)")


def _document_name(value: str) -> str:
    try:
        text = clean_text(value)
    except TextInputError as exc:
        raise ValueError(str(exc)) from None
    if len(text) > MAX_DOCUMENT_TEXT:
        raise ValueError(f"at most {MAX_DOCUMENT_TEXT} characters")
    return text


DocumentName = Annotated[str, AfterValidator(_document_name)]


def _code(value: str) -> str:
    if not carnet_code.is_valid(value):
        raise ValueError(BAD_CODE)
    return carnet_code.normalize(value)


CarnetCode = Annotated[str, AfterValidator(_code)]
CODE_FIELD = {"max_length": 20, "json_schema_extra": {"pattern": r"^[0-9 .\-]+$"}}


class DocumentIn(Schema):
    doc: str = Field("", max_length=64, pattern=r"^[-a-z0-9_]*$",
                     description="the documents vocabulary key (kiosk/domain/documents.py), "
                                 "or '' for a document the vocabulary lacks")
    text: dict[Language, DocumentName] = Field(
        default_factory=dict, description="its names as the kiosk showed them, per language "
        "(each ≤ 200 characters, control characters refused)",
        json_schema_extra={"additionalProperties": {"type": "string", "maxLength": 200,
                                                    "pattern": ONE_LINE_PATTERN}})
    have: bool = Field(False, description="the visitor ticked it: they have it with them")

    @model_validator(mode="after")
    def named(self):
        if not self.doc and not any(self.text.values()):
            raise ValueError("a document needs a vocabulary key or a name")
        return self


def documents_field():
    return Field(default_factory=list, max_length=MAX_DOCUMENTS,
                 description="the documents checklist the visitor saw (and ticked) at the "
                             "kiosk, at most 20; kept with the ticket as sent")


def carnet_field():
    return Field(None, **CODE_FIELD, description=(
        "a carnet code the visitor typed (\"J'ai un carnet\"): the ticket joins that carnet "
        "(TicketOut.carnet_linked); an unknown or expired code never prevents the ticket; "
        "a malformed one (wrong check digit) is a 422"))


def offline_code_field():
    return Field(None, **CODE_FIELD, description=(
        "the carnet code the kiosk minted and printed on an offline ticket; absent: the "
        "server mints one"))


class DocumentOut(Schema):
    doc: str
    text: dict[str, str]
    have: bool


class CarnetOut(Schema):
    ok: bool = True
    procedures: int = Field(description="procedures (visits) the carnet holds")
