"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against the service
served over HTTP on a free port of this machine (the module's app, its worker included).

`scripts/test` installs Chromium when it is missing. Without it these tests fail rather than skip,
unless STATIONS_BROWSER_TESTS=0 leaves them out on purpose.
"""

import asyncio
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Locator, Page, async_playwright

from demo import DemoYear, from_divisions
from stations import demo_cli
from tests.conftest import bearer
from tests.support import SampleDistrict, make_district

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 900}
# Asked to learn that something is not there: whether development's sign-in exists (the sign-in
# page), whether the city has submitted the half year (the province's page).
EXPECTED_404 = re.compile(r"/v1/dev/sign-in$|/v1/city/reports/\d{4}H[12]\?version=submitted$")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("STATIONS_BROWSER_TESTS") == "0":
        skip = pytest.mark.skip(reason="STATIONS_BROWSER_TESTS=0 leaves the browser tests out")
        for item in items:
            if "tests/browser/" in item.nodeid:
                item.add_marker(skip)


def chromium_path() -> str:
    found = os.environ.get("STATIONS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: scripts/test installs it (apt-get install chromium), or set"
                    " STATIONS_CHROMIUM, or STATIONS_BROWSER_TESTS=0 to leave the browser tests out")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The module's app over real HTTP (its lifespan already runs: the server adds none)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        await browser.close()


SignIn = Callable[..., Awaitable[Page]]


@pytest.fixture
async def signed_in(browser: Browser, served: str) -> AsyncIterator[SignIn]:
    """Open the dashboard's sign-in page in a fresh context and sign in as a person would: by
    pasting a token. A page's script errors, console errors and failed requests fail the test,
    except answers of a status in `expected` (a test of refused input expects its 422)."""
    contexts, problems = [], []

    async def sign_in(role: str, district: str | None = None, town: str | None = None,
                      expected: Collection[int] = ()) -> Page:
        context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = await context.new_page()
        page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("response", lambda r: r.status >= 400 and r.status not in expected
                and not (r.status == 404 and EXPECTED_404.search(r.url)) and problems.append(f"{r.status}: {r.request.method} {r.url}"))
        page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"  # left behind by a navigation
                and problems.append(f"request failed: {r.url} {r.failure}"))
        await page.goto(f"{served}/ui/")
        token = bearer(role, district, town)["Authorization"].removeprefix("Bearer ")
        await page.fill("#token", token)
        await page.click("#token-form button[type=submit]")
        await page.wait_for_url("**/ui/*.html*")
        return page

    yield sign_in
    for context in contexts:
        await context.close()
    assert not problems, problems


def screenshot_dir() -> Path | None:
    """Where the tests leave their screenshots (STATIONS_SCREENSHOTS), e.g. for the README's."""
    folder = os.environ.get("STATIONS_SCREENSHOTS")
    return Path(folder) if folder else None


async def keep_screenshot(page: Page | Locator, name: str, full_page: bool = True) -> None:
    """The page (or one element of it) as STATIONS_SCREENSHOTS/<name>.png, when that is set."""
    if folder := screenshot_dir():
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / f"{name}.png")
        await (page.screenshot(path=path, full_page=full_page) if isinstance(page, Page) else page.screenshot(path=path))


DEMO_SERVICES = 600


@pytest.fixture(scope="module")
async def demo_district(app, runtime, database_url) -> SampleDistrict:
    """A fresh district holding a small demo year (2025) and its reporting chain, loaded in a thread:
    the module's service keeps running meanwhile (its worker, mid-batch on the stores earlier tests
    left, holds a district's tracking row the load's own projection then waits for)."""
    district = make_district(runtime)
    districts = from_divisions(runtime.tenants.divisions, [district.code], date(2025, 12, 31))
    await asyncio.to_thread(demo_cli.load, runtime, database_url,
                            DemoYear(seed=34, services=DEMO_SERVICES, districts=districts))
    app.state.runtime.tenants.refresh()
    return district
