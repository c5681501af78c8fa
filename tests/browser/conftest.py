"""Headless Chromium for the report's browser tests: Debian's /usr/bin/chromium driven by Playwright.

``scripts/install-browser.sh`` installs both. Without a Chromium the tests are skipped with the reason; with a
Chromium but without Playwright they fail, since the test command installs it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_pages import INJECTION, Page, make_run, make_russia_run, russia_days

CHROMIUM = os.environ.get("CROSSINGS_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.skip(f"no Chromium at {CHROMIUM} or on PATH: run scripts/install-browser.sh as root to install "
                    "Debian's chromium (the browser tests need it)")
    return path


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A persistent headless Chromium context (fresh profile) at 1280×800."""
    exe = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # chromium is there, so the test command should have installed playwright
        raise RuntimeError("Playwright is missing: run scripts/install-browser.sh") from exc
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=exe, args=FLAGS, headless=True,
                                                   viewport={"width": 1280, "height": 800})
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def injection_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("inject"), {"Hilltown": INJECTION}, days=40)


@pytest.fixture
def demo_page(browser: Any, demo_run: Path) -> Iterator[Page]:
    p = Page(browser, demo_run / "report.html")
    yield p
    p.close()


@pytest.fixture(scope="session")
def russia_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the default scenario russia2022 (500 days unless CROSSINGS_RUSSIA_DAYS says otherwise), shared
    by the emigration report's tests."""
    return make_russia_run(tmp_path_factory.mktemp("russia2022"), russia_days())


@pytest.fixture(scope="module")
def russia_page(browser: Any, russia_run: Path) -> Iterator[Page]:
    """The russia2022 report loaded once per test module (tests that change the day put it back)."""
    p = Page(browser, russia_run / "report.html")
    yield p
    p.close()
