"""Help beside what is missing: each task links to the page that does it, and each uncovered
competency area lists the association's upcoming trainings that cover it.

The pages of later plugins (trainings, supervision, exams, references) are found through the
`task_pages` and `area_trainings` signals; an app without such a plugin shows the task without a
link. Only reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, url_for

from competencies.evaluator import missing_tasks
from competencies.nodes.result import Result
from lms.signals import UpcomingTraining, area_trainings, task_pages

# Rule-node types whose evidence the clinician adds on competencies' own pages: kind of record.
OWN_PAGES = {
    "education": ("education", "Add your education"),
    "work_experience": ("work", "Add work experience"),
    "membership": ("membership", "Add your membership"),
    "agreement": ("agreement", "Sign it here"),
}
TRAININGS_SHOWN = 3


@dataclass(frozen=True)
class Task:
    text: str
    url: str | None = None
    link_text: str | None = None


def tasks_with_links(
    result: Result, association_id: int | None, pathway_id: int | None
) -> list[Task]:
    """The root's missing tasks, each with the page that does it when one is known."""
    tasks = missing_tasks(result)
    if not tasks:
        return []
    owner: dict[str, str] = {}
    for leaf in result.leaves():
        for task in leaf.missing:
            owner.setdefault(task, leaf.type)
    types = {owner[t] for t in tasks if t in owner}
    pages: dict[str, tuple[str, str]] = {
        node_type: (url_for("competencies.new_evidence", kind=kind), text)
        for node_type, (kind, text) in OWN_PAGES.items()
        if node_type in types
    }
    app = current_app._get_current_object()
    replies = task_pages.send(
        app, node_types=frozenset(types), association_id=association_id, pathway_id=pathway_id
    )
    for _, found in replies:
        for node_type, page in (found or {}).items():
            if node_type in types:
                pages.setdefault(node_type, page)
    out = []
    for task in tasks:
        url, text = pages.get(owner.get(task, ""), (None, None))
        out.append(Task(task, url, text))
    return out


def trainings_for_areas(
    area_ids: Iterable[str], association_id: int | None, today: dt.date
) -> dict[str, list[UpcomingTraining]]:
    """Upcoming trainings of the association that cover each of the given areas."""
    wanted = list(dict.fromkeys(area_ids))
    if not wanted or association_id is None:
        return {}
    out: dict[str, list[UpcomingTraining]] = {}
    app = current_app._get_current_object()
    for _, found in area_trainings.send(
        app, association_id=association_id, area_ids=wanted, today=today
    ):
        for area, trainings in (found or {}).items():
            if area in wanted:
                out.setdefault(area, []).extend(trainings)
    return {
        area: sorted(found, key=lambda t: (t.starts_on, t.title))[:TRAININGS_SHOWN]
        for area, found in out.items()
    }
