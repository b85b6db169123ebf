"""Build each document's data from the database (read only; no rendering, no writes)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from certificates.render import (
    AreaMark,
    CompletionData,
    DomainAreas,
    DomainTotal,
    EndorsementData,
    ProgressData,
    RequirementLine,
    TrainingLine,
    TranscriptData,
)
from competencies.endorsements import category_names
from competencies.evaluator import missing_tasks
from competencies.models import Endorsement, Evidence
from competencies.pathways import evaluate_pathways, open_pathways
from competencies.rulesets import bound_rule_set, rule_set_in_force
from competencies.types import COUNTED, AreaInfo
from competencies.vocabulary import RESULT_STATUS_LABELS
from lms.errors import ServiceError
from lms.models import Association, User

# Filled in by the issuing service once the code is drawn.
PENDING_CODE = "PENDING"
PENDING_URL = "https://pending.invalid/verify"

_STATUS_WORDS = {code: name.lower() for code, name in RESULT_STATUS_LABELS.items()}
SOURCE_WORDS = {
    "courses": "trainer roster",
    "import": "CSV import",
    "csv": "CSV import",
    "self": "self-reported, verified",
    "xapi": "learning system (xAPI)",
    "lti": "learning system (LTI)",
}


class CertificateError(ServiceError, ValueError):
    """A certificate cannot be issued or changed as asked; `field` names the input at fault."""


def _month_year(day: dt.date) -> str:
    return f"{day:%B %Y}"


def progress_data(
    holder: User, association: Association, category: str | None, today: dt.date
) -> ProgressData:
    """Evaluate the holder's open pathway (the newest, or the one of `category`)."""
    pathways = [p for p in open_pathways(holder) if p.association_id == association.id]
    if category:
        pathways = [p for p in pathways if p.category == category]
    if not pathways:
        raise CertificateError(
            "There is no open pathway to report on; declare a goal first.", "category"
        )
    ev = evaluate_pathways(pathways[:1], today)[0]
    result, summary = ev.result, ev.summary
    requirements = []
    for leaf in result.leaves():
        status = _STATUS_WORDS.get(leaf.status, "not started")
        note = "; ".join(leaf.missing)
        if leaf.status == "expired":
            note = ("Expired. " + note).strip()
        if leaf.figures is not None and leaf.figures.target > 0:
            value, target, unit = leaf.figures.value, leaf.figures.target, leaf.figures.unit
        else:
            value, target, unit = (1.0 if leaf.met else 0.0), 1.0, ""
        requirements.append(
            RequirementLine(leaf.label, max(float(value), 0.0), float(target), unit, status, note)
        )
    rules = bound_rule_set(ev.pathway.rule_set)
    domains: dict[str, list[AreaMark]] = {}
    for area in rules.areas_for(ev.pathway.category):
        domains.setdefault(area.domain, []).append(AreaMark(area.name, area.id in summary.areas))
    if result.ready:
        forecast = "Every requirement is met: ready to apply"
    elif result.forecast is not None and result.forecast.ready_date is not None:
        forecast = f"Ready around {_month_year(result.forecast.ready_date)} at the current pace"
    else:
        forecast = "No projected date yet: some steps need an action"
    return ProgressData(
        holder_name=holder.display_name,
        association_name=association.name,
        category_code=ev.pathway.category,
        category_name=result.category_name or ev.pathway.category,
        as_of=today,
        overall_progress=min(max(float(result.progress), 0.0), 1.0),
        requirements=tuple(requirements),
        area_grid=tuple(DomainAreas(d, tuple(a)) for d, a in domains.items()),
        forecast_text=forecast,
        missing=missing_tasks(result),
        verification_code=PENDING_CODE,
        verify_url=PENDING_URL,
        issuer_line=f"Statement from the records of {association.name}",
        issued_on=today,
    )


def _areas_of(association: Association, today: dt.date) -> dict[str, AreaInfo]:
    row = rule_set_in_force(association, today)
    if row is None:
        return {}
    return {a.id: a for a in bound_rule_set(row).areas}


