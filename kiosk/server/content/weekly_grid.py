"""Opening hours edited as a grid, never as raw JSON: the weekly timetable (a row per
weekday, a start and an end per session), a day's sessions (a closure's short day), and
dated exceptions (closed, short day, extra session). Services, closures and counters use
them (the wire format of kiosk.domain.content: OpeningSlot, HoursException).

Plain inputs that work without script; static/content/weekly_grid.js adds a column of
sessions, copies Monday to the week and draws each day's sessions on a time bar (no
inline script: the Content-Security-Policy allows our own files only). A form posted
without the grid (a script, an old test) may still send the field as JSON text.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from kiosk.domain.content import ContentError
from kiosk.domain.timetable import parse_hours

WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
MEDIA = forms.Media(js=("content/weekly_grid.js",), css={"all": ("content/weekly_grid.css",)})
MAX_COLUMNS = 6
EXCEPTION_SESSIONS = 3
# 8:30, 08:30, 8h30 (as the French write it), 08:30:00 (a browser's time input).
_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:hH]([0-5][0-9])(:[0-5][0-9](\.\d+)?)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Posted(dict):
    """What the grid's inputs sent (kept as typed: an invalid form shows them again)."""

    def __init__(self, name: str, items):
        super().__init__(items)
        self.name = name


class PostedJSON(str):
    """The field sent as JSON text, without the grid."""


def _posted(data, name: str, marker: str):
    if f"{name}-{marker}" in data:
        return Posted(name, {k: data.get(k) for k in data if k.startswith(f"{name}-")})
    if name in data:
        return PostedJSON(data.get(name))
    return None


def _count(data: dict, key: str, default: int, high: int) -> int:
    try:
        return max(1, min(int(data.get(key, default)), high))
    except (TypeError, ValueError):
        return default


def _hhmm(text: str, where: str, errors: list[str]) -> str | None:
    match = _TIME.fullmatch(text)
    if not match:
        errors.append(f"{where} : « {text} » n'est pas une heure (HH:MM, ex. 08:30).")
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _session(start: str, end: str, where: str, errors: list[str]):
    """A (open, close) pair from two inputs; None when both are empty or one is wrong."""
    start, end = (start or "").strip(), (end or "").strip()
    if not start and not end:
        return None
    if not start or not end:
        errors.append(f"{where} : indiquez l'heure de début et l'heure de fin.")
        return None
    opens, closes = _hhmm(start, where, errors), _hhmm(end, where, errors)
    if opens is None or closes is None:
        return None
    if opens >= closes:
        errors.append(f"{where} : la fin ({closes}) doit venir après le début ({opens}).")
        return None
    return opens, closes


def _no_overlap(sessions, where: str, errors: list[str]) -> None:
    ordered = sorted(sessions)
    for (a_open, a_close), (b_open, b_close) in zip(ordered, ordered[1:], strict=False):
        if b_open < a_close:
            errors.append(f"{where} : les séances {a_open}–{a_close} et {b_open}–{b_close} "
                          "se chevauchent.")


def _json(value: str, what: str):
    try:
        parsed = json.loads(value or "[]")
    except ValueError:
        raise forms.ValidationError(f"{what} : JSON illisible.") from None
    return parsed


def _time_input(name: str, value: str, label: str) -> str:
    # Text, not type=time: a time input follows the computer's locale (9:00 AM on an
    # English system); "08:30" or "8h30" typed is the same everywhere.
    return format_html('<input type="text" class="wg-time" name="{}" value="{}" aria-label="{}" '
                       'inputmode="numeric" size="5" maxlength="8" placeholder="hh:mm" '
                       'autocomplete="off">', name, value, label)


def _pairs_html(name: str, pairs, columns: int, where: str) -> str:
    cells = []
    for i in range(columns):
        start, end = pairs[i] if i < len(pairs) else ("", "")
        cells.append(format_html(
            '<td class="wg-session">{} – {}</td>',
            mark_safe(_time_input(f"{name}-{i}-open", start, f"{where}, séance {i + 1}, début")),
            mark_safe(_time_input(f"{name}-{i}-close", end, f"{where}, séance {i + 1}, fin"))))
    return "".join(cells)


