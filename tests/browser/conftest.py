"""The browser tier: Playwright driving Debian's chromium against a live server.

The live server serves the session ``app`` (same database, CSRF on) from a thread, so
nothing here is rolled back: a browser test that writes must create its own,
uniquely named data (see ``unique``).

Fixtures:
- ``live_server`` (session): the base URL, e.g. ``http://127.0.0.1:43121``.
- ``browser`` (session): a sync Playwright ``Browser`` (Debian chromium, headless).
- ``page`` / ``no_js_page`` (function): a page in a fresh context whose ``base_url`` is the
  live server, with JavaScript on / off.
- ``assert_no_axe_violations(page, context=None)``: runs axe-core on the page.
"""

from __future__ import annotations

import functools
import threading
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

BROWSER_TESTS = Path(__file__).resolve().parent
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser download cannot work here: always Debian's chromium.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe has no rule tagged "wcag22a").
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 15_000
AXE_TIMEOUT_MS = 30_000
# Contexts made with JavaScript off (see ``no_js_page``): axe needs help to run in them.
_NO_JS_CONTEXTS: weakref.WeakSet[BrowserContext] = weakref.WeakSet()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test (`pytest -m "not browser"` skips them),
    and they run last: their writes are committed, so no rolled-back test may run after
    them and find their data (and the fast tiers report first)."""
    browser_items = [item for item in items if BROWSER_TESTS in Path(item.path).resolve().parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    chosen = set(browser_items)
    items[:] = [item for item in items if item not in chosen] + browser_items


def unique(prefix: str) -> str:
    """A name no other run has used: browser tests' writes are committed."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """Serve the session app on 127.0.0.1 and a free port from a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page_in_new_context(
    browser: Browser, base_url: str, *, java_script_enabled: bool
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        base_url=base_url, java_script_enabled=java_script_enabled, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    if not java_script_enabled:
        _NO_JS_CONTEXTS.add(context)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page with JavaScript on, in its own context (own cookies); ``goto("/")`` works."""
    yield from _page_in_new_context(browser, live_server, java_script_enabled=True)


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page with JavaScript off, as for a patient whose browser has none."""
    yield from _page_in_new_context(browser, live_server, java_script_enabled=False)


@functools.cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm install` (or `make install`).")
    return AXE_JS.read_text(encoding="utf-8")


# With JavaScript disabled the page runs no timers, and axe.run settles its promises with
# setTimeout. Before axe is injected into such a page, zero-delay timers become microtasks
# (which still run) and the long ones, axe's guards for frames and preloading, are dropped.
_NO_JS_TIMERS = """() => {
    window.setTimeout = (callback, delay, ...args) => {
        if ((delay || 0) <= 50 && typeof callback === "function") {
            Promise.resolve().then(() => callback(...args));
        }
        return 0;
    };
    window.clearTimeout = () => {};
}"""
_START_AXE = """([context, options]) => {
    window.__signpostAxe = null;
    window.axe.run(context === null ? document : context, options).then(
        (results) => { window.__signpostAxe = {violations: results.violations}; },
        (error) => { window.__signpostAxe = {error: String(error)}; },
    );
}"""


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'no impact'}): {violation['help']}"
            f"\n  {violation.get('helpUrl', '')}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page, context: str | dict[str, Any] | None = None) -> None:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules, and ``region``) on ``page`` and fail on
    any violation.

    axe is injected with ``page.evaluate``: Playwright evaluates through the DevTools
    protocol, which the page's Content Security Policy does not govern, so the app's CSP
    stays exactly as served (no ``bypass_csp``). ``context`` is an axe context: a CSS
    selector or ``{"include": [...], "exclude": [...]}``; by default the whole document.
    """
    javascript = page.context not in _NO_JS_CONTEXTS
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if not javascript:
            page.evaluate(_NO_JS_TIMERS)
        page.evaluate(_axe_source())
    # Plus the best-practice "region" rule: every piece of content sits in a landmark, so a
    # screen-reader user moving by landmark misses nothing (the crisis strip above all).
    options: dict[str, Any] = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "rules": {"region": {"enabled": True}},
    }
    if not javascript:
        options["preload"] = False  # CSSOM preloading needs network events a no-JS page lacks
    page.evaluate(_START_AXE, [context, options])
    outcome: dict[str, Any] | None = None
    for _ in range(AXE_TIMEOUT_MS // 50):
        outcome = page.evaluate("() => window.__signpostAxe")
        if outcome:
            break
        page.wait_for_timeout(50)
    assert outcome, f"axe did not finish within {AXE_TIMEOUT_MS / 1000:.0f}s on {page.url}"
    assert "error" not in outcome, f"axe failed on {page.url}: {outcome['error']}"
    violations = outcome["violations"]
    assert not violations, (
        f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n"
        + format_violations(violations)
    )
