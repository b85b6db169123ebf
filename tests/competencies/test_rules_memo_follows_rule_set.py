"""What a node type works out from the rules alone is made once, and follows the rule set.

`from_rules` keeps it by the identity of the rule set, category and node: a rule set bound to
other areas (the same nodes, a new RuleSet) gets its own, nothing of one clinician's evidence
is kept, and the store empties itself when full. `replaced` copies a result as
`dataclasses.replace` would.
"""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from competencies.evaluator import evaluate
from competencies.nodes import result as result_module
from competencies.nodes.result import MET, Result, from_rules, replaced
from competencies.rules import bind_areas
from competencies.types import AreaInfo, Summary
from tests.competencies.rulekit import AS_OF, item, rules

D = datetime.date
NODE = {"all_of": [{"area_coverage": {"areas": "category"}}, {"membership": {}}]}


def _areas(*ids):
    return [AreaInfo(a, f"Area {a}", f"Domain {a[0]}", frozenset({"IMHS"})) for a in ids]


def _summary(*covered):
    items = [item("training", D(2025, 1, 1), hours=1, areas=frozenset({a})) for a in covered]
    return Summary.from_items(1, items)


def test_each_binding_of_the_same_rules_counts_its_own_areas():
    plain = rules(NODE)
    narrow = bind_areas(plain, _areas("A1", "A2"))
    wide = bind_areas(plain, _areas("A1", "B1", "B2"))
    summary = _summary("A1", "B1")
    for _ in range(2):  # alternately, so that each reads what was kept for it
        n = evaluate(narrow, "IMHS", summary, AS_OF).children[0]
        w = evaluate(wide, "IMHS", summary, AS_OF).children[0]
        assert (n.figures.value, n.figures.target) == (1, 2)
        assert n.missing == ("Cover 1 more area: Domain A (1)",)
        assert (w.figures.value, w.figures.target) == (2, 3)
        assert w.missing == ("Cover 1 more area: Domain B (1)",)


def test_nothing_of_the_evidence_is_kept():
    rs = bind_areas(rules(NODE), _areas("A1", "A2"))
    first = evaluate(rs, "IMHS", _summary("A1"), AS_OF).children[0]
    other = evaluate(rs, "IMHS", _summary("A1", "A2"), AS_OF).children[0]
    assert first.figures.value == 1 and other.figures.value == 2 and other.status == MET


def test_the_store_empties_itself_when_full(monkeypatch):
    monkeypatch.setattr(result_module, "FROM_RULES_SIZE", 3)
    monkeypatch.setattr(result_module, "_FROM_RULES", {})
    rs = rules(NODE)
    ctx = type("Ctx", (), {"rule_set": rs, "category": rs.category("IMHS")})()
    nodes = list(rs.category("IMHS").requires.walk())
    made = []
    for node in nodes * 2:
        from_rules("test", node, ctx, lambda n, c: made.append(n) or n.path)
    assert len(made) == 3  # three nodes, made once each
    extra = rules(NODE).category("IMHS").requires
    assert from_rules("test", extra, ctx, lambda n, c: "new") == "new"
    assert len(result_module._FROM_RULES) <= 3


def test_a_replaced_result_equals_dataclasses_replace():
    r = Result("all_of", "All of", MET, 1.0, "p", missing=("x",), weight=3)
    for changes in ({"label": "Renewal 2025"}, {"ready": True, "as_of": AS_OF}, {}):
        copy = replaced(r, **changes)
        assert copy == dataclasses.replace(r, **changes) and copy is not r
    assert r.label == "All of"
    with pytest.raises(TypeError, match="colour"):
        replaced(r, colour="red")
    with pytest.raises(dataclasses.FrozenInstanceError):
        replaced(r).label = "changed"
