"""The pure readiness evaluator: every node type, every not-counted reason, roots, renewals."""

from __future__ import annotations

import datetime
import json

import pytest

from competencies.evaluator import EvaluationError, add_months, evaluate, evaluate_renewal
from competencies.rules import bind_areas, default_rule_sets
from competencies.types import AreaInfo, EvidenceItem, Summary
from tests.competencies.rulekit import AS_OF, D, item, rsc, rules, run


def reasons(result) -> dict[int, str]:
    return {nc.evidence_id: nc.reason for nc in result.not_counted}


# --- Summary ---------------------------------------------------------------------------------


def test_summary_aggregates_counted_training_and_keeps_the_rest_as_items():
    t1 = item("training", D(2025, 1, 5), hours=3, areas=frozenset({"A1"}), tags=frozenset({"dei"}))
    t2 = item("training", D(2025, 1, 20), hours=2, areas=frozenset({"A1", "A2"}))
    t3 = item("training", D(2025, 2, 1), "pending", hours=6, areas=frozenset({"A3"}))
    ref = item("reference", D(2025, 3, 1), areas=frozenset({"A2"}))
    s = Summary.from_items(4, [ref, t3, t2, t1])
    assert s.clinician_id == 4
    assert s.training_hours == {"*": 5.0, "dei": 3.0}
    assert s.training_count == 2
    assert s.training_monthly == {"2025-01": 5.0}
    assert set(s.areas) == {"A1", "A2"}  # the pending training's area is not covered
    assert s.areas["A2"].evidence_ids == (ref.id, t2.id)
    assert s.areas["A2"].kinds == frozenset({"training", "reference"})
    assert s.areas["A1"].hours == 5.0 and s.areas["A1"].count == 2
    assert set(s.items) == {t3, ref}
    assert Summary.from_items(4, [t1, t2], end=D(2025, 1, 10)).training_hours["*"] == 3.0


# --- training ------------------------------------------------------------------------------


def test_training_hours_progress_and_missing_task():
    items = [item("training", D(2025, 1, 1), hours=22)]
    r = run({"training_hours": {"min": 33}}, items)
    assert (r.status, r.progress, r.ready) == ("in_progress", 22 / 33, False)
    assert r.figures.text == "22 of 33 h"
    assert r.missing == ("Complete 11 more hours of training",)
    assert run({"training_hours": {"min": 33}}).status == "not_started"
    met = run({"training_hours": {"min": 20}}, items)
    assert (met.status, met.progress, met.ready, met.missing) == ("met", 1.0, True, ())


def test_training_hours_with_tags_and_not_counted_reasons():
    tagged = frozenset({"dei"})
    items = [
        item("training", D(2025, 1, 1), hours=10),
        item("training", D(2025, 1, 2), hours=0.5, tags=tagged),
        item("training", D(2025, 1, 3), "pending", hours=2, tags=tagged, id=501),
        item(
            "training",
            D(2025, 1, 4),
            "rejected",
            hours=1,
            tags=tagged,
            id=502,
            details={"reject_reason": "no certificate"},
        ),
        item("training", D(2025, 1, 5), "void", hours=1, id=503),
    ]
    r = run({"training_hours": {"min": 1, "tags": ["dei"]}}, items)
    assert r.figures.value == 0.5 and r.status == "in_progress"
    assert r.label == "Training hours on diversity, equity & inclusion"
    assert r.missing == ("Complete 0.5 more hours of training on diversity, equity & inclusion",)
    assert reasons(r) == {
        501: "2 h on 2025-01-03: not yet verified",
        502: "1 h on 2025-01-04: rejected — no certificate",
    }
    untagged = run({"training_hours": {"min": 1, "label": "All training"}}, items)
    assert untagged.label == "All training"
    assert reasons(untagged)[503] == "1 h on 2025-01-05: replaced by a correction"


# --- areas ---------------------------------------------------------------------------------


