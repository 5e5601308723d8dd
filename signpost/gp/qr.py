"""QR codes for the handout, as data: URIs (the CSP allows ``img-src data:``)."""

from __future__ import annotations

import segno

#: Pixels per module: a version 8 code (49 modules plus the quiet zone) is about 300 px,
#: sharp at the 32 mm the print stylesheet gives it.
SCALE = 5
#: The quiet zone the QR standard asks for, in modules.
BORDER = 4


def make(payload: str) -> segno.QRCode:
    """Medium error correction: survives a crease or a smudge on a printed sheet."""
    return segno.make(payload, error="m", micro=False, boost_error=False)


def png_data_uri(payload: str) -> str:
    return make(payload).png_data_uri(scale=SCALE, border=BORDER, dark="#000", light="#fff")
