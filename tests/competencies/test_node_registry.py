"""The rule-node registry: every node type is one module, registered, with every hook."""

from __future__ import annotations

import ast
import datetime
import inspect
import pkgutil
from pathlib import Path

import pytest
from pydantic import BaseModel

import competencies.nodes as nodes_pkg
from competencies.evaluator import evaluate
from competencies.nodes import NODE_TYPES
from competencies.nodes.base import NodeType
from competencies.rules import bind_areas, default_rule_sets
from competencies.types import AreaInfo, EvidenceItem, Summary

SHARED = {"base", "result"}  # the contract and the result helpers, not node types
TYPES = sorted(NODE_TYPES.items())


def _shipped_nodes():
    for rule_set in default_rule_sets():
        for cat in rule_set.categories.values():
            for root in (cat.requires, cat.renewal):
                if root is not None:
                    yield from root.walk()


def test_every_module_of_the_package_is_a_registered_node_type():
    modules = {m.name for m in pkgutil.iter_modules(nodes_pkg.__path__)} - SHARED
    assert modules == set(NODE_TYPES)
    for name, node_type in NODE_TYPES.items():
        assert node_type.__module__ == f"competencies.nodes.{name}"
        assert node_type.name == name


@pytest.mark.parametrize(("name", "node_type"), TYPES)
def test_every_registered_type_implements_every_hook(name, node_type):
    assert isinstance(node_type, NodeType)
    assert not inspect.isabstract(type(node_type))
    for hook in NodeType.HOOKS:
        assert callable(getattr(node_type, hook, None)), f"{name} lacks {hook}"
    assert issubclass(node_type.Params, BaseModel)
    assert node_type.title
    assert isinstance(node_type.composite, bool)
    fields = node_type.form_fields()
    assert [f.name for f in fields] == list(node_type.Params.model_fields)
    assert all(f.title for f in fields)


def test_shipped_rule_sets_use_every_type_and_their_params_fit_the_pydantic_models():
    seen = set()
    exam = default_rule_sets()[-1].exam
    for node in _shipped_nodes():
        node_type = NODE_TYPES[node.type]
        seen.add(node.type)
        node_type.Params.model_validate(dict(node.params))  # what parse accepts, the model does
        assert node_type.describe(node, exam, 3)
    assert seen >= set(NODE_TYPES) - {"any_of", "at_least"}


def test_an_unknown_type_names_every_registered_type_in_registry_order():
    from competencies.rules import RuleSetError, load_rule_set

    doc = default_rule_sets()[-1].to_dict()
    code = next(iter(doc["categories"]))
    doc["categories"][code]["requires"] = {"all_of": [{"coffee": {}}]}
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(doc)
    (problem,) = caught.value.errors
    assert problem.where == f"categories.{code}.requires.all_of[0].coffee"
    assert problem.message == f"unknown node type 'coffee' (known: {', '.join(NODE_TYPES)})"
    assert list(NODE_TYPES)[:3] == ["all_of", "any_of", "at_least"]


def test_only_hours_types_add_a_series_to_the_hours_chart():
    rule_set = default_rule_sets()[-1]
    code = "IMHS"  # a category that asks for RSC: its line is the sessions that count toward it
    areas = [AreaInfo("a1", "Area", "Domain", frozenset({code}))]
    rule_set = bind_areas(rule_set, areas)
    day = datetime.date(2025, 6, 1)
    session = {
        "provider_id": 7,
        "details": {"format": "individual", "provider_credentials": ["IMHM-C"]},
    }
    items = (
        EvidenceItem(1, "rsc", datetime.date(2025, 5, 2), "attested", hours=2.0, **session),
        EvidenceItem(2, "rsc", datetime.date(2025, 5, 20), "pending", hours=5.0, **session),
    )
    summary = Summary.from_items(1, items)
    result = evaluate(rule_set, code, summary, day)
    series = {
        name: s for name, t in NODE_TYPES.items() if (s := t.chart(result, summary)) is not None
    }
    assert set(series) == {"training_hours", "rsc_hours"}
    assert series["rsc_hours"].monthly == {"2025-05": 2.0}  # attested only


PURE_OK = ("competencies.checker", "competencies.nodes", "competencies.types")
PURE_OK += ("competencies.vocabulary", "pydantic", "__future__")


@pytest.mark.parametrize("name", sorted(NODE_TYPES) + sorted(SHARED))
def test_node_modules_stay_pure(name):
    """No Flask, no database: node modules import the standard library and pure modules only."""
    path = Path(nodes_pkg.__file__).parent / f"{name}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for stmt in tree.body:  # module level; imports under `if TYPE_CHECKING` are not run
        if isinstance(stmt, ast.ImportFrom):
            mod = stmt.module or ""
        elif isinstance(stmt, ast.Import):
            mod = stmt.names[0].name
        else:
            continue
        top = mod.split(".")[0]
        assert mod.startswith(PURE_OK) or top in _stdlib(), f"{name} imports {mod}"


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)
