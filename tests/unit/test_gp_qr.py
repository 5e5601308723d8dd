"""The handout's QR code decodes, with a real decoder, to exactly the URL it was made from."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import zxingcpp

from signpost.gp import qr

LONG_QUERY = (
    "https://signpost.example.org/search?location=LS1+1BA&need=depression&age=34"
    "&severity=more-severe&modality=counselling&modality=ipt&relational=true&delivery=video"
    "&max_cost=15&self_referral=true&language=Polish&community=lgbtq&radius_km=50"
)


@pytest.mark.parametrize(
    "payload", ["http://localhost/search?location=LS1+1BA&need=depression", LONG_QUERY]
)
def test_qr_decodes_to_the_payload(payload: str) -> None:
    code = qr.make(payload)
    pixels = np.array(
        [[0 if dark else 255 for dark in row] for row in code.matrix_iter(scale=3, border=4)],
        dtype=np.uint8,
    )
    decoded = zxingcpp.read_barcode(pixels)
    assert decoded is not None
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert decoded.text == payload
    assert code.error == "M"


def test_png_data_uri_is_an_image() -> None:
    uri = qr.png_data_uri(LONG_QUERY)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).startswith(b"\x89PNG\r\n\x1a\n")
