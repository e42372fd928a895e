"""Dated exceptions to a timetable, edited as rows (from, to, the day's sessions, reason):
closed (no session), a short day, an extra session. The wire format of HoursException
(kiosk.domain.content); see weekly_grid.py for the grid's conventions."""

from __future__ import annotations

import json

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from kiosk.domain.content import ContentError
from kiosk.domain.timetable import parse_exceptions
from kiosk.server.content.weekly_grid import (
    _DATE,
    EXCEPTION_SESSIONS,
    MEDIA,
    GridField,
    Posted,
    _count,
    _pairs_html,
    _posted,
    _sessions_from,
)

MAX_ROWS = 100


def exception_rows(value, name: str) -> list[dict]:
    """The rows to show: {from, to, pairs, reason, more} as texts."""
    if isinstance(value, Posted):
        rows = []
        for r in range(_count(value, f"{name}-rows", 0, MAX_ROWS)):
            key = f"{name}-{r}"
            pairs = [(value.get(f"{key}-{i}-open", ""), value.get(f"{key}-{i}-close", ""))
                     for i in range(EXCEPTION_SESSIONS)]
            rows.append({"from": value.get(f"{key}-from", "").strip(),
                         "to": value.get(f"{key}-to", "").strip(),
                         "pairs": pairs,  # in place, blanks included
                         "reason": value.get(f"{key}-reason", "").strip(),
                         "more": value.get(f"{key}-more", "")})
        return rows
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    rows = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        reason = item.get("reason")
        reason = reason if isinstance(reason, dict) else {}
        more = {k: v for k, v in reason.items() if k != "fr"}
        rows.append({"from": str(item.get("from") or ""), "to": str(item.get("to") or ""),
                     "pairs": sorted((str(h.get("open", "")), str(h.get("close", "")))
                                     for h in item.get("hours") or [] if isinstance(h, dict)),
                     "reason": str(reason.get("fr", "")),
                     "more": json.dumps(more, ensure_ascii=False) if more else ""})
    return rows


class ExceptionsWidget(forms.Widget):
    media = MEDIA

    def value_from_datadict(self, data, files, name):
        return _posted(data, name, "exceptions")

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-exceptions" not in data and name not in data

    def render(self, name, value, attrs=None, renderer=None):
        rows = exception_rows(value, name)
        # Two empty rows to fill without script; the script adds more.
        rows = [*rows, *({"from": "", "to": "", "pairs": [], "reason": "", "more": ""}
                         for _ in range(2))]
        body = format_html_join("", (
            '<tr data-row="{}">'
            '<td><input type="date" name="{}-from" value="{}" aria-label="Jour particulier {}, du"></td>'
            '<td><input type="date" name="{}-to" value="{}" aria-label="Jour particulier {}, au"></td>'
            '{}<td><input type="text" name="{}-reason" value="{}" maxlength="200" '
            'aria-label="Jour particulier {}, motif" placeholder="Motif (ex. Formation)">'
            '<input type="hidden" name="{}-more" value="{}"></td></tr>'), (
            (r, f"{name}-{r}", row["from"], r + 1, f"{name}-{r}", row["to"], r + 1,
             mark_safe(_pairs_html(f"{name}-{r}", row["pairs"], EXCEPTION_SESSIONS,
                                   f"Jour particulier {r + 1}")),
             f"{name}-{r}", row["reason"], r + 1, f"{name}-{r}", row["more"])
            for r, row in enumerate(rows)))
        return format_html(
            '<div class="exceptions-grid" id="{}" data-name="{}">'
            '<input type="hidden" name="{}-exceptions" value="1">'
            '<input type="hidden" name="{}-rows" value="{}" class="wg-rows">'
            '<table class="wg-table"><thead><tr><th>Du</th><th>Au (vide : un seul jour)</th>'
            '<th>Séance 1</th><th>Séance 2</th><th>Séance 3</th><th>Motif</th></tr></thead>'
            '<tbody>{}</tbody></table><p class="wg-help">Sans séance : fermé ces jours-là. '
            'Avec des séances : elles remplacent celles de la semaine (journée courte, '
            'séance en plus). Pour retirer une ligne, videz ses dates.</p></div>',
            (attrs or {}).get("id", f"id_{name}"), name, name, name, len(rows), body)


class ExceptionsField(GridField):
    """[{"from": "YYYY-MM-DD", "to": ..., "hours": [...], "reason": {"fr": ...}}, ...]."""

    widget = ExceptionsWidget

    json_label = "Jours particuliers"

    def from_posted(self, value: Posted):
        errors: list[str] = []
        items = []
        for r, row in enumerate(exception_rows(value, value.name), start=1):
            where = f"Jour particulier {r}"
            if not row["from"]:
                if row["to"] or any(a or b for a, b in row["pairs"]) or row["reason"]:
                    errors.append(f"{where} : indiquez le premier jour (du).")
                continue
            dates = [d for d in (row["from"], row["to"]) if d]
            if not all(_DATE.fullmatch(d) for d in dates):
                errors.append(f"{where} : une date s'écrit AAAA-MM-JJ.")
                continue
            if row["to"] and row["to"] < row["from"]:
                errors.append(f"{where} : le dernier jour vient avant le premier.")
                continue
            item = {"from": row["from"], "to": row["to"] or row["from"]}
            hours = _sessions_from(row["pairs"], where, errors)
            if hours:
                item["hours"] = hours
            reason = _more(row["more"])
            if row["reason"]:
                reason = {"fr": row["reason"], **reason}
            if reason:
                item["reason"] = reason
            items.append(item)
        if errors:
            raise forms.ValidationError(errors)
        return items

    def validate(self, value):
        super().validate(value)
        try:
            parse_exceptions(value)
        except ContentError as exc:
            raise forms.ValidationError(f"Jours particuliers invalides : {exc}") from exc

    def has_changed(self, initial, data):
        try:
            after = self.to_python(data)
        except forms.ValidationError:
            return True
        return exception_rows(initial or [], "") != exception_rows(after, "")


def _more(text: str) -> dict:
    """The reason's other languages, carried through the form unchanged."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)
            } if isinstance(value, dict) else {}
