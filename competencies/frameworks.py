"""Framework services: store an imported framework, read it back, list its areas."""

from __future__ import annotations

from competencies.frameworks_io import (
    DomainDoc,
    FrameworkDoc,
    framework_to_dict,
    load_framework,
)
from competencies.models import Area, Framework
from competencies.types import AreaInfo
from lms import audit
from lms.db import transactional
from lms.models import Association, User, utcnow


def _leaves_with_domain(doc: FrameworkDoc) -> list[tuple[object, DomainDoc]]:
    domains = {d.idnumber: d for d in doc.domains}
    domain_of: dict[str, DomainDoc] = {}
    out = []
    for node, parent, depth in doc.walk():
        if depth == 1:
            domain_of[node.idnumber] = domains[node.idnumber]
            continue
        domain_of[node.idnumber] = domain_of[parent]
        if not node.children:
            out.append((node, domain_of[node.idnumber]))
    return out


@transactional
def save_framework(
    doc: FrameworkDoc, *, association: Association | None = None, actor: User | None = None
) -> Framework:
    """Store a framework; importing the same idnumber and version again replaces it."""
    framework = Framework.get_or_none(
        (Framework.idnumber == doc.idnumber)
        & (Framework.version == (doc.version or ""))
        & (
            Framework.association.is_null()
            if association is None
            else Framework.association == association
        )
    )
    before = None
    if framework is None:
        framework = Framework(association=association, idnumber=doc.idnumber)
    else:
        before = {"name": framework.name, "areas": framework.areas.count()}
        Area.delete().where(Area.framework == framework).execute()
    framework.name = doc.name
    framework.version = doc.version or ""
    document = framework_to_dict(doc)
    load_framework(document)  # never store what framework_doc() could not read back
    framework.document = document
    framework.updated_at = utcnow()
    framework.save()
    rows = [
        {
            "framework": framework.id,
            "idnumber": leaf.idnumber,
            "name": leaf.name,
            "domain_idnumber": domain.idnumber,
            "domain_name": domain.name,
            "categories": ",".join(sorted(set(leaf.categories))),
            "position": i,
        }
        for i, (leaf, domain) in enumerate(_leaves_with_domain(doc))
    ]
    if rows:
        Area.insert_many(rows).execute()
    from competencies.rulesets import forget_framework  # rulesets imports this module

    forget_framework(framework.id)
    audit.record(
        "framework.import" if before is None else "framework.replace",
        framework,
        actor=actor,
        association_id=association.id if association else None,
        before=before,
        after={"idnumber": doc.idnumber, "version": doc.version, "areas": len(rows)},
    )
    return framework


def framework_doc(framework: Framework) -> FrameworkDoc:
    """Return the stored framework as a document (exactly what was imported)."""
    return load_framework(framework.document)


def area_infos(framework: Framework) -> tuple[AreaInfo, ...]:
    """Return the framework's areas as the evaluator reads them, in document order."""
    return tuple(
        AreaInfo(a.idnumber, a.name, a.domain_name, a.category_set)
        for a in Area.select().where(Area.framework == framework).order_by(Area.position)
    )


def visible_frameworks(association_ids: list[int] | None):
    """Return the frameworks shared by all plus those of the given associations (None: all)."""
    query = Framework.select().order_by(Framework.name, Framework.version)
    if association_ids is not None:
        query = query.where(
            Framework.association.is_null() | Framework.association.in_(association_ids)
        )
    return query


def framework_for(association: Association | None) -> Framework | None:
    """Return the framework an association works with: its own newest, else the shared one."""
    if association is not None:
        own = (
            Framework.select()
            .where(Framework.association == association)
            .order_by(Framework.updated_at.desc())
            .first()
        )
        if own is not None:
            return own
    return (
        Framework.select()
        .where(Framework.association.is_null())
        .order_by(Framework.updated_at.desc())
        .first()
    )
