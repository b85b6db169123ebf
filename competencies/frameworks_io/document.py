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
The document is validated by the pydantic models of `schema.py`.
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
    DomainDoc,
    FieldError,
    FrameworkDoc,
    FrameworkError,
    MoodleFields,
    Node,
)
from competencies.frameworks_io.schema import read_document
from lms.documents import DocumentError, load_json, load_yaml

# Values in one framework document (JSON or YAML): a few hundred competencies hold 5,000.
MAX_FRAMEWORK_NODES = 50_000

_MOODLE_FIELD_NAMES = tuple(f.name for f in fields(MoodleFields))


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
    return read_document(data)


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
