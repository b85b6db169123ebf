"""The pydantic models of our framework document, and the checks that span the whole tree.

`read_document(data)` validates a parsed JSON/YAML mapping and returns a `FrameworkDoc`, or
raises `FrameworkError` listing every problem in document order, each at its path
(``domains[2].areas[0].id``). Field validators word the problems of one value; pydantic's own
checks (a missing key, an unknown key, a mapping expected) are worded by `_wording`; what needs
the whole tree (duplicate ids, cross-references, a scale configuration without a scale, a
category listed twice) is `_cross_checks`, which walks the raw data so that a node with other
problems still takes part. References are reported last, once every id is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WrapValidator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from competencies.frameworks_io.model import (
    _CODE_RE,
    MAX_DEPTH,
    MAX_TEXT_LENGTH,
    AreaDoc,
    DomainDoc,
    FieldError,
    FrameworkDoc,
    FrameworkError,
    MoodleFields,
)
from lms.documents import load_json
from lms.validation import fail, location, problems

Loc = tuple[int | str, ...]


def kind(value: Any) -> str:
    """Return what a value is, in the words of this format's messages."""
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


# --------------------------------------------------------------------------- one value


def _text(*, required: bool, short: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            if required:
                raise fail("is missing")
            return ""
        # YAML reads `version: 2025` or `id: 7` as numbers; they are meant as text.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise fail(f"expected text, got {kind(value)}")
        value = value.strip()
        if required and not value:
            raise fail("is empty")
        if short and len(value) > MAX_TEXT_LENGTH:
            raise fail(f"is {len(value)} characters long; at most {MAX_TEXT_LENGTH}")
        return value

    return check


def _json_text(value: str) -> str:
    if value:
        try:
            load_json(value)
        except ValueError as exc:
            raise fail(f"is not valid JSON: {exc}") from None
    return value


def _a_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(f"expected a list, got {kind(value)}")
    return value


def _code(*, pattern: bool) -> Callable[[Any], str]:
    def check(item: Any) -> str:
        if not isinstance(item, str) or not item.strip():
            raise fail(f"expected non-empty text, got {kind(item)}")
        item = item.strip()
        if pattern and not _CODE_RE.match(item):
            raise fail(f"{item!r} is not a code (letters, digits, '-', '_', '.', '/' only)")
        return item

    return check


def _whole_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"expected a whole number, got {kind(value)}")
    return value


def _mapping_or_none(value: Any) -> Any:
    if value is not None and not isinstance(value, Mapping):
        raise fail(f"expected a mapping, got {kind(value)}")
    return value


