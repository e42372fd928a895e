"""Residents propose local offers (from their phone at /proposer, or at the kiosk through
``POST /api/v1/contributions``); moderators approve or reject them in the back-office.

A contribution is an ``Offer`` with ``contributed=True``, ``source="local"`` and
``status="pending"``: it is never published while pending, so no kiosk and no phone page
shows it. Approving sets ``status="approved"`` and ``published=True`` (it reaches the kiosks
at their next sync); rejecting sets ``status="rejected"`` and ``published=False``.

Texts are stored as plain text, control characters removed; they are escaped where they are
shown (Django templates, the admin) and never marked safe.

Personal data: the resident may leave a contact (e-mail or phone), only with their consent,
for one purpose: letting the moderator reach them about this offer. It is shown to
moderators only (back-office), never sent to kiosks or shown on public pages, and erased
when the offer is rejected (at once, by ``reject``) or once the offer has ended
(``purge_contacts``, run by the nightly ``purge_personal_data`` command).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kiosk.server.content.actions import do_save_content
from kiosk.server.content.models import Offer, Site

CATEGORIES = ("association", "food", "swap", "help", "event", "culture", "sport")
PICTOGRAMS = {"food": "offer-basket", "swap": "offer-swap", "event": "offer-event",
              "association": "associations"}
DEFAULT_PICTOGRAM = "quartier"
MAX_TITLE, MAX_DESCRIPTION, MAX_WHERE, MAX_CONTACT, MAX_REASON = 80, 500, 120, 120, 300
MAX_DAYS_AHEAD = 366
TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
KEEP_FORMAT = {"\u200c", "\u200d"}  # joiners some scripts (and emoji) need

# Error codes -> messages, in French and English (other languages read the French).
MESSAGES = {
    "title_required": {"fr": "Donnez un titre à votre proposition.",
                       "en": "Give your offer a title."},
    "title_long": {"fr": f"Le titre doit faire au plus {MAX_TITLE} caractères.",
                   "en": f"The title must be at most {MAX_TITLE} characters."},
    "description_long": {
        "fr": f"La description doit faire au plus {MAX_DESCRIPTION} caractères.",
        "en": f"The description must be at most {MAX_DESCRIPTION} characters."},
    "category": {"fr": "Choisissez un type de proposition dans la liste.",
                 "en": "Choose a kind of offer from the list."},
    "date_invalid": {"fr": "Cette date n'est pas valide (jour/mois/année).",
                     "en": "This date is not valid."},
    "date_past": {"fr": "Cette date est déjà passée.", "en": "This date has already passed."},
    "date_far": {"fr": "La date doit être dans l'année qui vient.",
                 "en": "The date must be within the coming year."},
    "time_invalid": {"fr": "Indiquez l'heure sous la forme 18:30.",
                     "en": "Write the time as 18:30."},
    "where_long": {"fr": f"Le lieu doit faire au plus {MAX_WHERE} caractères.",
                   "en": f"The place must be at most {MAX_WHERE} characters."},
    "contact_long": {"fr": f"Le contact doit faire au plus {MAX_CONTACT} caractères.",
                     "en": f"The contact must be at most {MAX_CONTACT} characters."},
    "contact_consent": {
        "fr": "Cochez la case pour accepter que nous gardions ce contact, ou laissez-le vide.",
        "en": "Tick the box to let us keep this contact, or leave it empty."},
    "reason_required": {"fr": "Indiquez le motif du refus.", "en": "Give the reason."},
    "reason_long": {"fr": f"Le motif doit faire au plus {MAX_REASON} caractères.",
                    "en": f"The reason must be at most {MAX_REASON} characters."},
    "not_pending": {"fr": "Cette proposition a déjà été modérée.",
                    "en": "This offer has already been moderated."},
    "invalid": {"fr": "Cette proposition n'est pas valide.", "en": "This offer is not valid."},
    "idempotency": {"fr": "Cette clé a déjà servi.", "en": "This key was already used."},
}


def message(code: str, lang: str = "fr") -> str:
    texts = MESSAGES.get(code, MESSAGES["invalid"])
    return texts.get(lang, texts["fr"])


class ContributionError(Exception):
    """Bad input: ``errors`` maps a field name to an error code of MESSAGES."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{field}: {message(code)}" for field, code in errors.items()))
        self.errors = errors


