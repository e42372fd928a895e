"""The carnet part of a paper ticket: the documents checklist (each with its pictogram and a
have/missing box) and the carnet code (kiosk/domain/carnet_code.py) with its one-line why.

Pictograms are the kiosk's PNGs (white shapes on transparent, drawn on a coloured disc on
screen): on paper the shape is printed black on white, small (48 dots, 6 mm at 203 dpi),
beside a drawn box, ticked or empty, as one ESC/POS raster image (GS v 0) per document; the
name follows in text (code page). A profile that cannot print raster images (impact
printers) gets a text mark instead: "[x]" for a document the visitor has, "[ ]" otherwise.
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass

log = logging.getLogger(__name__)

ICON_DOTS = 48  # the pictogram's side on paper, in printer dots
BOX_DOTS = 36
GAP_DOTS = 12
HAVE_MARK, MISSING_MARK = "[x]", "[ ]"

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "documents": "Vos documents : {have} sur {total} prêts",
        "missing": "à apporter",
        "carnet": "Code carnet : {code}",
        "carnet_help": "Pour retrouver vos démarches, créez votre carnet avec le code QR.",
        "carnet_joined": "Ce ticket rejoint votre carnet : l'agent verra vos démarches.",
        "carnet_later": "Votre carnet sera relié à ce ticket dès qu'il parviendra au serveur.",
    },
    "en": {
        "documents": "Your documents: {have} of {total} ready",
        "missing": "to bring",
        "carnet": "Carnet code: {code}",
        "carnet_help": "To find your procedures again, create your carnet with the QR code.",
        "carnet_joined": "This ticket joins your carnet: the agent will see your procedures.",
        "carnet_later": "Your carnet will be linked to this ticket as soon as it reaches the server.",
    },
}


@dataclass(frozen=True)
class PrintedDocument:
    """One line of the checklist on paper: its name in the visitor's language (and in French
    for a language the printer cannot print), its pictogram's PNG ("" for none), ticked?"""

    name: str
    have: bool
    pictogram: str = ""
    name_fr: str = ""


def supports_images(printer) -> bool:
    """The profile prints raster images (GS v 0)."""
    try:
        return bool(printer.profile.supports("bitImageRaster"))
    except Exception:  # an unknown feature name in an old capabilities file
        return False


def row_image(pictogram: str, have: bool):
    """The pictogram (black on white) and a box, ticked when `have`: a 1-bit PIL image;
    just the box when the PNG cannot be read (a missing file never costs the ticket)."""
    from PIL import Image, ImageDraw

    width = ICON_DOTS + GAP_DOTS + BOX_DOTS
    image = Image.new("1", (width, ICON_DOTS), 1)  # 1 = white paper
    if pictogram:
        try:
            with Image.open(pictogram) as source:
                alpha = source.convert("RGBA").getchannel("A").resize(
                    (ICON_DOTS, ICON_DOTS), Image.Resampling.LANCZOS)
            shape = alpha.point(lambda a: 0 if a >= 96 else 255).convert("1")  # ink where drawn
            image.paste(shape, (0, 0))
        except OSError as exc:
            log.warning("pictogram %s not printable: %s", pictogram, exc)
    draw = ImageDraw.Draw(image)
    left, top = ICON_DOTS + GAP_DOTS, (ICON_DOTS - BOX_DOTS) // 2
    draw.rectangle((left, top, left + BOX_DOTS - 1, top + BOX_DOTS - 1), outline=0, width=3)
    if have:  # a check mark inside the box
        draw.line((left + 7, top + 19, left + 15, top + 28, left + 29, top + 8), fill=0, width=5)
    return image


def raster_command(image) -> bytes:
    """GS v 0 (print raster bit image, normal density) of a 1-bit PIL image; written here
    rather than with escpos' image(), which prints to stdout about profiles without a
    media width (the kiosk's log is not the place)."""
    width_bytes = (image.width + 7) // 8
    padded = image if image.width == width_bytes * 8 else _pad(image, width_bytes * 8)
    ink = bytes(byte ^ 0xFF for byte in padded.tobytes())  # PIL: 1 = white; ESC/POS: 1 = ink
    return (b"\x1dv0\x00" + width_bytes.to_bytes(2, "little")
            + image.height.to_bytes(2, "little") + ink)


def _pad(image, width: int):
    from PIL import Image

    padded = Image.new("1", (width, image.height), 1)
    padded.paste(image, (0, 0))
    return padded


def document_lines(documents: tuple[PrintedDocument, ...], lang: str, same_language: bool,
                   images: bool) -> list[str]:
    """The text of each document line: its name (French when the visitor's language cannot
    be printed), "to bring" when missing, and the text mark without images."""
    labels = LABELS[lang]
    lines = []
    for doc in documents:
        name = doc.name if same_language else (doc.name_fr or doc.name)
        text = name if doc.have else f"{name} ({labels['missing']})"
        if not images:
            text = f"{HAVE_MARK if doc.have else MISSING_MARK} {text}"
        lines.append(text)
    return lines


def print_documents(p, documents: tuple[PrintedDocument, ...], lang: str, same_language: bool,
                    clean, columns: int) -> None:
    """The checklist on the Dummy printer `p`: a title, then per document its image row
    (or text mark) and its name. `clean(text)`: the printer's code page text."""
    if not documents:
        return
    images = supports_images(p)
    have = sum(1 for doc in documents if doc.have)
    p.ln()
    p.set(bold=True)
    p.textln(textwrap.fill(clean(LABELS[lang]["documents"].format(have=have, total=len(documents))),
                           columns))
    p.set(bold=False, align="left")
    texts = document_lines(documents, lang, same_language, images)
    for doc, text in zip(documents, texts, strict=True):
        if images:
            p._raw(raster_command(row_image(doc.pictogram, doc.have)))
        p.textln(textwrap.fill(clean(text), columns, subsequent_indent="    "))
    p.set(align="center")


def print_carnet(p, code: str, lang: str, clean, columns: int, joined: bool = False,
                 qr: bool = True, pending: bool = False) -> None:
    """The carnet code, grouped for reading ("123 456 7890"), and why to keep it: the
    carnet is created from the phone page (the QR code), or, `joined`, the ticket is in the
    visitor's carnet already, or, `pending` (an offline ticket with the visitor's code), it
    will be once the server has the ticket."""
    if not code:
        return
    from kiosk.domain.carnet_code import display

    labels = LABELS[lang]
    p.ln()
    p.set(bold=True, double_height=True)
    p.textln(clean(labels["carnet"].format(code=display(code))))
    p.set(bold=False, normal_textsize=True)
    why = (labels["carnet_joined"] if joined else labels["carnet_later"] if pending
           else labels["carnet_help"] if qr else "")
    if why:
        p.textln(textwrap.fill(clean(why), columns))