def _nested(value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
    """Validate a child area one level deeper; refuse it past `MAX_DEPTH`."""
    context = info.context
    if not isinstance(value, Mapping):
        return handler(value)
    depth = context["depth"] + 1
    if depth > MAX_DEPTH:
        raise fail(f"is nested deeper than {MAX_DEPTH} levels")
    context["depth"] = depth
    try:
        return handler(value)
    finally:
        context["depth"] = depth - 1


Required = Annotated[str, BeforeValidator(_text(required=True, short=True))]
Text = Annotated[str, BeforeValidator(_text(required=False))]
JsonText = Annotated[str, BeforeValidator(_text(required=False)), AfterValidator(_json_text)]
Codes = Annotated[
    list[Annotated[str, BeforeValidator(_code(pattern=True))]], BeforeValidator(_a_list)
]
Refs = Annotated[
    list[Annotated[str, BeforeValidator(_code(pattern=False))]], BeforeValidator(_a_list)
]


# --------------------------------------------------------------------------- the models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MoodleModel(_Strict):
    """Moodle-only columns of one competency (the fields of `MoodleFields`)."""

    scale_values: Text = ""
    scale_configuration: Text = ""
    rule_type: Text = ""
    rule_outcome: Annotated[int, BeforeValidator(_whole_number)] = 0
    rule_config: JsonText = ""
    exported_id: Text = ""


Moodle = Annotated[MoodleModel | None, BeforeValidator(_mapping_or_none)]


class _NodeModel(_Strict):
    """What a domain and an area share."""

    id: Required
    name: Required
    description: Text = ""
    categories: Codes = []
    related: Refs = []
    moodle: Moodle = None


Kids = Annotated[list[Annotated["AreaModel", WrapValidator(_nested)]], BeforeValidator(_a_list)]


class AreaModel(_NodeModel):
    """A competency below a domain; `children` are deeper levels."""

    children: Kids = []


class DomainModel(_NodeModel):
    """A top-level competency."""

    areas: Kids = []


def _framework_or_empty(value: Any) -> Any:
    # Missing or not a mapping: _Cross says so, and the framework's own keys are missing.
    return value if isinstance(value, Mapping) else {}


def _domains(value: Any) -> Any:
    if value is None:
        raise fail("is missing")
    return _a_list(value)


class FrameworkModel(_Strict):
    """The framework's own fields."""

    name: Required
    version: Text = ""
    idnumber: Required
    description: Text = ""
    scale: Text = ""
    scale_configuration: JsonText = ""
    # One word per level, and Moodle's default is the same word for every level.
    taxonomies: Codes = []


class DocumentModel(_Strict):
    """A whole framework document."""

    framework: Annotated[FrameworkModel, BeforeValidator(_framework_or_empty)] = Field(
        default_factory=dict, validate_default=True
    )
    domains: Annotated[list[DomainModel], BeforeValidator(_domains)]


# The keys each mapping allows, in the order the format lists them (messages name them).
_ALLOWED: dict[str, tuple[str, ...]] = {
    "top": tuple(DocumentModel.model_fields),
    "framework": tuple(FrameworkModel.model_fields),
    "domain": ("id", "name", "description", "categories", "related", "areas", "moodle"),
    "area": ("id", "name", "description", "categories", "related", "children", "moodle"),
    "moodle": tuple(MoodleModel.model_fields),
}
# The order problems are listed in within one mapping (unknown keys come first).
_ORDER: dict[str, tuple[str, ...]] = {
    "top": ("framework", "domains"),
    "framework": (
        "name",
        "idnumber",
        "version",
        "description",
        "scale",
        "scale_configuration",
        "taxonomies",
    ),
    "domain": ("id", "name", "description", "categories", "related", "moodle", "areas"),
    "area": ("id", "name", "description", "categories", "related", "moodle", "children"),
    "moodle": (
        "scale_values",
        "scale_configuration",
        "rule_type",
        "exported_id",
        "rule_outcome",
        "rule_config",
    ),
}
_CHILD_KIND = {"framework": "framework", "domains": "domain", "areas": "area", "children": "area"}


def _kind_at(loc: Loc) -> str:
    """Return which model the mapping at `loc` is validated by."""
    current = "top"
    for part in loc:
        if isinstance(part, str):
            current = "moodle" if part == "moodle" else _CHILD_KIND.get(part, "value")
    return current


def _wording(error: ErrorDetails) -> str | None:
    kind_of_error, loc = error["type"], error["loc"]
    if kind_of_error == "missing":
        return "is missing"
    if kind_of_error == "extra_forbidden":
        return f"unknown key (allowed: {', '.join(_ALLOWED[_kind_at(loc[:-1])])})"
    if kind_of_error in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {kind(error['input'])}"
    return None


# --------------------------------------------------------------------------- the whole tree


def _value(check: Callable[[Any], str], raw: Any) -> str | None:
    try:
        return check(raw)
    except PydanticCustomError:
        return None


class _Cross:
    """Checks across nodes, on the raw data: duplicate ids and codes, references, the scale."""

    def __init__(self) -> None:
        self.errors: list[tuple[Loc, str]] = []
        self.late: list[tuple[Loc, str]] = []
        self.seen: dict[str, Loc] = {}
        self.references: list[tuple[Loc, str, str]] = []  # (where, referenced id, owner id)

    def document(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            return
        framework = data.get("framework")
        if framework is None:
            self.errors.append((("framework",), "is missing"))
        elif not isinstance(framework, Mapping):
            self.errors.append((("framework",), f"expected a mapping, got {kind(framework)}"))
        else:
            config = _value(_text(required=False), framework.get("scale_configuration"))
            scale = _value(_text(required=False), framework.get("scale"))
            if config and not scale:
                self.errors.append(
                    (("framework", "scale_configuration"), "is given without a scale")
                )
        domains = data.get("domains")
        if isinstance(domains, list):
            for i, raw in enumerate(domains):
                self.node(raw, ("domains", i), "areas", 1)
        for loc, ref, owner in self.references:
            if ref == owner:
                self.late.append((loc, f"{ref!r} refers to the competency itself"))
            elif ref not in self.seen:
                self.late.append((loc, f"no competency with id {ref!r}"))

    def node(self, raw: Any, loc: Loc, kids_key: str, depth: int) -> None:
        if not isinstance(raw, Mapping) or depth > MAX_DEPTH:
            return
        idnumber = _value(_text(required=True), raw.get("id")) or ""
        if idnumber:
            first = self.seen.get(idnumber)
            if first is not None:
                message = f"duplicate id {idnumber!r} (first at {location(first)})"
                self.errors.append(((*loc, "id"), message))
            else:
                self.seen[idnumber] = (*loc, "id")
        for key, pattern in (("categories", True), ("related", False)):
            values = raw.get(key)
            if not isinstance(values, list):
                continue
            kept: list[str] = []
            for j, item in enumerate(values):
                code = _value(_code(pattern=pattern), item)
                if code is None:
                    continue
                if code in kept:
                    self.errors.append(((*loc, key, j), f"{code!r} is listed twice"))
                    continue
                kept.append(code)
                if key == "related":
                    self.references.append(((*loc, key, j), code, idnumber))
        kids = raw.get(kids_key)
        if isinstance(kids, list):
            for j, kid in enumerate(kids):
                self.node(kid, (*loc, kids_key, j), "children", depth + 1)


def _order(loc: Loc) -> tuple[int, ...]:
    """Return a sort key putting problems in document order (unknown keys first in a node)."""
    out: list[int] = []
    current = "top"
    for part in loc:
        if isinstance(part, int):
            out.append(part)
            continue
        order = _ORDER.get(current, ())
        out.append(order.index(part) if part in order else -1)
        current = "moodle" if part == "moodle" else _CHILD_KIND.get(part, "value")
    return tuple(out)


def read_document(data: Any) -> FrameworkDoc:
    """Validate a parsed document; return it as a FrameworkDoc or raise FrameworkError."""
    found: list[tuple[int, tuple[int, ...], str, str]] = []
    model: DocumentModel | None = None
    try:
        model = DocumentModel.model_validate(data, context={"depth": 1})
    except ValidationError as exc:
        for error, (path, message) in zip(exc.errors(), problems(exc, _wording), strict=True):
            found.append((0, _order(error["loc"]), path, message))
    cross = _Cross()
    cross.document(data)
    found += [(0, _order(loc), location(loc), message) for loc, message in cross.errors]
    found += [(1, _order(loc), location(loc), message) for loc, message in cross.late]
    if found or model is None:
        found.sort(key=lambda f: (f[0], f[1]))
        raise FrameworkError([FieldError(path or "(document)", m) for _, _, path, m in found])
    return _framework(model)


# --------------------------------------------------------------------------- to the dataclasses


def _moodle(m: MoodleModel | None) -> MoodleFields | None:
    if m is None:
        return None
    return MoodleFields(
        m.scale_values,
        m.scale_configuration,
        m.rule_type,
        m.rule_outcome,
        m.rule_config or None,
        m.exported_id,
    )


def _area(m: AreaModel) -> AreaDoc:
    kids = tuple(_area(k) for k in m.children)
    return AreaDoc(
        m.id, m.name, m.description, tuple(m.categories), tuple(m.related), kids, _moodle(m.moodle)
    )


def _framework(m: DocumentModel) -> FrameworkDoc:
    domains = tuple(
        DomainDoc(
            d.id,
            d.name,
            d.description,
            tuple(_area(a) for a in d.areas),
            tuple(d.categories),
            tuple(d.related),
            _moodle(d.moodle),
        )
        for d in m.domains
    )
    fw = m.framework
    return FrameworkDoc(
        name=fw.name,
        version=fw.version,
        idnumber=fw.idnumber,
        description=fw.description,
        scale=fw.scale or None,
        domains=domains,
        scale_configuration=fw.scale_configuration or None,
        taxonomies=tuple(fw.taxonomies),
    )
