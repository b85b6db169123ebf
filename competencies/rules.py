"""Load, validate and serialise endorsement rule sets (categories and their requirement graph).

A rule set document is a mapping (from JSON or YAML). Every requirement is a node: a mapping
with exactly one key, the node type. Composite types: ``all_of: [nodes]``, ``any_of: [nodes]``,
``at_least: {n, of: [nodes]}``. Leaf types and their parameters are listed in LEAF_PARAMS;
every leaf also accepts an optional ``label``.

Normalised form (what `RuleSet.to_dict` returns): defaults filled in, optional parameters
without a default left out, dates as ISO strings, sequences as lists.
"""

from __future__ import annotations

import datetime
import graphlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from competencies.types import (
    AGREEMENT_DOCUMENTS,
    EDUCATION_LEVELS,
    WORK_KINDS,
    AreaInfo,
    Problem,
)
from lms.documents import DocumentError, load_json, load_yaml

COMPOSITE_TYPES = ("all_of", "any_of", "at_least")
FAMILIES = ("infant", "early_childhood")
ERS = "ERS"  # Endorsed Reflective Supervisor add-on: a credential, not a category
MAX_WINDOW_MONTHS = 60
# Values in one rule-set document: the shipped ones hold about 1,000.
MAX_RULE_SET_NODES = 20_000
DATA_DIR = Path(__file__).parent / "data"
_DUE = re.compile(r"^(\d\d)-(\d\d)$")


