"""The public registry: people currently endorsed, and each endorsee's listing choice."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw
from flask import current_app

from competencies.models import Endorsement
from endorsement.models import RegistryListing
from lms import audit
from lms.db import transactional
from lms.models import Association, User, utcnow
from lms.signals import registry_links

PAGE = 50


@dataclass(frozen=True)
class Entry:
    name: str
    category: str
    number: str
    association: str
    city: str
    link: str = ""  # the holder's public credential page, when a plugin knows one


def search(
    q: str = "", category: str = "", association: str = "", page: int = 1
) -> tuple[list[Entry], int]:
    """Return one page of active endorsements matching the filters, and the page count."""
    query = (
        Endorsement.select(
            Endorsement.id,
            User.display_name,
            Endorsement.category,
            Endorsement.number,
            Association.name,
            User.city,
            RegistryListing.show_city,
        )
        .join(User, on=Endorsement.clinician)
        .switch(Endorsement)
        .join(Association, on=Endorsement.association)
        .switch(Endorsement)
        .join(
            RegistryListing,
            pw.JOIN.LEFT_OUTER,
            on=(RegistryListing.user == Endorsement.clinician),
        )
        .where((Endorsement.status == "active") & User.active & Association.active)
    )
    q = q.strip()[:100]
    if q:
        query = query.where(User.display_name.contains(q))
    if category:
        query = query.where(Endorsement.category == category)
    if association:
        query = query.where(Association.code == association)
    total = query.count()
    pages = max(1, -(-total // PAGE))
    page = min(max(page, 1), pages)
    rows = list(
        query.order_by(User.display_name, Endorsement.category).paginate(page, PAGE).tuples()
    )
    links = credential_links([row[0] for row in rows])
    entries = [
        Entry(name, cat, number, assoc, city if show_city else "", links.get(eid, ""))
        for eid, name, cat, number, assoc, city, show_city in rows
    ]
    return entries, pages


def credential_links(endorsement_ids: list[int]) -> dict[int, str]:
    """Ask the plugins (through `registry_links`) for each endorsement's public credential page."""
    if not endorsement_ids:
        return {}
    links: dict[int, str] = {}
    app = current_app._get_current_object()
    for _, found in registry_links.send(app, endorsement_ids=list(endorsement_ids)):
        for eid, url in (found or {}).items():
            if eid in endorsement_ids and isinstance(url, str) and url:
                links.setdefault(eid, url)
    return links


def listing(user: User) -> RegistryListing | None:
    return RegistryListing.get_or_none(RegistryListing.user == user)


@transactional
def set_listing(user: User, *, show_city: bool) -> RegistryListing:
    """Record whether the registry shows the person's city."""
    row = listing(user)
    before = None if row is None else {"show_city": row.show_city}
    if row is None:
        row = RegistryListing.create(user=user, show_city=show_city)
    else:
        RegistryListing.update(show_city=show_city, updated_at=utcnow()).where(
            RegistryListing.id == row.id
        ).execute()
        row.show_city = show_city
    audit.record("registry.listing", row, actor=user, before=before, after={"show_city": show_city})
    return row
