"""The carnet on paper: the documents checklist (pictogram + box as a GS v 0 raster image,
or a text mark on a printer without images) and the carnet code, in the ESC/POS bytes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kiosk.devices.printer import PrintedDocument, TicketPrint, render_ticket
from kiosk.devices.ticket_documents import BOX_DOTS, GAP_DOTS, ICON_DOTS

ROOT = Path(__file__).resolve().parents[2]
PICTOGRAMS = ROOT / "assets" / "pictograms" / "build"
URL = "https://carrefour.example.paris.fr/t/3f9a2c"
CODE = "1234567897"  # Luhn-valid
RASTER = b"\x1dv0\x00"
QR_STORE = b"\x1d(k"

ID_CARD = PrintedDocument("Pièce d'identité", True, str(PICTOGRAMS / "identite.png"),
                          "Pièce d'identité")
ADDRESS = PrintedDocument("Justificatif de domicile", False, str(PICTOGRAMS / "documents.png"),
                          "Justificatif de domicile")


def ticket(**kw) -> TicketPrint:
    base = dict(site_name="Mairie du 19e", number="C042", service_name="État civil",
                issued_at=datetime(2026, 12, 6, 9, 30), language="fr", estimate_minutes=20,
                position=3, phone_url=URL, documents=(ID_CARD, ADDRESS), carnet_code=CODE)
    base.update(kw)
    return TicketPrint(**base)


def rasters(data: bytes) -> list[tuple[int, int, bytes]]:
    """Every GS v 0 image in the bytes: (width in dots, height, packed rows)."""
    found, start = [], 0
    while (at := data.find(RASTER, start)) >= 0:
        width_bytes = int.from_bytes(data[at + 4:at + 6], "little")
        height = int.from_bytes(data[at + 6:at + 8], "little")
        size = width_bytes * height
        found.append((width_bytes * 8, height, data[at + 8:at + 8 + size]))
        start = at + 8 + size
    return found


def ink(image: tuple[int, int, bytes], left: int, right: int) -> int:
    """How many dots are printed between columns left and right (all rows)."""
    width, height, rows = image
    count = 0
    for y in range(height):
        for x in range(left, right):
            byte = rows[y * (width // 8) + x // 8]
            count += (byte >> (7 - x % 8)) & 1
    return count


def test_each_document_prints_its_pictogram_its_box_and_its_name():
    data = render_ticket(ticket())
    images = rasters(data)
    assert len(images) == 2  # one row per document
    for width, height, _rows in images:
        assert (width, height) == (ICON_DOTS + GAP_DOTS + BOX_DOTS, ICON_DOTS)
    have, missing = images
    # The pictogram is drawn (ink in its square), and the two pictograms differ.
    assert ink(have, 0, ICON_DOTS) > 200 and ink(missing, 0, ICON_DOTS) > 200
    assert have[2] != missing[2]
    # The ticked box has more ink than the empty one (the check mark).
    box = (ICON_DOTS + GAP_DOTS, ICON_DOTS + GAP_DOTS + BOX_DOTS)
    assert ink(have, *box) > ink(missing, *box) + 50
    assert "Vos documents : 1 sur 2 prêts".encode("cp858") in data
    assert "Pièce d'identité\n".encode("cp858") in data
    assert "Justificatif de domicile (à apporter)".encode("cp858") in data
    # The name follows its image row.
    assert data.index(RASTER) < data.index("Pièce d'identité".encode("cp858"))


def test_the_carnet_code_is_grouped_with_its_why_before_the_qr_code():
    data = render_ticket(ticket())
    line = b"Code carnet : 123 456 7897\n"
    assert line in data
    assert "créez votre carnet avec le code QR".encode("cp858") in data.replace(b"\n", b" ")
    assert data.index(line) < data.index(QR_STORE) and data.index(RASTER) < data.index(line)


def test_a_joined_carnet_says_so_instead():
    data = render_ticket(ticket(carnet_joined=True)).replace(b"\n", b" ")
    assert "rejoint votre carnet".encode("cp858") in data
    assert b"code QR." not in data


def test_an_offline_ticket_with_the_visitors_code_says_it_will_be_linked():
    for lang, words in (("fr", "sera relié à ce ticket"), ("en", "will be linked to this ticket")):
        data = render_ticket(ticket(carnet_pending=True, language=lang)).replace(b"\n", b" ")
        assert words.encode("cp858") in data, lang
        assert b"123 456 7897" in data
        assert b"rejoint" not in data and b"code QR." not in data and b"QR code." not in data


def test_a_printer_without_images_gets_text_marks():
    data = render_ticket(ticket(), profile="TM-U220")  # an impact printer: no raster
    assert RASTER not in data
    assert "[x] Pièce d'identité".encode("cp858") in data
    assert "[ ] Justificatif de domicile (à apporter)".encode("cp858") in data
    assert b"Code carnet : 123 456 7897" in data


def test_a_missing_pictogram_still_prints_the_box_and_the_name(tmp_path):
    lost = PrintedDocument("Livret de famille", True, str(tmp_path / "gone.png"))
    data = render_ticket(ticket(documents=(lost,)))
    (image,) = rasters(data)
    assert ink(image, 0, ICON_DOTS) == 0 and ink(image, ICON_DOTS, image[0]) > 100
    assert b"Livret de famille\n" in data


def test_english_labels_and_french_names_for_scripts_the_printer_lacks():
    english = render_ticket(ticket(language="en", documents=(
        PrintedDocument("Identity document", True, "", "Pièce d'identité"),)))
    assert b"Your documents: 1 of 1 ready" in english and b"Identity document\n" in english
    assert b"Carnet code: 123 456 7897" in english
    arabic = render_ticket(ticket(language="ar", documents=(
        PrintedDocument("وثيقة هوية", False, "", "Pièce d'identité"),)))
    assert "Pièce d'identité (à apporter)".encode("cp858") in arabic
    assert b"Code carnet : 123 456 7897" in arabic


def test_a_ticket_without_checklist_nor_code_prints_as_before():
    plain = render_ticket(ticket(documents=(), carnet_code=""))
    assert RASTER not in plain and b"documents" not in plain and b"carnet" not in plain
