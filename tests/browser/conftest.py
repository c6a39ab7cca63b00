"""Browser fixtures: one headless Chromium per test module, a fresh 1280×720 page per test.

Uses the system Chromium (Playwright's own browser download does not work offline). The
`vrmon_server` factory fixture comes from tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from vrmon.protocol import decode_server_frame

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 720}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (run `make test-tools`)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with tempfile.TemporaryDirectory() as config_home, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--disable-quic", "--enable-unsafe-swiftshader"],
            env={**os.environ, "XDG_CONFIG_HOME": config_home},  # keeps crash reports out of ~/.config
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    # bypass_csp: Playwright's wait_for_function evaluates its predicate with eval() in the page,
    # which vrmon's Content-Security-Policy forbids. The policy itself is tested, without the
    # bypass, in test_content_security_policy.py.
    page = browser.new_page(viewport=VIEWPORT, bypass_csp=True)
    page.errors = []  # uncaught page errors, asserted empty by the tests that load the app
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def open_app(page):
    """open_app(base_url, query="") loads the client and waits until the first snapshot is drawn."""

    def load(base_url: str, query: str = "") -> Any:
        page.goto(f"{base_url}/{query}")
        page.wait_for_function("window.vrmon && window.vrmon.ready", timeout=20_000)
        return page

    return load


@pytest.fixture
def server_snapshot():
    """server_snapshot(base_url): the snapshot a new viewer gets, decoded by vrmon.protocol."""

    def fetch(base_url: str) -> dict[str, Any]:
        with connect(base_url.replace("http://", "ws://") + "/ws") as ws:
            return decode_server_frame(ws.recv(timeout=10))

    return fetch
