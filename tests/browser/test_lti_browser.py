"""The tool launched by LTI 1.3 inside an iframe of a test platform's course page (Chromium)."""

from __future__ import annotations

import pytest

from lms.db import connection
from tests.lti.platform import LEARNER, Person, start_lms

pytestmark = pytest.mark.browser


@pytest.fixture
def lms_platform(live_app, base_url):
    lms = start_lms()
    # The platform answers on "localhost", the tool on 127.0.0.1: another site, as in real use.
    lms.base = lms.base.replace("127.0.0.1", "localhost")
    lms.issuer = lms.base
    yield lms
    lms.stop()


def test_learner_launches_the_tool_inside_the_course_iframe(live_app, base_url, lms_platform, page):
    from lms.models import Association, User
    from lti.keys import jwks
    from lti.platforms import PlatformInput, register_platform

    lms = lms_platform
    with live_app.app_context(), connection():
        association = Association.select().first()
        clinician = User.get(User.email == "clinician@demo.example")
        register_platform(
            association,
            PlatformInput(
                name="Test LMS", issuer=lms.issuer, client_id="imh-tool-client",
                deployment_ids=["deployment-1"], auth_login_url=f"{lms.base}/auth",
                auth_token_url=f"{lms.base}/token", key_set_url=f"{lms.base}/jwks",
                trusted_email=True,
            ),
        )  # fmt: skip
        lms.tool_jwks = jwks(association)
        code = association.code
    lms.tool_login_url = f"{base_url}/lti/{code}/login"
    lms.tool_launch_url = f"{base_url}/lti/{code}/launch"
    lms.person = Person("browser-sub-1", clinician.display_name, clinician.email, [LEARNER])
    page.goto(f"{lms.base}/course")
    frame = page.frame_locator("#tool")
    heading = frame.get_by_role("heading", level=1)
    heading.wait_for(timeout=15_000)
    assert "progress toward the Endorsement" in heading.inner_text()


@pytest.mark.parametrize("size", {"1280px": (1280, 800), "390px": (390, 844)})
def test_platforms_page_fits_a_phone_and_is_accessible(browser, base_url, live_app, size):
    from axe_playwright_python.sync_playwright import Axe

    from lms.models import Association
    from lti.platforms import PlatformInput, register_platform
    from tests.browser.conftest import login

    long_host = "https://moodle.very-long-hospital-network-name.example.org"
    with live_app.app_context(), connection():
        association = Association.select().first()
        register_platform(
            association,
            PlatformInput(
                name="Regional hospital network Moodle", issuer=long_host,
                client_id="client-id-0123456789abcdefghijklmnopqrstuvwxyz",
                deployment_ids=["deployment-0123456789abcdefghijklmnop", "deployment-2"],
                auth_login_url=f"{long_host}/mod/lti/auth.php",
                auth_token_url=f"{long_host}/mod/lti/token.php",
                key_set_url=f"{long_host}/mod/lti/certs.php",
            ),
        )  # fmt: skip
    width, height = {"1280px": (1280, 800), "390px": (390, 844)}[size]
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        login(page, "coordinator")
        page.goto("/lti/platforms")
        assert page.get_by_role("heading", level=1).inner_text() == "Learning platforms (LTI 1.3)"
        assert page.get_by_text("Regional hospital network Moodle").is_visible()
        assert page.get_by_text("deployment-0123456789abcdefghijklmnop").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        violations = Axe().run(page).response["violations"]
        assert not violations, [(v["id"], v["impact"], v["help"]) for v in violations]
    finally:
        context.close()
