"""The framework document model: domains, areas, errors and the safe HTML of descriptions.

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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import nh3

from lms.validation import Problem, ProblemsError

# Moodle cuts idnumber and shortname to 100 characters on import; refuse rather than lose text.
MAX_TEXT_LENGTH = 100
# Real frameworks are a handful of levels deep; the cap keeps a hostile file from exhausting
# the recursion the tree code relies on.
MAX_DEPTH = 20

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


def sanitize_html(text: str) -> str:
    """Return `text` reduced to the safe HTML subset, trimmed."""
    return _CLEANER.clean(text).strip() if text else ""


# --------------------------------------------------------------------------- errors


FieldError = Problem  # one problem in an imported document: `where` and `message`


class FrameworkError(ProblemsError):
    """A framework document or CSV could not be read; `.errors` lists every problem found."""

    shown = 5

    def summary(self) -> str:
        """Return the count and the first five problems."""
        return f"{len(self.errors)} error(s): {super().summary()}"


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
