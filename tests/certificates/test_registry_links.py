"""The public registry links each endorsed person to the verify page of their current
endorsement certificate, found through the certificates plugin (competencies never imports it)."""

from __future__ import annotations

import re

from certificates import issuing, revocation
from certificates.codes import display
from certificates.models import IssuedCertificate
from tests.certificates.conftest import TODAY


def _cert(endorsement) -> IssuedCertificate:
    return IssuedCertificate.get(
        (IssuedCertificate.source_ref == f"endorsement:{endorsement.id}")
        & (IssuedCertificate.status == "valid")
    )


def _row(page: str, name: str) -> str:
    match = re.search(r"<tr>((?:(?!</tr>).)*" + re.escape(name) + r".*?)</tr>", page, re.S)
    assert match, name
    return match.group(1)


def test_registry_links_the_current_certificate_and_nothing_without_one(
    client, endorsement, association, coordinator, make_user
):
    from competencies.endorsements import record_endorsement

    first = _cert(endorsement)
    renewed = issuing.issue_endorsement(endorsement, issuer=coordinator)  # supersedes `first`
    other = make_user("other@example.test", display_name="Odette Without-Certificate")
    bare = record_endorsement(other, association, "IMHS", TODAY, actor=coordinator)
    revocation.revoke(_cert(bare), reason="Issued in error", revoker=coordinator)

    page = client.get("/endorsement/registry").get_data(as_text=True)

    linked = _row(page, endorsement.clinician.display_name)
    assert f'href="/verify/{display(renewed.code)}"' in linked
    assert display(first.code) not in page
    assert "/verify/" not in _row(page, "Odette Without-Certificate")


def test_registry_without_the_certificates_plugin_lists_people_without_links(
    app_factory, make_association
):
    from competencies.endorsements import record_endorsement
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user

    app = app_factory(PLUGINS=["competencies", "endorsement"])
    with app.app_context():
        association = make_association("NC")
        install_defaults()
        coordinator = create_user(
            "c@example.test", "Coord", roles=("coordinator",), association=association
        )
        person = create_user("p@example.test", "Pia Plain", association=association)
        record_endorsement(person, association, "IMHS", TODAY, actor=coordinator)

        page = app.test_client().get("/endorsement/registry").get_data(as_text=True)

    assert "Pia Plain" in page and "/verify/" not in page
