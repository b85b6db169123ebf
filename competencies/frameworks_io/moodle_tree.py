"""Build the tree of a Moodle framework from its competency rows: parents, cycles, depth.

Rows may come in any order in Moodle's file; each names its parent by id number. Errors name
the line of the row and the column ("Parent id number", "Id number", cross-references).
"""

from __future__ import annotations

from dataclasses import dataclass

from competencies.frameworks_io.model import (
    MAX_DEPTH,
    AreaDoc,
    DomainDoc,
    FieldError,
    MoodleFields,
)
from lms.tabular import RowError

Problems = list[FieldError | RowError]  # file-level ones, then row problems naming line and column
RELATED = "Cross-referenced competency id numbers"


@dataclass(frozen=True)
class Row:
    """One competency row of a Moodle file, checked, with the line it starts on."""

    line: int
    parent: str
    idnumber: str
    name: str
    description: str
    categories: tuple[str, ...]
    related: tuple[str, ...]
    moodle: MoodleFields | None


def build_tree(rows: list[Row], errors: Problems) -> tuple[DomainDoc, ...]:
    by_id: dict[str, Row] = {}
    for row in rows:
        first = by_id.get(row.idnumber)
        if first is not None:
            errors.append(
                RowError(
                    row.line,
                    "Id number",
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
                RowError(
                    row.line,
                    "Parent id number",
                    f"no competency with id number {row.parent!r}",
                )
            )
        for ref in row.related:
            column = RELATED
            if ref == row.idnumber:
                message = f"{ref!r} refers to the competency itself"
                errors.append(RowError(row.line, column, message))
            elif ref not in by_id:
                errors.append(RowError(row.line, column, f"no competency with id number {ref!r}"))
    if not find_cycles(by_id, errors):
        check_depth(by_id, errors)

    children: dict[str, list[Row]] = {}
    for row in by_id.values():
        children.setdefault(row.parent, []).append(row)

    def area(row: Row) -> AreaDoc:
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


def check_depth(by_id: dict[str, Row], errors: Problems) -> None:
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
                    RowError(
                        by_id[idnumber].line,
                        "Parent id number",
                        f"the hierarchy is deeper than {MAX_DEPTH} levels",
                    )
                )


def find_cycles(by_id: dict[str, Row], errors: Problems) -> bool:
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
                    RowError(
                        by_id[first].line,
                        "Parent id number",
                        f"parent links form a cycle: {chain}",
                    )
                )
                break
            path.append(current)
            current = by_id[current].parent or None
        done.update(path)
    return len(errors) > count