class RuleSetError(ValueError):
    """A rule set document is invalid; `.errors` lists every problem found."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = errors
        lines = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"invalid rule set: {lines}{more}")


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


# --- validation helpers --------------------------------------------------------------------


class _Checker:
    """Collect problems while normalising a document."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.errors.append(Problem(where, message))

    def mapping(self, value: Any, where: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(where, f"must be a mapping, got {_kind(value)}")
            return None
        return value

    def keys(self, doc: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in doc:
            if key not in allowed:
                self.add(_join(where, str(key)), f"unknown key (allowed: {', '.join(allowed)})")

    def string(self, doc: Mapping[str, Any], key: str, where: str, required: bool = True):
        path = _join(where, key)
        if key not in doc:
            if required:
                self.add(path, "is required")
            return None
        value = doc[key]
        if not isinstance(value, str) or not value.strip():
            self.add(path, f"must be a non-empty string, got {_kind(value)}")
            return None
        return value

    def number(
        self,
        doc: Mapping[str, Any],
        key: str,
        where: str,
        *,
        required: bool = True,
        integer: bool = False,
        low: float = 0,
        high: float | None = None,
    ):
        path = _join(where, key)
        if key not in doc:
            if required:
                self.add(path, "is required")
            return None
        value = doc[key]
        ok_type = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_type):
            want = "a whole number" if integer else "a number"
            self.add(path, f"must be {want}, got {_kind(value)}")
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.add(path, "must be a finite number")
            return None
        if value < low:
            self.add(path, f"must not be less than {low:g}, got {value:g}")
            return None
        if high is not None and value > high:
            self.add(path, f"must not be more than {high:g}, got {value:g}")
            return None
        return value

    def boolean(self, doc: Mapping[str, Any], key: str, where: str, default: bool):
        if key not in doc:
            return default
        value = doc[key]
        if not isinstance(value, bool):
            self.add(_join(where, key), f"must be true or false, got {_kind(value)}")
            return default
        return value

    def str_list(
        self,
        value: Any,
        where: str,
        *,
        allowed: Iterable[str] | None = None,
        nonempty: bool = False,
    ) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.add(where, f"must be a list, got {_kind(value)}")
            return None
        allowed_set = None if allowed is None else tuple(allowed)
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.add(f"{where}[{i}]", f"must be a non-empty string, got {_kind(item)}")
            elif allowed_set is not None and item not in allowed_set:
                self.add(
                    f"{where}[{i}]", f"unknown value {item!r} (allowed: {', '.join(allowed_set)})"
                )
            elif item in out:
                self.add(f"{where}[{i}]", f"{item!r} is listed twice")
            else:
                out.append(item)
        if nonempty and not value:
            self.add(where, "must not be empty")
        return tuple(out)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# --- leaf parameter normalisers: (checker, params, where, context) -> normalised dict ---------

_Ctx = dict[str, Any]  # "eligibility_keys", "category", "areas"


def _leaf_training_hours(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("min", "tags", "label"))
    out: dict[str, Any] = {"min": ck.number(p, "min", where)}
    tags = ck.str_list(p.get("tags", []), _join(where, "tags"))
    out["tags"] = tags if tags is not None else ()
    return out


def _leaf_area_coverage(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("areas", "label"))
    areas = p.get("areas", "category")
    if areas == "category":
        return {"areas": "category"}
    listed = ck.str_list(areas, _join(where, "areas"), nonempty=True)
    return {"areas": listed or ()}


def _leaf_rsc_hours(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(
        p,
        where,
        (
            "min",
            "window_months",
            "eligible",
            "max_providers",
            "majority_one_provider",
            "facilitated_groups_only",
            "about_giving_min",
            "label",
        ),
    )
    out: dict[str, Any] = {"min": ck.number(p, "min", where)}
    window = p.get("window_months", [12, 24])
    wpath = _join(where, "window_months")
    if (
        not isinstance(window, list)
        or len(window) != 2
        or any(isinstance(w, bool) or not isinstance(w, int) for w in window)
    ):
        ck.add(wpath, f"must be a list of two whole numbers [shortest, longest], got {window!r}")
        window = [12, 24]
    elif window[0] > window[1]:
        ck.add(wpath, f"shortest span {window[0]} is longer than the longest {window[1]} months")
    elif window[0] < 0 or window[1] < 1 or window[1] > MAX_WINDOW_MONTHS:
        ck.add(
            wpath,
            f"must lie within 0..{MAX_WINDOW_MONTHS} months with a longest of at "
            f"least 1, got {window!r}",
        )
    out["window_months"] = tuple(window)
    if "eligible" in p:
        eligible = p["eligible"]
        epath = _join(where, "eligible")
        if isinstance(eligible, str):
            if eligible not in ctx["eligibility_keys"]:
                ck.add(epath, f"{eligible!r} is not a key of rsc_eligibility")
            out["eligible"] = eligible
        else:
            listed = ck.str_list(eligible, epath, nonempty=True)
            if listed:
                for i, cred in enumerate(listed):
                    _check_credential(ck, cred, f"{epath}[{i}]", ctx["categories"])
            out["eligible"] = listed or ()
    else:
        code = ctx["category"]
        keys = ctx["eligibility_keys"]
        if code not in keys and not any(k.startswith(f"{code}:") for k in keys):
            ck.add(where, f"no rsc_eligibility entry for {code}; add one or set 'eligible'")
    providers = ck.number(p, "max_providers", where, required=False, integer=True, low=1)
    out["max_providers"] = providers if providers is not None else 2
    out["majority_one_provider"] = ck.boolean(p, "majority_one_provider", where, True)
    out["facilitated_groups_only"] = ck.boolean(p, "facilitated_groups_only", where, True)
    if "about_giving_min" in p:
        out["about_giving_min"] = ck.number(p, "about_giving_min", where)
    return out


def _leaf_work_experience(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("years", "kind", "families", "label"))
    out: dict[str, Any] = {"years": ck.number(p, "years", where)}
    kind = ck.string(p, "kind", where)
    if kind is not None and kind not in WORK_KINDS:
        ck.add(
            _join(where, "kind"), f"unknown work kind {kind!r} (allowed: {', '.join(WORK_KINDS)})"
        )
    out["kind"] = kind
    if "families" in p:
        out["families"] = ck.number(p, "families", where, integer=True)
    return out


def _leaf_education(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("alternatives", "label"))
    if "alternatives" not in p:
        ck.add(_join(where, "alternatives"), "is required")
        return {"alternatives": ()}
    alts = ck.str_list(
        p["alternatives"], _join(where, "alternatives"), allowed=EDUCATION_LEVELS, nonempty=True
    )
    return {"alternatives": alts or ()}


def _leaf_references(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("count", "void_if_not_enough_info", "label"))
    count = ck.number(p, "count", where, required=False, integer=True, low=1)
    void = ck.number(p, "void_if_not_enough_info", where, required=False, integer=True, low=1)
    return {
        "count": count if count is not None else 3,
        "void_if_not_enough_info": void if void is not None else 6,
    }


def _leaf_exam(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("pass_percent", "label"))
    out: dict[str, Any] = {}
    if "pass_percent" in p:
        out["pass_percent"] = ck.number(p, "pass_percent", where, high=100)
    return out


def _leaf_membership(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("label",))
    return {}


def _leaf_agreement(ck: _Checker, p: Mapping[str, Any], where: str, ctx: _Ctx):
    ck.keys(p, where, ("documents", "label"))
    docs = ck.str_list(
        p.get("documents", list(AGREEMENT_DOCUMENTS)), _join(where, "documents"), nonempty=True
    )
    return {"documents": docs or ()}


LEAF_PARAMS: dict[str, Callable[[_Checker, Mapping[str, Any], str, _Ctx], dict[str, Any]]] = {
    "training_hours": _leaf_training_hours,
    "area_coverage": _leaf_area_coverage,
    "rsc_hours": _leaf_rsc_hours,
    "work_experience": _leaf_work_experience,
    "education": _leaf_education,
    "references": _leaf_references,
    "exam": _leaf_exam,
    "membership": _leaf_membership,
    "agreement": _leaf_agreement,
}
NODE_TYPES = COMPOSITE_TYPES + tuple(LEAF_PARAMS)


def _check_credential(ck: _Checker, cred: str, where: str, categories: Iterable[str]) -> None:
    base, _, suffix = cred.partition(":")
    if base != ERS and base not in categories:
        ck.add(where, f"unknown category {base!r} in {cred!r}")
    if suffix and suffix not in EDUCATION_LEVELS:
        ck.add(where, f"unknown education level {suffix!r} in {cred!r}")


def _node(ck: _Checker, doc: Any, where: str, ctx: _Ctx) -> Node:
    if not isinstance(doc, Mapping) or len(doc) != 1:
        ck.add(
            where,
            f"a requirement must be a mapping with exactly one node type, got "
            f"{_kind(doc) if not isinstance(doc, Mapping) else list(doc)!r}",
        )
        return Node("all_of", MappingProxyType({}), (), where)
    ((ntype, body),) = doc.items()
    path = _join(where, str(ntype))
    if ntype in ("all_of", "any_of"):
        if not isinstance(body, list) or not body:
            ck.add(path, f"must be a non-empty list of requirements, got {_kind(body)}")
            return Node(ntype, MappingProxyType({}), (), path)
        kids = tuple(_node(ck, c, f"{path}[{i}]", ctx) for i, c in enumerate(body))
        return Node(ntype, MappingProxyType({}), kids, path)
    if ntype == "at_least":
        body = ck.mapping(body, path)
        if body is None:
            return Node(ntype, MappingProxyType({"n": 1}), (), path)
        ck.keys(body, path, ("n", "of"))
        of = body.get("of")
        if not isinstance(of, list) or not of:
            ck.add(_join(path, "of"), f"must be a non-empty list of requirements, got {_kind(of)}")
            of = []
        kids = tuple(_node(ck, c, f"{path}.of[{i}]", ctx) for i, c in enumerate(of))
        n = ck.number(body, "n", path, integer=True, low=1, high=max(len(kids), 1))
        return Node(ntype, MappingProxyType({"n": n or 1}), kids, path)
    if ntype not in LEAF_PARAMS:
        ck.add(path, f"unknown node type {ntype!r} (known: {', '.join(NODE_TYPES)})")
        return Node("all_of", MappingProxyType({}), (), path)
    if body is None:
        body = {}
    body = ck.mapping(body, path)
    if body is None:
        return Node(ntype, MappingProxyType({}), (), path)
    params = LEAF_PARAMS[ntype](ck, body, path, ctx)
    if "label" in body:
        params["label"] = ck.string(body, "label", path)
    return Node(ntype, MappingProxyType(params), (), path)


def _effective(ck: _Checker, doc: Mapping[str, Any]) -> datetime.date:
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
        ck.add("effective", f"must be a date YYYY-MM-DD, got {_kind(value)}")
    return datetime.date.min


def _prerequisites(ck: _Checker, doc: Any) -> dict[str, tuple[str, ...]]:
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
    ck = _Checker()
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
        ck.add("version", f"must be a non-empty string (quote it in YAML), got {_kind(version)}")
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
        _check_credential(ck, str(key), where, codes)
        listed = ck.str_list(creds, where, nonempty=True) or ()
        for i, cred in enumerate(listed):
            _check_credential(ck, cred, f"{where}[{i}]", codes)
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
        ctx: _Ctx = {"category": str(code), "eligibility_keys": eligibility, "categories": codes}
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
    ck = _Checker()
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
