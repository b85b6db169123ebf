"""The figures shown for a clinician, read from one evaluation: every page takes them from here.

The transcript, the pathway page and its chart, the RSC page, the progress PDF, the readiness
report and the API show the same hours, counts and percentage because each reads them from
the same `pathways.Evaluation` of the same day (pure: no queries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from competencies.nodes.result import Result


def percent(progress: float, ready: bool) -> int:
    """Return progress as a whole percentage: floored, 100 only once every rule is met."""
    if ready:
        return 100
    return min(math.floor(max(progress, 0.0) * 100 + 1e-9), 99)


@dataclass(frozen=True)
class Headline:
    """One pathway's headline figures (0 where the category asks for none of a kind)."""

    percent: int
    training_hours: float
    training_target: float
    training_count: int
    rsc_hours: float
    rsc_target: float
    rsc_sessions: int
    references: float
    references_target: float


def _leaf(result: Result, node_type: str) -> Result | None:
    return next((leaf for leaf in result.leaves() if leaf.type == node_type), None)


def _value(leaf: Result | None) -> tuple[float, float]:
    if leaf is None or leaf.figures is None:
        return 0.0, 0.0
    return float(leaf.figures.value), float(leaf.figures.target)


def headline(ev) -> Headline:
    """Return the headline figures of an evaluation (`pathways.Evaluation`)."""
    result = ev.result
    training = _value(_leaf(result, "training_hours"))
    rsc_leaf = _leaf(result, "rsc_hours")
    rsc = _value(rsc_leaf)
    refs = _value(_leaf(result, "references"))
    counted = {it.id for it in ev.summary.items if it.kind == "rsc"}
    sessions = len(set(rsc_leaf.evidence_ids) & counted) if rsc_leaf is not None else 0
    return Headline(
        percent=percent(result.progress, bool(result.ready)),
        training_hours=training[0],
        training_target=training[1],
        training_count=ev.summary.training_count,
        rsc_hours=rsc[0],
        rsc_target=rsc[1],
        rsc_sessions=sessions,
        references=refs[0],
        references_target=refs[1],
    )
