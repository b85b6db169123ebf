"""Read uploaded JSON and YAML documents without letting a small one cost a lot.

Every YAML document of the app (rule sets, frameworks, portfolios) is read by `load_yaml`:
PyYAML's safe loader, with three refusals made while the document is composed, before any
Python object is built:

- anchors and aliases (`&a`, `*a`, and so the `<<` merge key) are refused outright, naming
  the line and column: an alias repeats a subtree without its bytes (the "billion laughs"),
  and no document of the app needs one;
- more than `max_nodes` values (keys count) or nesting deeper than `max_depth`;
- more than `max_text` characters in all its keys and values together.

So the limits are on the document as it would be expanded, not only on its bytes. JSON has no
aliases; `load_json` applies the same node, depth and text limits to what it parsed, and turns
the decoder's recursion error on deep nesting into the same refusal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

MAX_NODES = 50_000
MAX_DEPTH = 64
MAX_TEXT = 4_000_000


class DocumentError(ValueError):
    """A document is refused; `where` is "line L, column C" or "(document)".

    `syntax` is true when the text is not YAML at all (rather than YAML over a limit).
    """

    def __init__(self, where: str, message: str, *, syntax: bool = False) -> None:
        self.where = where
        self.message = message
        self.syntax = syntax
        super().__init__(f"{where}: {message}")


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and oversized documents while composing, and
    names an impossible date (2025-02-30) at its place instead of failing."""

    def construct_real_timestamp(self, node: Any) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            raise DocumentError(_at(node.start_mark), f"{node.value} is not a real date.") from None

    def __init__(self, text: str, max_nodes: int, max_depth: int, max_text: int) -> None:
        super().__init__(text)
        self._max = (max_nodes, max_depth, max_text)
        self._nodes = self._depth = self._text = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        max_nodes, max_depth, max_text = self._max
        if isinstance(event, yaml.AliasEvent):
            raise DocumentError(
                _at(event.start_mark),
                f"YAML anchors and aliases are not accepted (found the alias *{event.anchor}); "
                "write each value out in full.",
            )
        if getattr(event, "anchor", None) is not None:
            raise DocumentError(
                _at(event.start_mark),
                f"YAML anchors and aliases are not accepted (found the anchor &{event.anchor}); "
                "write each value out in full.",
            )
        self._nodes += 1
        if self._nodes > max_nodes:
            raise DocumentError(
                _at(event.start_mark),
                f"the document has more than {max_nodes:,} values; split it or shorten it.",
            )
        if isinstance(event, yaml.ScalarEvent):
            self._text += len(event.value)
            if self._text > max_text:
                raise DocumentError(
                    _at(event.start_mark),
                    f"the document holds more than {max_text:,} characters of text.",
                )
        if self._depth >= max_depth:
            raise DocumentError(
                _at(event.start_mark), f"the document is nested deeper than {max_depth} levels."
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _BoundedLoader.construct_real_timestamp
)


def load_yaml(
    text: str,
    *,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
    max_text: int = MAX_TEXT,
) -> Any:
    """Return the one YAML document in `text` as plain Python values, or raise DocumentError."""
    loader = _BoundedLoader(text, max_nodes, max_depth, max_text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(_at(mark), f"invalid YAML: {problem}", syntax=True) from None
    finally:
        loader.dispose()


def load_json(
    text: str,
    *,
    parse_constant: Callable[[str], Any] | None = None,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
    max_text: int = MAX_TEXT,
) -> Any:
    """Return the parsed JSON within the limits; json.JSONDecodeError is left to the caller."""
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise DocumentError(
            "(document)", f"the document is nested deeper than {max_depth} levels."
        ) from None
    check_parsed(value, max_nodes=max_nodes, max_depth=max_depth, max_text=max_text)
    return value


def check_parsed(
    value: Any,
    *,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
    max_text: int = MAX_TEXT,
) -> None:
    """Raise DocumentError when parsed JSON values exceed the limits (walked without recursion)."""
    nodes = text = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise DocumentError(
                "(document)",
                f"the document has more than {max_nodes:,} values; split it or shorten it.",
            )
        if depth > max_depth:
            raise DocumentError(
                "(document)", f"the document is nested deeper than {max_depth} levels."
            )
        if isinstance(item, str):
            text += len(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                text += len(key) if isinstance(key, str) else 0
                nodes += 1
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        if text > max_text:
            raise DocumentError(
                "(document)", f"the document holds more than {max_text:,} characters of text."
            )
