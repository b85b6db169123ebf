"""References: single-use expiring links, the public rating form, voiding, privacy."""

from __future__ import annotations

import datetime as dt

import pytest

from endorsement import references
from endorsement.errors import WorkflowError
from endorsement.models import ReferenceRequest


def _areas(pathway):
    return [a.id for a in references.areas_to_rate(pathway)]


def test_token_is_stored_hashed_and_the_link_works_once(pathway, clinician):
    from competencies.models import Evidence

    issued = references.ask(
        pathway, email="Rater@Example.test", name="Rae", role="supervisor", actor=clinician
    )
    stored = ReferenceRequest.get_by_id(issued.request.id)
    assert issued.token not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.rater_email == "rater@example.test"
    answers = dict.fromkeys(_areas(pathway), "demonstrated")
    done = references.rate(issued.token, answers)
    assert done.status == "rated"
    row = Evidence.get_by_id(done.evidence_id)
    assert row.kind == "reference" and row.status == "verified"
    assert row.details == {"void": False, "not_enough_info": 0, "rater_role": "supervisor"}
    assert set(row.area_list) == set(_areas(pathway))
    with pytest.raises(WorkflowError, match="already been used"):
        references.rate(issued.token, answers)
    assert Evidence.select().where(Evidence.kind == "reference").count() == 1


def test_six_not_enough_information_answers_void_the_rating(pathway, clinician):
    from competencies.models import Evidence

    issued = references.ask(
        pathway, email="r@example.test", name="R", role="colleague", actor=clinician
    )
    areas = _areas(pathway)
    answers = dict.fromkeys(areas, "demonstrated")
    for area in areas[:6]:
        answers[area] = "not_enough_info"
    done = references.rate(issued.token, answers)
    assert done.status == "void" and done.not_enough_info == 6
    row = Evidence.get_by_id(done.evidence_id)
    assert row.details["void"] is True and row.area_list == []
    # The clinician may ask the same person again once the rating is void.
    references.ask(pathway, email="r@example.test", name="R", role="colleague", actor=clinician)


def test_five_unknown_answers_still_count(pathway, clinician):
    issued = references.ask(
        pathway, email="r@example.test", name="R", role="colleague", actor=clinician
    )
    areas = _areas(pathway)
    answers = dict.fromkeys(areas, "emerging")
    for area in areas[:5]:
        answers[area] = "not_enough_info"
    assert references.rate(issued.token, answers).status == "rated"


def test_expired_link_is_refused(app, pathway, clinician):
    issued = references.ask(
        pathway, email="r@example.test", name="R", role="colleague", actor=clinician
    )
    ReferenceRequest.update(expires_at=dt.datetime(2000, 1, 1)).execute()
    with pytest.raises(WorkflowError, match="expired"):
        references.rate(issued.token, dict.fromkeys(_areas(pathway), "demonstrated"))
    assert ReferenceRequest.get().used_at is None


@pytest.mark.parametrize(
    "email, role, name, field",
    [
        ("clin@example.test", "supervisor", "Me", "email"),
        ("x@example.test", "boss", "X", "role"),
        ("x@example.test", "supervisor", "  ", "name"),
    ],
)
def test_bad_rater_is_refused(pathway, clinician, email, role, name, field):
    with pytest.raises(WorkflowError) as exc:
        references.ask(pathway, email=email, name=name, role=role, actor=clinician)
    assert exc.value.field == field
    assert not ReferenceRequest.select().exists()


def test_public_form_rates_once_then_410(client, pathway, clinician):
    issued = references.ask(
        pathway, email="r@example.test", name="Rae", role="supervisor", actor=clinician
    )
    url = f"/endorsement/rate/{issued.token}"
    page = client.get(url)
    assert page.status_code == 200 and "Reference rating for Zoë Ñúñez" in page.get_data(
        as_text=True
    )
    areas = _areas(pathway)
    partial = {areas[0]: "demonstrated"}
    response = client.post(url, data=partial)
    assert response.status_code == 400
    assert "Choose an answer for this area." in response.get_data(as_text=True)
    assert ReferenceRequest.get().used_at is None
    response = client.post(url, data=dict.fromkeys(areas, "demonstrated"))
    assert response.status_code == 200 and b"Thank you" in response.data
    again = client.get(url)
    assert again.status_code == 410 and b"already been used" in again.data
    assert client.get("/endorsement/rate/not-a-token").status_code == 404


def test_ratings_are_for_reviewers_only(client, auth, pathway, clinician):
    issued = references.ask(
        pathway, email="r@example.test", name="Rae", role="supervisor", actor=clinician
    )
    references.rate(issued.token, dict.fromkeys(_areas(pathway), "emerging"))
    auth.login(clinician.email)
    page = client.get(f"/endorsement/pathways/{pathway.id}/references").get_data(as_text=True)
    assert "Rated on" in page and "Emerging" not in page


def test_references_page_names_a_bad_field_and_keeps_input(client, auth, pathway, clinician):
    auth.login(clinician.email)
    response = client.post(
        f"/endorsement/pathways/{pathway.id}/references",
        data={"name": "Rae Rater", "email": "rae-at-home", "role": "supervisor"},
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="email-error"' in text and 'value="Rae Rater"' in text
    assert not ReferenceRequest.select().exists()
