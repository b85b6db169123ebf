"""Import and export competency frameworks: our JSON/YAML document and Moodle's CSV.

Pure code: no Flask, no database, no network.

The model
---------
A framework (`FrameworkDoc`) holds top-level competencies, the *domains* (`DomainDoc`), and each
domain holds *areas* (`AreaDoc`). Moodle frameworks may be deeper than two levels, so an area may
have child areas; the hierarchy is kept as it is. `FrameworkDoc.areas()` returns the leaves below
the domains: those are what evidence is tagged with. Identifiers (`idnumber`) are stable strings
such as "TF" or "TF-ATTACH", unique across the framework's competencies.

Descriptions are HTML reduced by nh3 to p, br, strong, em, ul, ol, li and a[href] (http/https
only); script and style are dropped with their content. The dataclasses sanitise on construction,
so a description in a document is always the safe subset. We never render them raw anyway.

`categories` lists the Endorsement category codes an area applies to (free-form codes: an
unknown code is not an error here; the rule set decides what it means). An empty tuple means the
document does not say. `related` lists the idnumbers of cross-referenced competencies.

Our format (JSON or YAML, same structure)
-----------------------------------------
```yaml
framework:
  name: Demo competency framework (illustrative)   # required
  idnumber: IMH-DEMO                                # required
  version: "2025"                                   # optional, text
  description: <p>...</p>                           # optional, HTML
  scale: Not yet demonstrated,Demonstrated          # optional, Moodle scale values
  scale_configuration: '[{"scaleid":""}, ...]'      # optional, Moodle's JSON (derived if absent)
  taxonomies: [domain, competency]                  # optional, Moodle's word per level
domains:
  - id: TF                                          # required
    name: Theoretical Foundations                   # required
    description: ...                                # optional, as are categories and related
    areas:
      - id: TF-PREG
        name: Pregnancy & early parenthood
        categories: [IFA, IFS, IFRS, IMHS]
        related: [REF-SELF]
        children: []                                # optional: deeper levels, same keys
        moodle: {rule_type: ..., rule_outcome: 1}   # optional: Moodle-only columns, verbatim
```
Unknown keys, a missing id or name, and a duplicate id anywhere are errors; `where` is a path
such as "domains[2].areas[0].id". A category or related id listed twice is an error, but a
taxonomy word may repeat: Moodle's default names every level "competency".

One reader for both formats: the Moodle importer checks the CSV (naming lines and columns), then
passes its result through the reader of our format, which is also what reads a stored framework
back. So whatever an import accepts re-reads to the same document.

Moodle's CSV (admin tool "tool_lpimportcsv")
--------------------------------------------
Fourteen columns (`MOODLE_HEADER`); the row with "Is framework" = 1 is the framework, every other
row a competency whose "Parent id number" names its parent (empty at the top level). Rows may
come in any order. Header names are matched ignoring case, spaces and hyphens, so every Moodle
version's spelling ("ID number", "Short name") is read; the four "(optional)" columns may be left
out. Errors name the line (the first physical line of the record) and the column.

Moodle has no column for category applicability or for a version, so the export keeps both in the
description as a trailing paragraph that Moodle shows as ordinary text and our importer reads
back: `<p>Applies to: IFS, IMHS</p>` on a competency, `<p>Version: 2025</p>` on the framework.
When the description itself already ends with such a paragraph and there is nothing to add, an
empty marker (`<p>Applies to: </p>`) is written so the round trip stays exact. Moodle-only
columns (competency scale, rules, exported id) are kept verbatim in `MoodleFields`. Non-HTML
descriptions (format 2 plain text, 4 Markdown) are imported as escaped text in paragraphs, and
every description is exported as HTML (format 1).

Moodle refuses a framework without a scale: set `scale` before exporting to Moodle.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

import nh3
import yaml

from lms.csvutil import SafeWriter, unneutralise
from lms.documents import DocumentError, load_json, load_yaml

# Values in one framework document (JSON or YAML): a few hundred competencies hold 5,000.
MAX_FRAMEWORK_NODES = 50_000

__all__ = [
    "MOODLE_HEADER",
    "AreaDoc",
    "DomainDoc",
    "FieldError",
    "FrameworkDoc",
    "FrameworkError",
    "MoodleFields",
    "demo_framework",
    "dump_framework",
    "dump_moodle_csv",
    "framework_to_dict",
    "load_framework",
    "load_moodle_csv",
    "sanitize_html",
]

# Moodle cuts idnumber and shortname to 100 characters on import; refuse rather than lose text.
MAX_TEXT_LENGTH = 100
# Real frameworks are a handful of levels deep; the cap keeps a hostile file from exhausting
# the recursion the tree code relies on.
MAX_DEPTH = 20

MOODLE_HEADER: tuple[str, ...] = (
    "Parent id number",
    "Id number",
    "Shortname",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency id numbers",
    "Exported id (optional)",
    "Is framework",
    "Taxonomy",
)
_MOODLE_KEYS = (
    "parent",
    "idnumber",
    "shortname",
    "description",
    "descriptionformat",
    "scalevalues",
    "scaleconfiguration",
    "ruletype",
    "ruleoutcome",
    "ruleconfig",
    "related",
    "exportid",
    "isframework",
    "taxonomy",
)
_LABEL = dict(zip(_MOODLE_KEYS, MOODLE_HEADER, strict=True))
_OPTIONAL_COLUMNS = frozenset({"ruletype", "ruleoutcome", "ruleconfig", "exportid"})

# Description format codes of Moodle (FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN).
_FORMAT_HTML_LIKE = frozenset({0, 1})
_FORMAT_TEXT_LIKE = frozenset({2, 4})

_CLEANER = nh3.Cleaner(
    tags={"p", "br", "strong", "em", "ul", "ol", "li", "a"},
    attributes={"a": {"href"}},
    url_schemes={"http", "https"},
    url_relative="deny",
    clean_content_tags={"script", "style"},
    link_rel=None,
)

_CODE = r"[A-Za-z0-9][A-Za-z0-9_.\-/]*"
_CODE_RE = re.compile(rf"{_CODE}\Z")
_APPLIES_RE = re.compile(
    rf"<p>\s*Applies to:\s*((?:{_CODE}(?:\s*,\s*{_CODE})*)?)\s*(?:<br>)?\s*</p>\s*\Z"
)
_VERSION_RE = re.compile(r"<p>\s*Version:\s*([^<]*?)\s*(?:<br>)?\s*</p>\s*\Z")


def sanitize_html(text: str) -> str:
    """Return `text` reduced to the safe HTML subset, trimmed."""
    return _CLEANER.clean(text).strip() if text else ""


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class FieldError:
    """One problem in an imported document."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class FrameworkError(ValueError):
    """A framework document or CSV could not be read; `.errors` lists every problem found."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} error(s): {shown}{more}")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class MoodleFields:
    """Moodle-only columns of one competency, kept so a Moodle export re-exports unchanged."""

    scale_values: str = ""
    scale_configuration: str = ""
    rule_type: str = ""
    rule_outcome: int = 0
    rule_config: str | None = None
    exported_id: str = ""


def _normalise(node: Any, kids_field: str) -> None:
    # Frozen dataclasses: normalise through object.__setattr__ so equality is on canonical values.
    object.__setattr__(node, "description", sanitize_html(node.description))
    object.__setattr__(node, "categories", tuple(node.categories))
    object.__setattr__(node, "related", tuple(node.related))
    object.__setattr__(node, kids_field, tuple(getattr(node, kids_field)))
    if node.moodle == MoodleFields():
        object.__setattr__(node, "moodle", None)


@dataclass(frozen=True)
class AreaDoc:
    """A competency below a domain; `children` holds deeper levels when a framework has them."""

    idnumber: str
    name: str
    description: str = ""
    categories: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    children: tuple[AreaDoc, ...] = ()
    moodle: MoodleFields | None = None

    def __post_init__(self) -> None:
        _normalise(self, "children")


@dataclass(frozen=True)
class DomainDoc:
    """A top-level competency of a framework."""

    idnumber: str
    name: str
    description: str = ""
    areas: tuple[AreaDoc, ...] = ()
    categories: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    moodle: MoodleFields | None = None

    def __post_init__(self) -> None:
        _normalise(self, "areas")

    @property
    def children(self) -> tuple[AreaDoc, ...]:
        """Return the areas, under the name every node of the tree uses."""
        return self.areas


Node = DomainDoc | AreaDoc


def _default_scale_configuration(scale: str) -> str:
    # Moodle's shape: the scale id first, then items by 1-based position. First value is the
    # default, last value is proficient, which is how a two-value "not yet / yes" scale reads.
    count = len(scale.split(","))
    items: list[dict[str, Any]] = [{"scaleid": ""}]
    if count == 1:
        items.append({"id": 1, "scaledefault": 1, "proficient": 1})
    else:
        items.append({"id": 1, "scaledefault": 1, "proficient": 0})
        items.append({"id": count, "scaledefault": 0, "proficient": 1})
    return json.dumps(items, separators=(",", ":"))


@dataclass(frozen=True)
class FrameworkDoc:
    """A competency framework: domains, then areas, possibly deeper."""

    name: str
    version: str
    idnumber: str
    description: str = ""
    scale: str | None = None
    domains: tuple[DomainDoc, ...] = ()
    scale_configuration: str | None = None
    taxonomies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", sanitize_html(self.description))
        object.__setattr__(self, "domains", tuple(self.domains))
        object.__setattr__(self, "taxonomies", tuple(self.taxonomies))
        if self.scale and self.scale_configuration is None:
            object.__setattr__(
                self, "scale_configuration", _default_scale_configuration(self.scale)
            )

    def walk(self) -> Iterator[tuple[Node, str, int]]:
        """Yield (node, parent idnumber or "", depth) in document order, parents first."""
        stack: list[tuple[Node, str, int]] = [(d, "", 1) for d in reversed(self.domains)]
        while stack:
            node, parent, depth = stack.pop()
            yield node, parent, depth
            stack.extend((c, node.idnumber, depth + 1) for c in reversed(node.children))

    def areas(self) -> tuple[AreaDoc, ...]:
        """Return the leaf competencies below the domains, in document order."""
        return tuple(n for n, _, _ in self.walk() if isinstance(n, AreaDoc) and not n.children)

    def areas_for(self, category: str) -> tuple[AreaDoc, ...]:
        """Return the areas that list `category` among the categories they apply to."""
        return tuple(a for a in self.areas() if category in a.categories)

    def node(self, idnumber: str) -> Node:
        """Return the domain or area with this idnumber; raise KeyError if there is none."""
        for n, _, _ in self.walk():
            if n.idnumber == idnumber:
                return n
        raise KeyError(idnumber)


# --------------------------------------------------------------------------- our format

_TOP_KEYS = ("framework", "domains")
_FRAMEWORK_KEYS = (
    "name",
    "version",
    "idnumber",
    "description",
    "scale",
    "scale_configuration",
    "taxonomies",
)
_DOMAIN_KEYS = ("id", "name", "description", "categories", "related", "areas", "moodle")
_AREA_KEYS = ("id", "name", "description", "categories", "related", "children", "moodle")
_MOODLE_FIELD_NAMES = tuple(f.name for f in fields(MoodleFields))


def _at(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


class _DocReader:
    """Turn a parsed mapping into a FrameworkDoc, collecting every error on the way."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.seen: dict[str, str] = {}
        self.references: list[tuple[str, str, str]] = []  # (where, referenced id, owner id)

    def error(self, where: str, message: str) -> None:
        self.errors.append(FieldError(where or "(document)", message))

    def keys(self, data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(_at(where, str(key)), f"unknown key (allowed: {', '.join(allowed)})")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.error(where, f"expected a mapping, got {_kind(value)}")
        return None

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(_at(where, key), "is missing")
            return ""
        # YAML reads `version: 2025` or `id: 7` as numbers; they are meant as text.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(_at(where, key), f"expected text, got {_kind(value)}")
            return ""
        value = value.strip()
        if required and not value:
            self.error(_at(where, key), "is empty")
        return value

    def short(self, value: str, where: str) -> None:
        if len(value) > MAX_TEXT_LENGTH:
            self.error(where, f"is {len(value)} characters long; at most {MAX_TEXT_LENGTH}")

    def codes(
        self, data: Mapping[str, Any], key: str, where: str, *, pattern: bool, unique: bool = True
    ) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        here = _at(where, key)
        if not isinstance(value, list):
            self.error(here, f"expected a list, got {_kind(value)}")
            return []
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.error(_at(here, i), f"expected non-empty text, got {_kind(item)}")
                continue
            item = item.strip()
            if pattern and not _CODE_RE.match(item):
                self.error(
                    _at(here, i),
                    f"{item!r} is not a code (letters, digits, '-', '_', '.', '/' only)",
                )
                continue
            if unique and item in out:
                self.error(_at(here, i), f"{item!r} is listed twice")
                continue
            out.append(item)
        return out

    def framework(self, data: Any) -> FrameworkDoc | None:
        top = self.mapping(data, "")
        if top is None:
            return None
        self.keys(top, _TOP_KEYS, "")
        fw = top.get("framework")
        if fw is None:
            self.error("framework", "is missing")
            fw = {}
        fw = self.mapping(fw, "framework") or {}
        self.keys(fw, _FRAMEWORK_KEYS, "framework")
        name = self.text(fw, "name", "framework", required=True)
        idnumber = self.text(fw, "idnumber", "framework", required=True)
        self.short(name, "framework.name")
        self.short(idnumber, "framework.idnumber")
        version = self.text(fw, "version", "framework", required=False)
        description = self.text(fw, "description", "framework", required=False)
        scale = self.text(fw, "scale", "framework", required=False) or None
        config = self.text(fw, "scale_configuration", "framework", required=False) or None
        if config is not None:
            self.json_text(config, "framework.scale_configuration")
            if scale is None:
                self.error("framework.scale_configuration", "is given without a scale")
        # One word per level, and Moodle's default is the same word for every level.
        taxonomies = self.codes(fw, "taxonomies", "framework", pattern=True, unique=False)

        raw_domains = top.get("domains")
        domains: list[DomainDoc] = []
        if raw_domains is None:
            self.error("domains", "is missing")
        elif not isinstance(raw_domains, list):
            self.error("domains", f"expected a list, got {_kind(raw_domains)}")
        else:
            for i, raw in enumerate(raw_domains):
                node = self.node(raw, _at("domains", i), domain=True)
                if isinstance(node, DomainDoc):
                    domains.append(node)
        for where, ref, owner in self.references:
            if ref == owner:
                self.error(where, f"{ref!r} refers to the competency itself")
            elif ref not in self.seen:
                self.error(where, f"no competency with id {ref!r}")
        return FrameworkDoc(
            name=name,
            version=version,
            idnumber=idnumber,
            description=description,
            scale=scale,
            domains=tuple(domains),
            scale_configuration=config,
            taxonomies=tuple(taxonomies),
        )

    def json_text(self, value: str, where: str) -> None:
        try:
            load_json(value)
        except ValueError as exc:
            self.error(where, f"is not valid JSON: {exc}")

    def node(self, raw: Any, where: str, *, domain: bool, depth: int = 1) -> Node | None:
        data = self.mapping(raw, where)
        if data is None:
            return None
        if depth > MAX_DEPTH:
            self.error(where, f"is nested deeper than {MAX_DEPTH} levels")
            return None
        kids_key = "areas" if domain else "children"
        self.keys(data, _DOMAIN_KEYS if domain else _AREA_KEYS, where)
        idnumber = self.text(data, "id", where, required=True)
        name = self.text(data, "name", where, required=True)
        self.short(idnumber, _at(where, "id"))
        self.short(name, _at(where, "name"))
        if idnumber:
            if idnumber in self.seen:
                self.error(
                    _at(where, "id"), f"duplicate id {idnumber!r} (first at {self.seen[idnumber]})"
                )
            else:
                self.seen[idnumber] = _at(where, "id")
        description = self.text(data, "description", where, required=False)
        categories = self.codes(data, "categories", where, pattern=True)
        related = self.codes(data, "related", where, pattern=False)
        for i, ref in enumerate(related):
            self.references.append((_at(_at(where, "related"), i), ref, idnumber))
        moodle = self.moodle(data.get("moodle"), _at(where, "moodle"))
        kids: list[AreaDoc] = []
        raw_kids = data.get(kids_key)
        if raw_kids is not None:
            if not isinstance(raw_kids, list):
                self.error(_at(where, kids_key), f"expected a list, got {_kind(raw_kids)}")
            else:
                for i, raw_kid in enumerate(raw_kids):
                    kid = self.node(
                        raw_kid, _at(_at(where, kids_key), i), domain=False, depth=depth + 1
                    )
                    if isinstance(kid, AreaDoc):
                        kids.append(kid)
        if domain:
            return DomainDoc(
                idnumber, name, description, tuple(kids), tuple(categories), tuple(related), moodle
            )
        return AreaDoc(
            idnumber, name, description, tuple(categories), tuple(related), tuple(kids), moodle
        )

    def moodle(self, raw: Any, where: str) -> MoodleFields | None:
        if raw is None:
            return None
        data = self.mapping(raw, where)
        if data is None:
            return None
        self.keys(data, _MOODLE_FIELD_NAMES, where)
        values: dict[str, Any] = {}
        for key in ("scale_values", "scale_configuration", "rule_type", "exported_id"):
            values[key] = self.text(data, key, where, required=False)
        outcome = data.get("rule_outcome", 0)
        if isinstance(outcome, bool) or not isinstance(outcome, int):
            self.error(_at(where, "rule_outcome"), f"expected a whole number, got {_kind(outcome)}")
            outcome = 0
        values["rule_outcome"] = outcome
        config = self.text(data, "rule_config", where, required=False) or None
        if config is not None:
            self.json_text(config, _at(where, "rule_config"))
        values["rule_config"] = config
        return MoodleFields(**values)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def load_framework(
    source: str | bytes | Mapping[str, Any], fmt: Literal["json", "yaml"] = "json"
) -> FrameworkDoc:
    """Read a framework from our JSON or YAML text, or from an already parsed mapping."""
    if isinstance(source, Mapping):
        data: Any = source
    else:
        try:
            text = source.decode("utf-8-sig") if isinstance(source, bytes) else source
        except UnicodeDecodeError as exc:
            where = f"byte {exc.start + 1}"
            raise FrameworkError([FieldError(where, "not valid UTF-8")]) from None
        data = _parse_text(text, fmt)
    reader = _DocReader()
    doc = reader.framework(data)
    if reader.errors or doc is None:
        raise FrameworkError(reader.errors)
    return doc


def _parse_text(text: str, fmt: str) -> Any:
    if fmt == "json":
        try:
            return load_json(text, max_nodes=MAX_FRAMEWORK_NODES)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise FrameworkError([FieldError(where, f"invalid JSON: {exc.msg}")]) from None
        except DocumentError as exc:
            raise FrameworkError([FieldError(exc.where, exc.message)]) from None
    if fmt == "yaml":
        try:
            return load_yaml(text, max_nodes=MAX_FRAMEWORK_NODES)
        except DocumentError as exc:
            raise FrameworkError([FieldError(exc.where, exc.message)]) from None
    raise ValueError(f"fmt must be 'json' or 'yaml', not {fmt!r}")


def _node_dict(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node.idnumber, "name": node.name}
    if node.description:
        out["description"] = node.description
    if node.categories:
        out["categories"] = list(node.categories)
    if node.related:
        out["related"] = list(node.related)
    if node.moodle is not None:
        defaults = MoodleFields()
        out["moodle"] = {
            f: getattr(node.moodle, f)
            for f in _MOODLE_FIELD_NAMES
            if getattr(node.moodle, f) != getattr(defaults, f)
        }
    if node.children:
        key = "areas" if isinstance(node, DomainDoc) else "children"
        out[key] = [_node_dict(c) for c in node.children]
    return out


def framework_to_dict(doc: FrameworkDoc) -> dict[str, Any]:
    """Return `doc` as plain data in our format (optional keys only when set)."""
    fw: dict[str, Any] = {"name": doc.name, "idnumber": doc.idnumber}
    if doc.version:
        fw["version"] = doc.version
    if doc.description:
        fw["description"] = doc.description
    if doc.scale:
        fw["scale"] = doc.scale
    if doc.scale_configuration:
        fw["scale_configuration"] = doc.scale_configuration
    if doc.taxonomies:
        fw["taxonomies"] = list(doc.taxonomies)
    return {"framework": fw, "domains": [_node_dict(d) for d in doc.domains]}


def dump_framework(doc: FrameworkDoc, fmt: Literal["json", "yaml"] = "json") -> str:
    """Write `doc` in our format as JSON or YAML text."""
    data = framework_to_dict(doc)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"fmt must be 'json' or 'yaml', not {fmt!r}")


