"""Load, validate and serialise endorsement rule sets (categories and their requirement graph).

A rule set document is a mapping (from JSON or YAML). Every requirement is a node: a mapping
with exactly one key, the node type. Node types, their parameters and how each is parsed live
in `competencies.nodes` (``NODE_TYPES``): composites ``all_of: [nodes]``, ``any_of: [nodes]``,
``at_least: {n, of: [nodes]}``, and leaves; every leaf also accepts an optional ``label``.

Normalised form (what `RuleSet.to_dict` returns): defaults filled in, optional parameters
without a default left out, dates as ISO strings, sequences as lists.
"""

from __future__ import annotations

import datetime
import graphlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from competencies.checker import Checker, check_credential, join, kind_of
from competencies.nodes import NODE_TYPES
from competencies.nodes.base import ParseContext
from competencies.types import AreaInfo, Problem
from lms.documents import DocumentError, load_json, load_yaml
from lms.validation import ProblemsError

COMPOSITE_TYPES = tuple(name for name, t in NODE_TYPES.items() if t.composite)
FAMILIES = ("infant", "early_childhood")
# Values in one rule-set document: the shipped ones hold about 1,000.
MAX_RULE_SET_NODES = 20_000
DATA_DIR = Path(__file__).parent / "data"
_DUE = re.compile(r"^(\d\d)-(\d\d)$")


class RuleSetError(ProblemsError):
    """A rule set document is invalid; `.errors` lists every problem found."""

    shown = 5

    def summary(self) -> str:
        """Return the first five problems, and how many more there are."""
        return f"invalid rule set: {super().summary()}"


