"""Our framework format: a JSON or YAML document read into a `FrameworkDoc`, and written back.

Pure code: no Flask, no database, no network.

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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

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
    Node,
)
from lms.documents import DocumentError, load_json, load_yaml

# Values in one framework document (JSON or YAML): a few hundred competencies hold 5,000.
MAX_FRAMEWORK_NODES = 50_000

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


_DEMO_PATH = Path(__file__).parent.parent / "data" / "demo_framework.yaml"


@lru_cache(maxsize=1)
def demo_framework() -> FrameworkDoc:
    """Return the small illustrative framework shipped with the app (names only)."""
    return load_framework(_DEMO_PATH.read_text(encoding="utf-8"), fmt="yaml")
