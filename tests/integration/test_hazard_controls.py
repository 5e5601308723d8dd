"""Existing hazard-log controls with no test of their own until the log named them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize(
    "url",
    ["/", "/search?location=LS1+1BA&need=abuse-neglect&age=15", "/therapies/cbt", "/gp"],
)
def test_childline_is_on_every_page(client: FlaskClient, url: str) -> None:
    """H16-C1: a young person can always see Childline, whatever else the page shows."""
    html = client.get(url).get_data(as_text=True)
    assert "Childline" in html and "0800 1111" in html
