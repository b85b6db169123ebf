"""Build a synthetic association (or 36) with clinicians, pathways and ~300 ledger rows each."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from lms.accounts import create_user
from lms.db import db, is_sqlite
from lms.models import Association, Membership, User

SIZES = {
    # associations, clinicians per association, ledger rows per clinician
    "XS": (1, 200, 300),
    "S": (1, 1_000, 300),
    "M": (1, 10_000, 300),
    "L": (36, 1_000, 300),
}
CATEGORIES = ("IMHS", "IFS", "IFA", "IFRS")
PASSWORD = "bench password 2025"


@dataclass(frozen=True)
class Dataset:
    """What was built, and the people the benchmarks use."""

    size: str
    associations: list[Association]
    clinicians: int
    evidence_rows: int
    sample_clinician: User
    seconds: float


def build(size: str, *, today: dt.date | None = None, seed: int = 7) -> Dataset:
    """Fill the (migrated, empty) database; return what the benchmarks need."""
    from competencies.models import Evidence, Pathway
    from competencies.rulesets import bound_rule_set, install_defaults, rule_set_in_force

    started = time.perf_counter()
    today = today or dt.date.today()
    rng = random.Random(seed)
    n_assoc, per_assoc, rows_each = SIZES[size]
    install_defaults()
    associations = []
    total_rows = 0
    sample = None
    for a in range(n_assoc):
        association = Association.create(code=f"B{a:02d}", name=f"Bench Association {a:02d}")
        associations.append(association)
        rule_row = rule_set_in_force(association, today)
        rules = bound_rule_set(rule_row)
        provider = create_user(
            f"provider{a}@bench.example",
            "Bench Provider",
            roles=("rsc_provider",),
            association=association,
        )
        with db.atomic():
            first_id = _insert_users(association, a, per_assoc)
            ids = list(range(first_id, first_id + per_assoc))
            Membership.insert_many(
                [
                    {
                        "user": uid,
                        "association": association.id,
                        "role": "clinician",
                        "created_at": dt.datetime(2025, 1, 1),
                    }
                    for uid in ids
                ]
            ).execute()
            pathways = []
            for uid in ids:
                started_on = today - dt.timedelta(days=rng.randint(30, 700))
                pathways.append(
                    {
                        "clinician": uid,
                        "association": association.id,
                        "category": rng.choice(CATEGORIES),
                        "rule_set": rule_row.id,
                        "started_on": started_on,
                        "status": "in_progress",
                        "created_at": dt.datetime(2025, 1, 1),
                    }
                )
            Pathway.insert_many(pathways).execute()
            catalogue = _catalogue(rng, [area.id for area in rules.areas])
            batch: list[tuple] = []
            for uid in ids:
                for row in _ledger_rows(
                    rng, uid, association.id, provider.id, catalogue, rows_each, today
                ):
                    batch.append(row)
                    if len(batch) >= 5000:
                        _insert_evidence(Evidence, batch)
                        total_rows += len(batch)
                        batch.clear()
            if batch:
                _insert_evidence(Evidence, batch)
                total_rows += len(batch)
        if sample is None:
            sample = User.get_by_id(ids[0])
    # Settle the database as a running one would be: fresh statistics, and on PostgreSQL the
    # bulk-loaded tables vacuumed now, not by autovacuum in the middle of the measurements (at
    # size L that moved the load test's dashboard p95 from 26 to 51 ms).
    db.execute_sql("ANALYZE" if is_sqlite() else "VACUUM ANALYZE")
    return Dataset(
        size, associations, n_assoc * per_assoc, total_rows, sample, time.perf_counter() - started
    )


def _insert_users(association: Association, a: int, count: int) -> int:
    from lms.security import hash_password

    password_hash = hash_password(PASSWORD)  # one hash for all: the KDF is slow on purpose
    rows = [
        {
            "email": f"c{a}-{i}@bench.example",
            "display_name": f"Clinician {a}-{i}",
            "password_hash": password_hash,
            "created_at": dt.datetime(2025, 1, 1),
        }
        for i in range(count)
    ]
    for start in range(0, count, 5000):
        User.insert_many(rows[start : start + 5000]).execute()
    return User.get(User.email == f"c{a}-0@bench.example").id


_FIELDS = (
    "clinician",
    "association",
    "kind",
    "occurred_on",
    "hours",
    "status",
    "areas",
    "tags",
    "provider",
    "details",
    "label",
    "source",
    "source_ref",
    "void_reason",
    "created_at",
)


def _insert_evidence(model, batch: list[tuple]) -> None:
    fields = [getattr(model, name) for name in _FIELDS]
    model.insert_many(batch, fields=fields).execute()


def _catalogue(rng, area_ids: list[str], size: int = 40) -> list[tuple[str, str, float]]:
    """Return trainings as (areas, tags, hours): evidence comes from a catalogue, as in life."""
    return [
        (
            ",".join(sorted(rng.sample(area_ids, rng.randint(1, 3)))),
            "dei" if i % 8 == 0 else ("rsc-topic" if i % 11 == 0 else ""),
            rng.choice([0.5, 1.0, 1.5, 3.0, 6.0]),
        )
        for i in range(size)
    ]


def _ledger_rows(rng, uid, association_id, provider_id, catalogue, count, today):
    created = dt.datetime(2025, 1, 1)
    day = lambda: today - dt.timedelta(days=rng.randint(0, 730))  # noqa: E731
    fixed = [
        ("education", {"level": rng.choice(["bachelor", "master"])}),
        (
            "work",
            {
                "years": round(rng.uniform(0.5, 4), 1),
                "kind": "dyadic_clinical",
                "families": rng.randint(2, 30),
            },
        ),
        ("membership", {"valid_until": (today + dt.timedelta(days=200)).isoformat()}),
        ("agreement", {"document": "code_of_ethics"}),
        ("reference", {"void": False, "rater_role": "supervisor"}),
        ("reference", {"void": False, "rater_role": "peer"}),
    ]
    for kind, details in fixed:
        yield (
            uid,
            association_id,
            kind,
            day(),
            0.0,
            "verified",
            "",
            "",
            None,
            details,
            kind,
            "bench",
            "",
            "",
            created,
        )
    rsc = count // 8
    for _ in range(rsc):
        fmt = rng.choice(["individual", "individual", "group", "peer"])
        yield (
            uid,
            association_id,
            "rsc",
            day(),
            rng.choice([1.0, 1.5, 2.0]),
            "attested",
            "",
            "",
            provider_id,
            {"format": fmt, "facilitated": fmt == "group", "provider_credentials": ["IMHS"]},
            "Reflective supervision",
            "bench",
            "",
            "",
            created,
        )
    for _ in range(count - rsc - len(fixed)):
        areas, tags, hours = rng.choice(catalogue)
        status = "verified" if rng.random() < 0.97 else "pending"
        yield (
            uid,
            association_id,
            "training",
            day(),
            hours,
            status,
            areas,
            tags,
            None,
            {},
            "Training",
            "bench",
            "",
            "",
            created,
        )
