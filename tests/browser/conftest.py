"""A real browser (Debian's chromium, driven by Playwright) against the real servers.

Playwright cannot download its own browser here, so it drives the system
chromium (`apt-get install chromium`; .ci/run installs it when missing, and
CHROMIUM_PATH may point elsewhere). The servers are the end-to-end `live`
stack, with the web app on a free port and "Exit this page" pointing at a
local stand-in for a neutral website.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Dict, Iterator, List

import pytest

from bot.settings import PROJECT_ROOT
from tests.live import Live

SCREENSHOTS = PROJECT_ROOT / "results" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
# The smallest phone screen the page is built for (WCAG 1.4.10 reflow: 320 CSS pixels).
PHONE = {"width": 320, "height": 640}
# WCAG 2.2 AA, as axe-core tags it.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: `sudo apt-get install chromium` (or set CHROMIUM_PATH). "
                    ".ci/run installs it.")
    return found


# Package scope: Playwright's sync API runs an event loop in this thread while it is open, and
# every later test that calls asyncio.run() would fail ("cannot be called from a running event loop").
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20000)
    yield opened
    context.close()


@pytest.fixture(scope="session")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def check_accessible(axe: Any, page: Any, name: str) -> Dict[str, Any]:
    """axe-core at WCAG 2.2 AA: no violations. Returns the summary for the report."""
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations: List[Dict[str, Any]] = results.response["violations"]
    # Which elements, so a failure says where to look.
    summary = [f"{v['id']}: {v['help']} ({len(v['nodes'])}: "
               + "; ".join(str(n.get("target")) for n in v["nodes"][:5]) + ")" for v in violations]
    AXE_LOG.append(f"{name}: {len(violations)} violations, {len(results.response['passes'])} rules passed")
    assert not violations, f"axe on {name}: {summary}"
    return results.response  # type: ignore[no-any-return]


AXE_LOG: List[str] = []


def screenshot(page: Any, name: str) -> None:
    """Keep a picture at phone and desktop widths, as a test artefact to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


@pytest.fixture(scope="session", autouse=True)
def _axe_report() -> Iterator[None]:
    yield
    if AXE_LOG:
        out = PROJECT_ROOT / "results"
        out.mkdir(exist_ok=True)
        (out / "axe-report.txt").write_text("\n".join(AXE_LOG) + "\n")


def invite(live: Live, enquiry: str, stage: str = "outcomes", role: str = "person") -> str:
    return str(live.msp("invite", "--enquiry", enquiry, "--stage", stage, "--role", role).stdout.strip())


def neutral_url(live: Live) -> str:
    return str(live.services.settings.exit_url)

