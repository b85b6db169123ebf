"""A refusal that names no field of the form is still shown on the page, and writes nothing."""

from __future__ import annotations

from endorsement import applications
from endorsement.models import Application

SIGNED = {"code_of_ethics", "endorsement_agreement"}


def test_applying_again_shows_the_refusal_and_writes_nothing(
    client, auth, ready_pathway, clinician
):
    applications.submit(ready_pathway, actor=clinician, signed=SIGNED)
    auth.login(clinician.email)
    response = client.post(
        f"/endorsement/pathways/{ready_pathway.id}/apply",
        data={"sign_code_of_ethics": "y", "sign_endorsement_agreement": "y"},
    )
    assert response.status_code == 400
    assert "This pathway has already been submitted." in response.get_data(as_text=True)
    assert Application.select().count() == 1
