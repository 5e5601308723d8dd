"""GP consultation mode in a real browser: the whole journey by keyboard alone, the
handout printed to one A4 page by Chromium, its QR code decoded, axe on every page."""

from __future__ import annotations

import io
import logging
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np
import pytest
import zxingcpp
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import assert_no_axe_violations
from tests.integration.test_gp_privacy import POSTCODE_FORMS, loggers_enabled

POSTCODE = "LS1 1BA"
QUERY = [("location", POSTCODE), ("need", "depression"), ("age", "34"), ("severity", "more-severe")]
CRISIS_NUMBERS = ("999", "111", "116 123", "85258")
# Reads the QR image's pixels back out of the browser, as it decoded the data: URI.
READ_PIXELS = """(img) => {
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const grey = new Array(canvas.width * canvas.height);
    for (let i = 0; i < grey.length; i++) grey[i] = rgba[i * 4];
    return {width: canvas.width, height: canvas.height, grey};
}"""


def handout_url(query: list[tuple[str, str]], services: list[str]) -> str:
    return f"/gp/handout?{urlencode([*query, *(('service', s) for s in services)])}"


def focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        "() => ({id: document.activeElement.id, name: document.activeElement.name || '',"
        " type: document.activeElement.type || '', value: document.activeElement.value || ''})"
    )


def keyboard_to_handout(page: Page, services: int) -> tuple[list[str], float]:
    """Empty form to handout with the keyboard only. Returns the ticked ids and the seconds."""
    keyboard = page.keyboard
    page.goto("/gp")
    started = time.perf_counter()
    assert focused(page)["id"] == "location", "the postcode field should have the focus"
    keyboard.type(POSTCODE)
    keyboard.press("Tab")
    assert focused(page)["id"] == "need"
    keyboard.type("Feeling low")  # a closed select picks the option typed
    assert focused(page)["value"] == "depression"
    keyboard.press("Tab")
    assert focused(page)["id"] == "age"
    keyboard.type("34")
    keyboard.press("Tab")
    assert focused(page)["name"] == "severity"  # the checked radio: "Not sure"
    keyboard.press("ArrowUp")  # "A lot (more severe)"
    assert focused(page)["value"] == "more-severe"
    with page.expect_navigation():
        keyboard.press("Enter")
    assert urlsplit(page.url).path == "/gp"
    assert focused(page)["id"] == "results-heading", "focus should land on the results"

    ticked = []
    for _ in range(services):
        keyboard.press("Tab")
        box = focused(page)
        assert box["name"] == "service", f"Tab should move along the services, got {box}"
        keyboard.press("Space")
        ticked.append(box["value"])
    with page.expect_navigation():
        keyboard.press("Enter")
    elapsed = time.perf_counter() - started
    assert urlsplit(page.url).path == "/gp/handout"
    return ticked, elapsed