def clean_text(value, multiline: bool = False) -> str:
    """Plain text without control or invisible formatting characters (bidi overrides…);
    newlines are kept in a multi-line text (at most two in a row), spaces trimmed."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n" and multiline:
            out.append(ch)
        elif ch in ("\n", "\t"):
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co") or (
                unicodedata.category(ch) == "Cf" and ch not in KEEP_FORMAT):
            continue
        else:
            out.append(ch)
    text = "".join(out)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        return text.strip()
    return " ".join(text.split())


def _parse_date(value, today: dt.date, errors: dict) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors["date"] = "date_invalid"
            return None
    if value < today:
        errors["date"] = "date_past"
    elif value > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        errors["date"] = "date_far"
    return value


def _parse_time(value, errors: dict) -> dt.time | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    match = TIME.fullmatch(str(value).strip())
    if not match:
        errors["time"] = "time_invalid"
        return None
    return dt.time(int(match[1]), int(match[2]))


def validate(data: dict, today: dt.date | None = None) -> dict:
    """The cleaned fields of a contribution; ContributionError listing every bad field."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    title = clean_text(data.get("title"))
    if not title:
        errors["title"] = "title_required"
    elif len(title) > MAX_TITLE:
        errors["title"] = "title_long"
    description = clean_text(data.get("description"), multiline=True)
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = "description_long"
    category = data.get("category") or ""
    if category not in CATEGORIES:
        errors["category"] = "category"
    day = _parse_date(data.get("date"), today, errors)
    time_ = _parse_time(data.get("time"), errors)
    where = clean_text(data.get("where"))
    if len(where) > MAX_WHERE:
        errors["where"] = "where_long"
    contact = clean_text(data.get("contact"))
    consent = bool(data.get("contact_consent"))
    if len(contact) > MAX_CONTACT:
        errors["contact"] = "contact_long"
    elif contact and not consent:
        errors["contact_consent"] = "contact_consent"
    if errors:
        raise ContributionError(errors)
    return {"title": title, "description": description, "category": category, "date": day,
            "time": time_, "where": where, "contact": contact,
            "contact_consent": bool(contact) and consent}


def _new_slug(site: Site) -> str:
    while True:
        slug = f"proposition-{secrets.token_hex(4)}"
        if not Offer.objects.filter(site=site, slug=slug).exists():
            return slug


def submit_contribution(site: Site, data: dict, via: str,
                        idempotency_key: uuid.UUID | None = None) -> tuple[Offer, bool]:
    """Record a resident's proposal, pending moderation: (offer, created). `via` says where it
    came from ("phone" or "kiosk"); a kiosk's Idempotency-Key sent again returns the first
    contribution (created False)."""
    if idempotency_key is not None:
        existing = Offer.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.site_id != site.pk:
                raise ContributionError({"idempotency_key": "idempotency"})
            return existing, False
    fields = validate(data)
    offer = Offer(
        site=site, slug=_new_slug(site), source="local", category=fields["category"],
        pictogram=PICTOGRAMS.get(fields["category"], DEFAULT_PICTOGRAM),
        title={"fr": fields["title"]},
        summary={"fr": fields["description"]} if fields["description"] else {},
        where=fields["where"], starts=fields["date"], ends=fields["date"],
        time=fields["time"], published=False, status="pending", contributed=True,
        contact=fields["contact"], contact_consent=fields["contact_consent"],
        submitted_at=timezone.now(), idempotency_key=idempotency_key, order=1000,
    )
    try:
        offer.clean()  # the domain's own checks, as for any offer
    except ValidationError:
        raise ContributionError({"__all__": "invalid"}) from None
    try:
        with transaction.atomic():
            do_save_content(offer)  # no audit row: a resident, not an agent
    except IntegrityError:
        if idempotency_key is None:
            raise
        # Two requests with one key at the same time: the other one won.
        return Offer.objects.get(idempotency_key=idempotency_key), False
    return offer, True


def _pending_for_update(offer: Offer) -> Offer:
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if not locked.contributed or locked.status != "pending":
        raise ContributionError({"status": "not_pending"})
    return locked


def approve(offer: Offer, user) -> Offer:
    """Publish a pending contribution: kiosks get it at their next sync."""
    with transaction.atomic():
        locked = _pending_for_update(offer)
        try:
            locked.clean()
        except ValidationError:
            raise ContributionError({"__all__": "invalid"}) from None
        locked.status, locked.published = "approved", True
        locked.reject_reason = ""
        locked.moderated_by, locked.moderated_at = user, timezone.now()
        do_save_content(locked, user)
    return locked


def reject(offer: Offer, user, reason: str) -> Offer:
    """Refuse a pending contribution (a reason is required); its contact is erased at once."""
    reason = clean_text(reason)
    if not reason:
        raise ContributionError({"reason": "reason_required"})
    if len(reason) > MAX_REASON:
        raise ContributionError({"reason": "reason_long"})
    with transaction.atomic():
        locked = _pending_for_update(offer)
        locked.status, locked.published = "rejected", False
        locked.reject_reason = reason
        locked.contact, locked.contact_consent = "", False
        locked.moderated_by, locked.moderated_at = user, timezone.now()
        do_save_content(locked, user)
    return locked


def purge_contacts(today: dt.date | None = None) -> int:
    """Erase the residents' contacts of rejected offers and of offers that have ended
    (their `ends` day is past); the number of offers erased. Not a content change: the
    contact never goes to the kiosks."""
    today = today or timezone.localdate()
    return (Offer.objects.exclude(contact="")
            .filter(Q(status="rejected") | Q(ends__lt=today))
            .update(contact="", contact_consent=False))