AREAS = [
    AreaInfo("T1", "Pregnancy", "Theoretical Foundations", frozenset({"IMHS"})),
    AreaInfo("C1", "Listening", "Communicating", frozenset({"IMHS"})),
    AreaInfo("C2", "Speaking", "Communicating", frozenset({"IMHS"})),
    AreaInfo("R1", "Curiosity", "Reflection", frozenset({"IMHS"})),
    AreaInfo("M1", "Administration", "Administration", frozenset({"IMHM-C"})),
]


def test_area_coverage_of_the_category_lists_missing_areas_by_domain():
    rs = bind_areas(rules({"area_coverage": {"areas": "category"}}), AREAS[:4])
    items = [
        item("training", D(2025, 1, 1), hours=2, areas=frozenset({"T1", "R1"})),
        item("reference", D(2025, 2, 1), areas=frozenset({"R1"})),
    ]
    r = evaluate(rs, "IMHS", Summary.from_items(1, items), AS_OF)
    assert (r.figures.value, r.figures.target, r.progress) == (2, 4, 0.5)
    assert r.figures.text == "2 of 4 areas"
    assert r.missing == ("Cover 2 more areas: Communicating (2)",)
    assert set(r.evidence_ids) == {it.id for it in items}


def test_area_coverage_with_listed_areas_needs_no_binding():
    r = run(
        {"area_coverage": {"areas": ["X1", "X2"]}},
        [item("work", D(2025, 1, 1), areas=frozenset({"X1"}))],
    )
    assert r.missing == ("Cover 1 more area: Other (1)",)
    assert r.progress == 0.5


def test_area_coverage_of_the_category_without_bound_areas_is_an_error():
    with pytest.raises(EvaluationError) as info:
        run({"all_of": [{"membership": {}}, {"area_coverage": {"areas": "category"}}]})
    [problem] = info.value.errors
    assert problem.where == "categories.IMHS.requires.all_of[1].area_coverage.areas"
    assert "bind_areas" in problem.message


# --- RSC -----------------------------------------------------------------------------------


RSC_NODE = {"rsc_hours": {"min": 50, "window_months": [12, 24]}}


def test_rsc_counts_within_window_and_says_when_the_window_closes():
    start = D(2024, 8, 1)
    items = [rsc(add_months(start, m), 2.5) for m in range(13)]  # 32.5 h over 12 months
    r = run(RSC_NODE, items, as_of=D(2025, 9, 1))
    assert r.figures.text == "32.5 of 50 h"
    assert r.status == "in_progress" and 0 < r.progress < 1
    assert r.missing == ("Get 17.5 more hours of reflective supervision before 2026-08-01",)
    assert r.evidence_ids == tuple(it.id for it in items)


def test_rsc_met_needs_both_hours_and_a_twelve_month_span():
    quick = [rsc(D(2025, 1, 1) + datetime.timedelta(days=7 * w), 5) for w in range(10)]
    r = run(RSC_NODE, quick)
    assert r.figures.value == 50 and r.status == "in_progress"
    assert r.missing == (
        "Keep receiving reflective supervision until at least 2026-01-01: the hours must span "
        "12 months",
    )
    spread = quick + [rsc(D(2026, 1, 5), 1)]
    done = run(RSC_NODE, spread, as_of=D(2026, 2, 1))
    assert (done.status, done.progress, done.missing) == ("met", 1.0, ())


def test_rsc_not_counted_reasons():
    base = D(2025, 1, 6)
    good = rsc(base, 4)
    peer = rsc(base, 4, format="peer")
    group = rsc(base, 2, format="group", facilitated=False)
    facilitated = rsc(base, 2, format="group", facilitated=True)
    unqualified = rsc(base, 3, creds=("IFS",))
    pending = rsc(base, 1, status="pending")
    rejected = rsc(base, 1, status="rejected", reject_reason="date before the endorsement")
    r = run(RSC_NODE, [good, peer, group, facilitated, unqualified, pending, rejected])
    assert set(r.evidence_ids) == {good.id, facilitated.id}
    assert reasons(r) == {
        peer.id: "4 h on 2025-01-06: peer group without facilitator",
        group.id: "2 h on 2025-01-06: group without facilitator",
        unqualified.id: "3 h on 2025-01-06: provider not endorsed as IMHS, IMHM-C or ERS "
        "(Endorsed Reflective Supervisor)",
        pending.id: "1 h on 2025-01-06: not yet attested by the provider",
        rejected.id: "1 h on 2025-01-06: rejected — date before the endorsement",
    }


