"""Reading gettext .po catalogs (standard library only): the kiosk builds its .mo files from
them (kiosk/ui/i18n.py) and the back-office preview shows the kiosk's own words with them
(kiosk/server/content/preview.py), which may not import the UI."""

from __future__ import annotations

import ast
import re
from pathlib import Path


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (header, fuzzy and obsolete entries left out)."""
    messages: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fuzzy = False
        parts: dict[str, str] = {}
        field = None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith(("msgid ", "msgstr ")):
                field, _, value = line.partition(" ")
                parts[field] = ast.literal_eval(value)
            elif line.startswith('"') and field:
                parts[field] += ast.literal_eval(line)
            elif line.startswith("#"):
                field = None  # comments, and obsolete "#~" entries
        if parts.get("msgid") and "msgstr" in parts and not fuzzy:
            messages[parts["msgid"]] = parts["msgstr"]
    return messages
