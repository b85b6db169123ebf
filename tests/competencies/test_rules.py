"""Rule-set documents: loading, validation errors with paths, round trips, shipped defaults."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
import yaml

from competencies.rules import (
    RuleSetError,
    bind_areas,
    default_rule_sets,
    load_rule_set,
    parse_rule_set_text,
)
from competencies.types import AreaInfo


def minimal_doc() -> dict:
    """Return a small valid document already in normalised form."""
    return {
        "name": "Test rules",
        "version": "1",
        "effective": "2025-01-01",
        "framework": {"name": "Demo", "version": "1"},
        "categories": {
            "IMHS": {
                "name": "Infant Mental Health Specialist",
                "family": "infant",
                "rank": 4,
                "requires": {
                    "all_of": [
                        {"training_hours": {"min": 33, "tags": []}},
                        {
                            "rsc_hours": {
                                "min": 50,
                                "window_months": [12, 24],
                                "max_providers": 2,
                                "majority_one_provider": True,
                                "facilitated_groups_only": True,
                            }
                        },
                        {"at_least": {"n": 1, "of": [{"membership": {}}, {"exam": {}}]}},
                    ]
                },
                "renewal": {"all_of": [{"training_hours": {"min": 15, "tags": ["dei"]}}]},
            }
        },
        "rsc_eligibility": {"IMHS": ["IMHS", "ERS"]},
        "prerequisites": {"B": ["A"]},
        "exam": {"questions": 60, "pass_percent": 80, "retake_after_months": 12},
        "renewal": {"due": "12-31"},
    }


def errors_of(doc: dict) -> list[tuple[str, str]]:
    with pytest.raises(RuleSetError) as info:
        load_rule_set(doc)
    return [(e.where, e.message) for e in info.value.errors]


def wheres(doc: dict) -> list[str]:
    return [w for w, _ in errors_of(doc)]


def test_normalised_input_round_trips_exactly():
    doc = minimal_doc()
    rs = load_rule_set(doc)
    assert rs.to_dict() == doc
    assert load_rule_set(rs.to_dict()).to_dict() == rs.to_dict()
    assert load_rule_set(json.loads(json.dumps(rs.to_dict()))) == rs


def test_defaults_are_filled_in_when_loading():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"] = {"rsc_hours": {"min": 24}}
    del doc["exam"], doc["renewal"], doc["prerequisites"]
    out = load_rule_set(doc).to_dict()
    assert out["categories"]["IMHS"]["requires"] == {
        "rsc_hours": {
            "min": 24,
            "window_months": [12, 24],
            "max_providers": 2,
            "majority_one_provider": True,
            "facilitated_groups_only": True,
        }
    }
    assert out["exam"] == {"questions": 60, "pass_percent": 80, "retake_after_months": 12}
    assert out["renewal"] == {"due": "12-31"}
    assert out["prerequisites"] == {}


def test_references_and_agreement_defaults():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"] = {"all_of": [{"references": {}}, {"agreement": {}}]}
    req = load_rule_set(doc).to_dict()["categories"]["IMHS"]["requires"]["all_of"]
    assert req[0] == {"references": {"count": 3, "void_if_not_enough_info": 6}}
    assert req[1] == {"agreement": {"documents": ["code_of_ethics", "endorsement_agreement"]}}


def test_unknown_node_type_names_its_path():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"]["all_of"].append({"trainig_hours": {"min": 3}})
    [(where, message)] = errors_of(doc)
    assert where == "categories.IMHS.requires.all_of[3].trainig_hours"
    assert "unknown node type" in message


def test_negative_minimum_names_its_path():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"]["all_of"][1]["rsc_hours"]["min"] = -5
    [(where, message)] = errors_of(doc)
    assert where == "categories.IMHS.requires.all_of[1].rsc_hours.min"
    assert "less than 0" in message


@pytest.mark.parametrize(
    ("value", "fragment"), [(None, "is required"), ("thirty", "must be a number"), (True, "number")]
)
def test_missing_or_non_numeric_minimum(value, fragment):
    doc = minimal_doc()
    body = doc["categories"]["IMHS"]["requires"]["all_of"][0]["training_hours"]
    if value is None:
        del body["min"]
    else:
        body["min"] = value
    [(where, message)] = errors_of(doc)
    assert where == "categories.IMHS.requires.all_of[0].training_hours.min"
    assert fragment in message


def test_reversed_window_is_refused():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"]["all_of"][1]["rsc_hours"]["window_months"] = [24, 12]
    [(where, message)] = errors_of(doc)
    assert where == "categories.IMHS.requires.all_of[1].rsc_hours.window_months"
    assert "24" in message and "12" in message


@pytest.mark.parametrize("window", [[0, 0], [12, 600], [-1, 12], [12], "12-24", [12.5, 24]])
def test_window_outside_sane_bounds_is_refused(window):
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"]["all_of"][1]["rsc_hours"]["window_months"] = window
    assert wheres(doc) == ["categories.IMHS.requires.all_of[1].rsc_hours.window_months"]


def test_prerequisite_cycle_is_named():
    doc = minimal_doc()
    doc["prerequisites"] = {"A": ["C"], "B": ["A"], "C": ["B"], "D": ["A"]}
    [(where, message)] = errors_of(doc)
    assert where.startswith("prerequisites.")
    assert "cycle" in message
    cycle = message.split(": ", 1)[1].split(" → ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"A", "B", "C"}


def test_self_prerequisite_is_a_cycle():
    doc = minimal_doc()
    doc["prerequisites"] = {"A": ["A"]}
    [(where, message)] = errors_of(doc)
    assert where == "prerequisites.A" and "A → A" in message


def test_unknown_category_reference_in_eligibility():
    doc = minimal_doc()
    doc["rsc_eligibility"]["IMHS"] = ["IMHS", "IMHX"]
    doc["rsc_eligibility"]["NOPE"] = ["IMHS"]
    found = errors_of(doc)
    assert ("rsc_eligibility.IMHS[1]", "unknown category 'IMHX' in 'IMHX'") in found
    assert any(w == "rsc_eligibility.NOPE" and "unknown category" in m for w, m in found)


def test_eligible_key_must_exist_and_rsc_needs_an_eligibility_entry():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"]["all_of"][1]["rsc_hours"]["eligible"] = "IFS:master"
    assert wheres(doc) == ["categories.IMHS.requires.all_of[1].rsc_hours.eligible"]
    doc = minimal_doc()
    doc["rsc_eligibility"] = {}
    assert wheres(doc) == ["categories.IMHS.requires.all_of[1].rsc_hours"]


def test_unknown_keys_are_refused_everywhere():
    doc = minimal_doc()
    doc["colour"] = "blue"
    doc["categories"]["IMHS"]["hue"] = 1
    doc["categories"]["IMHS"]["requires"]["all_of"][0]["training_hours"]["maximum"] = 40
    doc["exam"]["minutes"] = 90
    assert sorted(wheres(doc)) == [
        "categories.IMHS.hue",
        "categories.IMHS.requires.all_of[0].training_hours.maximum",
        "colour",
        "exam.minutes",
    ]


def test_all_errors_are_collected_at_once():
    doc = minimal_doc()
    doc["version"] = 2025.1
    doc["effective"] = "soon"
    doc["categories"]["IMHS"]["family"] = "toddler"
    doc["categories"]["IMHS"]["requires"]["all_of"][2]["at_least"]["n"] = 5
    doc["renewal"]["due"] = "02-30"
    assert sorted(wheres(doc)) == [
        "categories.IMHS.family",
        "categories.IMHS.requires.all_of[2].at_least.n",
        "effective",
        "renewal.due",
        "version",
    ]


def test_bad_leaf_values_are_refused():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"] = {
        "all_of": [
            {"education": {"alternatives": ["masters"]}},
            {"work_experience": {"years": 2, "kind": "volunteering"}},
            {"references": {"count": 0}},
            {"exam": {"pass_percent": 120}},
            {"all_of": []},
            "membership",
        ]
    }
    assert sorted(wheres(doc)) == [
        "categories.IMHS.requires.all_of[0].education.alternatives[0]",
        "categories.IMHS.requires.all_of[1].work_experience.kind",
        "categories.IMHS.requires.all_of[2].references.count",
        "categories.IMHS.requires.all_of[3].exam.pass_percent",
        "categories.IMHS.requires.all_of[4].all_of",
        "categories.IMHS.requires.all_of[5]",
    ]


def test_parse_text_json_and_yaml_agree():
    doc = minimal_doc()
    from_json = parse_rule_set_text(json.dumps(doc), "json")
    from_yaml = parse_rule_set_text(yaml.safe_dump(doc), "yaml")
    assert from_json == from_yaml
    assert from_yaml.effective == datetime.date(2025, 1, 1)


def test_parse_errors_give_line_and_column():
    with pytest.raises(RuleSetError) as info:
        parse_rule_set_text('{"name": "x",\n  "version": }', "json")
    assert info.value.errors[0].where == "line 2, column 14"
    with pytest.raises(RuleSetError) as info:
        parse_rule_set_text("name: x\nversion: [1\n", "yaml")
    assert info.value.errors[0].where.startswith("line ")
    with pytest.raises(RuleSetError) as info:
        parse_rule_set_text("- just\n- a list\n", "yaml")
    assert info.value.errors[0].where == "(document)"


def test_bind_areas_checks_categories_and_area_ids():
    doc = minimal_doc()
    doc["categories"]["IMHS"]["requires"] = {"area_coverage": {"areas": ["T1", "ZZ"]}}
    rs = load_rule_set(doc)
    areas = [
        AreaInfo("T1", "Pregnancy", "Theoretical Foundations", frozenset({"IMHS"})),
        AreaInfo("T2", "Attachment", "Theoretical Foundations", frozenset({"IMHQ"})),
    ]
    with pytest.raises(RuleSetError) as info:
        bind_areas(rs, areas)
    found = {(e.where, e.message) for e in info.value.errors}
    assert ("areas[1].categories", "unknown category 'IMHQ'") in found
    assert ("categories.IMHS.requires.area_coverage.areas[1]", "unknown area 'ZZ'") in found
    bound = bind_areas(rs, areas[:1] + [AreaInfo("ZZ", "Z", "Reflection", frozenset())])
    assert [a.id for a in bound.areas_for("IMHS")] == ["T1"]
    assert bound == rs  # areas are not part of the document's identity


def test_default_rule_sets_hold_the_domain_numbers():
    old, new = default_rule_sets()
    assert (new.name, new.version, new.effective) == (
        "Michigan-style rules",
        "2025.2",
        datetime.date(2025, 1, 1),
    )
    assert old.effective == datetime.date(2024, 1, 1)
    expected = {"IFA", "IFS", "IFRS", "IMHS", "IMHM-C", "IMHM-P", "IMHM-R"}
    expected |= {"ECFA", "ECFS", "ECFRS", "ECMHS", "ECMHM-C", "ECMHM-P", "ECMHM-R"}
    assert set(new.categories) == expected == set(old.categories)

    def leaves(rs, code):
        return [n.to_dict() for n in rs.categories[code].requires.walk() if not n.children]

    assert {"training_hours": {"min": 33, "tags": []}} in leaves(new, "IMHS")
    assert not any("exam" in leaf for leaf in leaves(new, "IMHS"))
    assert {"training_hours": {"min": 30, "tags": []}} in leaves(old, "IMHS")
    assert {"exam": {}} in leaves(old, "IMHS")
    mentor = leaves(new, "IMHM-C")
    parts = [{"min": 15, "tags": ["rsc-topic"]}, {"min": 3, "tags": ["dei"]}]
    assert {"training_mix": {"min": 48, "parts": parts}} in mentor  # 48 = 30 + 15 + 3, one each
    rsc = next(leaf["rsc_hours"] for leaf in mentor if "rsc_hours" in leaf)
    assert (rsc["min"], rsc["about_giving_min"], rsc["window_months"]) == (50, 25, [12, 24])
    assert new.rsc_eligibility["IFS:bachelor"] == ("IFS:master", "IMHS", "IMHM-C", "IFRS", "ERS")
    assert new.exam.pass_percent == 80 and new.exam.questions == 60
    renewal = [n.to_dict() for n in new.categories["IMHS"].renewal.walk() if not n.children]
    assert renewal[0] == {
        "training_hours": {"min": 15, "tags": [], "label": "Relationship-based training"}
    }
    assert renewal[1]["training_hours"]["tags"] == ["dei"]
    assert renewal[2]["rsc_hours"]["min"] == 12
    assert {"membership": {}} in renewal
    plain = [n.type for n in new.categories["IMHM-P"].renewal.walk()]
    assert "rsc_hours" not in plain


def test_default_rule_sets_round_trip():
    for rs in default_rule_sets():
        doc = rs.to_dict()
        again = load_rule_set(copy.deepcopy(doc))
        assert again.to_dict() == doc
        assert again == rs
