"""/insights in a real browser: axe on every page, and the map and charts drawn without
JavaScript (they are server-side SVG with their numbers beside them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations
from tests.browser.test_pages_a11y import assert_crisis_lines_visible, assert_demo_banner_visible

INSIGHTS_PAGES = [
    ("national", "/insights?need=depression&band=18%2B"),
    ("national-sorted", "/insights?need=anxiety&band=18%2B&sort=wait&order=desc"),
    ("area", "/insights/areas/LS/depression?band=18%2B"),
    ("methodology", "/insights/methodology"),
]


@pytest.fixture(scope="module", autouse=True)
def two_areas(app: Flask) -> Iterator[None]:
    """Figures for two postcode areas only: a whole-country compute is for `make bench`."""
    old = app.config.get("INSIGHTS_AREAS")
    app.config["INSIGHTS_AREAS"] = ("LS", "NR")
    app.extensions.pop("signpost.insights", None)
    yield
    app.config["INSIGHTS_AREAS"] = old
    app.extensions.pop("signpost.insights", None)


@pytest.mark.parametrize("path", [pytest.param(p, id=name) for name, p in INSIGHTS_PAGES])
def test_insights_page_passes_axe(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert_no_axe_violations(page)
    assert_crisis_lines_visible(page)
    assert_demo_banner_visible(page)


def test_map_and_charts_render_without_javascript(no_js_page: Page) -> None:
    no_js_page.goto("/insights?need=depression&band=18%2B")
    map_svg = no_js_page.get_by_role("img", name="Dot map of postcode district centres")
    expect(map_svg).to_be_visible()
    box = map_svg.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    assert no_js_page.locator("svg.signpost-map circle").count() > 50
    assert_no_axe_violations(no_js_page)
    # Sorting is a plain link.
    no_js_page.get_by_role("link", name="Area", exact=True).click()
    expect(no_js_page.locator("th[aria-sort]")).to_have_count(1)

    no_js_page.goto("/insights/areas/LS/depression?band=18%2B")
    bars = no_js_page.locator("table.signpost-chart-table svg rect")
    assert bars.count() > 0
    expect(no_js_page.get_by_text("Free, in person, within reach:").first).to_be_visible()
    assert_no_axe_violations(no_js_page)