# -- the weekly timetable --------------------------------------------------------------------


def week_rows(value) -> list[list[tuple[str, str]]]:
    """Per weekday, the (open, close) texts to show: from the wire list, or as posted."""
    days: list[list[tuple[str, str]]] = [[] for _ in WEEKDAYS]
    if isinstance(value, Posted):
        columns = _count(value, f"{value.name}-columns", 3, MAX_COLUMNS)
        for day in range(7):
            for i in range(columns):
                # In place, blanks included: shown again as typed, numbered as columns.
                days[day].append((value.get(f"{value.name}-{day}-{i}-open", ""),
                                  value.get(f"{value.name}-{day}-{i}-close", "")))
        return days
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return days
    for slot in value if isinstance(value, list) else []:
        if not isinstance(slot, dict) or not isinstance(slot.get("days"), list):
            continue
        for day in slot["days"]:
            if isinstance(day, int) and 0 <= day <= 6:
                days[day].append((str(slot.get("open", "")), str(slot.get("close", ""))))
    return [sorted(pairs) for pairs in days]


class WeeklyGridWidget(forms.Widget):
    """A row per weekday, a start and an end per session."""

    media = MEDIA

    def value_from_datadict(self, data, files, name):
        return _posted(data, name, "grid")

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-grid" not in data and name not in data

    def render(self, name, value, attrs=None, renderer=None):
        days = week_rows(value)
        columns = (_count(value, f"{name}-columns", 3, MAX_COLUMNS) if isinstance(value, Posted)
                   else min(max(3, max(len(d) for d in days) + 1), MAX_COLUMNS))
        head = format_html_join("", "<th scope='col'>Séance {}</th>",
                                ((i + 1,) for i in range(columns)))
        rows = format_html_join("", (
            "<tr data-day='{}'><th scope='row'>{}</th>{}"
            "<td class='wg-bar' aria-hidden='true'></td></tr>"), (
            (day, label, mark_safe(_pairs_html(f"{name}-{day}", days[day], columns, label)))
            for day, label in enumerate(WEEKDAYS)))
        return format_html(
            '<div class="weekly-grid" data-name="{name}" id="{id}" data-max="{max}">'
            '<input type="hidden" name="{name}-grid" value="1">'
            '<input type="hidden" name="{name}-columns" value="{columns}" class="wg-columns">'
            '<table class="wg-table"><thead><tr><th scope="col">Jour</th>{head}'
            '<th scope="col" class="wg-bar-head">7 h — 21 h</th></tr></thead>'
            '<tbody>{rows}</tbody></table>'
            '<p class="wg-help">Laissez vides les séances inutiles ; un jour sans séance est '
            'fermé. La pause de midi sépare deux séances.</p></div>',
            name=name, id=(attrs or {}).get("id", f"id_{name}"), max=MAX_COLUMNS,
            columns=columns, head=head, rows=rows)


class GridField(forms.Field):
    """A JSON list edited as a grid: what the grid posted (`Posted`) becomes the list in
    `from_posted`; JSON posted without the grid (scripts, old tests) is read as JSON."""

    json_label = ""

    def __init__(self, **kwargs):
        for key in ("encoder", "decoder", "max_length"):
            kwargs.pop(key, None)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, PostedJSON):
            return _json(value, self.json_label)
        if not isinstance(value, Posted):
            return value
        return self.from_posted(value)

    def from_posted(self, value: Posted):
        raise NotImplementedError


