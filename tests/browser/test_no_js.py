"""Without JavaScript, with the keyboard alone: start page → results → a service page.

Fields are reached with Tab and set with the keys a person would press; forms are sent
and links followed with Enter. The contract: the start page has a GET form with
``location``, ``need`` and ``age`` that submits to ``/search``, and results link to
``/services/<id>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations

MAX_TABS = 80


def focused(page: Page) -> dict[str, str]:
    """What has keyboard focus: tag, name, type, value and href."""
    info: dict[str, str] = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el) return {tag: "", name: "", type: "", value: "", href: ""};
            return {
                tag: el.tagName.toLowerCase(),
                name: el.getAttribute("name") || "",
                type: (el.getAttribute("type") || "").toLowerCase(),
                value: "value" in el ? String(el.value) : "",
                href: el.getAttribute("href") || "",
            };
        }"""
    )
    return info


def tab_to(
    page: Page, description: str, wanted: Callable[[dict[str, str]], bool]
) -> dict[str, str]:
    """Press Tab until ``wanted(focused)`` holds; fail if it never does."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"{description} cannot be reached with Tab on {page.url}")


def choose_by_keyboard(page: Page, name: str, value: str) -> None:
    """Set the field ``name`` to ``value`` with the keys for its kind of control."""
    field = tab_to(page, f"the {name!r} field", lambda f: f["name"] == name)
    if field["tag"] == "select":
        page.keyboard.press("Home")
        for _ in range(100):
            if focused(page)["value"] == value:
                return
            page.keyboard.press("ArrowDown")
        raise AssertionError(f"option {value!r} of {name!r} cannot be chosen with arrow keys")
    if field["type"] == "radio":
        page.keyboard.press("Space")
        for _ in range(100):
            if focused(page)["value"] == value:
                page.keyboard.press("Space")
                checked = page.locator(f'input[name="{name}"]:checked')
                expect(checked).to_have_value(value)
                return
            page.keyboard.press("ArrowDown")
        raise AssertionError(f"radio {value!r} of {name!r} cannot be chosen with arrow keys")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(value)
    assert focused(page)["value"] == value


def test_javascript_really_is_off(no_js_page: Page, page: Page) -> None:
    # The NHS.UK template's inline script marks the body; it must not run in no_js_page.
    no_js_page.goto("/")
    expect(no_js_page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))
    page.goto("/")
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b"))


def test_skip_link_is_first_and_moves_to_main_content(no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/therapies")
    page.keyboard.press("Tab")
    link = focused(page)
    assert link["tag"] == "a" and link["href"] == "#maincontent", link
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#maincontent$"))
    expect(page.locator("#maincontent")).to_be_visible()


def test_patient_journey_by_keyboard_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    response = page.goto("/")
    assert response is not None and response.status == 200

    choose_by_keyboard(page, "location", "LS1 1BA")
    choose_by_keyboard(page, "need", "depression")
    choose_by_keyboard(page, "age", "30")
    tab_to(
        page,
        "the search button",
        lambda f: (
            (f["tag"] == "button" and f["type"] in {"", "submit"})
            or (f["tag"] == "input" and f["type"] == "submit")
        ),
    )
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    results = navigation.value
    assert results is not None and results.status == 200, results and results.status
    url = urlsplit(page.url)
    assert url.path == "/search"
    query = parse_qs(url.query)
    assert query.get("location") == ["LS1 1BA"]
    assert query.get("need") == ["depression"]
    assert query.get("age") == ["30"]
    assert_no_axe_violations(page)

    link = tab_to(
        page, "a link to a service page", lambda f: f["tag"] == "a" and "/services/" in f["href"]
    )
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    service = navigation.value
    assert service is not None and service.status == 200, service and service.status
    assert urlsplit(page.url).path == urlsplit(link["href"]).path
    assert re.fullmatch(r"/services/[0-9a-f-]{36}", urlsplit(page.url).path), page.url
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_text(re.compile(r"(?<!\d)116 123(?!\d)")).first).to_be_visible()
    assert_no_axe_violations(page)
