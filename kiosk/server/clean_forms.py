"""Posted form text made safe before any field parses it (kiosk/domain/text_input.py):
the back-office forms (ContentAdmin, every SiteScopedAdmin, the kiosks' and assistance
admins) get it through `cleaning_form`.

- a control character (other than newline and tab) is a form error on its field (the
  value is dropped of it first, so that no parser nor PostgreSQL ever sees it);
- a JSON value nested deeper than MAX_JSON_DEPTH (the weekly grids, translated lists...)
  is a form error, never a RecursionError in json.loads; the strings inside JSON are
  checked too (a "\u0000" escape is a NUL once decoded: PostgreSQL's jsonb refuses it);
- bidi controls and stray zero-width characters are removed, text goes to NFC.
"""

from __future__ import annotations

import json

from django import forms

from kiosk.domain.text_input import (
    MAX_JSON_DEPTH,
    TextInputError,
    clean_json_strings,
    clean_text,
    json_text_too_deep,
    refused_at,
)

CONTROL = "Caractère de contrôle refusé (U+{code:04X}) : retapez ce texte sans le copier-coller."
TOO_DEEP = f"Structure trop imbriquée (plus de {MAX_JSON_DEPTH} niveaux) : refusée."


def clean_value(value: str) -> tuple[str, str | None]:
    """(the value made safe, an error message or None)."""
    problem = None
    index = refused_at(value, multiline=True)
    if index is not None:
        problem = CONTROL.format(code=ord(value[index]))
        value = "".join(ch for ch in value if refused_at(ch, multiline=True) is None)
    if value.lstrip()[:1] in ("[", "{"):
        if json_text_too_deep(value):
            return "", TOO_DEEP
        value, problem = _clean_json(value, problem)
    return clean_text(value, multiline=True, strip=False), problem


def _clean_json(value: str, problem: str | None) -> tuple[str, str | None]:
    """JSON text with its strings cleaned too: a \u0000 escape is a NUL once decoded."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value, problem  # not JSON after all: plain text, or the field's own error
    try:
        cleaned = clean_json_strings(decoded)
    except TextInputError as exc:
        return "[]" if isinstance(decoded, list) else "{}", problem or f"Caractère de contrôle refusé ({exc})."
    if cleaned == decoded:
        return value, problem
    return json.dumps(cleaned, ensure_ascii=False), problem


class CleanInputMixin:
    """A form whose posted text goes through clean_value before its fields see it."""

    def full_clean(self):
        problems: list[tuple[str | None, str]] = []
        if self.is_bound and self.data:
            self.data, problems = self._cleaned_data_of(self.data)
        super().full_clean()
        for field, message in problems:
            self.add_error(field, message)

    def _field_of(self, key: str) -> str | None:
        for name in sorted(self.fields, key=len, reverse=True):  # type: ignore[attr-defined]  # mixed into a django Form
            posted = self.add_prefix(name)  # type: ignore[attr-defined]  # mixed into a django Form
            if key == posted or key.startswith(posted + "_"):  # multi-widgets: name_0...
                return name
        return None

    def _cleaned_data_of(self, data):
        problems = []
        cleaned = data.copy()
        many = hasattr(data, "getlist")
        for key in list(data.keys()):
            values = data.getlist(key) if many else [data[key]]
            out = []
            for value in values:
                if isinstance(value, str):
                    value, problem = clean_value(value)
                    if problem:
                        problems.append((self._field_of(key), problem))
                out.append(value)
            if many:
                cleaned.setlist(key, out)
            else:
                cleaned[key] = out[0]
        return cleaned, list(dict.fromkeys(problems))


def cleaning_form(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """`form_class` with CleanInputMixin first (for ModelAdmin.get_form)."""
    if issubclass(form_class, CleanInputMixin):
        return form_class
    return type(form_class.__name__, (CleanInputMixin, form_class), {})