def test_rsc_third_provider_and_best_pair_of_providers():
    a = [rsc(D(2025, 1, 1 + d), 3, provider=1) for d in range(3)]  # 9 h
    b = [rsc(D(2025, 2, 1 + d), 2, provider=2) for d in range(3)]  # 6 h
    c = [rsc(D(2025, 3, 1), 4, provider=3)]  # 4 h: the smallest, left out
    r = run(RSC_NODE, a + b + c)
    assert r.figures.value == 15
    assert reasons(r) == {c[0].id: "4 h on 2025-03-01: third provider"}


def test_rsc_outside_the_best_window():
    old = rsc(D(2021, 1, 1), 10)
    recent = [rsc(D(2024, 1, 1), 20), rsc(D(2025, 1, 1), 20)]
    r = run(RSC_NODE, [old, *recent])
    assert r.figures.value == 40
    assert reasons(r) == {old.id: "10 h on 2021-01-01: outside the best 24-month window"}
    # The best window opened in 2024, so it closes early in 2026.
    assert r.missing == ("Get 10 more hours of reflective supervision before 2026-01-01",)


def test_rsc_ties_go_to_the_latest_window():
    first = rsc(D(2021, 1, 1), 10)
    second = rsc(D(2024, 1, 1), 10)
    r = run(RSC_NODE, [first, second])
    assert r.evidence_ids == (second.id,)
    assert "outside the best 24-month window" in reasons(r)[first.id]


def test_rsc_closed_window_points_at_a_new_one():
    r = run(RSC_NODE, [rsc(D(2021, 1, 1), 10)], as_of=D(2025, 6, 1))
    assert r.missing == (
        "Get 50 hours of reflective supervision spanning at least 12 months, within 24 months",
    )


def test_rsc_about_giving_minimum():
    node = {"rsc_hours": {"min": 4, "window_months": [0, 24], "about_giving_min": 3}}
    items = [rsc(D(2025, 1, 1), 2, about_giving_rsc=True), rsc(D(2025, 2, 1), 2)]
    r = run(node, items)
    assert r.status == "in_progress"
    assert r.missing == (
        "Get 1 more hour of reflective supervision about the supervision you give before "
        "2027-01-01",
    )
    assert r.figures.text == "4 of 4 h, 2 of 3 h about the supervision you give"
    more = run(node, [*items, rsc(D(2025, 3, 1), 1, about_giving_rsc=True)])
    assert more.status == "met"


def test_rsc_eligibility_follows_the_ifs_applicants_education():
    node = {"rsc_hours": {"min": 1, "window_months": [0, 24]}}
    by_ifs_master = rsc(D(2025, 1, 1), 1, creds=("IFS:master",))
    bachelor = [item("education", D(2020, 1, 1), details={"level": "bachelor"}), by_ifs_master]
    assert run(node, bachelor, category="IFS").status == "met"
    master = [item("education", D(2020, 1, 1), details={"level": "master"}), by_ifs_master]
    r = run(node, master, category="IFS")
    assert reasons(r)[by_ifs_master.id].endswith(
        "provider not endorsed as IMHS or ERS (Endorsed Reflective Supervisor)"
    )
    ers = rsc(D(2025, 1, 2), 1, creds=("IFRS", "ERS"))
    assert run(node, [*master, ers], category="IFS").status == "met"


def test_rsc_explicit_eligibility_list():
    node = {"rsc_hours": {"min": 1, "window_months": [0, 24], "eligible": ["IFS"]}}
    assert run(node, [rsc(D(2025, 1, 1), 1, creds=("IFS",))]).status == "met"


def test_rsc_groups_without_facilitator_count_when_allowed():
    node = {"rsc_hours": {"min": 2, "window_months": [0, 24], "facilitated_groups_only": False}}
    r = run(node, [rsc(D(2025, 1, 1), 2, format="group")])
    assert r.status == "met"


