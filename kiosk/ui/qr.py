"""QR codes as Kivy textures, drawn from the qrcode library's module matrix (no PIL needed)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture


def qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def qr_texture(data: str) -> Texture:
    """One texel per module, black on white; drawn scaled with nearest filtering (sharp)."""
    matrix = qr_matrix(data)
    size = len(matrix)
    # Kivy textures start at the bottom row: emit rows bottom-up.
    buf = bytes(0 if cell else 255 for row in reversed(matrix) for cell in row)
    texture = Texture.create(size=(size, size), colorfmt="luminance")
    texture.blit_buffer(buf, colorfmt="luminance", bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture
