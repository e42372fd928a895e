"""The back-office's « Documents à apporter »: agents tick documents of the vocabulary
(kiosk/domain/documents.py: pictogram and names in six languages) instead of typing JSON,
add a précision to one if needed (« de la personne qui déclare »), and write in free text,
one input per language, only what the vocabulary lacks.

The list keeps its order (it is the kiosk checklist's, and tickets refer to the lines by
it): entries already there stay where they were, new ticks and new free texts follow.
A post of the raw JSON list (scripts, older tests) is still read.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from kiosk.domain.documents import DOCUMENTS, MAX_DOCUMENTS, check_entry
from kiosk.domain.languages import LANGUAGES

PICTOGRAMS = Path(__file__).resolve().parents[3] / "assets" / "pictograms" / "src"
BLANK_ROWS = 2  # empty free-text rows offered under the existing ones
TILE = "#1D3A8A"  # the kiosk's checklist tile: white pictograms need a dark ground


def _pictogram(slug: str) -> str:
    path = PICTOGRAMS / f"{slug}.svg"
    if not path.is_file():
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode()


def _entries(value) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def _inputs(prefix: str, texts: dict) -> str:
    return format_html_join(
        "", '<input type="text" name="{}__{}" value="{}" placeholder="{}" lang="{}" dir="{}" '
            'size="28" aria-label="{}">',
        ((prefix, lang.code, texts.get(lang.code, ""), lang.native_name, lang.code,
          "rtl" if lang.rtl else "ltr", lang.native_name) for lang in LANGUAGES))


class DocumentsWidget(forms.Widget):
    """Checkboxes over the vocabulary (each with its précision) and free-text rows."""

    def value_from_datadict(self, data, files, name):
        raw = data.get(name)
        if raw or f"{name}__order" not in data:  # the raw JSON list (a script, an older form)
            try:
                return json.loads(raw) if raw else []
            except (TypeError, ValueError):
                return raw  # the field says "JSON invalide"
        ticked = [k for k in data.getlist(f"{name}__doc") if k in DOCUMENTS]
        docs = {}
        for key in ticked:
            note = {lang.code: (data.get(f"{name}__note__{key}__{lang.code}") or "").strip()
                    for lang in LANGUAGES}
            note = {code: text for code, text in note.items() if text}
            docs[key] = {"doc": key, "note": note} if note else {"doc": key}
        free = {}
        for index in range(int(data.get(f"{name}__rows") or 0) if
                           str(data.get(f"{name}__rows") or "0").isdigit() else 0):
            texts = {lang.code: (data.get(f"{name}__free__{index}__{lang.code}") or "").strip()
                     for lang in LANGUAGES}
            if any(texts.values()):
                free[index] = {code: text for code, text in texts.items() if text}
        out = []
        for token in (data.get(f"{name}__order") or "").split(","):
            kind, _, ref = token.partition(":")
            if kind == "doc" and ref in docs:
                out.append(docs.pop(ref))
            elif kind == "free" and ref.isdigit() and int(ref) in free:
                out.append(free.pop(int(ref)))
        return out + list(docs.values()) + list(free.values())

    def render(self, name, value, attrs=None, renderer=None):
        entries = _entries(value)
        chosen = {e["doc"]: e for e in entries if isinstance(e, dict) and "doc" in e}
        free = [e for e in entries if isinstance(e, dict) and "doc" not in e]
        order = []
        free_index = 0
        for entry in entries:
            if isinstance(entry, dict) and "doc" in entry:
                order.append(f"doc:{entry['doc']}")
            elif isinstance(entry, dict):
                order.append(f"free:{free_index}")
                free_index += 1
        items = []
        for key, document in DOCUMENTS.items():
            entry = chosen.get(key) or {}
            note = entry.get("note") if isinstance(entry.get("note"), dict) else {}
            drafts = ", ".join(document.drafts)
            items.append(format_html(
                '<li data-doc="{key}"><label><input type="checkbox" name="{name}__doc" '
                'value="{key}"{checked}> <img src="{src}" alt="" width="32" height="32" '
                'style="background:{tile};border-radius:6px;padding:2px;vertical-align:middle"> '
                '{fr} <small lang="en">({en})</small></label>'
                '<details{open}><summary>Précision (facultative)</summary>{inputs}</details>'
                '<small class="doc-drafts" title="Traductions à faire relire">brouillons : '
                '{drafts}</small></li>',
                key=key, name=name, checked=mark_safe(" checked") if key in chosen else "",
                src=_pictogram(document.pictogram), tile=TILE, fr=document.texts["fr"],
                en=document.texts["en"], open=mark_safe(" open") if note else "",
                inputs=_inputs(f"{name}__note__{key}", note), drafts=drafts))
        rows = [format_html('<div class="doc-free-row" data-row="{}">{}</div>', index,
                            _inputs(f"{name}__free__{index}", texts))
                for index, texts in enumerate(free + [{}] * BLANK_ROWS)]
        return format_html(
            '<div class="doc-field" data-testid="documents-field">'
            '<p class="help">Cochez les documents demandés : la borne les montre avec leur '
            'pictogramme et leur nom dans les six langues (au plus {max}). Les noms en wolof et '
            'en bambara sont des brouillons à faire relire.</p>'
            '<ul style="list-style:none;padding:0;columns:2">{items}</ul>'
            '<fieldset><legend>Autres documents (hors liste), une langue par case, le français '
            'obligatoire ; une ligne vide est ignorée</legend>{rows}</fieldset>'
            '<input type="hidden" name="{name}__order" value="{order}">'
            '<input type="hidden" name="{name}__rows" value="{count}"></div>',
            max=MAX_DOCUMENTS, items=mark_safe("".join(items)), rows=mark_safe("".join(rows)),
            name=name, order=",".join(order), count=len(free) + BLANK_ROWS)


class DocumentsField(forms.Field):
    """A `documents` list: [{"doc": key, "note": {...}} or {lang: text}], checked entry by
    entry with French messages; an invalid post is shown again as typed."""

    widget = DocumentsWidget

    def __init__(self, **kwargs):
        for key in ("encoder", "decoder", "max_length"):
            kwargs.pop(key, None)
        kwargs["required"] = False
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return _entries(value) if not isinstance(value, list) else value

    def to_python(self, value):
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise forms.ValidationError("Liste de documents illisible (JSON invalide).")
        return value

    def validate(self, value):
        errors = []
        if len(value) > MAX_DOCUMENTS:
            errors.append(f"Au plus {MAX_DOCUMENTS} documents par liste.")
        for index, entry in enumerate(value, 1):
            try:
                check_entry(entry)
            except ValueError as exc:
                errors.append(_french(index, entry, str(exc)))
        if errors:
            raise forms.ValidationError(errors)

    def has_changed(self, initial, data):
        return _entries(initial) != _entries(data)


def _french(index: int, entry, reason: str) -> str:
    if isinstance(entry, dict) and "doc" in entry:
        if "unknown" in reason:
            return f"Document {index} : « {entry['doc']} » n'est pas dans la liste des documents."
        return f"Document {index} : précision illisible (un texte par langue)."
    if isinstance(entry, dict) and "French" in reason:
        return (f"Document {index} (texte libre) : le texte en français est obligatoire "
                "(il sert de repli).")
    return f"Document {index} : ni un document de la liste ni un texte par langue."
