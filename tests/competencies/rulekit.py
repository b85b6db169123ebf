"""Small rule sets and evidence items for the tests of the pure evaluator (no app, no database):
`rules(node)` puts one requirement graph under a category of a minimal rule set, `run` evaluates
it, `item` and `rsc` make ledger items with fresh ids."""

from __future__ import annotations

import datetime

from competencies.evaluator import evaluate
from competencies.rules import load_rule_set
from competencies.types import EvidenceItem, Summary

D = datetime.date
AS_OF = D(2025, 6, 1)
_ids = iter(range(1, 10**6))


def item(kind: str, date: D, status: str = "verified", **kw) -> EvidenceItem:
    kw.setdefault("id", next(_ids))
    return EvidenceItem(kind=kind, date=date, status=status, **kw)


def rsc(
    date: D,
    hours: float = 1.0,
    provider: int | None = 7,
    status: str = "attested",
    creds: tuple[str, ...] = ("IMHS",),
    **details,
) -> EvidenceItem:
    details = {"format": "individual", "provider_credentials": list(creds), **details}
    return item("rsc", date, status, hours=hours, provider_id=provider, details=details)


def rules(node: dict, category: str = "IMHS", **extra) -> object:
    filler = {"name": "Other", "family": "infant", "rank": 1, "requires": {"membership": {}}}
    doc = {
        "name": "Test rules",
        "version": "9",
        "effective": "2025-01-01",
        "categories": {code: dict(filler) for code in ("IMHS", "IFS", "IMHM-C")},
        "rsc_eligibility": {
            "IMHS": ["IMHS", "IMHM-C", "ERS"],
            "IMHM-C": ["IMHM-C"],
            "IFS:bachelor": ["IFS:master", "IMHS", "ERS"],
            "IFS:master": ["IMHS", "ERS"],
        },
        **extra,
    }
    doc["categories"][category] = {
        "name": f"Category {category}",
        "family": "infant",
        "rank": 4,
        "requires": node,
    }
    return load_rule_set(doc)


def run(node: dict, items=(), category: str = "IMHS", as_of: D = AS_OF, **extra):
    return evaluate(rules(node, category, **extra), category, Summary.from_items(1, items), as_of)
