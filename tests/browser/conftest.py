"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright, with axe-core."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wsgi import FileWrapper

from lms import create_app
from lms.db import connection, db, migrate_all

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
REQUIRED = "browser" in os.environ.get("LMS_TEST_REQUIRE", "")
DEMO_PASSWORD = "demo-pathway-2025"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser():
    if not _chromium_available():
        if REQUIRED:
            pytest.fail(f"Chromium is required (LMS_TEST_REQUIRE) but {CHROMIUM} is missing.")
        pytest.skip("Chromium is not installed here; CI runs these tests.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def _browser_app(path):
    return create_app(
        {
            "TESTING": True,
            "ENV": "development",
            "SECRET_KEY": "browser-test-secret",
            # The demo is loaded by one app and served by another: like two processes of one
            # deployment they share the keys (generated ones would differ per instance folder).
            "SIGNING_KEY_SECRET": "browser-test-signing-key-secret",
            "AUDIT_KEY": "browser-test-audit-key-" + "a" * 20,
            "AUDIT_SIGNING_KEY": "0" * 63 + "1",
            "DATABASE_URL": f"sqlite:///{path}",
            "INSTANCE_PATH": str(path.parent / "instance"),
        }
    )


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """Migrate and load the demo once; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    app = _browser_app(path)
    with app.app_context(), connection():
        migrate_all(app)
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _files_closed(app):
    """Serve a file's response from memory, its file closed before any byte is sent.

    Chromium drops connections it no longer needs (a favicon, a page it navigated away from);
    Werkzeug's development server can then leave the response's file open, and the collector's
    ResourceWarning fails whichever test runs next. Gunicorn, in production, closes it."""

    def serve(environ, start_response):
        body = app(environ, start_response)
        if not isinstance(body, FileWrapper):
            return body
        try:
            return [b"".join(body)]
        finally:
            body.close()

    return serve


@pytest.fixture
def live_app(tmp_path, demo_database):
    """Serve a copy of the demo database on a free loopback port."""
    shutil.copyfile(demo_database, tmp_path / "browser.db")
    app = _browser_app(tmp_path / "browser.db")
    server = make_server("127.0.0.1", 0, _files_closed(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def base_url(live_app) -> str:
    return live_app.config["LIVE_URL"]


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    yield page
    context.close()


def login(page, role: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form as a demo account."""
    page.goto("/login")
    page.get_by_label("Email").fill(f"{role}@demo.example")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def assert_accessible(page) -> None:
    """Run axe-core; fail on any serious or critical violation, naming it."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not bad, f"axe-core on {page.url}:\n" + "\n".join(bad)


def show_collapsed_menu(toggler) -> None:
    """Open the phone's collapsed menu and wait until it has opened: while Bootstrap's height
    animation runs (class "collapsing") its lower links are clipped, and a click there lands on
    the page below (seen on a loaded machine: the last link of the coordinator's menu)."""
    toggler.click()
    toggler.page.locator(".navbar-collapse.show").wait_for(state="visible")


def open_menu_link(page, label: str):
    """Reveal a main-menu link as a person would and return it: open the collapsed menu
    (phones), then the group holding the link."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=label, exact=True, include_hidden=True)
    if not link.is_visible():
        toggler = nav.locator(".navbar-toggler")
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            show_collapsed_menu(toggler)
        group = link.locator("xpath=ancestor::li[contains(@class, 'dropdown')]/button")
        if group.count() and group.get_attribute("aria-expanded") != "true":
            group.click()
    link.wait_for(state="visible")
    return link


def follow_menu(page, label: str) -> None:
    """Open a page through the main menu, and wait until it is the one shown (the load state
    of the page still shown would answer before the click navigates)."""
    link = open_menu_link(page, label)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(lambda url: url.split("#")[0].endswith(href))
    page.wait_for_load_state()
