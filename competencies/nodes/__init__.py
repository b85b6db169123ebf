"""The registry of rule-node types: ``NODE_TYPES[name]`` is the `NodeType` of that name.

Each node type is one module of this package holding ``TYPE`` (see `competencies.nodes.base`
for the hooks). Adding a node type is adding its module and naming it in `_MODULES` (the order
is the order of the names in messages); tests/competencies/test_node_registry.py checks that
every module is registered and every registered type implements every hook. Pure: no Flask,
no database.
"""

from __future__ import annotations

from types import MappingProxyType

from competencies.nodes import (
    agreement,
    all_of,
    any_of,
    area_coverage,
    at_least,
    education,
    endorsed_for,
    exam,
    membership,
    references,
    rsc_hours,
    training_hours,
    training_mix,
    work_experience,
)
from competencies.nodes.base import NodeType

_MODULES = (
    all_of,
    any_of,
    at_least,
    training_hours,
    training_mix,
    area_coverage,
    rsc_hours,
    work_experience,
    education,
    references,
    exam,
    membership,
    agreement,
    endorsed_for,
)
NODE_TYPES: MappingProxyType[str, NodeType] = MappingProxyType(
    {m.TYPE.name: m.TYPE for m in _MODULES}
)

__all__ = ["NODE_TYPES", "NodeType"]
