"""The carnet's service functions: a ticket's folder (documents, code), keeping a carnet,
joining one by code, the agent's fiche, erasure and expiry. Views stay thin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.domain import carnet_code, fiche
from kiosk.domain.documents import DOCUMENTS, FREE_TEXT_PICTOGRAM, resolve
from kiosk.domain.text_input import TextInputError, clean_text
from kiosk.domain.tickets import TicketStatus
from kiosk.server.carnet.models import Carnet, TicketFolder
from kiosk.server.carnet.wire import MAX_DOCUMENT_TEXT, MAX_DOCUMENTS

DEFAULT_RETENTION_DAYS = 183
OPEN = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED)


class CarnetError(ValueError):
    """Refused input (a fiche's fields, a tick): the message is French, for agents."""


def retention() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "CARNET_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def live_carnets(site_id: int, now: dt.datetime | None = None):
    """The site's carnets not expired yet (the purge erases the others at night)."""
    now = now or timezone.now()
    return Carnet.objects.filter(site_id=site_id, used_at__gte=now - retention())


def live_carnets_any(now: dt.datetime | None = None):
    """Every site's carnets not expired yet (the visitor's link works wherever it opens)."""
    now = now or timezone.now()
    return Carnet.objects.filter(used_at__gte=now - retention())


def find_carnet(site_id: int, typed: str | None) -> Carnet | None:
    """The live carnet of this code on this site; None for anything else (typos included)."""
    if not typed or not carnet_code.is_valid(typed):
        return None
    return live_carnets(site_id).filter(code=carnet_code.normalize(typed)).first()


# The visitor opening their carnet is a use; recorded at most this often (no write per view).
TOUCH_EVERY = dt.timedelta(days=1)


def touch(carnet: Carnet) -> None:
    """A use: the retention starts again."""
    carnet.used_at = timezone.now()
    Carnet.objects.filter(pk=carnet.pk).update(used_at=carnet.used_at)


def _mint_free_code() -> str:
    while True:  # 10^9 codes: a clash with a kept carnet is rare, a second one rarer still
        code = carnet_code.mint()
        if not Carnet.objects.filter(code=code).exists():
            return code


# -- a ticket's folder -------------------------------------------------------------------


def _service_documents(ticket) -> list[dict]:
    """The ticket's service's list, unticked, for a ticket that came without one (issued by
    an agent, or by a kiosk that sent none)."""
    out = []
    for entry in (ticket.service.documents or [])[:MAX_DOCUMENTS]:
        line = resolve(entry)
        if line is not None:
            texts = {k: v[:MAX_DOCUMENT_TEXT] for k, v in line.texts.items()
                     if isinstance(v, str) and v}
            out.append({"doc": line.key, "text": texts, "have": False})
    return out


def attach_folder(ticket, documents: list | None = None, *, code: str | None = None,
                  typed: str | None = None) -> TicketFolder:
    """The folder of a ticket just issued: its documents (the kiosk's list, else its
    service's), its carnet code (the kiosk's for an offline ticket, else minted), and the
    carnet whose code the visitor typed, if live on this site (its code is then the
    ticket's). A replay finds the folder already made."""
    existing = TicketFolder.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    carnet = find_carnet(ticket.site_id, typed)
    rows = [{"doc": d.doc, "text": dict(d.text), "have": d.have} if hasattr(d, "doc") else d
            for d in (documents or [])]
    folder = TicketFolder(
        ticket=ticket, documents=rows or _service_documents(ticket), carnet=carnet,
        carnet_code=carnet.code if carnet else (code or _mint_free_code()))
    try:
        with transaction.atomic():
            folder.save(force_insert=True)
    except IntegrityError:  # a concurrent replay made it
        return TicketFolder.objects.get(ticket=ticket)
    if carnet is not None:
        touch(carnet)
    return folder


def folder_for(ticket) -> TicketFolder:
    """The ticket's folder, made on first need (a ticket issued before the carnet existed,
    or by an agent's form)."""
    folder = TicketFolder.objects.select_related("carnet").filter(ticket=ticket).first()
    return folder if folder is not None else attach_folder(ticket)


def ticket_fields(ticket) -> dict:
    """TicketOut's carnet fields."""
    folder = folder_for(ticket)
    return {"documents": folder.documents, "carnet_code": folder.carnet_code,
            "carnet_linked": folder.carnet_id is not None}


@dataclass(frozen=True)
class Line:
    """A checklist line as pages show it."""

    index: int
    key: str
    pictogram: str
    text: str
    text_lang: str
    have: bool


def lines(folder: TicketFolder, lang: str) -> list[Line]:
    out = []
    for index, row in enumerate(folder.documents):
        texts = row.get("text") or {}
        document = DOCUMENTS.get(row.get("doc", ""))
        if not texts and document is not None:
            texts = document.texts
        text_lang = lang if texts.get(lang) else ("fr" if texts.get("fr") else
                                                  next((k for k, v in texts.items() if v), lang))
        out.append(Line(index, row.get("doc", ""),
                        document.pictogram if document else FREE_TEXT_PICTOGRAM,
                        texts.get(text_lang, ""), text_lang, bool(row.get("have"))))
    return out


def set_ticks(folder: TicketFolder, have: set[int]) -> None:
    """The visitor's ticks from the phone page: `have` the indexes they hold."""
    folder.documents = [{**row, "have": index in have}
                        for index, row in enumerate(folder.documents)]
    folder.save(update_fields=["documents"])


def summary(folder: TicketFolder, lang: str = "fr") -> dict:
    """"3 sur 4 ; manque : justificatif de domicile" as data."""
    rows = lines(folder, lang)
    return {"ready": sum(r.have for r in rows), "total": len(rows),
            "missing": [r.text for r in rows if not r.have]}


# -- keeping, erasing ------------------------------------------------------------------------


def keep_carnet(folder: TicketFolder) -> Carnet:
    """The visitor's explicit "Garder mon carnet": a carnet with the ticket's code (a fresh
    one if that code is already a carnet's), holding this ticket's procedure."""
    if folder.carnet_id is not None:
        return folder.carnet
    with transaction.atomic():
        code = folder.carnet_code
        if not carnet_code.is_valid(code) or Carnet.objects.filter(code=code).exists():
            code = _mint_free_code()
        carnet = Carnet.objects.create(site_id=folder.ticket.site_id, code=code)
        folder.carnet, folder.carnet_code = carnet, code
        folder.save(update_fields=["carnet", "carnet_code"])
    return carnet


def erase_carnet(carnet: Carnet) -> None:
    """The visitor's "Supprimer mon carnet": the carnet and its procedures (checklists,
    fiches) are deleted; a ticket still open today keeps its own checklist, unlinked."""
    with transaction.atomic():
        TicketFolder.objects.filter(carnet=carnet, ticket__status__in=OPEN).update(
            carnet=None, carnet_code=_mint_free_code())
        carnet.delete()


def history(carnet: Carnet, lang: str = "fr", *, exclude_ticket=None) -> list[dict]:
    """The carnet's procedures, newest first, as pages show them."""
    folders = (carnet.folders.select_related("ticket__service")
               .order_by("-ticket__created_at"))
    if exclude_ticket is not None:
        folders = folders.exclude(ticket=exclude_ticket)
    return [procedure(f, lang) for f in folders]


def procedure(folder: TicketFolder, lang: str) -> dict:
    ticket = folder.ticket
    rows = lines(folder, lang)
    status = fiche.status(folder.fiche_status)
    step = fiche.next_step(folder.fiche_next)
    missing = [rows[i] for i in folder.fiche_missing if isinstance(i, int) and i < len(rows)]
    return {
        "ticket": ticket, "service": ticket.service.text("name", lang),
        "when": timezone.localtime(ticket.created_at), "lines": rows,
        "ready": sum(r.have for r in rows), "total": len(rows),
        "status": status, "status_text": status.text(lang) if status else "",
        "next": step, "next_text": step.text(lang) if step else "",
        "missing": missing, "note": folder.fiche_note, "fiche_at": folder.fiche_at,
        "has_fiche": folder.has_fiche,
    }


# -- the fiche de liaison ----------------------------------------------------------------------


def write_fiche(folder: TicketFolder, *, status: str, next_step: str, missing: list[str],
                note: str) -> None:
    """The agent's fiche: controlled keys, missing documents among the ticket's, a note."""
    if status and fiche.status(status) is None:
        raise CarnetError("Statut inconnu.")
    if next_step and fiche.next_step(next_step) is None:
        raise CarnetError("Étape suivante inconnue.")
    try:
        indexes = sorted({int(i) for i in missing})
    except ValueError:
        raise CarnetError("Document manquant inconnu.") from None
    if any(not 0 <= i < len(folder.documents) for i in indexes):
        raise CarnetError("Document manquant inconnu.")
    try:
        note = clean_text(note or "", multiline=True)
    except TextInputError as exc:
        raise CarnetError(f"Note refusée : {exc}") from None
    if len(note) > fiche.NOTE_MAX:
        raise CarnetError(f"Note trop longue : {fiche.NOTE_MAX} caractères au plus.")
    if not (status or next_step or note or indexes):
        raise CarnetError("La fiche est vide : choisissez au moins un statut.")
    folder.fiche_status, folder.fiche_next = status, next_step
    folder.fiche_missing, folder.fiche_note = indexes, note
    folder.fiche_at = timezone.now()
    folder.save(update_fields=["fiche_status", "fiche_next", "fiche_missing", "fiche_note",
                               "fiche_at"])
    if folder.carnet_id is not None:
        touch(folder.carnet)


# -- expiry ------------------------------------------------------------------------------------

# A ticket's folder outside any carnet is kept this long (the visitor may still keep a
# carnet from the phone page meanwhile), then deleted with its fiche by the purge.
UNKEPT_FOLDER_DAYS = 7


def purge_carnets(now: dt.datetime | None = None) -> dict[str, int]:
    """Nightly (purge_personal_data): carnets unused for CARNET_RETENTION_DAYS are deleted
    with their procedures; folders no carnet holds go after UNKEPT_FOLDER_DAYS."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = Carnet.objects.filter(used_at__lt=now - retention())
        folders = TicketFolder.objects.filter(carnet__in=expired).count()
        carnets = expired.count()
        expired.delete()  # their folders go with them (CASCADE)
        unkept, _ = (TicketFolder.objects.filter(carnet__isnull=True)
                     .exclude(ticket__status__in=OPEN)
                     .filter(created_at__lt=now - dt.timedelta(days=UNKEPT_FOLDER_DAYS))
                     .delete())
    return {"carnets": carnets, "procedures": folders + unkept}