# --------------------------------------------------------------------------- Moodle CSV


@dataclass(frozen=True)
class _Row:
    line: int
    parent: str
    idnumber: str
    name: str
    description: str
    categories: tuple[str, ...]
    related: tuple[str, ...]
    moodle: MoodleFields | None


def _header_key(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


# Spellings differ between Moodle versions ("ID number", "Short name", "Cross referenced ...").
_HEADER_KEYS = {_header_key(label): key for key, label in _LABEL.items()}


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    errors: list[FieldError] = []
    # 0x0A never occurs inside a multi-byte UTF-8 sequence, so physical lines decode alone.
    for number, chunk in enumerate(data.split(b"\n"), start=1):
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(
                FieldError(
                    f"line {number}, byte {exc.start + 1}",
                    f"not valid UTF-8 (byte 0x{chunk[exc.start]:02X}); the file looks like "
                    "Latin-1/Windows-1252: save it as 'CSV UTF-8' and import again",
                )
            )
    raise FrameworkError(errors)


def _records(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip() for cell in record):
                # Undo the formula quoting of our own export (lms.csvutil), exactly.
                records.append((start, [unneutralise(cell) for cell in record]))
    except csv.Error as exc:
        raise FrameworkError([FieldError(f"line {end + 1}", f"malformed CSV: {exc}")]) from None
    return records


def _map_header(header: list[str], line: int, errors: list[FieldError]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, label in enumerate(header):
        key = _HEADER_KEYS.get(_header_key(label))
        where = f"line {line}, column {index + 1}"
        if key is None:
            errors.append(FieldError(where, f"unknown column {label.strip()!r}"))
        elif key in columns:
            errors.append(FieldError(where, f"column {_LABEL[key]!r} appears twice"))
        else:
            columns[key] = index
    missing = [_LABEL[k] for k in _MOODLE_KEYS if k not in columns and k not in _OPTIONAL_COLUMNS]
    if missing:
        errors.append(
            FieldError(f"line {line}", "missing column(s): " + ", ".join(repr(m) for m in missing))
        )
    return columns


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def _split_marker(description: str, pattern: re.Pattern[str]) -> tuple[str, str | None]:
    match = pattern.search(description)
    if match is None:
        return description, None
    return description[: match.start()].strip(), match.group(1)


def _split_related(cell: str) -> tuple[str, ...]:
    # Moodle escapes a comma inside an idnumber as %2C in this comma-separated list.
    out: list[str] = []
    for raw in cell.split(","):
        ref = raw.strip().replace("%2C", ",")
        if ref and ref not in out:
            out.append(ref)
    return tuple(out)


def load_moodle_csv(stream: BinaryIO) -> FrameworkDoc:
    """Read a framework from a CSV in the format of Moodle's tool_lpimportcsv."""
    data = stream.read()
    if not isinstance(data, bytes):
        raise TypeError("load_moodle_csv needs a binary stream (open the file with 'rb')")
    records = _records(_decode(data))
    if not records:
        raise FrameworkError([FieldError("line 1", "the file is empty; expected the header row")])
    errors: list[FieldError] = []
    header_line, header = records[0]
    columns = _map_header(header, header_line, errors)
    if errors:
        raise FrameworkError(errors)

    framework: tuple[int, dict[str, str]] | None = None
    rows: list[_Row] = []
    for line, record in records[1:]:
        if len(record) != len(header):
            errors.append(
                FieldError(
                    f"line {line}", f"has {len(record)} fields; the header has {len(header)}"
                )
            )
            continue
        cells = {key: record[index].strip() for key, index in columns.items()}
        flag = cells["isframework"].lower()
        if flag in ("1", "true", "yes"):
            if framework is not None:
                errors.append(
                    FieldError(
                        f"line {line}, Is framework",
                        f"a second framework row (the first is on line {framework[0]})",
                    )
                )
            else:
                framework = (line, cells)
            continue
        if flag not in ("", "0", "false", "no"):
            errors.append(
                FieldError(f"line {line}, Is framework", f"expected 1 or 0, not {flag!r}")
            )
            continue
        row = _competency_row(line, cells, errors)
        if row is not None:
            rows.append(row)

    if framework is None:
        errors.append(FieldError("(file)", "no framework row (a row with 'Is framework' = 1)"))
    doc_fields = _framework_fields(*framework, errors) if framework else None
    domains = _build_tree(rows, errors)
    if errors or doc_fields is None:
        raise FrameworkError(sorted(errors, key=_error_order))
    # The stored document is re-read by load_framework: pass the result through that same reader,
    # so that this importer can never accept what re-reading would refuse.
    return load_framework(framework_to_dict(FrameworkDoc(domains=domains, **doc_fields)))


def _error_order(error: FieldError) -> tuple[int, str]:
    match = re.match(r"line (\d+)", error.where)
    return (int(match.group(1)) if match else 0, error.where)


def _description(line: int, cells: dict[str, str], errors: list[FieldError]) -> str:
    raw_format = cells.get("descriptionformat", "")
    try:
        fmt = int(raw_format) if raw_format else 1
    except ValueError:
        fmt = -1
    if fmt in _FORMAT_TEXT_LIKE:
        return sanitize_html(_text_to_html(cells["description"]))
    if fmt not in _FORMAT_HTML_LIKE:
        errors.append(
            FieldError(
                f"line {line}, Description format",
                f"expected 0, 1, 2 or 4 (Moodle's text formats), not {raw_format!r}",
            )
        )
    return sanitize_html(cells["description"])


def _check_text(line: int, key: str, value: str, errors: list[FieldError]) -> None:
    where = f"line {line}, {_LABEL[key]}"
    if not value:
        errors.append(FieldError(where, "is empty"))
    elif len(value) > MAX_TEXT_LENGTH:
        errors.append(
            FieldError(where, f"is {len(value)} characters long; at most {MAX_TEXT_LENGTH}")
        )


def _check_json(line: int, key: str, value: str, errors: list[FieldError]) -> None:
    try:
        load_json(value)
    except ValueError as exc:
        errors.append(FieldError(f"line {line}, {_LABEL[key]}", f"is not valid JSON: {exc}"))


def _framework_fields(line: int, cells: dict[str, str], errors: list[FieldError]) -> dict[str, Any]:
    _check_text(line, "idnumber", cells["idnumber"], errors)
    _check_text(line, "shortname", cells["shortname"], errors)
    if cells["parent"]:
        errors.append(
            FieldError(f"line {line}, Parent id number", "must be empty on the framework row")
        )
    description, version = _split_marker(_description(line, cells, errors), _VERSION_RE)
    scale = cells["scalevalues"] or None
    config = cells["scaleconfiguration"] or None
    if config is not None:
        _check_json(line, "scaleconfiguration", config, errors)
    taxonomies = tuple(t.strip() for t in cells["taxonomy"].split(",") if t.strip())
    for word in taxonomies:
        if not _CODE_RE.match(word):
            errors.append(FieldError(f"line {line}, Taxonomy", f"{word!r} is not a taxonomy word"))
    return {
        "name": cells["shortname"],
        "version": html.unescape(version) if version else "",
        "idnumber": cells["idnumber"],
        "description": description,
        "scale": scale,
        "scale_configuration": config if scale else None,
        "taxonomies": taxonomies,
    }


def _competency_row(line: int, cells: dict[str, str], errors: list[FieldError]) -> _Row | None:
    count = len(errors)
    _check_text(line, "idnumber", cells["idnumber"], errors)
    _check_text(line, "shortname", cells["shortname"], errors)
    description, applies = _split_marker(_description(line, cells, errors), _APPLIES_RE)
    categories = tuple(dict.fromkeys(c.strip() for c in (applies or "").split(",") if c.strip()))
    outcome_text = cells.get("ruleoutcome", "")
    try:
        outcome = int(outcome_text) if outcome_text else 0
    except ValueError:
        errors.append(
            FieldError(
                f"line {line}, Rule outcome (optional)",
                f"expected a whole number, not {outcome_text!r}",
            )
        )
        outcome = 0
    rule_config = cells.get("ruleconfig", "")
    if rule_config in ("", "null"):
        rule_config = ""
    else:
        _check_json(line, "ruleconfig", rule_config, errors)
    if cells["scaleconfiguration"]:
        _check_json(line, "scaleconfiguration", cells["scaleconfiguration"], errors)
    if len(errors) > count:
        return None
    moodle = MoodleFields(
        scale_values=cells["scalevalues"],
        scale_configuration=cells["scaleconfiguration"],
        rule_type=cells.get("ruletype", ""),
        rule_outcome=outcome,
        rule_config=rule_config or None,
        exported_id=cells.get("exportid", ""),
    )
    return _Row(
        line=line,
        parent=cells["parent"],
        idnumber=cells["idnumber"],
        name=cells["shortname"],
        description=description,
        categories=categories,
        related=_split_related(cells["related"]),
        moodle=moodle,
    )


def _build_tree(rows: list[_Row], errors: list[FieldError]) -> tuple[DomainDoc, ...]:
    by_id: dict[str, _Row] = {}
    for row in rows:
        first = by_id.get(row.idnumber)
        if first is not None:
            errors.append(
                FieldError(
                    f"line {row.line}, Id number",
                    f"duplicate id number {row.idnumber!r} (first on line {first.line})",
                )
            )
        else:
            by_id[row.idnumber] = row
    for row in rows:
        if by_id.get(row.idnumber) is not row:
            continue
        if row.parent and row.parent not in by_id:
            errors.append(
                FieldError(
                    f"line {row.line}, Parent id number",
                    f"no competency with id number {row.parent!r}",
                )
            )
        for ref in row.related:
            where = f"line {row.line}, {_LABEL['related']}"
            if ref == row.idnumber:
                errors.append(FieldError(where, f"{ref!r} refers to the competency itself"))
            elif ref not in by_id:
                errors.append(FieldError(where, f"no competency with id number {ref!r}"))
    if not _find_cycles(by_id, errors):
        _check_depth(by_id, errors)

    children: dict[str, list[_Row]] = {}
    for row in by_id.values():
        children.setdefault(row.parent, []).append(row)

    def area(row: _Row) -> AreaDoc:
        kids = tuple(area(k) for k in children.get(row.idnumber, ()))
        return AreaDoc(
            row.idnumber, row.name, row.description, row.categories, row.related, kids, row.moodle
        )

    return tuple(
        DomainDoc(
            row.idnumber,
            row.name,
            row.description,
            tuple(area(k) for k in children.get(row.idnumber, ())),
            row.categories,
            row.related,
            row.moodle,
        )
        for row in children.get("", ())
    )


def _check_depth(by_id: dict[str, _Row], errors: list[FieldError]) -> None:
    depth: dict[str, int] = {}
    for start in by_id:
        path: list[str] = []
        current = start
        while current in by_id and current not in depth:
            path.append(current)
            current = by_id[current].parent
        level = depth.get(current, 0)
        for idnumber in reversed(path):
            level += 1
            depth[idnumber] = level
            if level == MAX_DEPTH + 1:
                errors.append(
                    FieldError(
                        f"line {by_id[idnumber].line}, Parent id number",
                        f"the hierarchy is deeper than {MAX_DEPTH} levels",
                    )
                )


def _find_cycles(by_id: dict[str, _Row], errors: list[FieldError]) -> bool:
    """Report every cycle in the parent links; return whether there was one."""
    count = len(errors)
    done: set[str] = set()
    for start in by_id:
        path: list[str] = []
        current: str | None = start
        while current is not None and current not in done and current in by_id:
            if current in path:
                cycle = path[path.index(current) :]
                first = min(cycle, key=lambda i: by_id[i].line)
                chain = " -> ".join(cycle + [current])
                errors.append(
                    FieldError(
                        f"line {by_id[first].line}, Parent id number",
                        f"parent links form a cycle: {chain}",
                    )
                )
                break
            path.append(current)
            current = by_id[current].parent or None
        done.update(path)
    return len(errors) > count


def _with_marker(description: str, label: str, value: str, pattern: re.Pattern[str]) -> str:
    # An empty marker is still written when the text itself ends like one, so it is not mistaken
    # for ours on the way back.
    if value or pattern.search(description):
        return f"{description}<p>{label}: {value}</p>"
    return description


def dump_moodle_csv(doc: FrameworkDoc, *, bom: bool = False) -> bytes:
    """Write `doc` as a Moodle tool_lpimportcsv CSV (UTF-8, RFC 4180 quoting, CRLF)."""
    out = io.StringIO(newline="")
    writer = SafeWriter(out)  # formula-safe; load_moodle_csv undoes it exactly
    writer.writerow(MOODLE_HEADER)
    version = html.escape(doc.version, quote=False)
    writer.writerow(
        [
            "",
            doc.idnumber,
            doc.name,
            _with_marker(doc.description, "Version", version, _VERSION_RE),
            "1",
            doc.scale or "",
            (doc.scale_configuration or "") if doc.scale else "",
            "",
            "",
            "",
            "",
            "",
            "1",
            ",".join(doc.taxonomies),
        ]
    )
    for node, parent, _ in doc.walk():
        extra = node.moodle or MoodleFields()
        writer.writerow(
            [
                parent,
                node.idnumber,
                node.name,
                _with_marker(
                    node.description, "Applies to", ", ".join(node.categories), _APPLIES_RE
                ),
                "1",
                extra.scale_values,
                extra.scale_configuration,
                extra.rule_type,
                str(extra.rule_outcome),
                extra.rule_config if extra.rule_config is not None else "null",
                ",".join(r.replace(",", "%2C") for r in node.related),
                extra.exported_id,
                "",
                "",
            ]
        )
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- demo

_DEMO_PATH = Path(__file__).parent / "data" / "demo_framework.yaml"


@lru_cache(maxsize=1)
def demo_framework() -> FrameworkDoc:
    """Return the small illustrative framework shipped with the app (names only)."""
    return load_framework(_DEMO_PATH.read_text(encoding="utf-8"), fmt="yaml")