def test_items_dated_after_as_of_are_ignored():
    later = rsc(D(2025, 7, 1), 50)
    r = run({"rsc_hours": {"min": 1, "window_months": [0, 24]}}, [later], as_of=D(2025, 6, 30))
    assert (r.status, r.not_counted, r.evidence_ids) == ("not_started", (), ())


# --- the other leaves ----------------------------------------------------------------------


def test_work_experience_years_and_families():
    node = {"work_experience": {"years": 2, "kind": "paid_infant_family", "families": 10}}
    items = [
        item(
            "work",
            D(2023, 1, 1),
            details={"kind": "paid_infant_family", "years": 1.5, "families": 6},
        ),
        item("work", D(2023, 1, 1), details={"kind": "leadership", "years": 5, "families": 9}),
        item(
            "work",
            D(2024, 1, 1),
            "pending",
            id=777,
            details={"kind": "paid_infant_family", "years": 1},
        ),
    ]
    r = run(node, items)
    assert r.figures.text == "1.5 of 2 years, 6 of 10 families"
    assert r.missing == (
        "Record 0.5 more years of paid work with infants and families",
        "Work with 4 more families of infants",
    )
    assert r.progress == pytest.approx((0.75 + 0.6) / 2)
    assert reasons(r) == {777: "Work record on 2024-01-01: not yet verified"}


def test_education_alternatives():
    node = {"education": {"alternatives": ["master", "doctorate"]}}
    bachelor = item("education", D(2015, 5, 1), details={"level": "bachelor"})
    r = run(node, [bachelor])
    assert r.status == "not_started"
    assert r.missing == ("Add proof of education: master's degree or doctorate",)
    assert reasons(r)[bachelor.id].endswith("bachelor's degree does not meet this requirement")
    master = item("education", D(2018, 5, 1), details={"level": "master"})
    done = run(node, [bachelor, master])
    assert (done.status, done.evidence_ids, done.figures.text) == (
        "met",
        (master.id,),
        "master's degree",
    )


def test_references_void_and_missing():
    node = {"references": {}}
    good = item("reference", D(2025, 1, 1))
    flagged = item("reference", D(2025, 1, 2), details={"void": True})
    unsure = item("reference", D(2025, 1, 3), details={"not_enough_info": 6})
    pending = item("reference", D(2025, 1, 4), "pending")
    fine = item("reference", D(2025, 1, 5), details={"not_enough_info": 5})
    r = run(node, [good, flagged, unsure, pending, fine])
    assert r.figures.text == "2 of 3"
    assert r.missing == ("Ask 1 more person for a reference rating",)
    assert reasons(r) == {
        flagged.id: "Reference rating on 2025-01-02: void",
        unsure.id: "Reference rating on 2025-01-03: void — 6 answers of 'not enough information'",
        pending.id: "Reference rating on 2025-01-04: not yet verified",
    }
    assert run(node).missing == ("Ask 3 more people for reference ratings",)


def test_exam_pass_mark_and_retake():
    failed = item("exam", D(2025, 3, 1), details={"score": 72})
    r = run({"exam": {}}, [failed])
    assert r.status == "not_started"
    assert r.figures.text == "best 72 of 80 %"
    assert r.missing == ("Retake the exam from 2026-03-01",)
    assert reasons(r) == {failed.id: "Exam on 2025-03-01: score 72 % is below the 80 % mark"}
    assert run({"exam": {}}, [failed], as_of=D(2026, 4, 1)).missing == (
        "Pass the exam (80 % needed)",
    )
    assert run({"exam": {"pass_percent": 70}}, [failed]).status == "met"
    stricter = {"exam": {"questions": 60, "pass_percent": 75, "retake_after_months": 6}}
    assert run({"exam": {}}, [failed], exam=stricter["exam"]).missing == (
        "Retake the exam from 2025-09-01",
    )


