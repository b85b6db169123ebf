"""The workflow's pages moved from / and /competencies/ to /endorsement/; the old addresses
(a printed registry address, rating links already in raters' inboxes, bookmarks) redirect."""

from __future__ import annotations

import re

import pytest

from endorsement.views_moved import MOVED


def test_the_rating_link_emailed_now_is_the_new_address(app, ready_pathway):
    from endorsement import references

    assert references.rating_link("abc") == "http://localhost/endorsement/rate/abc"


def test_an_old_rating_link_leads_to_the_rating_form(client, ready_pathway, clinician):
    from endorsement import references

    issued = references.ask(
        ready_pathway,
        email="late@example.test",
        name="Late Rater",
        role="supervisor",
        actor=clinician,
    )
    old = client.get(f"/rate/{issued.token}")
    assert old.status_code == 301
    assert old.headers["Location"] == f"/endorsement/rate/{issued.token}"
    page = client.get(f"/rate/{issued.token}", follow_redirects=True)
    assert page.status_code == 200 and page.request.path == f"/endorsement/rate/{issued.token}"
    assert "Zoë Ñúñez" in page.get_data(as_text=True)
    # A form rendered at the old address and sent after the move keeps its method and data.
    sent = client.post(f"/rate/{issued.token}", data={"x": "1"})
    assert sent.status_code == 308
    assert sent.headers["Location"] == f"/endorsement/rate/{issued.token}"
    # An unknown link redirects too (the redirect says nothing) and is refused where it lands.
    assert client.get("/rate/not-a-token", follow_redirects=True).status_code == 404


def test_the_old_registry_address_keeps_its_query(client):
    old = client.get("/registry?q=zo&page=2")
    assert old.status_code == 301
    assert old.headers["Location"] == "/endorsement/registry?q=zo&page=2"
    assert client.get("/registry", follow_redirects=True).status_code == 200


def test_an_old_bookmark_of_a_signed_in_page_redirects_then_asks_who_you_are(client):
    old = client.get("/competencies/workflow?association=7&status=submitted")
    assert old.status_code == 301
    assert old.headers["Location"] == "/endorsement/workflow?association=7&status=submitted"
    landed = client.get(old.headers["Location"])
    assert landed.status_code == 302 and "/login" in landed.headers["Location"]


@pytest.mark.parametrize("rule,endpoint", MOVED, ids=[rule for rule, _ in MOVED])
def test_every_old_address_leads_to_the_same_page_under_endorsement(app, rule, endpoint):
    """Each old rule redirects to the rule of its endpoint: /endorsement + the old path."""
    new_rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    assert new_rules == ["/endorsement" + rule.removeprefix("/competencies")]
    path = re.sub(r"<(?:int:)?(\w+)>", lambda m: "5" if "int:" in m.group(0) else "k", rule)
    response = app.test_client().get(path)
    assert response.status_code == 301
    assert response.headers["Location"] == "/endorsement" + path.removeprefix("/competencies")