def test_keyboard_journey_to_a_one_page_handout(
    page: Page, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with loggers_enabled():
        ticked, elapsed = keyboard_to_handout(page, services=5)
    print(f"keyboard journey, empty form to handout: {elapsed:.2f} s")

    handout = page.locator("article.signpost-gp-handout")
    expect(handout.get_by_role("heading", level=1)).to_have_text("Talking therapy options for you")
    shown = handout.locator("[data-service-id]").evaluate_all(
        "items => items.map(item => item.dataset.serviceId)"
    )
    assert shown == ticked
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["location"] == POSTCODE  # the URL carries the query, and only the query

    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    print(f"handout PDF pages for 5 services: {len(reader.pages)}")
    assert len(reader.pages) == 1, (
        f"the handout for 5 services printed on {len(reader.pages)} pages"
    )
    for number in CRISIS_NUMBERS:
        assert number in text
    assert "Talking therapy options for you" in text
    assert "Text for the record" not in text  # screen-only parts are not printed
    assert "Skip to main content" not in text
    assert "Signpost" in text and ("localhost" in text or "127.0.0.1" in text)  # by the QR

    # The live server's access log has the GP URLs, through the redacting filter.
    assert '"GET /gp/handout?location=LS1' in caplog.text
    for form in POSTCODE_FORMS:
        assert form not in caplog.text


@pytest.mark.parametrize(
    "query",
    [
        [("location", "LS1 1BA"), ("need", "depression"), ("age", "34")],  # both severities
        [("location", "N7 6BS"), ("need", "depression"), ("age", "16")],
    ],
    ids=["adult-unsure", "young-person"],
)
def test_the_five_longest_entries_still_print_on_one_page(
    page: Page, query: list[tuple[str, str]]
) -> None:
    """The worst case the demo data offers: the five services with the most to say."""
    page.goto(f"/gp?{urlencode(query)}")
    ids = page.locator('input[name="service"]').evaluate_all("boxes => boxes.map(b => b.value)")
    lengths: dict[str, int] = {}
    for start in range(0, len(ids), 5):
        page.goto(handout_url(query, ids[start : start + 5]))
        lengths |= dict(
            page.locator("[data-service-id]").evaluate_all(
                "items => items.map(i => [i.dataset.serviceId, i.innerText.length])"
            )
        )
    longest = sorted(lengths, key=lambda service_id: -lengths[service_id])[:5]
    page.goto(handout_url(query, longest))
    assert page.locator("[data-service-id]").count() == 5
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    assert len(reader.pages) == 1, f"printed on {len(reader.pages)} pages"
    # Clear print: the body text on paper is 11 pt or larger (11 pt = 14.67 CSS px).
    page.emulate_media(media="print")
    sizes = (
        page.locator("article.signpost-gp-handout")
        .locator("p, li")
        .evaluate_all("nodes => nodes.map(n => parseFloat(getComputedStyle(n).fontSize))")
    )
    assert sizes and min(sizes) >= 14.6, f"smallest printed text is {min(sizes) * 0.75:.1f} pt"


def test_qr_code_decodes_to_the_live_results(page: Page, live_server: str) -> None:
    ticked, _ = keyboard_to_handout(page, services=2)
    image = page.locator("img.signpost-gp-handout__qr-image")
    expect(image).to_have_attribute("alt", "QR code that opens these results on Signpost")
    pixels = image.evaluate(READ_PIXELS)
    grey = np.array(pixels["grey"], dtype=np.uint8).reshape(pixels["height"], pixels["width"])
    decoded = zxingcpp.read_barcode(grey)
    assert decoded is not None, "no QR code found in the handout's image"
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode

    payload = urlsplit(decoded.text)
    assert payload.scheme in {"http", "https"} and payload.netloc  # absolute
    assert payload.path == "/search"
    # The paper's link carries the outward code only, never the full postcode.
    expected = [("location", "LS1") if key == "location" else (key, v) for key, v in QUERY]
    assert parse_qsl(payload.query) == expected
    assert "1BA" not in decoded.text
    assert "service" not in payload.query

    page.goto(f"{live_server}/search?{payload.query}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Therapy for")
    assert all(page.locator(f"#result-{service_id}").count() == 1 for service_id in ticked)


def test_gp_pages_have_no_axe_violations(page: Page) -> None:
    page.goto("/gp")
    assert_no_axe_violations(page)
    keyboard_to_handout(page, services=3)
    assert_no_axe_violations(page)
    page.go_back()
    expect(page.locator("#results-heading")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Text for the record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text for the record")
    assert_no_axe_violations(page)
    page.goto("/gp?location=&need=")
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    page.goto(handout_url(QUERY, []))
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Select at least one service")
    assert_no_axe_violations(page)


def test_record_text_can_be_copied(page: Page) -> None:
    keyboard_to_handout(page, services=2)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    record = page.locator("#record-text")
    expect(record).to_have_attribute("readonly", "")
    page.get_by_role("button", name="Copy text for the record").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == record.input_value()


def test_the_handout_works_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    page.goto(f"/gp?{urlencode(QUERY)}")
    page.locator('input[name="service"]').first.check()
    page.get_by_role("button", name="Make a handout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Talking therapy options for you")
    expect(page.locator("#record-text")).to_contain_text("Services signposted:")
    assert page.get_by_role("button", name="Copy text for the record").count() == 0
