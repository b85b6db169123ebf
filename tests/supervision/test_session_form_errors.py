"""The session form says every problem at once, in a summary at the top linking each field
(issue 16.6)."""

from __future__ import annotations

import datetime as dt
import re

from supervision.models import RscSession
from tests.supervision.test_views import _form

TODAY = dt.date.today()


def test_every_problem_of_a_session_is_listed_at_once(client, auth, clinician, provider):
    auth.login(clinician.email)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = client.post(
        "/supervision/sessions/new",
        data=_form(provider, occurred_on=tomorrow, hours="1.13", format="group", group_size="1"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = re.search(r"<div[^>]*data-error-summary[^>]*>(.*?)</div>", page, re.S).group(1)
    targets = re.findall(r'<a href="#([^"]+)"', summary)
    assert targets == ["occurred_on", "hours", "group_size"]
    assert "3 problems" in summary
    for words in ("in the future", "quarter hours", "at least 2 people"):
        assert words in summary
    assert RscSession.select().count() == 0
