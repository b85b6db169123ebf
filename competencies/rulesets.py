"""Rule-set services: store validated versions, find the one in force, bind the areas."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from typing import Any

from competencies import rules
from competencies.frameworks import area_infos, framework_for
from competencies.models import Framework, RuleSet
from competencies.types import AreaInfo
from lms import audit, compiled
from lms.db import transactional
from lms.errors import ServiceError
from lms.models import Association, User

_bound_cache: dict[tuple, rules.RuleSet] = {}

# Every column but the document: hot queries leave out the large JSON text, which
# `bound_rule_set` reads only when this process has not parsed that version yet.
LIGHT = tuple(f for f in RuleSet._meta.sorted_fields if f.name != "document")
_cache_lock = threading.Lock()


class RuleSetConflict(ServiceError, ValueError):
    """A version with this number already exists for the association."""

    status = 409


@transactional
def save_rule_set(
    document: Mapping[str, Any],
    *,
    association: Association | None,
    framework: Framework | None = None,
    actor: User | None = None,
) -> RuleSet:
    """Validate and store a new rule-set version; stored versions are never edited."""
    parsed = rules.load_rule_set(document)
    query = RuleSet.select().where(RuleSet.version == parsed.version)
    query = query.where(
        RuleSet.association.is_null() if association is None else RuleSet.association == association
    )
    if query.exists():
        raise RuleSetConflict(
            f"Version {parsed.version} already exists; publish changes as a new version."
        )
    framework = framework or framework_for(association)
    if framework is not None:
        _bind(parsed, framework)  # refuse now what would fail at evaluation
    row = RuleSet.create(
        association=association,
        framework=framework,
        name=parsed.name,
        version=parsed.version,
        effective=parsed.effective,
        document=parsed.to_dict(),
        created_by=actor,
    )
    audit.record(
        "ruleset.publish",
        row,
        actor=actor,
        association_id=association.id if association else None,
        after={"name": parsed.name, "version": parsed.version, "effective": parsed.effective},
    )
    return row


def _bind(parsed: rules.RuleSet, framework: Framework) -> rules.RuleSet:
    known = set(parsed.categories)
    areas = [AreaInfo(a.id, a.name, a.domain, a.categories & known) for a in area_infos(framework)]
    return rules.bind_areas(parsed, areas)


STAMP_SECONDS = 5.0
_stamps: dict[int, tuple[float, object]] = {}


def framework_stamp(framework_id: int | None) -> object:
    """Return when the framework was last edited (cached STAMP_SECONDS per process)."""
    if framework_id is None:
        return None
    now = time.monotonic()
    cached = _stamps.get(framework_id)
    if cached is not None and now - cached[0] < STAMP_SECONDS:
        return cached[1]
    stamp = Framework.select(Framework.updated_at).where(Framework.id == framework_id).scalar()
    _stamps[framework_id] = (now, stamp)
    return stamp


def clear_caches() -> None:
    """Forget every parsed rule set and framework stamp of this process."""
    with _cache_lock:
        _bound_cache.clear()
    _stamps.clear()


def forget_framework(framework_id: int) -> None:
    """Drop this process's cached stamp, so its next evaluation sees an edit at once."""
    _stamps.pop(framework_id, None)


def bound_rule_set(row: RuleSet) -> rules.RuleSet:
    """Return the stored version parsed and bound to its framework (cached: versions are fixed)."""
    # The framework's edit time is part of the key, so an area edit reaches every worker's
    # evaluations within STAMP_SECONDS without a query per evaluation.
    key = (row.id, row.framework_id, framework_stamp(row.framework_id))
    with _cache_lock:
        cached = _bound_cache.get(key)
    if cached is not None:
        return cached
    document = row.document
    if document is None:  # selected without it (LIGHT)
        document = RuleSet.select(RuleSet.document).where(RuleSet.id == row.id).get().document
    parsed = rules.load_rule_set(document)
    if row.framework_id is not None:
        parsed = _bind(parsed, row.framework)
    with _cache_lock:
        if len(_bound_cache) > 512:
            _bound_cache.clear()
        _bound_cache[key] = parsed
    return parsed


def rule_sets_for(association: Association | None):
    """Return the versions an association may use (its own and the shared ones), newest first."""
    query = RuleSet.select().order_by(RuleSet.effective.desc(), RuleSet.id.desc())
    if association is None:
        return query.where(RuleSet.association.is_null())
    return query.where(RuleSet.association.is_null() | (RuleSet.association == association))


def _in_force_query(association_id: Any, on: Any):
    # One statement for both steps: the association's own versions sort before the shared
    # ones (`IS NULL` is false for them), then the newest. A missing association (NULL)
    # equals no row, so only the shared versions remain.
    return (
        RuleSet.select(*LIGHT)
        .where(
            (RuleSet.effective <= on)
            & ((RuleSet.association == association_id) | RuleSet.association.is_null())
        )
        .order_by(RuleSet.association.is_null(), RuleSet.effective.desc(), RuleSet.id.desc())
        .limit(1)
    )


def rule_set_in_force(association: Association | None, on: dt.date) -> RuleSet | None:
    """Return the version in force on a date: the association's own first, else the shared one
    (one statement, its text built once: every dashboard asks)."""
    association_id = None if association is None else RuleSet.association.db_value(association)
    values = (association_id, RuleSet.effective.db_value(on))
    return next(
        iter(compiled.select("competencies.rule_set_in_force", _in_force_query, values)), None
    )


@transactional
def install_defaults(actor: User | None = None) -> list[RuleSet]:
    """Store the shipped framework and rule sets as shared versions, if missing.

    A version already stored must hold the shipped document (both read by today's loader);
    otherwise ShippedRulesChanged is raised and the transaction writes nothing.
    """
    from competencies.frameworks import save_framework
    from competencies.frameworks_io import demo_framework

    doc = demo_framework()
    framework = (
        Framework.select()
        .where(
            Framework.association.is_null()
            & (Framework.idnumber == doc.idnumber)
            & (Framework.version == (doc.version or ""))
        )
        .first()
    ) or save_framework(doc, actor=actor)
    stored = []
    for parsed in rules.default_rule_sets():
        row = (
            RuleSet.select()
            .where(RuleSet.association.is_null() & (RuleSet.version == parsed.version))
            .first()
        )
        if row is None:
            row = save_rule_set(
                parsed.to_dict(), association=None, framework=framework, actor=actor
            )
        elif rules.load_rule_set(row.document).to_dict() != parsed.to_dict():
            raise ShippedRulesChanged(
                f"The stored shared rule set {row.name} {row.version} differs from the shipped "
                f"file of the same version; nothing was installed. A released version is never "
                f"edited: ship the changed rules under a new version."
            )
        stored.append(row)
    return stored


class ShippedRulesChanged(ServiceError, ValueError):
    """A shipped rule-set file no longer matches what databases stored under its version."""

    status = 409
