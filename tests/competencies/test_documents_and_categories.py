"""The Code of Ethics and the Endorsement Agreement are readable before signing (our summary,
and the association's full text when it gives an address); the category picker says who each
category is for (issue 16.9)."""

from __future__ import annotations

import json
import re

import pytest

from competencies.explanations import CATEGORY_FOR, DOCUMENTS


@pytest.fixture
def clinician(make_user):
    from competencies.rulesets import install_defaults

    install_defaults()
    return make_user("signer@example.test")


def test_signing_form_shows_each_document_summary(client, auth, clinician):
    auth.login(clinician.email)
    html = client.get("/competencies/evidence/new/agreement").get_data(as_text=True)
    for doc in DOCUMENTS.values():
        assert f"Read what the {doc.title} asks before you sign" in html
        assert doc.points[0] in html
        assert f'href="/competencies/documents/{doc.code}"' in html
    # The summary comes before the box that signs.
    assert html.index("Before you sign") < html.index('name="confirm"')


def test_document_page_links_the_full_text_only_when_given(app, client, auth, clinician):
    auth.login(clinician.email)
    page = client.get("/competencies/documents/code_of_ethics").get_data(as_text=True)
    assert "Code of Ethics" in page and "ask your coordinator" in page
    links = {"code_of_ethics": "https://assoc.example/ethics", "endorsement_agreement": "js:x"}
    app.config["COMPETENCIES_DOCUMENT_LINKS"] = json.dumps(links)  # as the environment gives it
    page = client.get("/competencies/documents/code_of_ethics").get_data(as_text=True)
    assert 'href="https://assoc.example/ethics"' in page
    other = client.get("/competencies/documents/endorsement_agreement").get_data(as_text=True)
    assert "js:x" not in other and "ask your coordinator" in other
    assert client.get("/competencies/documents/nothing").status_code == 404


def test_category_picker_explains_each_category(client, auth, clinician):
    auth.login(clinician.email)
    html = client.get("/competencies/").get_data(as_text=True)
    radios = re.findall(r'type="radio" name="category"[^>]*value="([^"]+)"', html)
    assert {"IFA", "IMHS", "ECFS"} <= set(radios)
    for code in radios:
        assert CATEGORY_FOR[code] in html, code
    assert not re.search(r'<select[^>]*name="category"', html)


def test_every_shipped_category_has_its_line():
    from competencies.rules import default_rule_sets

    for rules in default_rule_sets():
        missing = sorted(set(rules.categories) - set(CATEGORY_FOR))
        assert not missing, f"{rules.version}: no line for {missing}"


def test_the_application_form_shows_the_summaries_beside_the_boxes(client, auth, clinician):
    import datetime as dt

    from competencies.pathways import declare_goal
    from lms.models import Association

    association = Association.get_by_id(clinician.memberships[0].association_id)
    pathway = declare_goal(clinician, association, "IFA", dt.date.today())
    auth.login(clinician.email)
    html = client.get(f"/endorsement/pathways/{pathway.id}/apply").get_data(as_text=True)
    for doc in DOCUMENTS.values():
        assert f"Read what the {doc.title} asks before you sign" in html
    assert html.index("Read what the Code of Ethics asks") < html.index("sign_code_of_ethics")
