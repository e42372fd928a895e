"""kiosk/devices imports the standard library, kiosk.domain, escpos and qrcode only (and
Pillow, escpos' own dependency for raster images: the ticket's pictograms)."""

from __future__ import annotations

import sys

from tests.test_layers import KIOSK, imported_modules, python_files, top

ALLOWED_THIRD_PARTY = {"escpos", "qrcode", "PIL"}


def test_devices_import_only_stdlib_domain_escpos_qrcode():
    bad = []
    for path in python_files(KIOSK / "devices"):
        for module in imported_modules(path.read_text(encoding="utf-8")):
            if module == "kiosk" or module.startswith("kiosk."):
                if not (module.startswith("kiosk.devices") or module.startswith("kiosk.domain")):
                    bad.append(f"{path.name}: {module}")
            elif top(module) not in sys.stdlib_module_names | ALLOWED_THIRD_PARTY | {
                    "__future__"}:
                bad.append(f"{path.name}: {module}")
    assert bad == []
