"""What a home page lists to do: one line per kind of waiting work, with its count and link.

Plugins answer the `dashboard_panels` signal with `Todo` items next to (or instead of) their
panels; the home page gathers every Todo of every plugin into one "To do" list. A Todo's count
comes from one aggregate query, never from loading the rows it counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Todo:
    """How many things of one kind wait for the person, and where to act on them.

    `label` follows the count ("3 reviews waiting for you"); `since` is when the oldest one
    started waiting (a date or a UTC datetime), `due` the soonest date it must be done by.
    """

    count: int
    label: str
    url: str
    order: int = 50
    since: dt.date | dt.datetime | None = None
    due: dt.date | None = None


def plural(count: int, one: str, many: str) -> str:
    """Return `one` or `many` as the count asks."""
    return one if count == 1 else many


def waited(since: dt.date | dt.datetime | None, today: dt.date) -> str:
    """Say how long the oldest has waited: "since 3 March 2026 (12 days)"."""
    if since is None:
        return ""
    day = since.date() if isinstance(since, dt.datetime) else since
    days = max((today - day).days, 0)
    how_long = "today" if days == 0 else f"{days} {plural(days, 'day', 'days')}"
    return f"the oldest since {day.day} {day.strftime('%B %Y')} ({how_long})"


def split(results: list) -> tuple[list[Todo], list[tuple]]:
    """Separate the Todo items of the signal's answers from the (order, template, dict) panels,
    each sorted by order; to-dos with something waiting come first."""
    todos = [r for r in results if isinstance(r, Todo)]
    panels = [r for r in results if not isinstance(r, Todo)]
    todos.sort(key=lambda t: (t.count == 0, t.order, t.label))
    panels.sort(key=lambda p: p[0])
    return todos, panels
