"""Admin form pieces: translated text fields edited as one input per language."""

from __future__ import annotations

import json

from django import forms

from kiosk.domain.languages import LANGUAGES


class TranslationsWidget(forms.MultiWidget):
    def __init__(self, textarea: bool = False, attrs=None):
        base = forms.Textarea(attrs={"rows": 2, "cols": 60}) if textarea else forms.TextInput(
            attrs={"size": 60}
        )
        widgets = {}
        for lang in LANGUAGES:
            widget = type(base)(attrs={**base.attrs, "placeholder": lang.native_name,
                                        "lang": lang.code, "dir": "rtl" if lang.rtl else "ltr"})
            widgets[lang.code] = widget
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = {}
        value = value or {}
        return [value.get(lang.code, "") for lang in LANGUAGES]


class TranslationsField(forms.MultiValueField):
    """{"fr": ..., "en": ...}; French required, empty languages left out (they fall back)."""

    def __init__(self, textarea: bool = False, required_fr: bool = True, **kwargs):
        fields = [forms.CharField(required=False) for _ in LANGUAGES]
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(
            fields, widget=TranslationsWidget(textarea), require_all_fields=False, **kwargs
        )
        self.required_fr = required_fr

    def compress(self, data_list):
        values = {lang.code: (text or "").strip() for lang, text in zip(LANGUAGES, data_list or [], strict=False)}
        if self.required_fr and not values.get("fr"):
            raise forms.ValidationError("Le texte en français est obligatoire (il sert de repli).")
        return {code: text for code, text in values.items() if text}


class SlugListField(forms.CharField):
    """An ordered list of slugs, typed as "naissance, relais-familles"."""

    def prepare_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value or ""

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]

    def has_changed(self, initial, data):
        before = initial if isinstance(initial, list) else self.to_python(initial)
        return before != self.to_python(data)


class InterestsField(forms.MultipleChoiceField):
    """An offer's "envies", ticked among the kiosk's fixed vocabulary (INTERESTS)."""

    def __init__(self, **kwargs):
        from kiosk.domain.content import INTERESTS

        for key in ("encoder", "decoder", "max_length"):
            kwargs.pop(key, None)
        kwargs.setdefault("help_text", "Les envies que la borne propose en filtre : les "
                                       "visiteurs trouvent l'offre en touchant l'une d'elles.")
        super().__init__(choices=[(slug, label) for slug, (label, _p) in INTERESTS.items()],
                         widget=forms.CheckboxSelectMultiple, required=False, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, str):  # a bound form redisplayed: the JSON of the list
            try:
                value = json.loads(value)
            except ValueError:
                return []
        return list(value or [])

    def has_changed(self, initial, data):
        return sorted(initial or []) != sorted(data or [])
