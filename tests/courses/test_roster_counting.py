"""A roster says, per attendee whose prerequisite is missing, whether the completion counts.

The evaluator counts every verified training row toward the training requirements of the
clinician's open pathways; a missing prerequisite never stops it. The words must say so, and
must agree with the evaluation the pathway page shows.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import csrf_token_from
from tests.courses.conftest import TODAY

DAY = TODAY - dt.timedelta(days=3)


@pytest.fixture
def advanced(make_training, trainer, actor):
    from courses import trainings

    base = make_training("BASE-1", title="Attachment basics")
    training = make_training("ADV-1", title="Attachment in depth", prerequisites=[base.id])
    session = trainings.add_session(actor(trainer), training, starts_on=DAY, location="Room 1")
    return training, session


def _goal(clinician, association, category="IFA"):
    from competencies.pathways import declare_goal

    return declare_goal(clinician, association, category, TODAY - dt.timedelta(days=100))


def _training_hours(pathway):
    from competencies.pathways import evaluate_pathways, forget_recent

    forget_recent()
    (ev,) = evaluate_pathways([pathway], TODAY)
    return next(leaf for leaf in ev.result.leaves() if leaf.type == "training_hours")


def test_recorded_with_a_missing_prerequisite_counts_and_says_so(
    association, clinician, trainer, advanced, actor
):
    from courses import completions, counting

    training, session = advanced
    pathway = _goal(clinician, association)
    results = completions.record_roster(actor(trainer), session, [clinician.id])
    ((text, counts),) = counting.recorded_messages(results)
    leaf = _training_hours(pathway)
    assert leaf.figures.value == pytest.approx(3.0)  # the evaluator counted the 3 h
    assert counts
    assert text.startswith(
        "Ana Ortiz: recorded; it counts now toward IFA (Infant Family Associate): "
    )
    assert f"{leaf.label} {leaf.figures.text}" in text  # the figures of the pathway page
    assert "Prerequisite missing: Attachment basics" in text
    assert "does not stop a training counting" in text


def test_only_attendees_with_a_missing_prerequisite_get_a_message(
    association, clinician, trainer, make_user, advanced, actor
):
    from courses import completions, counting

    training, session = advanced
    other = make_user("ben@example.test", display_name="Ben Berg")
    base = training.prerequisites.get().required
    completions.record_completion(
        actor(trainer), clinician=other, training=base, completed_on=DAY, source="api"
    )
    results = completions.record_roster(actor(trainer), session, [clinician.id, other.id])
    messages = counting.recorded_messages(results)
    assert [m.split(":")[0] for m, _ in messages] == ["Ana Ortiz"]
    assert (
        counting.recorded_messages(  # recorded again: nothing new, nothing to say
            completions.record_roster(actor(trainer), session, [clinician.id])
        )
        == []
    )


def test_without_a_pathway_it_counts_toward_nothing_yet(clinician, trainer, advanced, actor):
    from courses import completions, counting

    _, session = advanced
    results = completions.record_roster(actor(trainer), session, [clinician.id])
    ((text, counts),) = counting.recorded_messages(results)
    assert not counts
    assert "no pathway is open with this association, so it counts toward nothing yet" in text


def test_a_requirement_the_training_cannot_serve_says_it_will_not_count(
    association, clinician, trainer, advanced, actor
):
    from competencies.rulesets import save_rule_set
    from courses import completions, counting

    save_rule_set(
        {
            "name": "Local rules",
            "version": "local-1",
            "effective": "2020-01-01",
            "categories": {
                "DEI": {
                    "name": "Equity practitioner",
                    "family": "infant",
                    "rank": 1,
                    "requires": {"training_hours": {"min": 3, "tags": ["dei"]}},
                }
            },
        },
        association=association,
    )
    _goal(clinician, association, "DEI")
    _, session = advanced  # ADV-1 has no tags: it adds nothing to hours on DEI
    results = completions.record_roster(actor(trainer), session, [clinician.id])
    ((text, counts),) = counting.recorded_messages(results)
    assert not counts
    assert (
        "it will not count toward DEI (Equity practitioner): its hours, topics and areas add "
        "nothing to Training hours on diversity, equity & inclusion" in text
    )


def test_a_met_requirement_does_not_need_it(
    association, clinician, trainer, make_training, advanced, actor
):
    from courses import completions, counting

    training, _ = advanced
    _goal(clinician, association)
    big = make_training("BIG-1", hours=40, areas=("TF-DEV",))
    completions.record_completion(
        actor(trainer), clinician=clinician, training=big, completed_on=DAY, source="api"
    )
    found = counting.verdicts(training, [clinician.id], completed_on=DAY)
    (verdict,) = found[clinician.id]
    # 40 of 30 h already: the hours still add up (the figure grows), so it counts.
    assert verdict.counts and verdict.toward[0].startswith("Training hours 43 of 30 h")


def test_roster_row_says_before_recording_and_the_page_after(
    client, auth, association, clinician, trainer, advanced
):
    training, session = advanced
    _goal(clinician, association)
    auth.login(trainer.email)
    url = f"/courses/sessions/{session.id}/roster"
    html = client.get(f"{url}?q=ortiz").get_data(as_text=True)
    assert (
        "Prerequisite missing: Attachment basics (only flagged: a missing prerequisite does not "
        "stop a training counting). If recorded, it counts toward IFA (Infant Family Associate): "
        "Training hours 3 of 30 h" in html
    )
    response = client.post(
        url,
        data={"attendee": [str(clinician.id)], "csrf_token": csrf_token_from(html)},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Recorded 1 completion(s)" in page
    assert "Ana Ortiz: recorded; it counts now toward IFA (Infant Family Associate)" in page
    assert "Training hours 3 of 30 h" in page
    # Recorded: the row no longer forecasts, it only keeps the flag.
    assert "If recorded" not in page and "Prerequisite missing: Attachment basics" in page


def test_pasted_emails_tick_people_the_search_hides_with_their_words(
    client, auth, association, clinician, trainer, make_user, advanced
):
    _, session = advanced
    make_user("ben@example.test", display_name="Ben Berg")
    auth.login(trainer.email)
    url = f"/courses/sessions/{session.id}/roster"
    html = client.get(f"{url}?q=ben").get_data(as_text=True)
    response = client.post(
        url,
        data={
            "action": "paste",
            "q": "ben",
            "emails": "ana@example.test",
            "csrf_token": csrf_token_from(html),
        },
    )
    page = response.get_data(as_text=True)
    assert 'id="also-ticked"' in page and "Attended: Ana Ortiz" in page
    assert "If recorded, no pathway is open with this association" in page
