"""Browser tests: the app served on 127.0.0.1 and driven by Debian's Chromium through Playwright.

The live server has its own SQLite database (migrated, reference data loaded, a small demo seeded)
and the development login. Every page a test visits can be checked with :func:`axe_check`, which
fails on any axe-core violation. Screenshots go to ``test-artifacts/``.

Without ``/usr/bin/chromium`` these tests are skipped locally, but fail in CI (``CI`` is set),
so that a broken CI image cannot pass silently.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from capx import create_app
from capx.extensions import db
from tests.conftest import test_config as config_for_tests

CHROMIUM = Path(os.environ.get("CAPX_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--no-first-run"]
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}

#: The live server's application, for tests that set up what no page can (see ``live_app``).
_LIVE_APPS: list[Any] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + ": browser tests must run in CI", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread, with its own database."""
    import flask_migrate

    from capx.devtools.demo import seed_demo
    from capx.services.reference import load_reference

    _require_chromium()
    folder = tmp_path_factory.mktemp("live")
    app = create_app(config_for_tests(f"sqlite:///{folder / 'capx.sqlite'}", f"sqlite:///{folder / 'lc.sqlite'}",
                                      SERVER_NAME=None, TESTING=False, CAPX_DEV_LOGIN=True))
    with app.app_context():
        flask_migrate.upgrade()
        load_reference(echo=lambda _line: None)
        db.session.commit()
        seed_demo(30, seed=1, echo=lambda _line: None, managed_organizations=5)
        db.session.remove()
    _LIVE_APPS.append(app)
    with serve(app) as url:
        yield url


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="capx-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_app(live_server: str) -> Any:
    """The live server's application: ``with live_app.app_context():`` reads and writes its database."""
    return _LIVE_APPS[-1]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    _require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    """``new_page(viewport="phone", theme="dark")``: a fresh context (no cookies) and page."""
    contexts = []

    def factory(viewport: str = "desktop", theme: str = "light") -> Any:
        page = open_page(browser, live_server, viewport=viewport, theme=theme)
        contexts.append(page.context)
        return page

    yield factory
    for context in contexts:
        context.close()


def open_page(browser: Any, base_url: str, viewport: str = "desktop", theme: str = "light",
              javascript: bool = True, storage_state: Any = None) -> Any:
    """A page in a fresh context on ``base_url``; the caller closes ``page.context``.

    No cookies, unless ``storage_state`` (from ``context.storage_state()``) brings a logged-in
    session. ``page.js_errors`` collects script errors, console errors and failed requests.
    """
    context = browser.new_context(base_url=base_url, viewport=VIEWPORTS[viewport], color_scheme=theme,
                                  locale="en-US", java_script_enabled=javascript, storage_state=storage_state)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors except failed loads (tests visit missing pages on purpose).
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    # Failed requests, except those the browser aborted because the page navigated away.
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} ({r.failure})")
            if "ERR_ABORTED" not in (r.failure or "") else None)
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']}  {v.get('helpUrl', '')}")
        for node in v.get("nodes", [])[:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    at {target}: {summary}")
            lines.append(f"       {node.get('html', '')[:200]}")
    return "\n".join(lines)


def axe_start(page: Any) -> None:
    """Start axe-core on the page without waiting for it (see :func:`axe_collect`).

    Pages of different browser contexts have their own renderer processes, so a walk can start axe
    on several pages and collect the results afterwards, using every core.
    """
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    page.evaluate("() => { window.__capxAxe = axe.run(document, {resultTypes: ['violations']}); }")


def axe_collect(page: Any) -> list[dict[str, Any]]:
    """The violations of the axe run :func:`axe_start` began on this page (the page must not have
    navigated since)."""
    return list(page.evaluate("() => window.__capxAxe.then(results => results.violations)"))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page and return its violations (empty when the page passes)."""
    axe_start(page)
    return axe_collect(page)


def axe_check(page: Any, name: str | None = None) -> None:
    """Run axe-core on the page; fail with a readable list of every violation."""
    if name:
        screenshot(page, name)
    violations = axe_violations(page)
    if violations:
        pytest.fail(f"axe found {len(violations)} violation(s) on {page.url}:\n{format_violations(violations)}",
                    pytrace=False)


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG at ``test-artifacts/<name>.png`` (``name`` may hold one folder: ``walk/01-landing``)."""
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_./-]+", "-", name).strip("/").replace("..", "-") + ".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Any, name: str) -> None:
    """The development login, as a visitor types it."""
    page.goto("/login")
    page.fill("input[name=username]", name)
    with page.expect_navigation():
        page.click("form[action='/login/dev'] button[type=submit]")
