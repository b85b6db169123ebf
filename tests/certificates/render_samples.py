"""Build sample documents for the renderer tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

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

NAME = "Zoë Ñúñez-Łukasiewicz"
CODE = "7KQ2-M9XD-4TRE-B6WN"
URL = "https://pathway.example.org/verify/7KQ2-M9XD-4TRE-B6WN"
ISSUER = "Issued by the Example Association for Infant Mental Health"


def progress(**changes: object) -> ProgressData:
    """Return a realistic IMHS progress report, with fields replaced by changes."""
    data = ProgressData(
        holder_name=NAME,
        association_name="Example Association for Infant Mental Health",
        category_code="IMHS",
        category_name="Infant Mental Health Specialist",
        as_of=date(2026, 3, 14),
        overall_progress=0.64,
        requirements=(
            RequirementLine("Training hours", 21, 33, "h", "in progress", "12 h still to go"),
            RequirementLine("RSC", 32.5, 50, "h", "in progress", "Within a 14-month window"),
            RequirementLine("Work experience", 2, 2, "years", "met"),
            RequirementLine("References", 0, 3, "ratings", "not started"),
        ),
        area_grid=(
            DomainAreas(
                "Theoretical Foundations",
                (
                    AreaMark("Pregnancy & early parenthood", True),
                    AreaMark("Attachment, separation, trauma, grief & loss", False),
                    AreaMark("Cultural competence", True),
                ),
            ),
            DomainAreas(
                "Reflection",
                (AreaMark("Contemplation", False), AreaMark("Self-awareness", True)),
            ),
        ),
        forecast_text="Ready around March 2027 at the current pace",
        missing=("12 more training hours", "17.5 more RSC hours", "Three reference ratings"),
        verification_code=CODE,
        verify_url=URL,
        issuer_line=ISSUER,
        issued_on=date(2026, 3, 14),
    )
    return replace(data, **changes)


def transcript(count: int = 5) -> TranscriptData:
    """Return a transcript with count trainings of 1.5 h each."""
    start = date(2024, 1, 8)
    trainings = tuple(
        TrainingLine(
            completed_on=start + timedelta(days=5 * i),
            title=f"Training number {i + 1}: supporting parents of infants",
            provider="Example Community Mental Health",
            hours=1.5,
            areas=("Cultural competence", "Parallel process"),
            source="trainer roster" if i % 2 else "CSV import",
        )
        for i in range(count)
    )
    return TranscriptData(
        holder_name=NAME,
        association_name="Example Association for Infant Mental Health",
        as_of=date(2026, 3, 14),
        trainings=trainings,
        domain_totals=(
            DomainTotal("Theoretical Foundations", 1.5 * count),
            DomainTotal("Reflection", 1.5 * count),
        ),
        verification_code=CODE,
        verify_url=URL,
        issuer_line=ISSUER,
        issued_on=date(2026, 3, 14),
    )


def completion() -> CompletionData:
    """Return a completion certificate for a six-hour training."""
    return CompletionData(
        holder_name=NAME,
        training_title="Reflective practice with families of infants",
        provider_name="Example Community Mental Health",
        completed_on=date(2025, 11, 3),
        hours=6,
        areas=("Parallel process", "Self-awareness"),
        trainer_name="Amaru Quispe",
        verification_code=CODE,
        verify_url=URL,
        issuer_line=ISSUER,
        issued_on=date(2025, 11, 4),
    )


def endorsement() -> EndorsementData:
    """Return an IMHS endorsement certificate."""
    return EndorsementData(
        association_name="Example Association for Infant Mental Health",
        holder_name=NAME,
        category_code="IMHS",
        category_name="Infant Mental Health Specialist",
        endorsement_number="EX-IMHS-00421",
        awarded_on=date(2026, 6, 1),
        renewal_due=date(2027, 12, 31),
        verification_code=CODE,
        verify_url=URL,
        issuer_line=ISSUER,
        issued_on=date(2026, 6, 1),
    )
