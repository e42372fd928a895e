"""The day's appointments from a file, per service: iCalendar (the `icalendar` package) or
CSV. Every line is checked first; one bad line and nothing is imported (the preview lists
each error in French, with its line).

CSV columns (header line required; `;` or `,`): ``date`` (AAAA-MM-JJ or JJ/MM/AAAA),
``heure`` (HH:MM, heure du site), ``duree`` (minutes, optional, default 20), ``initiales``
(or ``nom``: only the initials are kept), ``code`` (optional: minted if empty), ``id``
(optional: the booking system's id; importing again updates), ``statut`` (optional:
``annule`` cancels).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.domain.appointments import CODE_DIGITS, initials
from kiosk.server.appointments.services import Booking, save_booking

MAX_ROWS = 2000
MAX_DURATION = 240
_CODE = re.compile(rf"[1-9]\d{{{CODE_DIGITS - 1}}}")


@dataclass
class Parsed:
    bookings: list[Booking] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # French, one per bad line


def _day(text: str) -> dt.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"date « {text} » illisible (attendu AAAA-MM-JJ ou JJ/MM/AAAA)")


def _time(text: str) -> dt.time:
    try:
        return dt.datetime.strptime(text.strip().replace("h", ":"), "%H:%M").time()
    except ValueError:
        raise ValueError(f"heure « {text.strip()} » illisible (attendu HH:MM)") from None


def _duration(text: str) -> int:
    text = (text or "").strip()
    if not text:
        return 20
    if not text.isdigit() or not 1 <= int(text) <= MAX_DURATION:
        raise ValueError(f"durée « {text} » invalide (minutes, de 1 à {MAX_DURATION})")
    return int(text)


def _code(text: str) -> str:
    text = (text or "").strip()
    if text and not _CODE.fullmatch(text):
        raise ValueError(f"code « {text} » invalide ({CODE_DIGITS} chiffres, sans 0 en tête)")
    return text


def _check_codes(parsed: Parsed, where: list[str]) -> None:
    seen: dict[tuple, str] = {}
    for booking, place in zip(parsed.bookings, where, strict=True):
        if booking.code:
            key = (timezone.localtime(booking.starts_at).date(), booking.code)
            if key in seen:
                parsed.errors.append(f"{place} : code {booking.code} déjà utilisé "
                                     f"({seen[key]})")
            seen[key] = place


def parse_csv(data: bytes, service) -> Parsed:
    parsed = Parsed()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.errors.append("le fichier n'est pas en UTF-8")
        return parsed
    sample = text[:2048]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = [n.strip().lower() for n in rows.fieldnames or []]
    missing = [n for n in ("date", "heure") if n not in names]
    if missing or not ({"initiales", "nom", "code"} & set(names)):
        parsed.errors.append("ligne 1 : en-tête attendu « date;heure;duree;initiales;code;id » "
                             f"(manque : {', '.join(missing) or 'initiales ou code'})")
        return parsed
    where = []
    for n, raw in enumerate(rows, start=2):
        if n > MAX_ROWS + 1:
            parsed.errors.append(f"plus de {MAX_ROWS} lignes : découpez le fichier")
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()
               if not isinstance(v, list)}
        if not any(row.values()):
            continue
        try:
            local = dt.datetime.combine(_day(row.get("date", "")), _time(row.get("heure", "")))
            who = row.get("initiales") or initials(row.get("nom", ""))
            if who and not who.isalpha():
                raise ValueError(f"initiales « {who} » invalides (lettres seulement)")
            booking = Booking(
                service=service, starts_at=timezone.make_aware(local),
                duration_minutes=_duration(row.get("duree", "")), initials=who.upper()[:4],
                code=_code(row.get("code", "")), external_id=row.get("id", "")[:200],
                cancelled=row.get("statut", "").lower().startswith("annul"))
        except ValueError as exc:
            parsed.errors.append(f"ligne {n} : {exc}")
            continue
        parsed.bookings.append(booking)
        where.append(f"ligne {n}")
    _check_codes(parsed, where)
    return parsed


def parse_ical(data: bytes, service) -> Parsed:
    import icalendar

    parsed = Parsed()
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        parsed.errors.append(f"fichier iCalendar illisible : {exc}")
        return parsed
    where = []
    for n, event in enumerate(calendar.walk("VEVENT"), start=1):
        uid = str(event.get("UID", "") or "")
        place = f"événement {n}" + (f" ({uid})" if uid else "")
        try:
            start = event.decoded("DTSTART") if event.get("DTSTART") else None
            if not isinstance(start, dt.datetime):
                raise ValueError("DTSTART manquant ou sans heure (un rendez-vous a une heure)")
            if start.tzinfo is None:  # "floating": the site's time
                start = timezone.make_aware(start)
            if event.get("DTEND"):
                end = event.decoded("DTEND")
                end = timezone.make_aware(end) if end.tzinfo is None else end
                minutes = round((end - start).total_seconds() / 60)
            elif event.get("DURATION"):
                minutes = round(event.decoded("DURATION").total_seconds() / 60)
            else:
                minutes = 20
            if not 1 <= minutes <= MAX_DURATION:
                raise ValueError(f"durée de {minutes} min invalide (de 1 à {MAX_DURATION})")
            who = initials(str(event.get("SUMMARY", "") or ""))
            booking = Booking(
                service=service, starts_at=start, duration_minutes=minutes, initials=who,
                code=_code(str(event.get("X-CARREFOUR-CODE", "") or "")),
                external_id=uid[:200],
                cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED")
        except ValueError as exc:
            parsed.errors.append(f"{place} : {exc}")
            continue
        parsed.bookings.append(booking)
        where.append(place)
    if not parsed.bookings and not parsed.errors:
        parsed.errors.append("aucun rendez-vous (VEVENT) dans ce fichier")
    _check_codes(parsed, where)
    return parsed


def parse_file(name: str, data: bytes, service) -> Parsed:
    is_ical = name.lower().endswith((".ics", ".ical")) or data.lstrip().startswith(
        b"BEGIN:VCALENDAR")
    return parse_ical(data, service) if is_ical else parse_csv(data, service)


def import_bookings(site, parsed: Parsed, source: str) -> int:
    """Store every booking, or none (errors or a failure midway). Returns how many."""
    if parsed.errors:
        raise ValueError("le fichier a des erreurs : rien n'est importé")
    try:
        with transaction.atomic():
            for booking in parsed.bookings:
                save_booking(site, booking, source)
    except IntegrityError:
        raise ValueError("un code de ce fichier est déjà pris ce jour-là : rien n'est "
                         "importé") from None
    return len(parsed.bookings)
