"""Say whether sessions count and why not, with the competencies evaluator (no rules here).

A session is added to the clinician's summary as a hypothetical attested item (negative id),
every open pathway is evaluated, and the not-counted reasons that name that id are reported.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from competencies.evaluator import Result, fmt
from competencies.figures import Headline, headline
from competencies.models import Evidence, Pathway
from competencies.nodes import NODE_TYPES
from competencies.nodes.base import Explanation, explanation
from competencies.pathways import evaluate_pathways, evaluate_with, open_pathways
from competencies.rules import Node
from competencies.rulesets import bound_rule_set
from competencies.summaries import build_summaries, empty_summary
from competencies.types import EvidenceItem, Summary
from lms.models import User
from supervision.credentials import credentials_of
from supervision.models import RscSession


@dataclass(frozen=True)
class Verdict:
    """Whether one session would count toward one pathway, and why not."""

    category: str
    category_name: str
    needed: bool  # the category asks for RSC at all
    counts: bool
    reasons: tuple[str, ...]


@dataclass
class Draft:
    """A session not necessarily stored: what the evaluator needs to judge it."""

    key: int  # the hypothetical item's id: negative
    occurred_on: dt.date
    hours: float
    format: str
    facilitated: bool
    about_giving_rsc: bool
    provider: User
    credentials: list[str] = field(default_factory=list)
    evidence_id: int | None = None  # the session's own ledger row, left out of the summary


def draft_of(session: RscSession, credentials: list[str] | None = None) -> Draft:
    """Return the draft of a stored session (its provider's credentials as of now)."""
    return Draft(
        key=-session.id,
        occurred_on=session.occurred_on,
        hours=session.hours,
        format=session.format,
        facilitated=session.facilitated,
        about_giving_rsc=session.about_giving_rsc,
        provider=session.provider,
        credentials=(
            credentials
            if credentials is not None
            else credentials_of(session.provider, session.association_id)
        ),
        evidence_id=session.evidence_id,
    )


def _item(d: Draft) -> EvidenceItem:
    return EvidenceItem(
        id=d.key,
        kind="rsc",
        date=d.occurred_on,
        status="attested",
        hours=d.hours,
        provider_id=d.provider.id,
        details={
            "format": d.format,
            "facilitated": d.facilitated,
            "about_giving_rsc": d.about_giving_rsc,
            "provider_credentials": d.credentials,
            "provider_name": d.provider.display_name,
        },
        label=f"Reflective supervision with {d.provider.display_name}",
    )


def _rsc_leaf(result: Result) -> Result | None:
    """Return the first leaf whose node type judges reflective supervision sessions."""
    return next((leaf for leaf in result.leaves() if "rsc" in _kinds(leaf.type)), None)


def _kinds(node_type: str) -> tuple[str, ...]:
    found = NODE_TYPES.get(node_type)  # a renewal with nothing due has no node type
    return found.kinds if found is not None else ()


def with_drafts(summary: Summary, drafts: Iterable[Draft]) -> Summary:
    """Return the summary with the drafts added as attested items (their own rows left out)."""
    drafts = list(drafts)
    own = {d.evidence_id for d in drafts if d.evidence_id is not None}
    kept = tuple(it for it in summary.items if it.id not in own)
    return replace(summary, items=kept + tuple(_item(d) for d in drafts))


def verdicts(
    clinician: User, drafts: list[Draft], as_of: dt.date | None = None
) -> dict[int, list[Verdict]]:
    """Judge drafts against each open pathway of the clinician: {draft key: verdicts}."""
    as_of = as_of or dt.date.today()
    out: dict[int, list[Verdict]] = {d.key: [] for d in drafts}
    if not drafts:
        return out
    summaries = build_summaries(as_of=as_of, clinician_ids=[clinician.id])
    base = summaries.get(clinician.id) or empty_summary(clinician.id)
    summary = with_drafts(base, drafts)
    for pathway in open_pathways(clinician):
        result = evaluate_with(pathway.rule_set, pathway.category, summary, as_of)
        leaf = _rsc_leaf(result)
        not_counted = explanation(result, {}).reasons
        for d in drafts:
            if leaf is None:
                verdict = Verdict(pathway.category, result.category_name or "", False, False, ())
            else:
                reasons = tuple(not_counted.get(d.key, ()))
                counts = d.key in leaf.evidence_ids
                verdict = Verdict(
                    pathway.category, result.category_name or "", True, counts, reasons
                )
            out[d.key].append(verdict)
    return out


# --- the clinician's RSC page ---------------------------------------------------------------


@dataclass(frozen=True)
class ProviderHours:
    name: str
    counted: float
    recorded: float


@dataclass(frozen=True)
class RscView:
    """One pathway's RSC picture: window, hours by provider, forecast, not-counted reasons."""

    pathway: Pathway
    result: Result
    leaf: Result | None
    first: dt.date | None
    last: dt.date | None
    months: int
    window_closes: dt.date | None
    window_hi: int | None
    by_provider: list[ProviderHours]
    forecast_text: str
    warnings: tuple[str, ...]
    reasons: dict[int, list[str]]  # evidence id -> reasons it does not count
    figures: Headline | None = None  # the pathway's headline figures (sessions that count)


def months_between(first: dt.date, last: dt.date) -> int:
    """Return the whole months from first to last (12 for 2025-01-15 .. 2026-01-15)."""
    months = (last.year - first.year) * 12 + last.month - first.month
    return months - 1 if last.day < first.day else months


def _rule_node(pathway: Pathway, leaf: Result) -> Node | None:
    """Return the requirement of the pathway's rule set that a leaf result evaluated."""
    rules = bound_rule_set(pathway.rule_set)
    for node in rules.category(pathway.category).requires.walk():
        if node.path == leaf.path and node.type == leaf.type:
            return node
    return None


def rsc_views(clinician: User, as_of: dt.date | None = None) -> list[RscView]:
    """Return the RSC picture of each open pathway (one round of summary queries)."""
    as_of = as_of or dt.date.today()
    views = []
    for ev in evaluate_pathways(list(open_pathways(clinician)), as_of):
        views.append(replace(rsc_view(ev.pathway, ev.result, ev.summary), figures=headline(ev)))
    return views


@dataclass(frozen=True)
class SessionRow:
    """One session on the clinician's RSC page: logged here, or a ledger row recorded by the
    association (no logged session behind it)."""

    session: RscSession | None
    evidence_id: int | None
    occurred_on: dt.date
    hours: float
    format: str
    group_size: int | None
    provider_name: str
    status: str  # pending | attested | rejected | void
    reason: str
    waiting_since: dt.date | None  # a pending logged session: the day it was logged


def session_rows(clinician: User) -> list[SessionRow]:
    """Return every RSC session of the clinician, newest first (two queries): the logged ones
    and the ledger's RSC rows that no logged session holds, so the list holds every session
    the RSC figure counts."""
    logged = list(
        RscSession.select(RscSession, User)
        .join(User, on=RscSession.provider)
        .where(RscSession.clinician == clinician)
    )
    held = {s.evidence_id for s in logged if s.evidence_id is not None}
    rows = [
        SessionRow(
            s,
            s.evidence_id,
            s.occurred_on,
            s.hours,
            s.format,
            s.group_size,
            s.provider.display_name,
            s.status,
            s.reject_reason,
            s.created_at.date() if s.status == "pending" else None,
        )
        for s in logged
    ]
    ledger_rows = Evidence.select().where(
        (Evidence.clinician == clinician) & (Evidence.kind == "rsc") & (Evidence.status != "void")
    )
    for e in ledger_rows:
        if e.id in held:
            continue
        d = e.details or {}
        rows.append(
            SessionRow(
                None,
                e.id,
                e.occurred_on,
                e.hours,
                str(d.get("format") or "individual"),
                d.get("group_size"),
                str(d.get("provider_name") or ""),
                e.status,
                "",
                None,
            )
        )
    rows.sort(key=lambda r: (r.occurred_on, r.evidence_id or 0), reverse=True)
    return rows


def rsc_view(pathway: Pathway, result: Result, summary: Summary) -> RscView:
    """Build the RSC picture of one evaluated pathway."""
    leaf = _rsc_leaf(result)
    items = {it.id: it for it in summary.items if it.kind == "rsc"}
    if leaf is not None:  # the leaf's node type says what counted, the window and why not
        why = NODE_TYPES[leaf.type].explain(leaf, items, _rule_node(pathway, leaf))
    else:
        why = Explanation((), None, None)
    counted = why.counted
    first, last = why.first, why.last
    hours: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    counted_ids = {it.id for it in counted}
    for it in items.values():
        if not it.counted:
            continue
        name = str(it.details.get("provider_name") or "") or "No provider named"
        hours[name][1] += it.hours
        if it.id in counted_ids:
            hours[name][0] += it.hours
    by_provider = sorted(
        (ProviderHours(name, c, r) for name, (c, r) in hours.items()),
        key=lambda p: (-p.counted, -p.recorded, p.name),
    )
    forecast_text = ""
    warnings: tuple[str, ...] = ()
    if result.forecast is not None:
        warnings = tuple(w for w in result.forecast.warnings if "supervision" in w or "RSC" in w)
        if leaf is not None:
            forecast_text = next(
                (f.text for f in result.forecast.leaves if f.path == leaf.path), ""
            )
    return RscView(
        pathway,
        result,
        leaf,
        first,
        last,
        months_between(first, last) if first and last else 0,
        why.window_closes,
        why.window_months[1] if why.window_months else None,
        by_provider,
        forecast_text,
        warnings,
        dict(why.reasons),
    )


def hours_text(value: float) -> str:
    """Format hours as the evaluator does: 4, 32.5, 0.25."""
    return fmt(value)
