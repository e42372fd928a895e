"""QR codes as inline SVG (qrcode's path factory: no PIL, crisp at any size)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, title: str = "QR code") -> SafeString:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    # Sized by CSS, not in millimetres; a white background so phones read it on any theme.
    svg = svg.replace('width="', 'data-mm-width="', 1).replace('height="', 'data-mm-height="', 1)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{title}" class="qr" '
                               'style="background:#fff" ', 1)
    # The data is a URL we built ourselves (no markup), the rest is qrcode's own output.
    return mark_safe(svg)  # noqa: S308
