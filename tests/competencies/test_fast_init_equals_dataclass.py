"""The hand-written `__init__` of the engine's hot dataclasses is the one dataclasses would make.

Result, Figures and LeafForecast fill their fields with one dict update (faster than a frozen
dataclass's per-field writes): each must take exactly the fields, in order, with their
defaults, and stay frozen, comparable, hashable and replaceable.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect

import pytest

from competencies.nodes.base import LeafForecast
from competencies.nodes.result import Figures, NotCounted, Result

CLASSES = (Result, Figures, LeafForecast)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_init_takes_the_fields_in_order_with_their_defaults(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        expected = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == expected, f.name


def _full(cls):
    """Every field given, each a distinct value."""
    return {f.name: (f.name, n) for n, f in enumerate(dataclasses.fields(cls))}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_an_instance_holds_what_it_was_given_and_stays_frozen(cls):
    values = _full(cls)
    by_name, by_place = cls(**values), cls(*values.values())
    assert by_name == by_place and hash(by_name) == hash(by_place)
    assert {f.name: getattr(by_name, f.name) for f in dataclasses.fields(cls)} == values
    assert dataclasses.asdict(by_name) == values
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(by_name, first, "other")
    changed = dataclasses.replace(by_name, **{first: "other"})
    assert getattr(changed, first) == "other" and changed != by_name
    assert repr(by_name).startswith(f"{cls.__name__}({first}=")


def test_a_result_given_only_what_is_required_takes_the_defaults():
    r = Result("membership", "Membership", "met", 1.0)
    assert (r.path, r.figures, r.evidence_ids, r.not_counted, r.weight, r.forecast) == (
        "",
        None,
        (),
        (),
        1,
        None,
    )
    assert r == Result("membership", "Membership", "met", 1.0, "", None, (), (), (), ())
    full = Result(
        "x", "X", "met", 1.0, "p", Figures(1, 1, "h", "1 of 1 h"), (1,),
        (NotCounted(2, "why"),), ("do",), ("note",), (), 3, True, "C", "Cat", "R", "1",
        datetime.date(2025, 1, 1), None,
    )  # fmt: skip
    assert full.weight == 3 and full.as_of == datetime.date(2025, 1, 1) and full.ready is True
