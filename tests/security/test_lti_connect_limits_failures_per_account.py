"""The sign-in-to-confirm form inside the LTI frame counts failed attempts per account, in the
same count as the normal sign-in form: a password cannot be guessed through the frame at the
per-IP rate, nor get twice the tries by alternating between the two forms."""

# ruff: noqa: F811

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

# The LTI fixtures (test_lms, defaults, learner), used as arguments: F401/F811 do not apply.
from tests.lti.conftest import learner, person_of, post_launch, register, start, test_lms  # noqa: F401

WRONG = "not the right password"


@pytest.fixture
def launch_id(app, test_lms, association, defaults, learner):
    app.config.update(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_IP="1000 per minute")
    register(app, association, test_lms, trusted_email=False)
    person = person_of(learner)
    response = post_launch(app.test_client(), test_lms.id_token_for(start(app.test_client(),
                           test_lms, person), person))  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Connect your Test LMS account" in page
    return re.search(r'name="launch_id" value="([^"]+)"', page).group(1)


def _connect(app, launch_id: str, email: str, password: str) -> int:
    data = {"launch_id": launch_id, "email": email, "password": password}
    return app.test_client().post("/lti/connect", data=data).status_code


def _sign_in(app, email: str, password: str) -> int:
    data = {"email": email, "password": password}
    return app.test_client().post("/login", data=data).status_code


def test_failed_confirmations_lock_the_account(app, launch_id, learner, make_user):
    other = make_user("other@example.test")
    codes = [_connect(app, launch_id, learner.email, WRONG) for _ in range(3)]
    codes.append(_connect(app, launch_id, learner.email, PASSWORD))  # even the right one waits
    assert codes == [400, 400, 400, 429]
    assert _connect(app, launch_id, other.email, WRONG) == 400  # another account is not affected


def test_the_frame_and_the_sign_in_page_share_one_count(app, launch_id, learner):
    codes = [_sign_in(app, learner.email, WRONG) for _ in range(2)]
    codes.append(_connect(app, launch_id, learner.email, WRONG))
    codes.append(_sign_in(app, learner.email, PASSWORD))
    assert codes == [400, 400, 400, 429]


def test_a_confirmation_that_succeeds_starts_the_count_again(app, launch_id, learner):
    codes = [_connect(app, launch_id, learner.email, WRONG) for _ in range(2)]
    codes.append(_connect(app, launch_id, learner.email, PASSWORD))
    codes += [_sign_in(app, learner.email, WRONG) for _ in range(2)]
    codes.append(_sign_in(app, learner.email, PASSWORD))
    assert codes == [400, 400, 200, 400, 400, 302]
