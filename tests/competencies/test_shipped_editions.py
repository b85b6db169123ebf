"""The shipped rules reach databases that stored an earlier edition, and never silently differ.

A database installed before the 2025 rules were revised holds version 2025.1 with the old
document. install_defaults adds 2025.2 beside it (new goals get it, pathways keep theirs) and
refuses a stored version whose document differs from the shipped file of that version.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from competencies.models import RuleSet
from competencies.rules import default_rule_sets
from competencies.rulesets import ShippedRulesChanged, install_defaults, rule_set_in_force

TODAY = dt.date.today()


def _shipped(version: str) -> dict:
    return next(r for r in default_rule_sets() if r.version == version).to_dict()


def _old_2025_1() -> dict:
    """The 2025 rules as first released: the mentor's renewal always asked 12 h of RSC."""
    doc = copy.deepcopy(_shipped("2025.2"))
    doc["version"] = "2025.1"
    renewal = doc["categories"]["IMHM-C"]["renewal"]["all_of"]
    renewal[2] = {"rsc_hours": {"min": 12, "window_months": [0, 12]}}
    return doc


def _shared(version: str) -> RuleSet | None:
    return RuleSet.get_or_none(RuleSet.association.is_null() & (RuleSet.version == version))


def test_the_shipped_versions_are_2024_1_and_2025_2():
    assert [r.version for r in default_rule_sets()] == ["2024.1", "2025.2"]
    assert _shipped("2025.2")["effective"] == "2025-01-01"


def test_a_database_with_the_old_2025_1_gets_the_new_edition_beside_it(app, association, make_user):
    from competencies.pathways import declare_goal
    from competencies.rulesets import save_rule_set

    save_rule_set(_shipped("2024.1"), association=None)
    old = save_rule_set(_old_2025_1(), association=None)
    clinician = make_user("maya@example.test", display_name="Maya Chen")
    started = declare_goal(clinician, association, "IMHM-C", TODAY - dt.timedelta(days=30))
    assert started.rule_set_id == old.id

    install_defaults()

    new = _shared("2025.2")
    assert new is not None and new.effective == dt.date(2025, 1, 1)
    assert _shared("2025.1").document == old.document  # a stored version is never edited
    assert rule_set_in_force(association, TODAY).id == new.id  # new goals get 2025.2
    started = type(started).get_by_id(started.id)
    assert started.rule_set_id == old.id  # the pathway keeps the version it started under
    assert install_defaults()[-1].id == new.id  # and again: nothing more
    assert RuleSet.select().where(RuleSet.association.is_null()).count() == 3


def test_a_stored_version_whose_document_differs_from_its_file_is_refused(app):
    from competencies.rulesets import save_rule_set

    changed = copy.deepcopy(_shipped("2025.2"))
    changed["categories"]["IFA"]["requires"]["all_of"][1] = {"training_hours": {"min": 29}}
    save_rule_set(changed, association=None)
    with pytest.raises(ShippedRulesChanged) as caught:
        install_defaults()
    assert "Michigan-style rules 2025.2 differs from the shipped file" in str(caught.value)
    assert _shared("2024.1") is None  # nothing was installed


def test_the_command_says_what_differs_and_fails(app, runner):
    from competencies.rulesets import save_rule_set

    changed = copy.deepcopy(_shipped("2024.1"))
    changed["categories"]["IFA"]["name"] = "Renamed"
    save_rule_set(changed, association=None)
    result = runner.invoke(args=["competencies", "install-defaults"])
    assert result.exit_code == 1
    assert "Michigan-style rules 2024.1 differs from the shipped file" in result.output