class WeeklyHoursField(GridField):
    """The weekly timetable: [{"days": [...], "open": "HH:MM", "close": "HH:MM"}, ...]."""

    widget = WeeklyGridWidget

    json_label = "Horaires"

    def from_posted(self, value: Posted):
        errors: list[str] = []
        groups: dict[tuple[str, str], list[int]] = {}
        for day, label in enumerate(WEEKDAYS):
            sessions = [s for i, (start, end) in enumerate(week_rows(value)[day])
                        if (s := _session(start, end, f"{label}, séance {i + 1}", errors))]
            _no_overlap(sessions, label, errors)
            for session in sorted(sessions):
                groups.setdefault(session, []).append(day)
        if errors:
            raise forms.ValidationError(errors)
        # Grouped by session, in the order they first appear in the week (Monday first).
        return [{"days": days, "open": opens, "close": closes}
                for (opens, closes), days in groups.items()]

    def validate(self, value):
        super().validate(value)
        try:
            parse_hours(value)
        except ContentError as exc:
            raise forms.ValidationError(f"Horaires invalides : {exc}") from exc

    def has_changed(self, initial, data):
        try:
            after = self.to_python(data)
        except forms.ValidationError:
            return True
        return week_rows(initial or []) != week_rows(after)


# -- one day's sessions (a closure's hours) -------------------------------------------------


def _day_pairs(value, name: str) -> list[tuple[str, str]]:
    if isinstance(value, Posted):
        columns = _count(value, f"{name}-columns", 3, MAX_COLUMNS)
        return [(value.get(f"{name}-{i}-open", ""), value.get(f"{name}-{i}-close", ""))
                for i in range(columns)]  # in place, blanks included (see week_rows)
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    return sorted((str(s.get("open", "")), str(s.get("close", "")))
                  for s in (value if isinstance(value, list) else []) if isinstance(s, dict))


def _sessions_from(pairs, where: str, errors: list[str]) -> list[dict]:
    sessions = [s for i, (start, end) in enumerate(pairs)
                if (s := _session(start, end, f"{where}, séance {i + 1}", errors))]
    _no_overlap(sessions, where, errors)
    return [{"open": o, "close": c} for o, c in sorted(sessions)]


class DaySessionsWidget(forms.Widget):
    media = MEDIA

    def value_from_datadict(self, data, files, name):
        return _posted(data, name, "sessions")

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-sessions" not in data and name not in data

    def render(self, name, value, attrs=None, renderer=None):
        pairs = _day_pairs(value, name)
        columns = (len(pairs) if isinstance(value, Posted)
                   else min(max(3, len(pairs) + 1), MAX_COLUMNS))
        return format_html(
            '<div class="day-sessions" id="{}"><input type="hidden" name="{}-sessions" value="1">'
            '<input type="hidden" name="{}-columns" value="{}"><table class="wg-table"><tr>{}'
            '</tr></table><p class="wg-help">Aucune séance : fermé ce(s) jour(s)-là.</p></div>',
            (attrs or {}).get("id", f"id_{name}"), name, name, columns,
            mark_safe(_pairs_html(name, pairs, columns, "Ce jour-là")))


class DaySessionsField(GridField):
    """A day's sessions: [{"open": "HH:MM", "close": "HH:MM"}, ...]; none: closed."""

    widget = DaySessionsWidget

    json_label = "Horaires"

    def from_posted(self, value: Posted):
        errors: list[str] = []
        sessions = _sessions_from(_day_pairs(value, value.name), "Ce jour-là", errors)
        if errors:
            raise forms.ValidationError(errors)
        return sessions

    def has_changed(self, initial, data):
        try:
            return _day_pairs(initial or [], "") != _day_pairs(self.to_python(data), "")
        except forms.ValidationError:
            return True


def timetable_formfield(model, db_field):
    """The grid field for a model's opening-hours JSON field, or None for another field:
    a service's or a counter's week and exceptions, a closure's day."""
    from kiosk.server.content.exceptions_grid import ExceptionsField

    label = db_field.verbose_name.capitalize()
    if db_field.name == "hours" and model._meta.model_name == "closure":
        return DaySessionsField(label="Horaires ce(s) jour(s)-là")
    if db_field.name == "hours":
        return WeeklyHoursField(label="Horaires de la semaine" if label == "Hours" else label)
    if db_field.name == "exceptions":
        return ExceptionsField(label="Jours particuliers" if label == "Exceptions" else label)
    return None