@dataclass(frozen=True)
class Node:
    """One requirement: its type, normalised parameters, children and document path."""

    type: str
    params: Mapping[str, Any]
    children: tuple[Node, ...] = ()
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the normalised document form of this node."""
        if self.type in ("all_of", "any_of"):
            return {self.type: [c.to_dict() for c in self.children]}
        if self.type == "at_least":
            return {"at_least": {"n": self.params["n"], "of": [c.to_dict() for c in self.children]}}
        return {self.type: {k: _plain(v) for k, v in self.params.items()}}

    def walk(self) -> Iterable[Node]:
        """Yield this node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Category:
    """One endorsement category and its requirement graphs."""

    code: str
    name: str
    family: str
    rank: int
    requires: Node
    renewal: Node | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the normalised document form of this category."""
        out: dict[str, Any] = {
            "name": self.name,
            "family": self.family,
            "rank": self.rank,
            "requires": self.requires.to_dict(),
        }
        if self.renewal is not None:
            out["renewal"] = self.renewal.to_dict()
        return out


@dataclass(frozen=True)
class ExamRules:
    """Exam settings shared by every exam node."""

    questions: int = 60
    pass_percent: float = 80
    retake_after_months: int = 12


@dataclass(frozen=True)
class RuleSet:
    """A validated, versioned rule set; `areas` is filled by `bind_areas`, not the document."""

    name: str
    version: str
    effective: datetime.date
    framework: Mapping[str, str]
    categories: Mapping[str, Category]
    rsc_eligibility: Mapping[str, tuple[str, ...]]
    prerequisites: Mapping[str, tuple[str, ...]]
    exam: ExamRules = ExamRules()
    renewal_due: str = "12-31"
    areas: tuple[AreaInfo, ...] = field(default=(), compare=False)

    def category(self, code: str) -> Category:
        """Return the category with this code; KeyError names the known codes."""
        try:
            return self.categories[code]
        except KeyError:
            known = ", ".join(self.categories)
            raise KeyError(f"unknown category {code!r} (known: {known})") from None

    def areas_for(self, code: str) -> tuple[AreaInfo, ...]:
        """Return the bound areas that apply to a category."""
        return tuple(a for a in self.areas if code in a.categories)

    def due_date(self, year: int) -> datetime.date:
        """Return the renewal due date in a year."""
        month, day = (int(p) for p in self.renewal_due.split("-"))
        return datetime.date(year, month, day)

    def to_dict(self) -> dict[str, Any]:
        """Return the normalised document; load_rule_set(rs.to_dict()) gives an equal set."""
        return {
            "name": self.name,
            "version": self.version,
            "effective": self.effective.isoformat(),
            "framework": dict(self.framework),
            "categories": {code: c.to_dict() for code, c in self.categories.items()},
            "rsc_eligibility": {k: list(v) for k, v in self.rsc_eligibility.items()},
            "prerequisites": {k: list(v) for k, v in self.prerequisites.items()},
            "exam": {
                "questions": self.exam.questions,
                "pass_percent": self.exam.pass_percent,
                "retake_after_months": self.exam.retake_after_months,
            },
            "renewal": {"due": self.renewal_due},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _node(ck: Checker, doc: Any, where: str, ctx: ParseContext) -> Node:
    if not isinstance(doc, Mapping) or len(doc) != 1:
        ck.add(
            where,
            f"a requirement must be a mapping with exactly one node type, got "
            f"{kind_of(doc) if not isinstance(doc, Mapping) else list(doc)!r}",
        )
        return Node("all_of", MappingProxyType({}), (), where)
    ((ntype, body),) = doc.items()
    path = join(where, str(ntype))
    node_type = NODE_TYPES.get(ntype) if isinstance(ntype, str) else None
    if node_type is None:
        ck.add(path, f"unknown node type {ntype!r} (known: {', '.join(NODE_TYPES)})")
        return Node("all_of", MappingProxyType({}), (), path)
    params, children = node_type.parse(ck, body, path, ctx)
    return Node(ntype, MappingProxyType(params), children, path)


def _effective(ck: Checker, doc: Mapping[str, Any]) -> datetime.date:
    value = doc.get("effective")
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    if "effective" not in doc:
        ck.add("effective", "is required")
    else:
        ck.add("effective", f"must be a date YYYY-MM-DD, got {kind_of(value)}")
    return datetime.date.min


def _prerequisites(ck: Checker, doc: Any) -> dict[str, tuple[str, ...]]:
    pre = ck.mapping(doc, "prerequisites")
    if pre is None:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for code, needs in pre.items():
        listed = ck.str_list(needs, f"prerequisites.{code}")
        out[str(code)] = listed or ()
    try:
        graphlib.TopologicalSorter(out).prepare()
    except graphlib.CycleError as exc:
        cycle = list(reversed(exc.args[1]))  # graphlib lists the cycle against the edges
        ck.add(f"prerequisites.{cycle[0]}", f"prerequisite cycle: {' → '.join(cycle)}")
    return out


def load_rule_set(doc: Mapping[str, Any]) -> RuleSet:
    """Validate a rule set document and return the RuleSet; raise RuleSetError with all errors."""
    ck = Checker()
    if ck.mapping(doc, "(document)") is None:
        raise RuleSetError(ck.errors)
    ck.keys(
        doc,
        "",
        (
            "name",
            "version",
            "effective",
            "framework",
            "categories",
            "rsc_eligibility",
            "prerequisites",
            "exam",
            "renewal",
        ),
    )
    name = ck.string(doc, "name", "") or ""
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        ck.add("version", f"must be a non-empty string (quote it in YAML), got {kind_of(version)}")
        version = ""
    effective = _effective(ck, doc)

    framework: dict[str, str] = {}
    if "framework" in doc:
        fw = ck.mapping(doc["framework"], "framework")
        if fw is not None:
            ck.keys(fw, "framework", ("id", "name", "version"))
            for key in ("id", "name", "version"):
                if key in fw:
                    value = ck.string(fw, key, "framework")
                    if value is not None:
                        framework[key] = value

    cats_doc = doc.get("categories")
    if not isinstance(cats_doc, Mapping) or not cats_doc:
        ck.add("categories", "must be a non-empty mapping of category code to category")
        cats_doc = {}
    codes = [str(c) for c in cats_doc]

    eligibility: dict[str, tuple[str, ...]] = {}
    elig_doc = ck.mapping(doc.get("rsc_eligibility", {}), "rsc_eligibility") or {}
    for key, creds in elig_doc.items():
        where = f"rsc_eligibility.{key}"
        check_credential(ck, str(key), where, codes)
        listed = ck.str_list(creds, where, nonempty=True) or ()
        for i, cred in enumerate(listed):
            check_credential(ck, cred, f"{where}[{i}]", codes)
        eligibility[str(key)] = listed

    categories: dict[str, Category] = {}
    for code, cdoc in cats_doc.items():
        where = f"categories.{code}"
        cdoc = ck.mapping(cdoc, where)
        if cdoc is None:
            continue
        ck.keys(cdoc, where, ("name", "family", "rank", "requires", "renewal"))
        cname = ck.string(cdoc, "name", where) or ""
        family = ck.string(cdoc, "family", where)
        if family is not None and family not in FAMILIES:
            ck.add(f"{where}.family", f"must be one of {', '.join(FAMILIES)}, got {family!r}")
        rank = ck.number(cdoc, "rank", where, integer=True)
        ctx = ParseContext(str(code), eligibility, codes, _node)
        if "requires" not in cdoc:
            ck.add(f"{where}.requires", "is required")
        requires = _node(ck, cdoc.get("requires"), f"{where}.requires", ctx)
        renewal = None
        if "renewal" in cdoc:
            renewal = _node(ck, cdoc["renewal"], f"{where}.renewal", ctx)
        categories[str(code)] = Category(
            str(code), cname, family or "", rank or 0, requires, renewal
        )

    prerequisites = _prerequisites(ck, doc.get("prerequisites", {}))

    exam = ExamRules()
    if "exam" in doc:
        edoc = ck.mapping(doc["exam"], "exam")
        if edoc is not None:
            ck.keys(edoc, "exam", ("questions", "pass_percent", "retake_after_months"))
            q = ck.number(edoc, "questions", "exam", required=False, integer=True, low=1)
            pp = ck.number(edoc, "pass_percent", "exam", required=False, high=100)
            rt = ck.number(edoc, "retake_after_months", "exam", required=False, integer=True)
            exam = ExamRules(
                questions=q if q is not None else exam.questions,
                pass_percent=pp if pp is not None else exam.pass_percent,
                retake_after_months=rt if rt is not None else exam.retake_after_months,
            )

    due = "12-31"
    if "renewal" in doc:
        rdoc = ck.mapping(doc["renewal"], "renewal")
        if rdoc is not None:
            ck.keys(rdoc, "renewal", ("due",))
            value = ck.string(rdoc, "due", "renewal")
            if value is not None:
                m = _DUE.match(value)
                try:
                    if not m:
                        raise ValueError
                    datetime.date(2001, int(m[1]), int(m[2]))  # 2001: no 29 February
                    due = value
                except ValueError:
                    ck.add("renewal.due", f"must be a day of the year MM-DD, got {value!r}")

    if ck.errors:
        raise RuleSetError(ck.errors)
    return RuleSet(
        name=name,
        version=version,
        effective=effective,
        framework=MappingProxyType(framework),
        categories=MappingProxyType(categories),
        rsc_eligibility=MappingProxyType(eligibility),
        prerequisites=MappingProxyType(prerequisites),
        exam=exam,
        renewal_due=due,
    )


def parse_rule_set_text(text: str, fmt: str = "json") -> RuleSet:
    """Parse a JSON or YAML rule set document and load it."""
    if fmt == "json":
        try:
            doc = load_json(text, max_nodes=MAX_RULE_SET_NODES)
        except json.JSONDecodeError as exc:
            raise RuleSetError(
                [Problem(f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}")]
            ) from None
        except DocumentError as exc:
            raise RuleSetError([Problem(exc.where, exc.message)]) from None
    elif fmt == "yaml":
        try:
            doc = load_yaml(text, max_nodes=MAX_RULE_SET_NODES)
        except DocumentError as exc:
            raise RuleSetError([Problem(exc.where, exc.message)]) from None
    else:
        raise ValueError(f"fmt must be 'json' or 'yaml', got {fmt!r}")
    return load_rule_set(doc)


def bind_areas(rule_set: RuleSet, areas: Iterable[AreaInfo]) -> RuleSet:
    """Return the rule set knowing the framework's areas; check area and category references."""
    areas = tuple(areas)
    ck = Checker()
    seen: set[str] = set()
    for i, area in enumerate(areas):
        if area.id in seen:
            ck.add(f"areas[{i}].id", f"area {area.id!r} is listed twice")
        seen.add(area.id)
        for cat in sorted(area.categories):
            if cat not in rule_set.categories:
                ck.add(f"areas[{i}].categories", f"unknown category {cat!r}")
    for cat in rule_set.categories.values():
        roots = [cat.requires] + ([cat.renewal] if cat.renewal else [])
        for node in (n for root in roots for n in root.walk()):
            if node.type != "area_coverage":
                continue
            wanted = node.params["areas"]
            if wanted == "category":
                continue  # a category no area applies to is refused when it is evaluated
            for j, area_id in enumerate(wanted):
                if area_id not in seen:
                    ck.add(f"{node.path}.areas[{j}]", f"unknown area {area_id!r}")
    if ck.errors:
        raise RuleSetError(ck.errors)
    return replace(rule_set, areas=areas)


def load_rule_set_file(path: str | Path) -> RuleSet:
    """Load a rule set from a .json, .yaml or .yml file."""
    path = Path(path)
    fmt = "json" if path.suffix == ".json" else "yaml"
    return parse_rule_set_text(path.read_text(encoding="utf-8"), fmt)


def default_rule_sets() -> list[RuleSet]:
    """Load the shipped Michigan-style rule sets, oldest first."""
    return [
        load_rule_set_file(DATA_DIR / "default_rules_2024.yaml"),
        load_rule_set_file(DATA_DIR / "default_rules.yaml"),
    ]
