"""Shipped JSON-LD contexts are processed once per process, not on every canonicalisation."""

from __future__ import annotations

import pytest
from pyld.jsonld import JsonLdError

from certificates import linked_data

DOCUMENT = {
    "@context": [linked_data.CREDENTIALS_V2, linked_data.OB_V3],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "did:web:example.org", "type": ["Profile"], "name": "Example"},
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"type": ["AchievementSubject"], "identifier": []},
}


def test_second_canonicalisation_reads_no_context_and_gives_the_same_quads(monkeypatch) -> None:
    first = linked_data.canonize(DOCUMENT)
    assert "VerifiableCredential" in first

    def refuse(url: str) -> dict:
        raise AssertionError(f"context {url} read again")

    monkeypatch.setattr(linked_data, "context_document", refuse)
    assert linked_data.canonize(DOCUMENT) == first


def test_unshipped_contexts_are_still_refused() -> None:
    with pytest.raises(JsonLdError) as caught:
        linked_data.canonize({"@context": "https://example.org/other.jsonld", "name": "x"})

    cause = caught.value
    while cause.__cause__ is not None:
        cause = cause.__cause__
    assert isinstance(cause, linked_data.ContextNotShipped)
