"""One vocabulary for the names of codes, with the `label` and `named` filters."""

from __future__ import annotations

from flask import render_template_string

from lms import vocabulary


def test_label_and_named():
    assert vocabulary.label("rsc_provider", "role") == "RSC provider"
    assert vocabulary.label("on_hold", "no-such-kind") == "On hold"  # humanised, never an error
    assert vocabulary.label(None, "role") == ""
    assert (
        vocabulary.named("IFS", name="Infant Family Specialist") == "Infant Family Specialist (IFS)"
    )
    assert vocabulary.named("IFS", name={"IFS": "Infant Family Specialist"}).endswith("(IFS)")
    assert vocabulary.named("XYZ", name={}) == "XYZ"  # no name known: the code alone


def test_plugins_add_their_kinds(app):
    assert vocabulary.label("pending", "evidence_status") == "Waiting for verification"
    assert vocabulary.label("master", "education") == "Master's degree"
    assert vocabulary.label("revoked", "certificate_status") == "Revoked"
    assert vocabulary.label("in_progress", "result_status") == "In progress"


def test_filters_are_registered_once_by_the_core(app):
    with app.test_request_context("/"):
        html = render_template_string(
            "{{ 'rsc_provider'|label('role') }} · {{ 'IFS'|named(name=names) }} · "
            "{{ 'verified'|label('evidence_status') }}",
            names={"IFS": "Infant Family Specialist"},
        )
    assert html == "RSC provider · Infant Family Specialist (IFS) · Verified"