def _provider_name(ev: Evidence) -> str:
    details = ev.details or {}
    name = details.get("provider_name") or details.get("provider") or ""
    if not name and ev.provider_id is not None:
        name = ev.provider.display_name
    return str(name)


def counted_trainings(holder: User, association: Association):
    """Return the holder's counted training rows in the association, oldest first."""
    return (
        Evidence.select()
        .where(
            (Evidence.clinician == holder)
            & (Evidence.association == association)
            & (Evidence.kind == "training")
            & Evidence.status.in_(sorted(COUNTED))
        )
        .order_by(Evidence.occurred_on, Evidence.id)
    )


def transcript_data(holder: User, association: Association, today: dt.date) -> TranscriptData:
    """List every counted training with its hours and areas, and the hours per domain.

    A training dated after `today` is scheduled, not counted (as the evaluator and
    competencies.figures have it): listed apart, in no total.
    """
    areas = _areas_of(association, today)
    lines = []
    scheduled = []
    by_domain: dict[str, list[float]] = defaultdict(list)
    for ev in counted_trainings(holder, association):
        names = tuple(areas[a].name if a in areas else a for a in ev.area_list)
        ahead = ev.occurred_on > today
        if not ahead:
            for domain in sorted({areas[a].domain for a in ev.area_list if a in areas}):
                by_domain[domain].append(ev.hours)
        (scheduled if ahead else lines).append(
            TrainingLine(
                completed_on=ev.occurred_on,
                title=ev.label or "Training",
                provider=_provider_name(ev),
                hours=float(ev.hours),
                areas=names,
                source=SOURCE_WORDS.get(ev.source, ev.source.replace("_", " ")),
            )
        )
    domain_order = list(dict.fromkeys(a.domain for a in areas.values()))
    totals = tuple(DomainTotal(d, math.fsum(by_domain[d])) for d in domain_order if d in by_domain)
    return TranscriptData(
        holder_name=holder.display_name,
        association_name=association.name,
        as_of=today,
        trainings=tuple(lines),
        scheduled=tuple(scheduled),
        domain_totals=totals,
        verification_code=PENDING_CODE,
        verify_url=PENDING_URL,
        issuer_line=f"Statement from the records of {association.name}",
        issued_on=today,
    )


def completion_data(ev: Evidence, trainer: User | None, today: dt.date) -> CompletionData:
    """Describe one counted training row as a completion certificate."""
    if ev.kind != "training" or ev.status not in COUNTED:
        raise CertificateError("Only a counted training can get a certificate.", "evidence")
    association = ev.association
    areas = _areas_of(association, today)
    trainer_name = trainer.display_name if trainer is not None else ""
    return CompletionData(
        holder_name=ev.clinician.display_name,
        training_title=ev.label or "Training",
        provider_name=_provider_name(ev) or association.name,
        completed_on=ev.occurred_on,
        hours=float(ev.hours),
        areas=tuple(areas[a].name if a in areas else a for a in ev.area_list),
        trainer_name=trainer_name,
        verification_code=PENDING_CODE,
        verify_url=PENDING_URL,
        issuer_line=f"Issued for {association.name}",
        issued_on=today,
    )


def endorsement_data(endorsement: Endorsement, today: dt.date) -> EndorsementData:
    """Describe an active endorsement as its certificate."""
    if endorsement.status != "active":
        raise CertificateError(
            f"This endorsement is {endorsement.status}; only an active one gets a certificate.",
            "endorsement",
        )
    association = endorsement.association
    names = category_names(association, endorsement.awarded_on)
    return EndorsementData(
        association_name=association.name,
        holder_name=endorsement.clinician.display_name,
        category_code=endorsement.category,
        category_name=names.get(endorsement.category, ""),
        endorsement_number=endorsement.number,
        awarded_on=endorsement.awarded_on,
        renewal_due=endorsement.renewal_due,
        verification_code=PENDING_CODE,
        verify_url=PENDING_URL,
        issuer_line=f"Issued by {association.name}",
        issued_on=today,
    )
