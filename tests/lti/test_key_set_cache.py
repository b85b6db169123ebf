"""The platform's key set is fetched once per key set URL for a few minutes, not per launch;
a launch signed with a key the cached set does not hold fetches it again, once."""

from __future__ import annotations

import datetime as dt

from lms.models import utcnow
from lti.models import Launch
from tests.lti.conftest import launch, person_of, post_launch, start
from tests.lti.platform import rsa_pem


def test_two_launches_fetch_the_key_set_once(app, test_lms, platform, learner):
    person = person_of(learner)
    for _ in range(2):
        response = launch(app.test_client(), test_lms, person)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert Launch.select().count() == 2
    assert test_lms.key_set_fetches == 1


def test_the_cached_key_set_expires_after_a_few_minutes(app, test_lms, platform, learner):
    from lti.models import LaunchValue
    from lti.tool import KEY_SET_SECONDS

    person = person_of(learner)
    assert launch(app.test_client(), test_lms, person).status_code == 200
    cached = LaunchValue.get(LaunchValue.key.contains("key-set-url"))
    remaining = (cached.expires_at - utcnow()).total_seconds()
    assert 0 < remaining <= KEY_SET_SECONDS <= 600
    LaunchValue.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert launch(app.test_client(), test_lms, person).status_code == 200
    assert test_lms.key_set_fetches == 2


def test_a_rotated_platform_key_is_fetched_once_and_the_launch_accepted(
    app, test_lms, platform, learner
):
    person = person_of(learner)
    assert launch(app.test_client(), test_lms, person).status_code == 200
    test_lms.private_key, test_lms.public_key = rsa_pem()  # the platform rotates its key
    response = launch(app.test_client(), test_lms, person)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert test_lms.key_set_fetches == 2
    assert launch(app.test_client(), test_lms, person).status_code == 200
    assert test_lms.key_set_fetches == 2  # the new set is cached in turn


def test_an_unknown_kid_refetches_once_then_is_refused(app, test_lms, platform, learner):
    from lti1p3platform.registration import Registration

    person = person_of(learner)
    assert launch(app.test_client(), test_lms, person).status_code == 200
    stranger, _ = rsa_pem()
    client = app.test_client()
    auth = start(client, test_lms, person)
    data = test_lms.id_token_for(
        auth, person, sign_with=stranger, kid=Registration.get_jwk(stranger)["kid"]
    )
    response = post_launch(client, data)
    assert response.status_code == 400
    assert "signature does not match" in response.get_data(as_text=True)
    assert test_lms.key_set_fetches == 2  # one fetch to look for a rotation, no more
