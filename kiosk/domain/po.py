"""Reading gettext .po catalogs and writing .mo files (standard library only): the kiosk
builds its .mo files with them (kiosk/ui/i18n.py), the server its own catalogs
(kiosk/server/web/catalogs.py), and the back-office preview shows the kiosk's own words
with them (kiosk/server/content/preview.py), which may not import the UI."""

from __future__ import annotations

import ast
import re
import struct
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


def write_mo(messages: dict[str, str], path: Path) -> None:
    """A GNU .mo file (what gettext.GNUTranslations reads), untranslated entries left out."""
    entries = {"": "Content-Type: text/plain; charset=UTF-8\n"}
    entries.update({k: v for k, v in messages.items() if v})
    keys = sorted(entries)
    ids = [k.encode("utf-8") for k in keys]
    strs = [entries[k].encode("utf-8") for k in keys]
    n = len(keys)
    table_start = 7 * 4
    data_start = table_start + n * 16
    offsets_ids, offsets_strs, blob = [], [], b""
    for raw in ids:
        offsets_ids.append((len(raw), data_start + len(blob)))
        blob += raw + b"\0"
    for raw in strs:
        offsets_strs.append((len(raw), data_start + len(blob)))
        blob += raw + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, n, table_start, table_start + n * 8, 0, 0)
    tables = b"".join(struct.pack("<2I", *o) for o in offsets_ids)
    tables += b"".join(struct.pack("<2I", *o) for o in offsets_strs)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".mo.tmp")
    tmp.write_bytes(header + tables + blob)
    tmp.replace(path)