def test_membership_current_expired_and_missing():
    node = {"membership": {}}
    current = item("membership", D(2025, 1, 1), details={"valid_until": "2025-12-31"})
    old = item("membership", D(2023, 1, 1), details={"valid_until": "2023-12-31"})
    r = run(node, [old, current])
    assert (r.status, r.evidence_ids) == ("met", (current.id,))
    lapsed = run(node, [old])
    assert lapsed.status == "expired" and lapsed.progress == 0
    assert lapsed.missing == ("Renew your association membership (it ended on 2023-12-31)",)
    assert run(node).status == "not_started"
    broken = item("membership", D(2025, 1, 1), details={})
    assert "end date missing" in reasons(run(node, [broken]))[broken.id]


def test_agreements():
    ethics = item("agreement", D(2025, 1, 1), details={"document": "code_of_ethics"})
    r = run({"agreement": {}}, [ethics])
    assert (r.progress, r.missing) == (0.5, ("Sign the Endorsement Agreement",))
    assert r.evidence_ids == (ethics.id,)


# --- composites and the root ---------------------------------------------------------------


def test_any_of_takes_the_best_child():
    node = {
        "any_of": [
            {"education": {"alternatives": ["cda"]}},
            {"work_experience": {"years": 2, "kind": "paid_infant_family"}},
        ]
    }
    items = [item("work", D(2024, 1, 1), details={"kind": "paid_infant_family", "years": 1})]
    r = run(node, items)
    assert (r.type, r.status, r.progress) == ("any_of", "in_progress", 0.5)
    assert r.missing == ("Record 1 more year of paid work with infants and families",)


def test_at_least_n_of():
    node = {
        "at_least": {
            "n": 2,
            "of": [
                {"membership": {}},
                {"references": {"count": 1}},
                {"exam": {}},
            ],
        }
    }
    ref = item("reference", D(2025, 1, 1))
    r = run(node, [ref])
    assert (r.status, r.progress) == ("in_progress", 0.5)
    member = item("membership", D(2025, 1, 1), details={"valid_until": "2026-01-01"})
    assert run(node, [ref, member]).status == "met"


def test_overall_progress_weights_every_leaf_alike():
    node = {
        "all_of": [
            {
                "all_of": [
                    {"training_hours": {"min": 10}},
                    {"training_hours": {"min": 10, "tags": ["dei"]}},
                ]
            },
            {"membership": {}},
        ]
    }
    r = run(node, [item("training", D(2025, 1, 1), hours=10)])
    # leaves: 1.0 and 0.0 in the group (weight 2), membership 0.0 (weight 1)
    assert r.progress == pytest.approx(1 / 3)
    assert r.children[0].progress == 0.5 and r.children[0].weight == 2


def test_root_carries_the_verdict_and_serialises_to_json():
    rs, _ = default_rule_sets()[1], None
    rs = bind_areas(rs, AREAS)
    r = evaluate(rs, "IMHS", Summary.from_items(1, []), AS_OF)
    assert (r.category, r.category_name) == ("IMHS", "Infant Mental Health Specialist")
    assert (r.rule_set_name, r.rule_set_version, r.as_of) == (
        "Michigan-style rules",
        "2025.2",
        AS_OF,
    )
    assert r.ready is False and r.status == "not_started"
    out = json.loads(json.dumps(r.to_dict()))
    assert out["rule_set"] == {"name": "Michigan-style rules", "version": "2025.2"}
    assert [c["type"] for c in out["children"]][:3] == [
        "education",
        "training_hours",
        "area_coverage",
    ]
    assert out["children"][0]["path"] == "categories.IMHS.requires.all_of[0].education"


def ready_imhs_items() -> list[EvidenceItem]:
    start = D(2023, 6, 1)
    items = [
        item("education", D(2015, 5, 1), details={"level": "master"}),
        item("training", D(2024, 1, 10), hours=34, areas=frozenset(a.id for a in AREAS)),
        item("work", D(2023, 1, 1), details={"kind": "dyadic_clinical", "years": 2.5}),
        item("membership", D(2025, 1, 1), details={"valid_until": "2025-12-31"}),
        item("agreement", D(2025, 1, 2), details={"document": "code_of_ethics"}),
        item("agreement", D(2025, 1, 2), details={"document": "endorsement_agreement"}),
    ]
    items += [item("reference", D(2025, 2, d)) for d in (1, 2, 3)]
    items += [rsc(add_months(start, m), 3) for m in range(18)]
    return items


def test_a_complete_clinician_is_ready_under_2025_rules_but_not_2024():
    old, new = (bind_areas(rs, AREAS) for rs in default_rule_sets())
    summary = Summary.from_items(1, ready_imhs_items())
    r = evaluate(new, "IMHS", summary, AS_OF)
    assert [leaf.type for leaf in r.leaves() if not leaf.met] == []
    assert (r.ready, r.status, r.progress) == (True, "met", 1.0)
    before = evaluate(old, "IMHS", summary, AS_OF)
    assert before.ready is False
    assert [leaf.type for leaf in before.leaves() if not leaf.met] == ["exam"]
    assert before.missing == ("Pass the exam (80 % needed)",)


def test_unknown_category_is_an_evaluation_error():
    with pytest.raises(EvaluationError) as info:
        evaluate(default_rule_sets()[1], "XYZ", Summary.from_items(1, []), AS_OF)
    assert info.value.errors[0].where == "category"


# --- renewal -------------------------------------------------------------------------------


def test_renewal_in_the_award_year_is_met():
    rs = default_rule_sets()[1]
    r = evaluate_renewal(rs, "IMHS", Summary.from_items(1, []), 2025, D(2025, 3, 1))
    assert (r.status, r.ready, r.notes) == ("met", True, ("nothing due in the year of the award",))


def test_renewal_in_a_later_year_needs_that_years_evidence():
    rs = default_rule_sets()[1]
    award = D(2024, 3, 1)
    items = [
        item("training", D(2025, 2, 1), hours=14),
        item("training", D(2025, 3, 1), hours=1, tags=frozenset({"dei"})),
        item("training", D(2024, 12, 1), hours=30),  # last year's: does not count
        item("membership", D(2025, 1, 1), details={"valid_until": "2025-12-31"}),
    ]
    items += [rsc(D(2025, m, 1), 1) for m in range(1, 13)]
    summary = Summary.from_items(1, items, start=D(2025, 1, 1), end=D(2025, 12, 31))
    r = evaluate_renewal(rs, "IMHS", summary, 2025, award)
    assert r.ready is True and r.label == "Renewal 2025" and r.as_of == D(2025, 12, 31)
    short = Summary.from_items(1, items[:3] + items[5:], start=D(2025, 1, 1), end=D(2025, 12, 31))
    r = evaluate_renewal(rs, "IMHS", short, 2025, award)
    assert [(leaf.type, leaf.status) for leaf in r.leaves() if not leaf.met] == [
        ("rsc_hours", "in_progress"),
        ("membership", "not_started"),
    ]
    assert r.missing[0] == "Get 1 more hour of reflective supervision by 2025-12-31"
    plain = evaluate_renewal(rs, "IMHM-P", summary, 2025, award)
    assert "rsc_hours" not in [leaf.type for leaf in plain.leaves()]


def test_renewal_refuses_a_summary_spanning_other_years_and_earlier_years():
    rs = default_rule_sets()[1]
    whole = Summary.from_items(1, [item("training", D(2024, 5, 1), hours=3)])
    with pytest.raises(EvaluationError) as info:
        evaluate_renewal(rs, "IMHS", whole, 2025, D(2023, 1, 1))
    assert info.value.errors[0].where == "summary.training_monthly"
    with pytest.raises(EvaluationError) as info:
        evaluate_renewal(rs, "IMHS", whole, 2022, D(2023, 1, 1))
    assert info.value.errors[0].where == "year"


def test_rsc_span_task_when_the_span_date_has_passed():
    items = [rsc(D(2024, 1, 1), 30), rsc(D(2024, 3, 1), 30)]
    r = run(RSC_NODE, items, as_of=D(2025, 6, 1))
    assert r.status == "in_progress"
    assert r.missing == (
        "Receive one more session of reflective supervision before 2026-01-01: the hours must "
        "span 12 months",
    )
